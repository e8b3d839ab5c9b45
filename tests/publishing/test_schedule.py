"""Scheduling: a publication waits for its time, the sweeper queues it, then it publishes.

Also: cancelling and rescheduling, a connection revoked between scheduling and publishing (it
waits, and resumes on reconnect), and the ad review verdict read after an ad is created PAUSED.
"""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from meta_integration.models import MetaConnection
from meta_sandbox import seed
from publishing import services
from publishing.errors import PublishingError
from publishing.models import Publication
from tests.conftest import client_for
from tests.meta_integration.helpers import connect
from tests.publishing.conftest import drive, make_publication

pytestmark = pytest.mark.django_db


def _schedule(owner, publication, minutes=30):
    return services.publish_publication(
        actor=owner, publication=publication, when=timezone.now() + timedelta(minutes=minutes)
    )


def _time_comes(publication):
    """Move the publication's time into the past, as if the clock had reached it."""
    Publication.objects.filter(pk=publication.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1),
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )


@pytest.fixture
def scheduled_ad(connected, upload):
    publication = make_publication(connected, "meta_ad", [upload(connected, "square.jpg")])
    return _schedule(connected, publication)


def test_a_scheduled_ad_waits_then_publishes_paused(connected, scheduled_ad, sandbox):
    assert scheduled_ad.status == Publication.Status.SCHEDULED
    assert services.sweep_publications() == 0  # not yet

    _time_comes(scheduled_ad)
    assert services.sweep_publications() == 1
    scheduled_ad.refresh_from_db()
    assert scheduled_ad.status == Publication.Status.QUEUED

    publication = drive(scheduled_ad, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    (ad,) = sandbox.state.describe_objects(kind="ad")
    (campaign,) = sandbox.state.describe_objects(kind="campaign")
    assert ad["data"]["status"] == "PAUSED"
    assert campaign["data"]["status"] == "PAUSED"
    assert publication.remote["effective_status"] == "PENDING_REVIEW"
    assert publication.permalink.endswith(f"selected_ad_ids={ad['id']}")


def test_review_verdict_is_read_after_creation(connected, scheduled_ad, sandbox):
    _time_comes(scheduled_ad)
    services.sweep_publications()
    publication = drive(scheduled_ad, sandbox)
    assert services.refresh_ad_reviews() == 0  # still in review

    sandbox.state.advance_clock(120)
    assert services.refresh_ad_reviews() == 1

    publication.refresh_from_db()
    assert publication.remote["effective_status"] == "PAUSED"
    assert publication.events.filter(message="Meta's review: PAUSED").exists()


def test_a_disapproved_ad_shows_the_reasons(connected, upload, sandbox):
    requests.post(
        f"{sandbox.url}/_sandbox/ad_review",
        json={"disapprove_next": 1, "feedback": {"global": {"TOBACCO": "Ads can't sell tobacco."}}},
        timeout=5,
    )
    publication = make_publication(connected, "meta_ad", [upload(connected, "square.jpg")])
    publication = drive(
        services.publish_publication(actor=connected, publication=publication), sandbox
    )
    sandbox.state.advance_clock(120)

    services.refresh_ad_reviews()

    publication.refresh_from_db()
    assert publication.remote["effective_status"] == "DISAPPROVED"
    event = publication.events.get(message__startswith="Meta's review: DISAPPROVED")
    assert event.kind == "error"
    assert "TOBACCO: Ads can't sell tobacco." in event.message


def test_cancelled_publications_never_go_out(connected, scheduled_ad, sandbox):
    services.cancel_publication(actor=connected, publication=scheduled_ad)
    _time_comes(scheduled_ad)

    assert services.sweep_publications() == 0
    scheduled_ad.refresh_from_db()
    assert scheduled_ad.status == Publication.Status.CANCELLED
    assert sandbox.state.describe_objects(kind="campaign") == []


def test_reschedule_moves_the_time_only(connected, scheduled_ad):
    later = timezone.now() + timedelta(days=2)
    before = scheduled_ad.preflight

    publication = services.reschedule_publication(
        actor=connected, publication=scheduled_ad, when=later
    )

    assert (publication.status, publication.scheduled_at) == ("scheduled", later)
    assert publication.next_attempt_at == later
    kept = {r["key"]: r["status"] for r in publication.preflight}
    assert kept == {r["key"]: r["status"] for r in before}  # network results kept
    with pytest.raises(PublishingError, match="future"):
        services.reschedule_publication(
            actor=connected, publication=publication, when=timezone.now() - timedelta(hours=1)
        )


def test_revoked_between_scheduling_and_publishing_waits_for_reconnect(connected, upload, sandbox):
    publication = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])
    publication = _schedule(connected, publication)
    sandbox.state.expire_tokens(user_id=seed.ALEX_ID)
    _time_comes(publication)
    services.sweep_publications()

    publication = drive(publication, sandbox)
    assert publication.paused_reason
    assert MetaConnection.objects.get().status == MetaConnection.Status.NEEDS_REAUTH
    assert services.sweep_publications() == 0  # paused rows are left alone

    connect(client_for(connected), sandbox)  # reconnecting resumes it (connection_ready)
    publication.refresh_from_db()
    assert publication.paused_reason == ""

    publication = drive(publication, sandbox)
    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert len(sandbox.state.describe_objects(kind="page_photo")) == 1
