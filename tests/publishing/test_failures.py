"""Bad input and bad luck: each ends in a clear state with an explanation and no duplicate.

Missing files, a Page role without content creation, media Meta can't download (images fail,
videos fall back to direct upload), an expired container, the Instagram quota, an ad account
disabled mid-flow, a schedule in the past, a double click, and two workers on one row.
"""

from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from creatives.library import services as media_services
from creatives.library.errors import MediaError
from meta_integration import graph
from meta_integration.graph import appsecret_proof
from meta_sandbox import seed
from prosocial.jobs import LeaseLost, claim_job_row
from publishing import services
from publishing.errors import PublishingError
from publishing.models import Publication
from publishing.preflight import run_preflight
from publishing.publishers.base import PublishContext
from tests.publishing.conftest import drive, make_publication

pytestmark = pytest.mark.django_db


def _publish(owner, publication):
    return services.publish_publication(actor=owner, publication=publication)


def _posts(sandbox, kind):
    return sandbox.state.describe_objects(kind=kind)


def test_page_role_without_content_creation_fails_preflight_and_then_meta(
    connected, upload, sandbox
):
    publication = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])
    assert publication.status == "ready"

    # The role changes on Facebook after the checks passed; Meta refuses the post.
    requests.post(
        f"{sandbox.url}/_sandbox/pages/{seed.PAGE_COFFEE_ID}", json={"tasks": []}, timeout=5
    )
    publication = drive(_publish(connected, publication), sandbox)

    assert publication.status == Publication.Status.FAILED
    assert publication.failed_item == "square.jpg"
    assert "permission" in publication.error_detail.lower()
    assert publication.error_fix
    assert _posts(sandbox, "page_photo") == []


def test_page_role_recorded_without_the_task_fails_preflight(connected, upload):
    publication = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])
    publication.page.tasks = ["ANALYZE"]
    publication.page.save()

    results = {r.key: r for r in run_preflight(publication, network=False)}

    assert results["page_task"].status == "fail"
    assert "doesn't allow creating content" in results["page_task"].message
    with pytest.raises(PublishingError, match="Preflight doesn't allow publishing"):
        _publish(connected, publication)


def test_instagram_image_meta_cannot_download_fails_naming_the_file(
    connected, upload, sandbox, settings
):
    publication = make_publication(connected, "ig_feed", [upload(connected, "square.jpg")])
    publication = _publish(connected, publication)
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"  # nothing listens: the download fails

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.FAILED
    assert publication.failed_item == "square.jpg"
    assert publication.error_code == 9004
    assert (
        "fetch" in publication.error_detail.lower()
        or "download" in publication.error_detail.lower()
    )
    assert _posts(sandbox, "ig_media") == []


def test_instagram_video_meta_cannot_download_falls_back_to_direct_upload(
    connected, upload, sandbox, settings
):
    publication = make_publication(connected, "ig_reel", [upload(connected, "reel.mp4")])
    publication = _publish(connected, publication)
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert publication.remote["force_upload"] is True
    assert publication.remote["uploaded"] is True
    assert len(_posts(sandbox, "ig_media")) == 1
    assert publication.events.filter(message__contains="switching to direct upload").exists()


def test_expired_container_is_rebuilt_and_published_once(connected, upload, sandbox):
    publication = _publish(
        connected, make_publication(connected, "ig_feed", [upload(connected, "square.jpg")])
    )
    drive(publication, sandbox, until="container_id")
    publication.refresh_from_db()
    first = publication.remote["container_id"]
    sandbox.state.advance_clock(25 * 60 * 60)  # containers expire after 24 h

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert publication.remote["container_id"] != first
    assert len(_posts(sandbox, "ig_media")) == 1


