"""Placeholder: filled in by the editor aids work (filmstrips, waveforms, preview frames)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from accounts.decorators import member_required
from accounts.models import Membership


@member_required("editor.view")
def _placeholder(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    raise Http404


urlpatterns = [
    path("w/<slug:slug>/editor/assets/<int:pk>/aids.json", _placeholder, name="asset_aids"),
    path("w/<slug:slug>/editor/assets/<int:pk>/filmstrip.jpg", _placeholder, name="filmstrip"),
    path("w/<slug:slug>/editor/<int:pk>/frame.jpg", _placeholder, name="frame"),
]
