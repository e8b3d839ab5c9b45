"""The layout's links and the membership query every workspace page starts with (#15).

The sidebar's links are reversed once per process and workspace, and the membership query is
SQL written once per process: both must say exactly what ``{% url %}`` and the ORM said.
"""

import re
from datetime import datetime

import pytest
from django.http import Http404
from django.urls import reverse

from accounts.models import Notification
from accounts.permissions import Role
from accounts.selectors import get_membership_for_user, list_memberships_for_user
from tests.conftest import client_for
from tests.factories import MembershipFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

SIDEBAR = {
    "accounts:dashboard": "Dashboard",
    "accounts:members": "Members",
    "campaigns:list": "Campaigns",
    "creatives:library": "Media",
    "editor:list": "Editor",
    "creatives:ai_settings": "AI",
    "inbox:list": "Inbox",
    "publishing:list": "Publish",
    "insights:overview": "Results",
    "publishing:approvals": "Waiting for you",
    "meta_integration:connections": "Meta",
    "accounts:workspace_settings": "Settings",
    "privacy:workspace": "Privacy",
    "accounts:activity": "Activity",
}
EVERYWHERE = [
    "accounts:home",
    "accounts:workspace_create",
    "privacy:policy",
    "privacy:terms",
    "privacy:data_deletion_instructions",
    "privacy:contact",
    "accounts:profile",
    "accounts:security",
    "privacy:centre",
    "account_logout",
]


def _sidebar(body):
    nav = body[body.index('<nav class="nav flex-column app-nav">') :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


def _hrefs(body):
    return set(re.findall(r'(?:href|action)="([^"]+)"', body))


def test_the_sidebar_links_into_the_workspace_being_shown(owner, other_workspace):
    MembershipFactory(workspace=other_workspace, user=owner.user, role=Role.OWNER)
    client = client_for(owner)

    acme = client.get(reverse("accounts:members", args=["acme"])).content.decode()
    rival = client.get(reverse("accounts:members", args=["rival"])).content.decode()

    assert _sidebar(acme) == [reverse(name, args=["acme"]) for name in SIDEBAR]
    assert _sidebar(rival) == [reverse(name, args=["rival"]) for name in SIDEBAR]
    assert reverse("accounts:notifications", args=["rival"]) in _hrefs(rival)
    assert reverse("accounts:notifications", args=["acme"]) not in _hrefs(rival)


def test_a_viewer_sees_no_links_their_role_lacks(viewer):
    body = client_for(viewer).get(reverse("accounts:dashboard", args=["acme"])).content.decode()

    assert _sidebar(body) == [
        reverse(name, args=["acme"])
        for name in SIDEBAR
        if name not in {"publishing:approvals", "accounts:activity"}
    ]


def test_the_switcher_links_to_each_workspace_dashboard(owner, other_workspace):
    MembershipFactory(workspace=other_workspace, user=owner.user, role=Role.VIEWER)

    body = client_for(owner).get(reverse("accounts:members", args=["acme"])).content.decode()

    switcher = body[body.index('data-testid="workspace-switcher"') : body.index("</ul>")]
    assert re.findall(r'href="([^"]+)"', switcher) == [
        reverse("accounts:dashboard", args=["acme"]),
        reverse("accounts:dashboard", args=["rival"]),
        reverse("accounts:workspace_create"),
    ]


@pytest.mark.parametrize("url_name", ["accounts:profile", "accounts:members"])
def test_the_layout_links_outside_and_inside_workspaces(owner, url_name):
    client = client_for(owner)
    client.get(reverse("accounts:dashboard", args=["acme"]))  # the last workspace used
    args = ["acme"] if url_name == "accounts:members" else []

    body = client.get(reverse(url_name, args=args)).content.decode()

    assert {reverse(name) for name in EVERYWHERE} <= _hrefs(body)
    assert _sidebar(body) == [reverse(name, args=["acme"]) for name in SIDEBAR]


def test_staff_see_the_admin_link_and_others_do_not(owner):
    staff = MembershipFactory(workspace=owner.workspace, role=Role.EDITOR, user__is_staff=True)
    url = reverse("accounts:dashboard", args=["acme"])

    assert reverse("admin:index") in _hrefs(client_for(staff).get(url).content.decode())
    assert reverse("admin:index") not in _hrefs(client_for(owner).get(url).content.decode())


# --- the membership query, written once per process, says what the ORM says ----------------


def _values(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_membership_query_returns_the_orm_rows_with_their_workspaces(owner, other_workspace):
    MembershipFactory(workspace=other_workspace, user=owner.user, role=Role.VIEWER)
    MembershipFactory(workspace=WorkspaceFactory(name="Beta", slug="beta"), user=owner.user)
    Notification.objects.create(
        workspace=owner.workspace, recipient=owner.user, kind="approval_requested", title="x"
    )
    expected = list(list_memberships_for_user(owner.user))

    membership = get_membership_for_user(owner.user, "acme")

    rows = membership.nav_memberships
    assert [_values(m) for m in rows] == [_values(m) for m in expected]
    assert [_values(m.workspace) for m in rows] == [_values(m.workspace) for m in expected]
    assert [m.workspace.name for m in rows] == ["Acme Marketing", "Beta", "Rival Co"]
    assert membership.pk == owner.pk
    assert isinstance(membership.created_at, datetime)
    assert membership.created_at.tzinfo is not None
    assert [m.nav_unread for m in rows] == [1, None, None]  # counted for the page's row only
    assert all(m.user is owner.user for m in rows)


def test_the_membership_query_404s_for_a_workspace_of_someone_else(owner, outsider):
    with pytest.raises(Http404):
        get_membership_for_user(owner.user, "rival")
    with pytest.raises(Http404):
        get_membership_for_user(owner.user, "no-such-workspace")
