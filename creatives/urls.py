"""The ``creatives:`` URL namespace: the media library's pages and the AI studio's."""

from creatives.library.urls import urlpatterns as library_urls
from creatives.studio.urls import urlpatterns as studio_urls

app_name = "creatives"

urlpatterns = [*library_urls, *studio_urls]