@pytest.mark.parametrize("http_status", [400, 500])
def test_meta_error_marked_not_transient_fails_without_promising_a_retry(
    connected, sandbox, http_status
):
    """Issue #14 item 17: code 2 with is_transient false was explained as "temporary,
    ProSocial retries automatically" while the publication was failed (HTTP 400), or was
    retried against Meta's word (HTTP 500)."""
    publication = _publish(
        connected, make_publication(connected, "fb_post", [], link_url="live:/privacy/")
    )
    sandbox.state.add_fault(
        method="POST",
        path=f"/{seed.PAGE_COFFEE_ID}/feed",
        times=None,
        http_status=http_status,
        error={
            "message": "Service temporarily unavailable",
            "type": "OAuthException",
            "is_transient": False,
            "code": 2,
            "error_subcode": 1504044,
        },
    )

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.FAILED
    assert (publication.error_code, publication.error_subcode) == (2, 1504044)
    assert publication.error_title == (
        "Meta refused the request (code 2, subcode 1504044): Service temporarily unavailable"
    )
    assert publication.error_detail == publication.error_title
    assert publication.error_fix == (
        "Check the item's settings against Meta's requirements; if it persists, report it to "
        "ProSocial with the trace id."
    )
    assert publication.failures == 0
    assert (
        publication.events.filter(kind="graph", method="POST", path__endswith="/feed").count() == 1
    )
    assert _posts(sandbox, "page_post") == []


def test_metas_own_title_and_message_head_the_failure(connected, upload, sandbox):
    """Issue #14 item 17: Meta's error_user_title / error_user_msg were dropped whenever the
    catalogue knew the code, generic code 100 included."""
    publication = _publish(
        connected, make_publication(connected, "meta_ad", [upload(connected, "square.jpg")])
    )
    sandbox.state.add_fault(
        method="POST",
        path=f"/{seed.ACT_COFFEE_US}/adcreatives",
        http_status=400,
        error={
            "message": "Invalid parameter",
            "type": "OAuthException",
            "code": 100,
            "error_subcode": 1885183,
            "is_transient": False,
            "error_user_title": "Ads creative post was created by an app that is in "
            "development mode",
            "error_user_msg": "Ads creative post was created by an app that is in development "
            "mode. It must be in public to create this ad.",
        },
    )

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.FAILED
    assert publication.error_title == (
        "Ads creative post was created by an app that is in development mode"
    )
    assert publication.error_detail == (
        "Ads creative post was created by an app that is in development mode. It must be in "
        "public to create this ad."
    )
    assert publication.error_fix == (
        "Check the item's settings against the placement's requirements, then try again."
    )
    assert (publication.error_code, publication.error_subcode) == (100, 1885183)
    assert _posts(sandbox, "ad_creative") == []
    assert _posts(sandbox, "campaign") == []


def test_quota_reached_waits_instead_of_failing(connected, upload, sandbox):
    publication = _publish(
        connected, make_publication(connected, "ig_feed", [upload(connected, "square.jpg")])
    )
    # The limit fills up after the checks passed (other tools post to the account too).
    sandbox.state.update_settings(ig_publish_quota=0)

    for _ in range(5):
        services.advance_publication(publication_id=publication.pk)
        Publication.objects.filter(pk=publication.pk).update(next_attempt_at=timezone.now())
        publication.refresh_from_db()
        if "24-hour" in publication.message:
            break

    assert publication.status in (Publication.Status.PUBLISHING, Publication.Status.PROCESSING)
    assert "24-hour publishing limit" in publication.message
    assert publication.failures == 1
    assert _posts(sandbox, "ig_media") == []


def test_ad_account_disabled_mid_flow_fails_without_duplicates(connected, upload, sandbox):
    publication = _publish(
        connected, make_publication(connected, "meta_ad", [upload(connected, "square.jpg")])
    )
    drive(publication, sandbox, until="campaign_id")
    requests.post(
        f"{sandbox.url}/_sandbox/ad_accounts/{seed.ACT_COFFEE_US}",
        json={"account_status": 2},
        timeout=5,
    )

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.FAILED
    # Meta's own user-facing title and message (the sandbox sends them as Meta does).
    assert (publication.error_title, publication.error_detail) == (
        "Ad account not active",
        "This ad account can't create or edit ads until it is active again.",
    )
    assert len(_posts(sandbox, "campaign")) == 1
    assert _posts(sandbox, "ad") == []


