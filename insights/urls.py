from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("w/<slug:slug>/results/", views.overview, name="overview"),
    path("w/<slug:slug>/results/csv/<slug:table>/", views.overview_csv, name="overview_csv"),
    path("w/<slug:slug>/results/publications/<int:pk>/", views.publication, name="publication"),
    path(
        "w/<slug:slug>/results/publications/<int:pk>/csv/<slug:table>/",
        views.publication_csv,
        name="publication_csv",
    ),
    path("w/<slug:slug>/results/campaigns/<int:pk>/", views.campaign, name="campaign"),
    path(
        "w/<slug:slug>/results/campaigns/<int:pk>/csv/<slug:table>/",
        views.campaign_csv,
        name="campaign_csv",
    ),
    path("w/<slug:slug>/results/refresh/", views.refresh, name="refresh"),
    path("w/<slug:slug>/results/refresh/<int:pk>/", views.refresh_status, name="refresh_status"),
]
