from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("w/<slug:slug>/results/refresh/", views.refresh, name="refresh"),
    path("w/<slug:slug>/results/refresh/<int:pk>/", views.refresh_status, name="refresh_status"),
]
