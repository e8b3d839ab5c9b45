"""Kept pages: a page rendered once per change of what it shows.

Owns:
    - :class:`Source`, one set of rows a page's content is made of ("the workspace's
      publications", "the campaign's audiences");
    - :func:`page_state`, a fingerprint of those rows read in one query, and
      :func:`state_column`/:func:`fingerprint`, the same read as columns of another query
      (``accounts.selectors.read_workspace_page`` reads it with the user and the membership,
      and hands it over with :func:`remember_state`);
    - :func:`lookup` (and :func:`find`, for a key made elsewhere), which finds the body and the
      whole page kept for the same member, address, minute, code and data, as a
      :class:`KeptBody`, which the ``{% kept_body %}`` tag (``prosocial/templatetags/kept.py``)
      shows or renders and keeps; :func:`render` answers a kept whole page without rendering;
    - :func:`code_version`, the digest of the code and templates in every key;
    - :func:`read_last_page`, the whole page this session was last answered at an address,
      read with the session (``prosocial.sessions``).

Invariants:
    - A kept body is only served while every row of every source is exactly as it was when the
      body was rendered: the fingerprint is ``COUNT(*)`` and a sum of a hash of each row's
      ``(ctid, xmin)``. PostgreSQL gives an inserted, updated or deleted row a new ``ctid`` or
      changes the count, whatever wrote it (the ORM's ``save``, ``update()``, ``bulk_create``,
      raw SQL, another process), and the same within one transaction. Timestamps would miss
      ``update()`` and a transaction committing after a newer one.
    - Bodies are per membership (so per role and person), per request path and query, per
      language and per minute (relative times such as "3 minutes ago" stay right), and per
      digest of the code and templates. They live ``KEEP_SECONDS``.
    - Nothing kept holds what was made for one response: forms carry ``CSRF_SLOT`` and a whole
      page's scripts ``NONCE_SLOT``, which each response replaces with its own token and CSP
      nonce. A whole page is kept only when its layout shows nothing else made for the request
      (no one-time message, no Meta notice: ``register_layout_state``), and only a 200.
    - On other databases (SQLite, the embedded default) nothing is kept; pages render as before.

Callers: the busiest workspace pages' views (dashboard, members, media, campaign, publication
list, calendar) and the results pages (``insights.views``, keyed by their report). Measured in
``bench/page_latency.py`` and ``bench/results_pages.py`` (bench/README.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.shortcuts import render as django_render
from django.template.loader import render_to_string
from django.utils import timezone, translation

from prosocial import prepared

if TYPE_CHECKING:
    from django.db import models
    from django.http import HttpRequest

KEEP_SECONDS = 120  # a body is keyed by the minute; two minutes covers the minute it was made


def _slot() -> str:
    # Derived from the secret key: text a user wrote (a title, a comment) can't name the slot
    # and so can't have the viewer's token put in it. The same in every process.
    return (
        "csrf-" + hashlib.sha256(b"kept-csrf-slot:" + settings.SECRET_KEY.encode()).hexdigest()[:32]
    )


CSRF_SLOT = _slot()
NONCE_SLOT = CSRF_SLOT.replace("csrf-", "nonce-", 1)
_CSRF_SLOT_BYTES = CSRF_SLOT.encode()
_NONCE_SLOT_BYTES = NONCE_SLOT.encode()
# What a kept body can depend on besides its data: every template, and the code that builds
# pages' contexts (views, selectors, forms, template tags, model methods used in templates,
# the results pages' reports and tables, which are kept too).
SHAPING_GLOBS = (
    "templates/**/*.html",
    "*/views.py",
    "*/*/views.py",
    "*/selectors.py",
    "*/*/selectors.py",
    "*/forms.py",
    "*/*/forms.py",
    "*/templatetags/*.py",
    "*/models.py",
    "*/*/models.py",
    "*/extensions.py",
    "insights/reports.py",
    "insights/tables.py",
)


@lru_cache(maxsize=1)
def code_version() -> str:
    """Return a digest of the files that shape kept bodies; read once per process.

    Part of every key, so a deploy never serves what the code before it rendered.
    """
    digest = hashlib.sha256()
    for pattern in SHAPING_GLOBS:
        for file in sorted(settings.BASE_DIR.glob(pattern)):
            if ".venv" not in file.parts and "node_modules" not in file.parts:
                digest.update(str(file.relative_to(settings.BASE_DIR)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Source:
    """The rows of ``model`` whose ``column`` equals the page's ``param`` (e.g. its workspace).

    ``column`` is a column of ``t`` (the model's table) or of a table ``join`` brings in, for
    rows that belong to the workspace through another row: ``Source(User, "m.workspace_id",
    join="JOIN accounts_membership m ON m.user_id = t.id")``.
    """

    model: type[models.Model]
    column: str = "t.workspace_id"
    param: str = "workspace"
    join: str = ""
    # For a page showing only the first rows of a long list (the latest activity): those
    # rows in this order (SQL over ``t``) are the source, not all of them.
    order: str = ""
    limit: int | None = None


def _state_value_sql(source: Source, value: str) -> str:
    """Return the SQL of ``source``'s state (``"count:sum"``) where its column is ``value``."""
    table = source.model._meta.db_table
    # Table and column names come from the code's Sources, never from input.
    rows = (
        f"SELECT hashtext(t.ctid::text || ':' || t.xmin::text) AS h "  # noqa: S608
        f"FROM {table} t {source.join} WHERE {source.column} = {value}"
    )
    if source.limit is not None:
        rows += f" ORDER BY {source.order} LIMIT {int(source.limit)}"
    return f"SELECT COUNT(*)::text || ':' || COALESCE(SUM(s.h), 0)::text FROM ({rows}) s"  # noqa: S608


@lru_cache(maxsize=64)
def _state_sql(sources: tuple[Source, ...]) -> str:
    return " UNION ALL ".join(_state_value_sql(source, "%s") for source in sources)


def state_column(source: Source, value: str = "%s") -> str:
    """Return ``source``'s state as a column for another query to select (PostgreSQL only).

    ``value`` is the SQL the source's column is compared with: ``%s`` for a parameter, or a
    subquery (the workspace of a slug). :func:`fingerprint` of the columns' values, in the
    sources' order, is what :func:`page_state` returns for the same rows.
    """
    return f"({_state_value_sql(source, value)})"


def fingerprint(values: list[str]) -> str:
    """Return the page state made of each source's state (``"count:sum"``), in order."""
    return hashlib.sha256("|".join(values).encode()).hexdigest()[:24]


def page_state(sources: tuple[Source, ...], params: dict[str, Any]) -> str | None:
    """Return a fingerprint of every row of ``sources`` (one query), or None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        prepared.execute(cursor, _state_sql(sources), [params[source.param] for source in sources])
        rows = cursor.fetchall()
    return fingerprint([value for (value,) in rows])


# A page's sources and their parameters beyond ``workspace`` and ``user`` for one request (None:
# the request doesn't look up a kept page), known before its view runs. ``member_required``
# reads their state in the same query as the signed-in user and the membership.
PageState = tuple[tuple[Source, ...], dict[str, Any]]
PageSources = Callable[["HttpRequest", dict[str, Any]], PageState | None]


def _values(membership: Any, params: dict[str, Any] | None) -> dict[str, Any]:
    return {"workspace": membership.workspace_id, "user": membership.user_id, **(params or {})}


def remember_state(
    request: HttpRequest,
    sources: tuple[Source, ...],
    membership: Any,
    params: dict[str, Any],
    state: str,
) -> None:
    """Note ``sources``' state for ``membership`` and ``params``, read with the membership.

    :func:`lookup` of the same sources and parameters in this request uses it.
    """
    request._kept_state = (sources, _values(membership, params), state)  # type: ignore[attr-defined]


def _state(request: HttpRequest, sources: tuple[Source, ...], params: dict[str, Any]) -> str | None:
    remembered = getattr(request, "_kept_state", None)
    if remembered is not None and remembered[0] == sources and remembered[1] == params:
        return remembered[2]  # type: ignore[no-any-return]
    return page_state(sources, params)


@dataclass
class KeptBody:
    """A page's kept content: its body (``{% kept_body %}``) and, where it may, the whole page.

    ``page_key`` is set when the layout around the body shows nothing made for one request
    but its CSRF token and CSP nonce (``register_layout_state``): then the whole page is kept
    too, and :func:`render` answers a kept one without rendering any template.
    """

    key: str | None  # None: don't keep (no fingerprint, or a response that isn't the page)
    html: str | None = None
    page_key: str | None = None
    page: bytes | None = None  # encoded once, answered as it is (slots filled)
    last: bool = False  # the page is this session's last at this address (read with it)

    @property
    def missing(self) -> bool:
        """Whether the view must build the body's context (nothing kept)."""
        return self.html is None and self.page is None


# Set by the app that owns the layout (accounts): a digest of everything the layout shows for
# this request and membership, or None when it shows something for this request only (a
# one-time message). See ``accounts.context_processors.layout_state``.
LayoutState = Callable[["HttpRequest", Any], str | None]
_layout_state: LayoutState | None = None


def register_layout_state(function: LayoutState) -> None:
    global _layout_state  # one registration, from accounts' AppConfig.ready()
    _layout_state = function


def lookup(
    request: HttpRequest,
    page: str,
    membership: Any,
    sources: tuple[Source, ...],
    params: dict[str, Any] | None = None,
) -> KeptBody:
    """Return the body (and page) of ``page`` kept for this member, address, minute and data.

    ``params`` gives the sources' parameters beyond ``workspace`` and ``user`` (the
    membership's). Requests that must not share a body (htmx partials) shouldn't call this.
    """
    values = _values(membership, params)
    state = _state(request, sources, values)
    if state is None:
        return KeptBody(key=None)
    key = ":".join(
        [
            "kept",
            code_version(),
            page,
            str(membership.pk),
            membership.role,
            translation.get_language() or "",
            timezone.now().strftime("%Y%m%d%H%M"),
            hashlib.sha256(request.get_full_path().encode()).hexdigest()[:16],
            state,
        ]
    )
    return find(request, membership, key)


def find(request: HttpRequest, membership: Any, key: str) -> KeptBody:
    """Return what is kept under ``key`` (a body's key that says everything the body shows).

    For pages whose own key is made elsewhere (the results pages key their bodies by their
    report). The whole page is looked for too when the layout may be kept.
    """
    layout = _layout_state(request, membership) if _layout_state is not None else None
    if layout is None:
        return KeptBody(key=key, html=cache.get(key))
    address = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:16]
    page_key = f"{key}:page:{layout}:{address}"
    last = getattr(request, "_kept_last", None)
    if last is not None and last[0] == page_key:  # (its page key, the page), kept by _keep_page
        return KeptBody(key=key, page_key=page_key, page=last[1], last=True)
    found = cache.get_many([key, page_key])  # one round trip
    return KeptBody(key=key, html=found.get(key), page_key=page_key, page=found.get(page_key))


