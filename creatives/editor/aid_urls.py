"""Timeline aids and preview frames (included in the ``editor`` namespace by ``urls.py``)."""

from django.urls import path

from creatives.editor import aid_views

urlpatterns = [
    path(
        "w/<slug:slug>/editor/assets/<int:pk>/aids.json",
        aid_views.asset_aids,
        name="asset_aids",
    ),
    path(
        "w/<slug:slug>/editor/assets/<int:pk>/filmstrip.jpg",
        aid_views.filmstrip,
        name="filmstrip",
    ),
    path("w/<slug:slug>/editor/<int:pk>/frame.jpg", aid_views.frame, name="frame"),
]
