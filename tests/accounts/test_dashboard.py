"""The dashboard serves a marketer: first steps, what waits, what's next, what failed, results.

Its publishing panels come from publishing (registered through ``accounts.extensions``), so
accounts never imports publishing; the query count stays the same however much there is.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import extensions
from campaigns.models import Campaign
from creatives.library.models import MediaAsset
from meta_integration.models import MetaConnection
from publishing.models import Publication
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

DASHBOARD = "/w/acme/"
# Session, user, membership, switcher, bell, sidebar "Waiting for you", Meta notices; member
# count, invitations, member preview, activity; publishing: next steps, waiting (and its count
# when the list is full), scheduled next, failed, recent results.
MAX_QUERIES = 17


def _publication(membership, title, **fields):
    return Publication.objects.create(
        workspace=membership.workspace,
        created_by=membership.user,
        title=title,
        target="fb_post",
        **fields,
    )


def _panel(response, name):
    (panel,) = [p for p in response.context["panels"] if p.name == name]
    return panel.context


def _dashboard(membership):
    return client_for(membership).get(reverse("accounts:dashboard", args=["acme"]))


def test_publishing_registers_its_panels_through_the_accounts_hook(owner):
    names = [panel.name for panel in extensions.dashboard_panels(owner)]

    assert names == ["next_steps", "publishing"]


# --- next steps ----------------------------------------------------------------------------------


def test_a_new_workspace_sees_three_next_steps_with_links(owner):
    response = _dashboard(owner)

    html = response.content.decode()
    assert _panel(response, "next_steps") == {
        "steps": {"meta": False, "media": False, "brief": False},
        "all_done": False,
    }
    assert 'data-testid="next-steps"' in html
    assert 'href="/w/acme/meta/">Connect Meta' in html
    assert 'href="/w/acme/media/">Upload photos or videos' in html
    assert 'href="/w/acme/campaigns/new/">Write a campaign brief' in html


def test_an_editor_is_told_who_connects_meta(editor):
    html = _dashboard(editor).content.decode()

    assert "ask an owner or admin to do it" in html
    assert 'href="/w/acme/meta/">Connect Meta' not in html


def test_each_step_is_ticked_when_done_and_all_hide_when_all_are_done(owner):
    MediaAsset.objects.create(
        workspace=owner.workspace, kind="image", original_filename="shop.jpg", status="ready"
    )
    Campaign.objects.create(
        workspace=owner.workspace, name="Spring", product_name="Spring Blend", key_message="Hi"
    )

    partly = _dashboard(owner)

    assert _panel(partly, "next_steps")["steps"] == {"meta": False, "media": True, "brief": True}
    assert 'data-testid="step-media" data-done="yes"' in partly.content.decode()
    MetaConnection.objects.create(workspace=owner.workspace, meta_user_id="42", display_name="Al")
    done = _dashboard(owner)
    assert _panel(done, "next_steps")["all_done"] is True
    assert 'data-testid="next-steps"' not in done.content.decode()


def test_a_revoked_meta_connection_is_not_a_done_step(owner):
    MetaConnection.objects.create(
        workspace=owner.workspace, meta_user_id="42", status=MetaConnection.Status.REVOKED
    )

    assert _panel(_dashboard(owner), "next_steps")["steps"]["meta"] is False


# --- the publishing panels -----------------------------------------------------------------------


def test_scheduled_next_shows_the_five_soonest(owner, other_workspace, outsider):
    now = timezone.now()
    for n in range(7):
        _publication(
            owner, f"Post {n}", status="scheduled", scheduled_at=now + timedelta(hours=7 - n)
        )
    _publication(
        outsider, "Rival post", status="scheduled", scheduled_at=now + timedelta(minutes=5)
    )

    response = _dashboard(owner)

    titles = [p.title for p in _panel(response, "publishing")["scheduled"]]
    assert titles == ["Post 6", "Post 5", "Post 4", "Post 3", "Post 2"]
    assert "Rival post" not in response.content.decode()


def test_failed_ones_are_listed_with_a_retry_button(owner, viewer):
    failed = _publication(owner, "Broken reel", status="failed", error_title="Meta refused it")
    _publication(owner, "Fine post", status="published", published_at=timezone.now())

    html = _dashboard(owner).content.decode()
    viewer_html = _dashboard(viewer).content.decode()

    assert f'action="/w/acme/publish/{failed.pk}/retry/"' in html
    assert "Meta refused it" in html
    assert f'data-testid="retry-{failed.pk}"' not in viewer_html
    assert "Broken reel" in viewer_html


def test_recent_results_are_the_last_seven_days_with_links_and_no_numbers(owner):
    now = timezone.now()
    recent = _publication(
        owner,
        "Spring reel",
        status="published",
        published_at=now - timedelta(days=2),
        permalink="https://www.facebook.com/reel/123",
    )
    _publication(owner, "Old news", status="published", published_at=now - timedelta(days=9))

    response = _dashboard(owner)

    html = response.content.decode()
    assert [p.title for p in _panel(response, "publishing")["results"]] == ["Spring reel"]
    assert (
        f'href="https://www.facebook.com/reel/123" target="_blank" rel="noopener" data-testid="result-link-{recent.pk}"'
        in html
    )
    assert "Reach and engagement aren't shown yet" in html


@pytest.mark.parametrize(
    ("_case", "expected"),
    [("owner", ["Submitted"]), ("editor", ["Sent back"]), ("viewer", None)],
)
def test_what_waits_depends_on_the_role(cast, _case, expected):
    _publication(cast["editor"], "Submitted", approval_status="pending")
    _publication(cast["editor"], "Sent back", approval_status="changes_requested")

    waiting = _panel(_dashboard(cast[_case]), "publishing")["waiting"]

    assert (None if waiting is None else [p.title for p in waiting["items"]]) == expected


# --- query count ---------------------------------------------------------------------------------


def test_the_dashboard_query_count_does_not_grow_with_publications(
    owner, editor, django_assert_max_num_queries
):
    client = client_for(owner)
    client.get(DASHBOARD)  # warm the session
    now = timezone.now()

    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(DASHBOARD)
    for n in range(12):
        _publication(editor, f"S{n}", status="scheduled", scheduled_at=now + timedelta(hours=n + 1))
        _publication(editor, f"F{n}", status="failed")
        _publication(editor, f"P{n}", status="published", published_at=now - timedelta(hours=n))
        _publication(editor, f"W{n}", approval_status="pending")
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(DASHBOARD)

    panel = _panel(response, "publishing")
    assert response.status_code == 200
    assert (len(panel["scheduled"]), len(panel["failed"]), len(panel["results"])) == (5, 5, 10)
    assert panel["waiting"]["count"] == 12
