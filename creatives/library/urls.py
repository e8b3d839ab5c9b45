from django.urls import path

from creatives.library import views

urlpatterns = [
    path("w/<slug:slug>/media/", views.library, name="library"),
    path("w/<slug:slug>/media/upload/", views.upload, name="upload"),
    path("w/<slug:slug>/media/upload/start/", views.upload_start, name="upload_start"),
    path(
        "w/<slug:slug>/media/<int:pk>/upload/complete/",
        views.upload_complete,
        name="upload_complete",
    ),
    path("w/<slug:slug>/media/<int:pk>/", views.detail, name="detail"),
    path("w/<slug:slug>/media/<int:pk>/transcode/", views.transcode, name="transcode"),
    path("w/<slug:slug>/media/<int:pk>/delete/", views.delete, name="delete"),
]
