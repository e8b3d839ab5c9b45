"""The product's URLs plus the baselines the benchmarks compare against.

- ``/bench/bare``: answers ``ok`` without touching the database, the floor of a request on this
  server (the benches' baseline);
- ``/bench/shell/<slug>/``: what every workspace page pays before its own content: sign-in,
  the membership lookup and permission check of ``member_required``, and the app layout
  (sidebar, top bar, context processors) around an empty page. Not a baseline: it shows how
  much of a page's time is the shell and how much its content.
- ``/bench/insert``: a POST whose body is stored with ONE raw ``INSERT`` (a ``WebhookEvent`` row
  of object ``bench-insert``, the body as its payload, no signature, routing or queueing): the
  floor of storing a webhook on this server, ``bench.inbox_ingest``'s baseline.
"""

import hashlib

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import member_required
from accounts.models import Membership
from meta_integration.models import WebhookEvent
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


_INSERT_SQL = (
    f"INSERT INTO {WebhookEvent._meta.db_table} (object, field, entry_id, payload, received_at, "
    "is_processed, dedupe_key, attempts, error, message, progress, retryable, status) "
    "VALUES ('bench-insert', '', '', %s::jsonb, now(), false, %s, 0, '', '', 0, false, 'unrouted')"
)


@csrf_exempt
@require_POST
def insert_view(request: HttpRequest) -> HttpResponse:
    """Store the POSTed JSON body with one INSERT: the floor of storing a webhook."""
    body = request.body
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, [body.decode(), hashlib.sha256(body).hexdigest()])
    return HttpResponse('{"stored":1}', content_type="application/json")


urlpatterns = [
    *product_urlpatterns,
    path("bench/bare", bare_view, name="bench_bare"),
    path("bench/shell/<slug:slug>/", shell_view, name="bench_shell"),
    path("bench/insert", insert_view, name="bench_insert"),
]
