"""The product's URLs plus ``/bench/bare``, the baseline the benchmarks compare against."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from prosocial.urls import urlpatterns as product_urlpatterns


def bare_view(request: HttpRequest) -> HttpResponse:
    """Answer "ok" without touching the database: the floor of a request on this server."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    *product_urlpatterns,
    path("bench/bare", bare_view, name="bench_bare"),
]
