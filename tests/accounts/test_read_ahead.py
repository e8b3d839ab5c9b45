"""A workspace page reads the user, the membership and its kept state in one query.

``member_required`` reads them together (``accounts.selectors.read_workspace_page``) and hands
the user row to Django's sign-in checks; these tests pin that the checks still decide, that
the state is the one ``prosocial.kept.page_state`` reads, and what is refused.
"""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, User
from accounts.selectors import read_workspace_page
from accounts.views import MEMBERS_SOURCES
from campaigns.models import Campaign
from campaigns.views import DETAIL_SOURCES
from prosocial import kept
from publishing.models import Publication
from publishing.views import LIST_SOURCES
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _publication(membership):
    return Publication.objects.create(
        workspace=membership.workspace, created_by=membership.user, title="Launch", target="fb_post"
    )


def _dashboard(client):
    return client.get(reverse("accounts:dashboard", args=["acme"]))


def test_the_state_read_ahead_is_the_page_state(owner, outsider):
    _publication(owner)
    campaign = Campaign.objects.create(workspace=owner.workspace, name="Spring")
    values = {"workspace": owner.workspace_id, "user": owner.user_id}

    for sources, params in [
        (LIST_SOURCES, {}),
        (MEMBERS_SOURCES, {}),
        (DETAIL_SOURCES, {"campaign": campaign.pk}),
    ]:
        read = read_workspace_page(owner.user_id, "acme", sources, params)
        assert read is not None
        assert read.user == owner.user
        assert read.membership == owner
        assert read.state == kept.page_state(sources, {**values, **params})

    # Another workspace's state is never handed out: its member reads no membership here.
    read = read_workspace_page(outsider.user_id, "acme", LIST_SOURCES, {})
    assert read is not None
    assert read.membership is None
    assert read.state is None


def test_the_state_read_ahead_changes_with_the_rows(owner):
    before = read_workspace_page(owner.user_id, "acme", LIST_SOURCES, {})
    Membership.objects.filter(pk=owner.pk).update(role=owner.role)  # rewrites a source's row
    _publication(owner)
    after = read_workspace_page(owner.user_id, "acme", LIST_SOURCES, {})

    assert before.state != after.state


def test_a_user_without_memberships_is_read_with_none(db):
    user = User.objects.create_user("alone@example.com", "a-password-123")

    read = read_workspace_page(user.pk, "acme", LIST_SOURCES, {})

    assert read.user == user
    assert read.membership is None
    assert read_workspace_page(10**9, "acme") is None


def test_a_kept_page_is_one_query_and_the_user_is_the_one_read(owner):
    client = client_for(owner)
    _dashboard(client)  # built and kept

    with CaptureQueriesContext(connection) as queries:
        response = _dashboard(client)

    assert response.status_code == 200
    assert response.kept == "page"
    assert len(queries) == 1
    assert response.wsgi_request.user.email == owner.user.email
    assert response.wsgi_request.membership.user is response.wsgi_request.user._wrapped


@pytest.mark.parametrize("change", ["deactivated", "password", "deleted"])
def test_sign_in_checks_still_decide_on_the_row_read_ahead(owner, change):
    client = client_for(owner)
    assert _dashboard(client).status_code == 200
    user = User.objects.get(pk=owner.user_id)
    if change == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif change == "password":
        user.set_password("a-new-password-1")
        user.save()
    else:
        user.delete()

    response = _dashboard(client)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_non_members_get_404_and_roles_still_apply(owner, viewer, outsider):
    assert _dashboard(client_for(outsider)).status_code == 404
    invite = reverse("accounts:member_invite", args=["acme"])
    assert client_for(viewer).post(invite, {"email": "x@example.com"}).status_code == 403
    assert client_for(owner).get(reverse("accounts:members", args=["acme"])).status_code == 200


def test_a_lookup_of_other_sources_or_parameters_reads_its_own_state(owner):
    request = RequestFactory().get("/")
    kept.remember_state(request, LIST_SOURCES, owner, {}, "remembered")

    with CaptureQueriesContext(connection) as queries:
        same = kept._state(request, LIST_SOURCES, kept._values(owner, {}))
        other = kept._state(request, LIST_SOURCES, kept._values(owner, {"campaign": 1}))
        fewer = kept._state(request, LIST_SOURCES[:2], kept._values(owner, {}))

    assert same == "remembered"
    assert other != "remembered"
    assert fewer != "remembered"
    assert len(queries) == 2