def read_last_page(request: HttpRequest) -> None:
    """Read, with the session, the whole page this session was last answered at this address.

    One round trip to the cache for both (``prosocial.sessions``). :func:`find` answers it
    only when it is the very page it would look up (same key: member, role, minute, data,
    layout). With another session engine, or no session yet, nothing is read.
    """
    read_with = getattr(request.session, "read_with", None)
    if read_with is not None and request.session.session_key is not None:
        key = _last_key(request)
        request._kept_last = read_with([key]).get(key)  # type: ignore[attr-defined]


def _last_key(request: HttpRequest) -> str:
    # The session key is a secret: only this session reaches its last page.
    mark = f"{request.session.session_key}:{request.get_full_path()}"
    return "kept:last:" + hashlib.sha256(mark.encode()).hexdigest()[:32]


def _keep_page(request: HttpRequest, body: KeptBody, page: bytes, *, shared: bool) -> None:
    """Keep ``page`` as this session's last at this address (and, ``shared``, for the member)."""
    entries: dict[str, Any] = {body.page_key: page} if shared else {}  # type: ignore[dict-item]
    if getattr(request.session, "read_with", None) is not None and request.session.session_key:
        entries[_last_key(request)] = (body.page_key, page)
    if entries:
        cache.set_many(entries, KEEP_SECONDS)  # one round trip


