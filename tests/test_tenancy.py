"""Walk every workspace-scoped URL: outsiders get 404, viewers change nothing.

New views are covered automatically: the walk reads the URL resolver, so a view added under
``/w/<slug>/`` without ``member_required`` fails ``test_every_workspace_view_declares_a_permission``.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import AuditEvent, Invitation, Membership, Workspace
from accounts.permissions import has_permission
from tests.conftest import client_for


def _workspace_patterns(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _workspace_patterns(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and "<slug:slug>" in str(entry.pattern):
            yield f"{namespace}{entry.name}", entry


WORKSPACE_URLS = sorted(_workspace_patterns(), key=lambda item: item[0])


def snapshot():
    return (
        list(Workspace.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        list(Invitation.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def invitation(owner):
    return Invitation.objects.create(
        workspace=owner.workspace,
        email="pending@example.com",
        role="editor",
        token_hash="0" * 64,
        expires_at="2099-01-01T00:00Z",
        last_sent_at="2026-01-01T00:00Z",
    )


def _url(name, pattern, editor, invitation):
    kwargs = {"slug": "acme"}
    # Every integer in the path (``pk``, and the inbox's ``message_pk``, ``reply_pk``…) names an
    # object the caller may not reach: a 404 for outsiders, a 403 before any lookup for viewers.
    for key in re.findall(r"<int:(\w+)>", str(pattern.pattern)):
        kwargs[key] = invitation.pk if "invitation" in name else editor.pk
    # Other words in the path (the results pages' CSV ``table``) get one that exists.
    for key in re.findall(r"<(?:slug|str):(\w+)>", str(pattern.pattern)):
        kwargs.setdefault(key, "posts")
    return reverse(name, kwargs=kwargs)


def test_walk_finds_the_workspace_views():
    names = {name for name, _ in WORKSPACE_URLS}
    assert {"accounts:dashboard", "accounts:members", "accounts:member_role"} <= names


@pytest.mark.parametrize(("name", "pattern"), WORKSPACE_URLS, ids=[n for n, _ in WORKSPACE_URLS])
def test_every_workspace_view_declares_a_permission(name, pattern):
    assert hasattr(pattern.callback, "member_permission"), f"{name} lacks @member_required"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "pattern"), WORKSPACE_URLS, ids=[n for n, _ in WORKSPACE_URLS])
def test_outsider_gets_404_and_nothing_changes(cast, invitation, name, pattern, method):
    url = _url(name, pattern, cast["editor"], invitation)
    before = snapshot()

    response = getattr(client_for(cast["outsider"]), method)(url, {"role": "owner", "name": "x"})

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(("name", "pattern"), WORKSPACE_URLS, ids=[n for n, _ in WORKSPACE_URLS])
def test_viewer_cannot_change_anything(cast, invitation, name, pattern):
    if has_permission("viewer", pattern.callback.member_post_permission):
        pytest.skip(f"{name}: viewers may POST here (reading or leaving)")
    url = _url(name, pattern, cast["editor"], invitation)
    before = snapshot()

    response = client_for(cast["viewer"]).post(
        url,
        {
            "role": "owner",
            "name": "Hijacked",
            "email": "x@example.com",
            "timezone": "UTC",
            "currency": "USD",
        },
    )

    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("_case", ["missing", "foreign"])
def test_missing_and_foreign_members_look_the_same(owner, outsider, _case):
    pk = 2**31 - 1 if _case == "missing" else outsider.pk

    response = client_for(owner).post(reverse("accounts:member_remove", args=["acme", pk]))

    assert response.status_code == 404
