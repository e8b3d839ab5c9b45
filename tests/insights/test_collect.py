"""Collecting results through the real sandbox over loopback (insights.collect, insights.tracking).

A refresh reads every kind of object (Facebook and Instagram posts, Pages, Instagram accounts,
ad accounts, campaigns, ad sets and ads), stores typed numbers per day, writes nothing when
nothing changed, and records every "no numbers" case as a state — never as a zero.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights import collect, tracking
from insights.models import (
    COUNT_FIELDS,
    METRIC_FIELDS,
    Availability,
    InsightObject,
    InsightSnapshot,
    ObjectKind,
    RefreshRun,
)
from insights.reports import today_in
from meta_integration import graph
from meta_integration.models import MetaConnection
from meta_sandbox import seed
from meta_sandbox.insights import PRE_CONVERSION_MEDIA_IDS
from publishing.models import Publication, Target
from tests.conftest import client_for
from tests.insights.conftest import (
    ACT,
    COFFEE,
    DAY,
    HOUR,
    IG_COFFEE,
    drive,
    page,
    publish_ad,
    publish_fb_post,
    publish_ig,
    published,
    refresh,
)
from tests.meta_integration.helpers import connect

State = InsightObject.State
LIFETIME = InsightSnapshot.MetricSet.LIFETIME
DAILY = InsightSnapshot.MetricSet.DAILY


def obj(workspace, kind, meta_id) -> InsightObject:
    return InsightObject.objects.get(workspace=workspace, kind=kind, meta_id=meta_id)


def rows(source: InsightObject):
    return list(InsightSnapshot.objects.filter(source=source).order_by("metric_set", "day"))


def table():
    """Every snapshot and object state, to prove a second read wrote nothing."""
    return (
        list(InsightSnapshot.objects.order_by("pk").values()),
        sorted(InsightObject.objects.values_list("pk", "last_digest", "availability", "state")),
    )


# --- every kind of object ------------------------------------------------------------------------


def test_a_refresh_reads_posts_accounts_and_ads_into_typed_numbers(connected, sandbox):
    post = publish_fb_post(connected)
    publish_ig(connected, seed.SEED_MEDIA_COFFEE_ID)
    ad = publish_ad(connected, sandbox)
    sandbox.state.advance_clock(6 * HOUR)

    run = refresh(connected, sandbox)

    assert (run.status, run.progress, run.failed) == (RefreshRun.Status.SUCCEEDED, 100, 0)
    workspace = connected.workspace
    kinds = sorted(InsightObject.objects.filter(workspace=workspace).values_list("kind", flat=True))
    assert kinds == sorted(
        ["fb_post", "ig_media", "campaign", "adset", "ad"]
        + ["page"] * 3
        + ["ig_account"] * 2
        + ["ad_account"] * 3
    )
    assert run.objects_done == run.objects_total == len(kinds)
    assert run.calls_made >= len(kinds) - 2  # one ad query serves the campaign, ad set and ad…

    [fb] = rows(obj(workspace, ObjectKind.FB_POST, post.remote_id))
    today = today_in(workspace)  # the workspace's day (Berlin): UTC's is a day behind near midnight
    assert (fb.metric_set, fb.day, fb.availability) == (LIFETIME, today, Availability.OK)
    assert isinstance(fb.views, int)
    assert fb.views > 0
    assert fb.reach > 0
    assert fb.engagement >= fb.likes > 0
    assert fb.extra["reactions"]["like"] == fb.likes
    assert fb.spend is None  # not a metric of a post: NULL, not 0

    [ig] = rows(obj(workspace, ObjectKind.IG_MEDIA, seed.SEED_MEDIA_COFFEE_ID))
    assert ig.views > ig.reach > 0
    assert ig.engagement == ig.likes + ig.comments + ig.shares + ig.saves

    [ad_row, *_rest] = rows(obj(workspace, ObjectKind.AD, ad.remote_id))
    assert ad_row.metric_set == DAILY
    assert ad_row.date_start == ad_row.date_stop == ad_row.day
    assert isinstance(ad_row.spend, Decimal)
    assert ad_row.spend > 0
    assert ad_row.currency == "USD"
    assert isinstance(ad_row.impressions, int)
    assert ad_row.ctr == pytest.approx(
        Decimal(ad_row.clicks * 100) / ad_row.impressions, rel=Decimal("1e-4")
    )
    campaign_rows = rows(obj(workspace, ObjectKind.CAMPAIGN, ad.remote["campaign_id"]))
    assert [r.spend for r in campaign_rows] == [
        r.spend for r in rows(obj(workspace, "ad", ad.remote_id))
    ]

    page_rows = rows(obj(workspace, ObjectKind.PAGE, COFFEE))
    assert len(page_rows) >= collect.ACCOUNT_BACKFILL_DAYS - 1
    assert {r.metric_set for r in page_rows} == {DAILY}
    assert all(isinstance(r.followers, int) and r.followers > 0 for r in page_rows)
    assert all(r.views is not None for r in page_rows)
    ig_rows = rows(obj(workspace, ObjectKind.IG_ACCOUNT, IG_COFFEE))
    assert ig_rows
    assert all(r.reach is not None for r in ig_rows)
    account_rows = rows(obj(workspace, ObjectKind.AD_ACCOUNT, ACT))
    assert sum(r.spend for r in account_rows) >= sum(r.spend for r in campaign_rows)


def test_the_schedule_follows_each_objects_age(connected, sandbox):
    fresh = publish_fb_post(connected)
    week_old = publish_ig(
        connected, seed.SEED_MEDIA_COFFEE_ID, published_at=timezone.now() - timedelta(days=3)
    )
    sandbox.state.advance_clock(HOUR)

    refresh(connected, sandbox)

    workspace = connected.workspace
    fresh_obj = obj(workspace, ObjectKind.FB_POST, fresh.remote_id)
    older = obj(workspace, ObjectKind.IG_MEDIA, week_old.remote_id)
    the_page = obj(workspace, ObjectKind.PAGE, COFFEE)
    for item, interval in ((fresh_obj, 30 * 60), (older, 3 * HOUR), (the_page, 3 * HOUR)):
        assert item.state == State.ACTIVE
        wait = (item.next_refresh_at - item.last_fetched_at).total_seconds()
        assert wait == pytest.approx(interval, abs=1)
        assert item.last_changed_at == item.last_fetched_at
        assert item.unchanged_fetches == 0


# --- idempotency ---------------------------------------------------------------------------------


def test_reading_again_what_did_not_change_writes_nothing(connected, sandbox):
    publish_fb_post(connected)
    publish_ig(connected, seed.SEED_MEDIA_COFFEE_ID)
    publish_ad(connected, sandbox)
    sandbox.state.advance_clock(6 * HOUR)
    first = refresh(connected, sandbox)
    before = table()
    counts = dict(InsightObject.objects.values_list("pk", "unchanged_fetches"))

    again = refresh(connected, sandbox)

    assert first.snapshots_written > 0
    assert (again.status, again.snapshots_written) == (RefreshRun.Status.SUCCEEDED, 0)
    assert table() == before
    after = dict(InsightObject.objects.values_list("pk", "unchanged_fetches"))
    assert after == {pk: count + 1 for pk, count in counts.items()}


def test_numbers_that_grew_update_the_days_row_and_reset_the_count(connected, sandbox):
    post = publish_fb_post(connected)
    sandbox.state.advance_clock(2 * HOUR)
    refresh(connected, sandbox)
    source = obj(connected.workspace, ObjectKind.FB_POST, post.remote_id)
    [before] = rows(source)

    sandbox.state.advance_clock(4 * HOUR)
    run = refresh(connected, sandbox)

    [after] = rows(source)  # same day: one row, updated
    assert after.pk == before.pk
    assert after.views > before.views
    assert run.snapshots_written >= 1
    source.refresh_from_db()
    assert source.unchanged_fetches == 0


def test_a_post_settles_after_three_reads_that_change_nothing(connected, sandbox):
    post = publish_fb_post(connected, published_at=timezone.now() - timedelta(days=10))
    source_filter = {"kind": ObjectKind.FB_POST, "meta_id": post.remote_id}
    sandbox.state.advance_clock(HOUR)

    for _read in range(4):
        refresh(connected, sandbox)

    source = InsightObject.objects.get(**source_filter)
    assert (source.state, source.next_refresh_at, source.unchanged_fetches) == (
        State.SETTLED,
        None,
        3,
    )
    before = source.last_attempt_at
    refresh(connected, sandbox)  # Refresh now leaves settled objects alone
    source.refresh_from_db()
    assert source.last_attempt_at == before


def test_tracking_twice_makes_nothing_twice(connected, sandbox):
    publish_fb_post(connected)
    publish_ad(connected, sandbox)

    first = tracking.track_objects(workspace_id=connected.workspace_id)
    second = tracking.track_objects(workspace_id=connected.workspace_id)

    assert (first, second) == (1 + 3 + 3 + 2 + 3, 0)  # post, ad (3), Pages, IG, ad accounts


# --- unavailable is a state, never a zero --------------------------------------------------------


def _assert_no_numbers(row: InsightSnapshot) -> None:
    assert [getattr(row, name) for name in METRIC_FIELDS] == [None] * len(METRIC_FIELDS)


def test_a_fresh_post_without_numbers_yet_is_no_data_not_zero(connected, sandbox):
    post = publish_fb_post(connected)  # Meta's data lags: the sandbox shows it 30 min late

    refresh(connected, sandbox)

    source = obj(connected.workspace, ObjectKind.FB_POST, post.remote_id)
    [row] = rows(source)
    assert (source.state, source.availability) == (State.ACTIVE, Availability.NO_DATA)
    assert row.availability == Availability.NO_DATA
    _assert_no_numbers(row)


def test_a_story_too_few_saw_is_unavailable_and_tried_again(connected, sandbox):
    with sandbox.state.lock:  # a tiny account: its story reaches fewer than 5 people
        sandbox.state.world.ig_accounts[IG_COFFEE].followers_count = 20
    publish_ig(
        connected,
        seed.SEED_STORY_COFFEE_ID,
        target=Target.IG_STORY,
        published_at=timezone.now() - timedelta(hours=1),
    )

    run = refresh(connected, sandbox)

    source = obj(connected.workspace, ObjectKind.IG_MEDIA, seed.SEED_STORY_COFFEE_ID)
    [row] = rows(source)
    assert (source.state, source.availability) == (State.UNAVAILABLE, "not_enough_viewers")
    assert "Fewer than 5 accounts" in source.last_error
    assert source.next_refresh_at - source.last_attempt_at == timedelta(hours=2)
    assert row.availability == "not_enough_viewers"
    _assert_no_numbers(row)
    assert run.unavailable >= 1


def test_a_story_past_24_hours_stops_without_a_zero(connected, sandbox):
    publish_ig(
        connected,
        seed.SEED_STORY_COFFEE_ID,
        target=Target.IG_STORY,
        published_at=timezone.now() - timedelta(hours=1),
    )
    sandbox.state.advance_clock(DAY)
    tracking.track_objects(workspace_id=connected.workspace_id)
    InsightObject.objects.filter(meta_id=seed.SEED_STORY_COFFEE_ID).update(
        published_at=timezone.now() - timedelta(hours=25)
    )

    refresh(connected, sandbox)

    source = obj(connected.workspace, ObjectKind.IG_MEDIA, seed.SEED_STORY_COFFEE_ID)
    assert (source.state, source.availability, source.next_refresh_at) == (
        State.GONE,
        Availability.EXPIRED,
        None,
    )
    assert "24 hours" in source.last_error
    [row] = rows(source)
    assert row.availability == Availability.EXPIRED
    _assert_no_numbers(row)


def test_media_from_before_the_business_conversion_stops_for_good(connected, sandbox):
    [media_id] = PRE_CONVERSION_MEDIA_IDS
    publish_ig(connected, media_id, ig_user_id=seed.IG_PHOTO_ID)

    refresh(connected, sandbox)

    source = obj(connected.workspace, ObjectKind.IG_MEDIA, media_id)
    assert (source.state, source.availability, source.next_refresh_at) == (
        State.GONE,
        Availability.BEFORE_CONVERSION,
        None,
    )
    assert "professional account" in source.last_error
    _assert_no_numbers(rows(source)[0])


def test_a_post_deleted_on_facebook_keeps_its_numbers_and_stops(connected, sandbox):
    post = publish_fb_post(connected)
    sandbox.state.advance_clock(3 * HOUR)
    refresh(connected, sandbox)
    source = obj(connected.workspace, ObjectKind.FB_POST, post.remote_id)
    [numbers] = rows(source)
    graph.GraphClient(page(connected.workspace).access_token).delete(f"/{post.remote_id}")

    refresh(connected, sandbox)

    source.refresh_from_db()
    assert (source.state, source.availability, source.next_refresh_at) == (
        State.GONE,
        Availability.DELETED,
        None,
    )
    assert (source.error_code, source.error_subcode) == (100, 33)
    assert "doesn't exist" in source.last_error
    [kept] = rows(source)  # the day's numbers stay; no zero row replaces them
    assert (kept.pk, kept.views, kept.availability) == (numbers.pk, numbers.views, "ok")


def test_a_missing_permission_is_unavailable_with_the_fix(owner, sandbox, frozen_clock, no_waits):
    from meta_integration.scopes import requested_scopes

    scopes = [s for s in requested_scopes() if s != "instagram_manage_insights"]
    connect(client_for(owner), sandbox, scopes=scopes)
    from meta_integration.models import InstagramAccount

    InstagramAccount.objects.update(is_selected=True)
    publish_ig(owner, seed.SEED_MEDIA_COFFEE_ID)

    refresh(owner, sandbox)

    source = obj(owner.workspace, ObjectKind.IG_MEDIA, seed.SEED_MEDIA_COFFEE_ID)
    assert (source.state, source.availability) == (State.UNAVAILABLE, "permission_missing")
    assert source.error_code == 10
    assert "Reconnect Meta" in source.last_error
    assert source.next_refresh_at - source.last_attempt_at == timedelta(days=1)
    _assert_no_numbers(rows(source)[0])
    account = obj(owner.workspace, ObjectKind.IG_ACCOUNT, IG_COFFEE)
    assert account.availability == "permission_missing"
    assert not InsightSnapshot.objects.filter(source=account).exists()


def test_a_revoked_connection_says_reconnect_and_deletes_nothing(connected, sandbox):
    post = publish_fb_post(connected)
    sandbox.state.advance_clock(2 * HOUR)
    refresh(connected, sandbox)
    count = InsightSnapshot.objects.count()
    MetaConnection.objects.update(status=MetaConnection.Status.REVOKED)

    run = refresh(connected, sandbox)

    source = obj(connected.workspace, ObjectKind.FB_POST, post.remote_id)
    assert (source.state, source.availability) == (State.UNAVAILABLE, "disconnected")
    assert "Reconnect Meta" in source.last_error
    assert run.calls_made == 0
    assert InsightSnapshot.objects.count() == count


def test_a_dead_token_fails_the_accounts_objects_without_more_calls(connected, sandbox):
    for number in range(3):
        publish_fb_post(connected, message=f"Post {number}")
    sandbox.state.expire_tokens(access_token=page(connected.workspace).access_token)

    run = refresh(connected, sandbox)

    failing = InsightObject.objects.filter(kind=ObjectKind.FB_POST)
    assert {(o.state, o.error_code) for o in failing} == {(State.FAILING, 190)}
    assert all("Reconnect Meta" in o.last_error for o in failing)
    assert run.failed >= 3


def test_a_failing_read_backs_off(connected, sandbox):
    post = publish_fb_post(connected)
    sandbox.state.add_fault(
        method="GET", path=f"/{post.remote_id}/insights", http_status=500, times=10
    )

    refresh(connected, sandbox)

    source = obj(connected.workspace, ObjectKind.FB_POST, post.remote_id)
    assert (source.state, source.failures) == (State.FAILING, 1)
    assert source.next_refresh_at - source.last_attempt_at == timedelta(minutes=15)
    assert "retries" in source.last_error
    assert not InsightSnapshot.objects.filter(source=source).exists()


# --- what is tracked -----------------------------------------------------------------------------


def test_a_facebook_video_is_read_through_its_post(connected, sandbox):
    the_page = page(connected.workspace)
    client = graph.GraphClient(the_page.access_token)
    post_id = client.post(f"/{COFFEE}/feed", {"message": "Roast day"})["id"]
    video = published(
        connected,
        Target.FB_POST,
        "1234567890",
        remote={"video_id": "1234567890"},
        page=the_page,
        page_meta_id=COFFEE,
    )
    sandbox.state.advance_clock(2 * HOUR)
    with sandbox.state.lock:  # the sandbox's video knows its post, as Meta's does
        from meta_sandbox.objects import Video

        sandbox.state.objects.add(
            Video(
                id="1234567890",
                owner_id=COFFEE,
                created_at=sandbox.state.now(),
                kind="page_video",
                title="Roast day",
                description=None,
                published=True,
                post_id=post_id,
            )
        )

    refresh(connected, sandbox)

    source = obj(connected.workspace, ObjectKind.FB_POST, video.remote_id)
    assert (source.graph_id, source.availability) == (post_id, Availability.OK)
    assert rows(source)[0].views > 0


def test_a_publication_deleted_in_prosocial_stops_being_read(connected, sandbox):
    post = publish_fb_post(connected)
    sandbox.state.advance_clock(2 * HOUR)
    refresh(connected, sandbox)
    source = obj(connected.workspace, ObjectKind.FB_POST, post.remote_id)
    Publication.objects.filter(pk=post.pk).delete()

    tracking.track_objects(workspace_id=connected.workspace_id)

    source.refresh_from_db()
    assert (source.state, source.availability) == (State.GONE, Availability.NOT_TRACKED)
    assert rows(source)  # its numbers stay until retention or erasure


def test_an_unselected_account_stops_and_resumes_when_selected_again(connected, sandbox):
    from meta_integration.models import MetaPage

    tracking.track_objects(workspace_id=connected.workspace_id)
    MetaPage.objects.filter(page_id=COFFEE).update(is_selected=False)
    tracking.track_objects(workspace_id=connected.workspace_id)
    stopped = obj(connected.workspace, ObjectKind.PAGE, COFFEE)

    MetaPage.objects.filter(page_id=COFFEE).update(is_selected=True)
    tracking.track_objects(workspace_id=connected.workspace_id)

    resumed = obj(connected.workspace, ObjectKind.PAGE, COFFEE)
    assert (stopped.state, stopped.availability) == (State.GONE, Availability.NOT_TRACKED)
    assert resumed.state == State.ACTIVE
    assert resumed.next_refresh_at is not None


def test_the_planner_queues_one_run_per_workspace_with_due_objects(connected, sandbox):
    publish_fb_post(connected)

    queued = collect.plan_refreshes()
    again = collect.plan_refreshes()  # the first is still queued

    [run] = RefreshRun.objects.all()
    assert (queued, again) == (1, 0)
    assert (run.kind, run.full, run.workspace_id) == ("scheduled", False, connected.workspace_id)
    done = drive(run, sandbox)
    assert done.status == RefreshRun.Status.SUCCEEDED
    assert collect.plan_refreshes() == 0  # nothing due any more
    assert InsightObject.objects.filter(last_attempt_at__isnull=True).count() == 0


def test_a_scheduled_run_reads_only_what_is_due(connected, sandbox):
    first = publish_fb_post(connected, message="First")
    refresh(connected, sandbox)
    second = publish_fb_post(connected, message="Second")
    tracking.track_objects(workspace_id=connected.workspace_id)

    run = collect.queue_refresh_run(workspace_id=connected.workspace_id)
    done = drive(run, sandbox)

    assert done.objects_done == 1
    assert obj(connected.workspace, "fb_post", second.remote_id).last_attempt_at is not None
    earlier = obj(connected.workspace, "fb_post", first.remote_id)
    assert earlier.last_attempt_at < done.created_at


def test_count_fields_are_integers_and_money_is_decimal():
    for name in COUNT_FIELDS:
        assert InsightSnapshot._meta.get_field(name).get_internal_type() == "BigIntegerField"
    for name in ("spend", "cpc", "cpm", "ctr", "frequency"):
        assert InsightSnapshot._meta.get_field(name).get_internal_type() == "DecimalField"
