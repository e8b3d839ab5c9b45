"""Kept page bodies (``prosocial.kept``): never what was there before, never someone else's.

The six busiest pages keep their rendered content until a row they show changes. These
tests change rows the ways the code does (``save()``, ``update()`` that bypasses signals and
``auto_now``, deletes, rows reached through a join) and check the next view shows it; that a
body is per member and carries each response's own CSRF token; and that a kept form still
posts.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Notification, User
from accounts.permissions import Role
from campaigns.models import AudienceCohort, Campaign
from creatives.library.models import MediaAsset
from creatives.studio.models import Script, ScriptVersion
from meta_integration.models import MetaConnection
from prosocial import kept
from publishing.models import Publication
from tests.conftest import client_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _twice(client, url):
    """GET ``url`` twice (the second view is the kept page) and return the second."""
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.kept == ""
    assert second.kept == "page"
    return second


def _token(response):
    """Return the CSRF token this response's page carries (the layout's htmx header)."""
    return re.search(r'"X-CSRFToken": "([^"]+)"', response.content.decode()).group(1)


def _post(owner, title, **fields):
    return Publication.objects.create(
        workspace=owner.workspace, created_by=owner.user, title=title, target="fb_post", **fields
    )


def test_an_update_that_skips_signals_and_timestamps_is_shown(owner):
    publication = _post(owner, "Spring teaser", status="draft")
    client = client_for(owner)
    url = reverse("publishing:list", args=["acme"])
    assert "Spring teaser" in _twice(client, url).content.decode()

    Publication.objects.filter(pk=publication.pk).update(title="Summer teaser")
    html = client.get(url).content.decode()

    assert "Summer teaser" in html
    assert "Spring teaser" not in html


def test_a_change_within_the_same_transaction_is_shown(owner):
    """Rows written twice in one transaction keep their xmin; their ctid still moves."""
    publication = _post(owner, "First title", status="draft")
    client = client_for(owner)
    url = reverse("publishing:calendar", args=["acme"])
    _twice(client, url)

    publication.status = "scheduled"
    publication.scheduled_at = timezone.now() + timedelta(hours=1)
    publication.save()
    html = client.get(url).content.decode()

    assert "First title" in html
    assert f'data-testid="cal-item-{publication.pk}"' in html


def test_a_deleted_row_goes_from_the_page(owner):
    asset = MediaAsset.objects.create(
        workspace=owner.workspace, kind="image", original_filename="gone.jpg", status="ready"
    )
    client = client_for(owner)
    url = reverse("creatives:library", args=["acme"])
    assert "gone.jpg" in _twice(client, url).content.decode()

    asset.delete()

    assert "gone.jpg" not in client.get(url).content.decode()


def test_a_row_reached_through_a_join_is_followed(owner, editor):
    """A teammate renaming themselves changes the members page (users via memberships)."""
    client = client_for(owner)
    url = reverse("accounts:members", args=["acme"])
    _twice(client, url)

    User.objects.filter(pk=editor.user_id).update(contact_name="Renamed Teammate")

    assert "Renamed Teammate" in client.get(url).content.decode()


def test_the_dashboard_follows_its_panels_sources(owner):
    client = client_for(owner)
    url = reverse("accounts:dashboard", args=["acme"])
    assert "Nothing is scheduled" in _twice(client, url).content.decode()

    _post(owner, "Launch day", status="scheduled", scheduled_at=timezone.now() + timedelta(days=1))
    html = client.get(url).content.decode()

    assert "Launch day" in html
    assert "Nothing is scheduled" not in html


def test_the_campaign_page_follows_the_studio_and_its_audiences(owner):
    campaign = Campaign.objects.create(
        workspace=owner.workspace, name="Spring", product_name="Blend", key_message="Hi"
    )
    cohort = AudienceCohort.objects.create(campaign=campaign, name="Commuters")
    client = client_for(owner)
    url = reverse("campaigns:detail", args=["acme", campaign.pk])
    _twice(client, url)

    AudienceCohort.objects.create(campaign=campaign, name="Students")
    script = Script.objects.create(campaign=campaign, cohort=cohort, number=1)
    version = ScriptVersion.objects.create(
        script=script, number=1, hook="Beat the queue", body="Body", cta="Shop", origin="human"
    )
    Script.objects.filter(pk=script.pk).update(current=version)
    html = client.get(url).content.decode()

    assert "Students" in html
    assert "Beat the queue" in html


def test_a_kept_campaign_page_is_a_404_once_the_campaign_is_gone(owner, outsider):
    campaign = Campaign.objects.create(
        workspace=owner.workspace, name="Spring", product_name="Blend", key_message="Hi"
    )
    url = reverse("campaigns:detail", args=["acme", campaign.pk])
    _twice(client_for(owner), url)
    theirs = reverse("campaigns:detail", args=[outsider.workspace.slug, campaign.pk])

    assert client_for(outsider).get(theirs).status_code == 404
    campaign.delete()
    assert client_for(owner).get(url).status_code == 404


def test_a_body_is_kept_per_member_with_their_own_buttons(owner, viewer):
    url = reverse("accounts:members", args=["acme"])
    as_owner = _twice(client_for(owner), url).content.decode()
    as_viewer = _twice(client_for(viewer), url).content.decode()

    assert "Invite a teammate" in as_owner
    assert "Invite a teammate" not in as_viewer

    Membership.objects.filter(pk=viewer.pk).update(role=Role.ADMIN)
    promoted = client_for(viewer).get(url).content.decode()

    assert "Invite a teammate" in promoted


def test_each_response_carries_its_own_csrf_token_and_a_kept_form_posts(owner, editor):
    """The body kept for one response has a slot, never a token; its forms still post."""
    owner_client, other = client_for(owner), client_for(owner)
    other.enforce_csrf_checks = True
    url = reverse("accounts:members", args=["acme"])
    owner_client.get(url)  # keeps the body

    kept_view = other.get(url)
    html = kept_view.content.decode()
    token = _token(kept_view)
    assert kept.CSRF_SLOT not in html
    assert kept.NONCE_SLOT not in html
    assert kept_view.kept == "page"
    form_tokens = {
        part.split('"', 1)[0] for part in html.split('name="csrfmiddlewaretoken" value="')[1:]
    }
    assert form_tokens == {token}
    assert token not in owner_client.get(url).content.decode()

    response = other.post(
        reverse("accounts:member_role", args=["acme", editor.pk]),
        {"role": Role.VIEWER, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    editor.refresh_from_db()
    assert editor.role == Role.VIEWER


def test_a_page_of_another_address_or_minute_is_not_shared(owner, monkeypatch):
    MembershipFactory.create_batch(60, workspace=owner.workspace, role=Role.EDITOR)
    client = client_for(owner)
    url = reverse("accounts:members", args=["acme"])
    first = _twice(client, url)
    second_page = client.get(url, {"page": 2})
    assert second_page.kept == ""
    assert second_page.content != first.content

    later = timezone.now() + timedelta(minutes=1)
    monkeypatch.setattr(kept.timezone, "now", lambda: later)

    assert client.get(url).kept == ""  # "3 minutes ago" would have gone stale


def test_the_privacy_policy_says_how_long_pages_are_kept(client):
    html = client.get(reverse("privacy:policy")).content.decode()

    assert kept.KEEP_SECONDS == 120
    assert 'data-testid="retention-kept-pages">At most 2 minutes<' in html


# --- the layout around a kept page ---------------------------------------------------------------


def test_a_kept_page_names_its_own_nonce_in_its_csp_header(owner):
    client = client_for(owner)
    url = reverse("publishing:list", args=["acme"])
    page = _twice(client, url)

    nonces = set(re.findall(r'nonce="([^"]+)"', page.content.decode()))
    assert len(nonces) == 1
    nonce = nonces.pop()
    assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
    assert nonce not in client.get(url).content.decode()  # each response has its own


def test_the_bell_and_the_switcher_are_never_kept_stale(owner, other_workspace):
    client = client_for(owner)
    url = reverse("creatives:library", args=["acme"])
    _twice(client, url)
    MembershipFactory(workspace=other_workspace, user=owner.user, role=Role.VIEWER)

    switched = client.get(url)
    Notification.objects.create(
        workspace=owner.workspace, recipient=owner.user, kind="approval_requested", title="Hi"
    )
    belled = client.get(url)

    assert "Rival Co" in switched.content.decode()
    assert switched.kept == "body"  # the content was kept; the layout was rendered anew
    assert 'data-testid="notification-count">1<' in belled.content.decode()


def test_a_one_time_message_is_shown_once_and_never_kept(owner, editor):
    client = client_for(owner)
    url = reverse("accounts:members", args=["acme"])
    _twice(client, url)

    client.post(reverse("accounts:member_role", args=["acme", editor.pk]), {"role": Role.VIEWER})
    with_message = client.get(url)
    after = client.get(url)

    assert "Role updated for" in with_message.content.decode()
    assert with_message.kept == ""  # the role change changed the members
    assert "Role updated for" not in after.content.decode()
    assert after.kept == "body"  # the page with the message wasn't kept; its content was
    assert client.get(url).kept == "page"


def test_the_meta_notice_is_shown_on_pages_that_were_kept(admin):
    client = client_for(admin)
    url = reverse("accounts:dashboard", args=["acme"])
    _twice(client, url)
    MetaConnection.objects.create(
        workspace=admin.workspace,
        meta_user_id="42",
        display_name="Al",
        status=MetaConnection.Status.NEEDS_REAUTH,
    )

    noticed = client.get(url)

    assert 'data-testid="meta-notice"' in noticed.content.decode()
    assert noticed.kept == ""  # a connection is a dashboard source too
    again = client.get(url)
    assert 'data-testid="meta-notice"' in again.content.decode()
    assert again.kept == "body"  # pages with a notice render their layout each time
