"""Captions from speech (included in the ``editor`` namespace by ``creatives/editor/urls.py``)."""

from django.urls import path

from creatives.editor import transcribe_views

urlpatterns = [
    path(
        "w/<slug:slug>/editor/<int:pk>/captions/transcribe/",
        transcribe_views.transcribe_start,
        name="transcribe",
    ),
    path(
        "w/<slug:slug>/editor/<int:pk>/captions/transcribe/<int:job_pk>/",
        transcribe_views.transcription_status,
        name="transcription",
    ),
]