def keep(body: KeptBody, html: str, seconds: int = KEEP_SECONDS) -> None:
    """Keep ``html`` (rendered with ``CSRF_SLOT`` for the token) under ``body``'s key."""
    if body.key is not None:
        cache.set(body.key, html, seconds)


def _filled(request: HttpRequest, page: bytes) -> bytes:
    nonce = get_nonce(request)  # a LazyNonce: made here, so the CSP header names it too
    filled = page.replace(_CSRF_SLOT_BYTES, get_token(request).encode())
    return filled.replace(_NONCE_SLOT_BYTES, b"" if nonce is None else str(nonce).encode())


def render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    body: KeptBody,
    status: int = 200,
) -> HttpResponse:
    """Answer with the kept page, or render ``template`` (keeping the page where it may).

    ``response.kept`` says which: ``"page"`` (nothing rendered), ``"body"`` (the layout
    rendered around a kept body) or ``""`` (built). Only a 200 is kept whole.
    """
    if body.page is not None and status == 200:
        if not body.last:
            _keep_page(request, body, body.page, shared=False)
        response = HttpResponse(_filled(request, body.page))
        response.kept = "page"  # type: ignore[attr-defined]
        response.kept_last = body.last  # type: ignore[attr-defined]
        return response
    kept_body = "" if body.html is None else "body"
    if body.page_key is None or status != 200:
        response = django_render(request, template, context, status=status)
    else:
        # Rendered with the slots, kept, then filled with this response's token and nonce.
        page = render_to_string(
            template, {**context, "csrf_token": CSRF_SLOT, "csp_nonce": NONCE_SLOT}, request
        ).encode()
        _keep_page(request, body, page, shared=True)
        response = HttpResponse(_filled(request, page))
    response.kept = kept_body  # type: ignore[attr-defined]
    response.kept_last = False  # type: ignore[attr-defined]
    return response


def respond(
    request: HttpRequest,
    page: str,
    membership: Any,
    sources: tuple[Source, ...],
    template: str,
    context: dict[str, Any],
    build: Callable[[], dict[str, Any]],
) -> HttpResponse:
    """Answer the kept page, or render ``template`` with ``build()``'s context added.

    ``context`` is what the page shows outside its body (the title's names); ``build`` makes
    the body's context and runs only when no body is kept.
    """
    body = lookup(request, page, membership, sources)
    context = {**context, "kept": body}
    if body.missing:
        context |= build()
    return render(request, template, context, body)
