from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/meta/data-deletion/", views.meta_data_deletion, name="meta_data_deletion"),
    path("privacy/meta/deauthorize/", views.meta_deauthorize, name="meta_deauthorize"),
    path("privacy/deletion/<str:code>/", views.deletion_status, name="deletion_status"),
    path("contact/", views.contact, name="contact"),
]
