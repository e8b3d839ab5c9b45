from django.contrib import admin
from django.urls import include, path

from prosocial import views

admin.site.site_header = "ProSocial administration"
admin.site.site_title = "ProSocial admin"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("meta_integration.urls")),
    path("", include("accounts.urls")),
]
