"""Signed, expiring media URLs for Meta's fetchers and browsers (no session, no namespace)."""

from django.urls import path

from creatives.library import media_urls

urlpatterns = [
    path("media/s/<str:token>", media_urls.serve_signed_media, name="signed_media"),
]