def test_budget_below_minimum_is_refused_before_anything_is_sent(connected, upload, sandbox):
    publication = make_publication(
        connected, "meta_ad", [upload(connected, "square.jpg")], budget_minor=50
    )

    failing = [r for r in publication.preflight if r["status"] == "fail"]

    assert [r["key"] for r in failing] == ["ad_budget"]
    assert "below the minimum of 1.00 USD a day" in failing[0]["message"]
    with pytest.raises(PublishingError):
        _publish(connected, publication)
    assert _posts(sandbox, "campaign") == []


def test_schedule_in_the_past_is_refused(connected, upload):
    publication = make_publication(connected, "fb_post", [], link_url="live:/privacy/")

    with pytest.raises(PublishingError, match="in the past"):
        services.publish_publication(
            actor=connected, publication=publication, when=timezone.now() - timedelta(hours=1)
        )
    publication.refresh_from_db()
    assert publication.status in ("draft", "ready")


def test_double_click_queues_once(connected, upload):
    publication = make_publication(connected, "fb_post", [], link_url="live:/privacy/")

    first = _publish(connected, publication)
    second = _publish(connected, publication)

    assert (first.status, second.status) == ("queued", "queued")
    assert publication.events.filter(message__startswith="Queued").count() == 1
    assert first.next_attempt_at == second.next_attempt_at


def test_two_workers_cannot_claim_the_same_row(connected, upload):
    publication = _publish(
        connected, make_publication(connected, "fb_post", [], link_url="live:/privacy/")
    )
    runnable = {"status__in": ["queued"], "next_attempt_at__lte": timezone.now()}

    first = claim_job_row(
        Publication, publication.pk, runnable=runnable, lease=timedelta(minutes=5)
    )
    second = claim_job_row(
        Publication, publication.pk, runnable=runnable, lease=timedelta(minutes=5)
    )

    assert (first, second) == (True, False)


def test_a_file_in_use_cannot_be_deleted(connected, upload):
    asset = upload(connected, "square.jpg")
    make_publication(connected, "ig_feed", [asset])

    with pytest.raises(MediaError, match="is used by Launch ig_feed"):
        media_services.delete_media(actor=connected, asset=asset)
    assert asset.__class__.objects.filter(pk=asset.pk).exists()


def test_missing_file_fails_with_the_file_named(connected, upload, sandbox):
    asset = upload(connected, "square.jpg")
    publication = _publish(connected, make_publication(connected, "fb_post", [asset]))
    asset.__class__.objects.filter(pk=asset.pk).update(status="failed")

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.FAILED
    assert publication.failed_item == "square.jpg"
    assert "not ready" in publication.error_detail


def test_lost_answer_is_found_even_after_many_newer_posts(connected, upload, sandbox):
    """Regression (bench/publish_faults, seed 7): the reconcile read only 25 recent posts."""
    publication = _publish(
        connected, make_publication(connected, "fb_post", [], link_url="live:/privacy/")
    )
    sandbox.state.add_fault(
        method="POST", path=f"/{seed.PAGE_COFFEE_ID}/feed", drop=True, after_write=True
    )
    services.advance_publication(publication_id=publication.pk)  # created; answer lost
    publication.refresh_from_db()
    assert publication.remote["pending"] == "feed"
    page_token = publication.page.access_token
    for n in range(60):  # other tools keep posting to the Page meanwhile
        requests.post(
            f"{sandbox.graph_url}/{seed.PAGE_COFFEE_ID}/feed",
            data={
                "message": f"someone else's post {n}",
                "access_token": page_token,
                "appsecret_proof": appsecret_proof(page_token, settings.META_APP_SECRET),
            },
            timeout=5,
        )

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    ours = sandbox.state.describe_objects(kind="page_post", marker=publication.caption)
    assert len(ours) == 1
    assert publication.remote_id == ours[0]["id"]


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_new_owner(connected, upload):
    publication = _publish(
        connected, make_publication(connected, "fb_post", [], link_url="live:/privacy/")
    )
    runnable = {"status__in": ["queued"], "next_attempt_at__lte": timezone.now()}
    claim_job_row(Publication, publication.pk, runnable=runnable, lease=timedelta(seconds=-1))
    stale = Publication.objects.get(pk=publication.pk)  # the first worker's view
    claim_job_row(Publication, publication.pk, runnable=runnable, lease=timedelta(minutes=5))

    ctx = PublishContext(stale, client=None)
    with pytest.raises(LeaseLost):
        ctx.remember(post_id="stale-write")
    publication.refresh_from_db()
    assert "post_id" not in publication.remote


