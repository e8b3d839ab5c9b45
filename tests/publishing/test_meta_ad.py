"""The ad publisher (issue #13, bugs 12b and 12c): progress that only rises, clean names.

Ads Manager shows every campaign, ad set and ad by the name we send, so the names are the
publication's name and nothing else. A create whose answer was lost is found again by what Meta
echoes back of it: the ad set by its campaign, the ad by its ad set, the creative by its story
spec, the campaign and the video by their name and a creation time after the lost call, never
one another publication already recorded.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from meta_sandbox import seed
from publishing import services
from publishing.models import Publication
from tests.publishing.conftest import TERMINAL, drive, make_publication

pytestmark = pytest.mark.django_db

KINDS = ("ad_creative", "campaign", "adset", "ad")


def _queued(owner, upload, media="square.jpg", **fields):
    publication = make_publication(owner, "meta_ad", [upload(owner, media)], **fields)
    blockers = [r["message"] for r in publication.preflight if r["status"] == "fail"]
    assert blockers == []
    return services.publish_publication(actor=owner, publication=publication)


def _names(sandbox, kind):
    return [o["data"]["name"] for o in sandbox.state.describe_objects(kind=kind)]


def test_a_video_ads_progress_only_rises(connected, upload, sandbox):
    publication = _queued(connected, upload, "reel.mp4")
    # A slow Meta: the video is polled a few times, and one thumbnail upload fails once.
    sandbox.state.update_settings(video_processing_seconds=20)
    sandbox.state.add_fault(
        method="POST", path=f"/{seed.ACT_COFFEE_US}/adimages", http_status=500, times=1
    )
    seen = []
    for _ in range(60):
        publication.refresh_from_db()
        if publication.status in TERMINAL:
            break
        now = timezone.now()
        if publication.next_attempt_at and publication.next_attempt_at > now:
            sandbox.state.advance_clock((publication.next_attempt_at - now).total_seconds())
            Publication.objects.filter(pk=publication.pk).update(next_attempt_at=now)
        services.advance_publication(publication_id=publication.pk)
        seen.append(Publication.objects.get(pk=publication.pk).progress)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert seen == sorted(seen), seen
    assert seen[-1] == 100


@pytest.mark.parametrize("media", ["square.jpg", "reel.mp4"])
def test_ads_manager_shows_the_publication_name_only(connected, upload, sandbox, media):
    publication = drive(_queued(connected, upload, media, title="Spring sale"), sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    for kind in KINDS:
        assert _names(sandbox, kind) == ["Spring sale"], kind
    if media == "reel.mp4":
        (video,) = sandbox.state.describe_objects(kind="ad_video")
        assert video["data"]["title"] == "Spring sale"


@pytest.mark.parametrize("edge", ["adcreatives", "campaigns", "adsets", "ads"])
def test_a_lost_create_is_found_by_what_meta_echoes_not_re_sent(connected, upload, sandbox, edge):
    publication = _queued(connected, upload, title="Spring sale")
    sandbox.state.add_fault(
        method="POST", path=f"/{seed.ACT_COFFEE_US}/{edge}", drop=True, after_write=True
    )

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    for kind in KINDS:
        assert len(_names(sandbox, kind)) == 1, kind
    assert publication.events.filter(message__contains="not re-sending").count() == 1


def test_a_lost_video_upload_is_found_not_re_sent(connected, upload, sandbox):
    publication = _queued(connected, upload, "reel.mp4", title="Spring video")
    sandbox.state.add_fault(
        method="POST", path=f"/{seed.ACT_COFFEE_US}/advideos", drop=True, after_write=True
    )

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert len(sandbox.state.describe_objects(kind="ad_video")) == 1
    assert publication.events.filter(message__contains="not re-sending").count() == 1


def test_a_same_named_campaign_of_another_publication_is_not_adopted(connected, upload, sandbox):
    first = drive(_queued(connected, upload, title="Spring sale"), sandbox)
    assert first.status == Publication.Status.PUBLISHED, first.error_detail
    second = _queued(connected, upload, "square-2.jpg", title="Spring sale")
    # Lost before Meta made anything, long enough ago that it can no longer land.
    sandbox.state.add_fault(method="POST", path=f"/{seed.ACT_COFFEE_US}/campaigns", drop=True)
    second = drive(second, sandbox, until="pending")
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    Publication.objects.filter(pk=second.pk).update(
        remote={**second.remote, "pending_since": since}
    )

    second = drive(second, sandbox)

    assert second.status == Publication.Status.PUBLISHED, second.error_detail
    assert second.remote["campaign_id"] != first.remote["campaign_id"]
    assert len(_names(sandbox, "campaign")) == 2
    assert second.events.filter(message__contains="did not go through").exists()


def test_a_published_ad_records_the_post_people_comment_on(connected, upload, sandbox):
    """The creative's post is where the ad's comments land: the inbox finds the ad by it."""
    publication = drive(_queued(connected, upload, title="Comments here"), sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    (creative,) = sandbox.state.describe_objects(kind="ad_creative")
    story_id = sandbox.state.objects.by_id[creative["id"]].object_story_id
    assert story_id
    assert publication.remote["effective_object_story_id"] == story_id
    # The sandbox places no ad on Instagram, so there is no media id to record.
    assert "effective_instagram_media_id" not in publication.remote
