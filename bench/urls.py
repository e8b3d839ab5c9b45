"""The product's URLs plus the baselines the benchmarks compare against.

- ``/bench/bare``: answers ``ok`` without touching the database, the floor of a request on this
  server (the benches' baseline);
- ``/bench/shell/<slug>/``: what every workspace page pays before its own content: sign-in,
  the membership lookup and permission check of ``member_required``, and the app layout
  (sidebar, top bar, context processors) around an empty page. Not a baseline: it shows how
  much of a page's time is the shell and how much its content.
"""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from accounts.decorators import member_required
from accounts.models import Membership
from prosocial.urls import urlpatterns as product_urlpatterns

_SHELL = engines["django"].from_string(
    '{% extends "layouts/app.html" %}{% block title %}Shell{% endblock %}'
    '{% block content %}<p data-testid="shell">shell</p>{% endblock %}'
)


def bare_view(request: HttpRequest) -> HttpResponse:
    """Answer "ok" without touching the database: the floor of a request on this server."""
    return HttpResponse("ok", content_type="text/plain")


@member_required("workspace.view")
def shell_view(request: HttpRequest, membership: Membership) -> HttpResponse:
    """An empty workspace page: the cost every workspace page pays before its content."""
    return HttpResponse(_SHELL.render({}, request))


urlpatterns = [
    *product_urlpatterns,
    path("bench/bare", bare_view, name="bench_bare"),
    path("bench/shell/<slug:slug>/", shell_view, name="bench_shell"),
]