def test_cancel_is_refused_while_a_worker_is_sending(connected, upload):
    publication = _publish(
        connected, make_publication(connected, "fb_post", [], link_url="live:/privacy/")
    )
    runnable = {"status__in": ["queued"], "next_attempt_at__lte": timezone.now()}
    assert claim_job_row(Publication, publication.pk, runnable=runnable, lease=timedelta(minutes=5))

    with pytest.raises(PublishingError, match="sending it to Meta right now"):
        services.cancel_publication(actor=connected, publication=publication)
    publication.refresh_from_db()
    assert publication.status == "queued"


def test_a_container_published_by_a_lost_run_is_found_not_failed(connected, upload, sandbox):
    """Regression (bench/publish_faults, seed 7): a killed worker's media_publish landed after
    the resumed run had checked the container, and the second publish was refused with
    "(#100) This media container has already been published." — the job failed although the
    post was live."""
    publication = _publish(
        connected, make_publication(connected, "ig_feed", [upload(connected, "square.jpg")])
    )
    publication = drive(publication, sandbox, until="container_ready")
    token = publication.instagram_account.connection.access_token
    landed = requests.post(  # the lost run's request, landing late
        f"{sandbox.graph_url}/{seed.IG_COFFEE_ID}/media_publish",
        data={
            "creation_id": publication.remote["container_id"],
            "access_token": token,
            "appsecret_proof": appsecret_proof(token, settings.META_APP_SECRET),
        },
        timeout=5,
    ).json()

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert publication.remote_id == landed["id"]
    assert len(_posts(sandbox, "ig_media")) == 1
    assert publication.events.filter(message__contains="not re-sending").exists()


def test_a_create_whose_worker_lost_the_lease_is_not_made_twice(connected, upload, sandbox):
    """Regression (bench/publish_faults, seed 7, a duplicated ad creative): the in-flight mark
    was cleared when the answer arrived and the new id stored by a second write; a lease lost
    between the two left neither, and the next owner created the object again. Now the mark
    stays until the id is stored with it in one write: here A loses the lease after its create
    landed, its write is refused, and the next run finds the post instead of posting again."""
    publication = _publish(
        connected, make_publication(connected, "fb_post", [], link_url="live:/privacy/")
    )
    runnable = {"status__in": ["queued"], "next_attempt_at__lte": timezone.now()}
    claim_job_row(Publication, publication.pk, runnable=runnable, lease=timedelta(seconds=-1))
    stale = Publication.objects.get(pk=publication.pk)  # worker A, slow
    ctx = PublishContext(stale, client=graph.GraphClient(stale.page.access_token))

    with ctx.sending("feed"):
        # A's lease runs out and worker B takes the row over while A's create is on its way.
        Publication.objects.filter(pk=publication.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert claim_job_row(
            Publication, publication.pk, runnable=runnable, lease=timedelta(minutes=5)
        )
        created = ctx.client.post(f"/{seed.PAGE_COFFEE_ID}/feed", {"message": stale.caption})
    with pytest.raises(LeaseLost):
        ctx.sent(post_id=created["id"])

    publication.refresh_from_db()
    assert publication.remote["pending"] == "feed"  # the mark survives A's refused write
    assert "post_id" not in publication.remote
    Publication.objects.filter(pk=publication.pk).update(lease_expires_at=None)  # B dies too
    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert publication.remote_id == created["id"]
    assert len(sandbox.state.describe_objects(kind="page_post", marker=stale.caption)) == 1
