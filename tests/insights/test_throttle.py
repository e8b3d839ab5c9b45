"""Throttling by Meta's usage headers, with the sandbox's call budgets (GRAPH_NOTES §5.4).

The sandbox counts insights calls per hour of its clock: each Instagram account and Page has its
own budget (``insights_organic_calls_per_hour``), each ad account too
(``insights_account_calls_per_hour``), and the app one for all ads insights
(``insights_app_calls_per_hour``). Every answer carries the usage headers a refresh slows down by.
"""

from datetime import timedelta

from django.utils import timezone

from insights import collect, schedule
from insights.models import InsightObject, ObjectKind, RefreshRun
from meta_sandbox import seed
from publishing.models import Target
from tests.insights.conftest import (
    IG_COFFEE,
    drive,
    publish_ad,
    publish_fb_post,
    publish_ig,
    published,
)
from tests.insights.conftest import instagram as ig_account

Status = RefreshRun.Status


def seeded_media(sandbox, count: int) -> list[str]:
    """Add ``count`` feed posts to @riveracoffee on the sandbox (as if posted there)."""
    from meta_sandbox.objects import IgMedia

    made = []
    with sandbox.state.lock:
        for number in range(count):
            media_id = f"179000000009{number:05d}"
            sandbox.state.engagement.seeded_media[media_id] = IgMedia(
                id=media_id,
                owner_id=IG_COFFEE,
                created_at=sandbox.state.now() - 2 * 86400,
                container_id="",
                media_type="IMAGE",
                media_product_type="FEED",
                caption=f"Post {number}",
                shortcode=f"Bench{number:05d}",
                media_url=None,
            )
            made.append(media_id)
    return made


def only_instagram(owner):
    """Measure only the Instagram account (the other accounts would add their own calls)."""
    from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage

    for model in (MetaPage, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=False)
    InstagramAccount.objects.exclude(ig_user_id=IG_COFFEE).update(is_selected=False)


def step(run: RefreshRun) -> RefreshRun:
    collect.run_refresh(run_id=run.pk)
    run.refresh_from_db()
    return run


def statuses(sandbox, fragment: str) -> list[int]:
    return [r.status for r in sandbox.state.requests if fragment in r.path]


def test_a_nearly_spent_account_budget_slows_the_run_down(connected, sandbox):
    only_instagram(connected)
    sandbox.state.update_settings(insights_organic_calls_per_hour=8)
    for media_id in seeded_media(sandbox, 6):
        publish_ig(connected, media_id)
    run = collect.queue_refresh_run(workspace_id=connected.workspace_id, full=True)

    first = step(run)

    # After 6 of 8 calls (75%) the account pauses; nothing else is left, so the run waits.
    assert first.status == Status.RUNNING  # handed back, due again after the pause
    assert first.lease_expires_at is None
    assert first.objects_done == 6
    wait = first.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < wait <= schedule.SLOW_PAUSE
    assert set(first.paused_accounts) == {IG_COFFEE}
    done = drive(first, sandbox)
    assert (done.status, done.objects_done, done.postponed) == (Status.SUCCEEDED, 7, 0)
    assert set(statuses(sandbox, "/insights")) == {200}  # never over budget


def test_a_spent_account_budget_postpones_its_objects_and_the_run_goes_on(connected, sandbox):
    sandbox.state.update_settings(insights_organic_calls_per_hour=3)
    for media_id in seeded_media(sandbox, 5):
        publish_ig(connected, media_id)
    post = publish_fb_post(connected)  # another account's budget: unaffected

    done = drive(collect.queue_refresh_run(workspace_id=connected.workspace_id, full=True), sandbox)

    # 3 calls spend @riveracoffee's hour: Meta says when it regains access (about an hour,
    # longer than a run waits), so its other objects wait for their next refresh.
    assert done.status == Status.SUCCEEDED
    postponed = InsightObject.objects.filter(account_meta_id=IG_COFFEE, last_fetched_at=None)
    assert done.postponed == postponed.count() == 3  # the account's own read, then 2 media
    for item in postponed:
        assert item.next_refresh_at - timezone.now() > timedelta(minutes=50)
        assert "slow down" in item.last_error
        assert item.state == InsightObject.State.ACTIVE
    page_post = InsightObject.objects.get(kind=ObjectKind.FB_POST, meta_id=post.remote_id)
    assert page_post.last_attempt_at is not None
    assert 400 not in statuses(sandbox, "/insights")  # the headers stopped it before Meta had to


def test_the_apps_insights_limit_pauses_the_whole_run_for_metas_wait(connected, sandbox):
    sandbox.state.update_settings(insights_app_calls_per_hour=2)
    publish_ad(connected, sandbox)
    run = collect.queue_refresh_run(workspace_id=connected.workspace_id, full=True)
    waits: list[timedelta] = []

    done = drive(run, sandbox, waits=waits)

    assert (done.status, done.failed) == (Status.SUCCEEDED, 0)
    # Two ads calls spend the app's hour: the whole run waits (5 minutes at 100% without a
    # time, then the hour Meta gives when it refuses), never failing an object for it, and
    # each refusal is followed by Meta's whole wait.
    refusals = statuses(sandbox, "/insights").count(400)
    assert refusals >= 1
    assert len([wait for wait in waits if wait > timedelta(minutes=50)]) == refusals
    assert not InsightObject.objects.filter(
        kind__in=["campaign", "adset", "ad"], last_fetched_at=None
    )


def test_a_throttling_error_without_headers_pauses_for_a_default_wait(connected, sandbox):
    post = publish_fb_post(connected)
    other = published(
        connected, Target.IG_FEED, seed.SEED_MEDIA_COFFEE_ID,
        instagram_account=ig_account(connected.workspace), instagram_meta_id=IG_COFFEE,
    )  # fmt: skip
    sandbox.state.add_fault(
        method="GET",
        path=f"/{post.remote_id}/insights",
        error={"code": 80001, "message": "(#80001) There have been too many calls to this Page"},
        headers={},
        times=1,
    )

    done = drive(collect.queue_refresh_run(workspace_id=connected.workspace_id, full=True), sandbox)

    assert done.status == Status.SUCCEEDED
    page_post = InsightObject.objects.get(kind=ObjectKind.FB_POST, meta_id=post.remote_id)
    assert page_post.last_fetched_at is not None  # read again after the default 5-minute pause
    media = InsightObject.objects.get(kind=ObjectKind.IG_MEDIA, meta_id=other.remote_id)
    assert media.last_fetched_at is not None
