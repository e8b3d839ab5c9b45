"""The six busiest pages run the same number of queries with one row as with many (#15).

Every workspace page starts with two queries: the signed-in user, and one membership query
that carries the workspace, the switcher's memberships, the bell's unread count, the
sidebar's "Waiting for you" count and (for admins) how many Meta connections need attention.
The session comes from Redis (``cached_db``), so it costs none. Then one query reads the
page's state (``prosocial.kept``): when nothing it shows has changed, the page's body is the
one kept from the last view and that is all; otherwise the page's own queries follow.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.permissions import Role
from campaigns.models import AudienceCohort, Campaign
from creatives.library.models import MediaAsset
from meta_integration.models import MetaConnection
from publishing.models import Publication
from tests.conftest import client_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

MANY = 60
# One query: the user, the membership with everything the layout shows, and the page's state
# (whether its kept body still shows what is there).
SHELL = 1
PAGES = {
    # member and invitation counts, member preview, activity, next steps, publishing's lists
    "dashboard": SHELL + 5,
    # member count (pagination), one page of members, invitations
    "members": SHELL + 3,
    # file count (pagination), one page of files, storage used
    "media": SHELL + 3,
    # the brief (a 404 for another workspace's), its audiences, and the studio's scripts,
    # jobs, spend and audiences
    "campaign": SHELL + 6,
    # the filter's account choices (one UNION ALL), publication count, one page of them
    "publications": SHELL + 3,
    # the month's publications
    "calendar": SHELL + 1,
}
KEPT = dict.fromkeys(PAGES, SHELL)  # the whole page kept: nothing else is read


def _url(name, campaign):
    return {
        "dashboard": reverse("accounts:dashboard", args=["acme"]),
        "members": reverse("accounts:members", args=["acme"]),
        "media": reverse("creatives:library", args=["acme"]),
        "campaign": reverse("campaigns:detail", args=["acme", campaign.pk]),
        "publications": reverse("publishing:list", args=["acme"]),
        "calendar": reverse("publishing:calendar", args=["acme"]),
    }[name]


def _add_rows(owner, campaign, count, start=0):
    workspace = owner.workspace
    now = timezone.now()
    MembershipFactory.create_batch(count, workspace=workspace, role=Role.EDITOR)
    for n in range(start, start + count):
        MediaAsset.objects.create(
            workspace=workspace, kind="image", original_filename=f"f{n}.jpg", status="ready"
        )
        AudienceCohort.objects.create(campaign=campaign, name=f"Audience {n}")
        Publication.objects.create(
            workspace=workspace,
            created_by=owner.user,
            title=f"Post {n}",
            target="fb_post",
            status="scheduled" if n % 2 else "published",
            scheduled_at=now + timedelta(minutes=n) if n % 2 else None,
            published_at=None if n % 2 else now - timedelta(minutes=n),
        )
        Notification.objects.create(
            workspace=workspace, recipient=owner.user, kind="approval_requested", title="Hi"
        )


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_runs_the_same_queries_with_one_row_and_with_many(
    page, owner, django_assert_num_queries
):
    campaign = Campaign.objects.create(
        workspace=owner.workspace, name="Spring", product_name="Spring Blend", key_message="Hi"
    )
    _add_rows(owner, campaign, 1)
    client = client_for(owner)
    url = _url(page, campaign)
    assert client.get(reverse("accounts:workspace_settings", args=["acme"])).status_code == 200

    with django_assert_num_queries(PAGES[page]):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(KEPT[page]):
        assert client.get(url).status_code == 200
    _add_rows(owner, campaign, MANY, start=1)
    with django_assert_num_queries(PAGES[page]):
        response = client.get(url)
    with django_assert_num_queries(KEPT[page]):
        kept = client.get(url)

    assert response.status_code == kept.status_code == 200
    assert _without_csrf(kept) == _without_csrf(response)


def _without_csrf(response):
    """Return the page without what is made for each response: its CSRF token and CSP nonce."""
    html = response.content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    assert html.count(token) >= 2  # the htmx header and the sign-out form at least
    nonces = set(re.findall(r'nonce="([^"]+)"', html))
    assert len(nonces) == 1  # a kept body carries no other response's nonce
    return html.replace(token, "").replace(nonces.pop(), "")


def test_the_dashboard_stays_within_eight_queries():
    assert PAGES["dashboard"] <= 8


def test_a_signed_in_page_reads_no_session_row(owner, django_assert_num_queries):
    """cached_db answers from Redis; the session row is still written for the purge."""
    client = client_for(owner)
    url = reverse("accounts:members", args=["acme"])
    client.get(url)

    with django_assert_num_queries(KEPT["members"]) as captured:
        client.get(url)

    assert not [q for q in captured.captured_queries if "django_session" in q["sql"]]
    assert Session.objects.filter(pk=client.session.session_key).exists()


# --- the counts carried by the membership query say what the lazy ones said ------------------


def _layout(membership):
    return client_for(membership).get(reverse("accounts:members", args=["acme"]))


def test_the_bell_and_the_waiting_badge_count_for_the_member_only(owner, editor, viewer, outsider):
    for recipient in (owner, owner, editor):
        Notification.objects.create(
            workspace=owner.workspace,
            recipient=recipient.user,
            kind="approval_requested",
            title="x",
        )
    Notification.objects.create(
        workspace=outsider.workspace, recipient=owner.user, kind="approval_requested", title="x"
    )
    for author, approval in [
        (editor, "pending"),
        (editor, "changes_requested"),
        (owner, "pending"),
    ]:
        Publication.objects.create(
            workspace=owner.workspace,
            created_by=author.user,
            title="Post",
            target="fb_post",
            approval_status=approval,
        )
    Publication.objects.create(
        workspace=outsider.workspace,
        created_by=outsider.user,
        title="Theirs",
        target="fb_post",
        approval_status="pending",
    )

    as_owner, as_editor, as_viewer = _layout(owner), _layout(editor), _layout(viewer)

    assert as_owner.context["unread_notifications"] == 2
    assert as_owner.context["waiting_count"] == 2  # both submitted for approval
    assert as_editor.context["unread_notifications"] == 1
    assert as_editor.context["waiting_count"] == 1  # their own post sent back
    assert as_viewer.context["unread_notifications"] == 0
    assert "waiting_count" not in as_viewer.context
    assert 'data-testid="waiting-count">2<' in as_owner.content.decode()


def test_the_meta_notice_is_read_only_when_a_connection_needs_attention(
    admin, editor, django_assert_num_queries
):
    client = client_for(admin)
    url = reverse("accounts:members", args=["acme"])
    client.get(url)
    with django_assert_num_queries(KEPT["members"]):
        quiet = client.get(url)
    MetaConnection.objects.create(
        workspace=admin.workspace,
        meta_user_id="42",
        display_name="Al",
        status=MetaConnection.Status.NEEDS_REAUTH,
    )

    with django_assert_num_queries(KEPT["members"] + 1):
        noticed = client.get(url)

    assert 'data-testid="meta-notice"' not in quiet.content.decode()
    assert 'data-testid="meta-notice"' in noticed.content.decode()
    assert 'data-testid="meta-notice"' not in _layout(editor).content.decode()


def test_the_switcher_lists_every_workspace_of_the_user(owner, other_workspace):
    MembershipFactory(workspace=other_workspace, user=owner.user, role=Role.VIEWER)

    response = _layout(owner)

    names = [m.workspace.name for m in response.context["nav_memberships"]]
    assert names == ["Acme Marketing", "Rival Co"]
    assert response.context["current_membership"].workspace.slug == "acme"
