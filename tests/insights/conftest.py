"""Fixtures for results collection: a workspace connected to the real sandbox over loopback.

``connected`` connects the owner's workspace through the real connect flow and selects every
Page, Instagram account and ad account. Posts and ads are made on the sandbox through the
Graph client (or are the sandbox's seeded ones), and their ``Publication`` rows record the
remote ids exactly as publishing does. ``drive`` runs a refresh job in this process as a worker
would, moving the sandbox clock (and the run's wait) forward whenever the job asks to wait.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from insights import collect
from insights.models import RefreshRun
from meta_integration import graph
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from meta_sandbox import seed
from publishing.models import Publication, Target
from tests.conftest import client_for
from tests.meta_integration.helpers import connect

COFFEE = seed.PAGE_COFFEE_ID
IG_COFFEE = seed.IG_COFFEE_ID
ACT = seed.ACT_COFFEE_US
HOUR = 3600
DAY = 24 * HOUR


@pytest.fixture
def no_waits(monkeypatch):
    """The Graph client's retry waits take no time (its documented test hook)."""
    waits: list[float] = []
    monkeypatch.setattr(graph, "sleep", waits.append)
    return waits


@pytest.fixture
def frozen_clock(sandbox, monkeypatch):
    """Stop the sandbox's clock (only ``advance_clock`` moves it), so reads are repeatable.

    Meta's numbers move with time; a test that reads twice to prove nothing changed needs
    the sandbox to answer the same both times.
    """
    clock = sandbox.state.clock
    base = clock.now() - clock.offset
    monkeypatch.setattr(clock, "now", lambda: base + clock.offset)
    return clock


@pytest.fixture
def connected(owner, sandbox, frozen_clock, no_waits, settings):
    """The owner's workspace connected to the sandbox, every asset selected."""
    settings.META_MAX_RETRIES = 1
    response = connect(client_for(owner), sandbox)
    assert response.status_code == 302
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    return owner


def page(workspace) -> MetaPage:
    return MetaPage.objects.select_related("connection").get(workspace=workspace, page_id=COFFEE)


def instagram(workspace, ig_user_id=IG_COFFEE) -> InstagramAccount:
    return InstagramAccount.objects.get(workspace=workspace, ig_user_id=ig_user_id)


def ad_account(workspace) -> MetaAdAccount:
    return MetaAdAccount.objects.get(workspace=workspace, ad_account_id=ACT)


def published(owner, target, remote_id, *, remote=None, **fields) -> Publication:
    """A publication as publishing leaves it once published (remote ids recorded)."""
    return Publication.objects.create(
        workspace=owner.workspace,
        created_by=owner.user,
        title=fields.pop("title", f"{target} {remote_id}"),
        target=target,
        status=Publication.Status.PUBLISHED,
        remote_id=remote_id,
        remote=remote or {},
        published_at=fields.pop("published_at", timezone.now()),
        **fields,
    )


def publish_fb_post(owner, message="Cold brew is back", **fields) -> Publication:
    """Post on the Coffee Page through the Graph client, and record it as publishing does."""
    the_page = page(owner.workspace)
    post_id = graph.GraphClient(the_page.access_token).post(
        f"/{COFFEE}/feed", {"message": message}
    )["id"]
    return published(
        owner,
        Target.FB_POST,
        post_id,
        remote={"post_id": post_id},
        page=the_page,
        page_meta_id=COFFEE,
        page_name=the_page.name,
        **fields,
    )


def publish_ig(owner, media_id, target=Target.IG_FEED, ig_user_id=IG_COFFEE, **fields):
    account = instagram(owner.workspace, ig_user_id)
    return published(
        owner,
        target,
        media_id,
        remote={"media_id": media_id},
        instagram_account=account,
        instagram_meta_id=ig_user_id,
        instagram_name=str(account),
        **fields,
    )


def publish_ad(owner, sandbox, name="Autumn", *, countries=("US",)) -> Publication:
    """Make a campaign, ad set, creative and ad on the sandbox; record them as publishing does."""
    account = ad_account(owner.workspace)
    client = graph.GraphClient(account.connection.access_token)

    def create(edge: str, **params) -> str:
        return client.post(f"/{ACT}/{edge}", params)["id"]

    campaign = create(
        "campaigns",
        name=name,
        objective="OUTCOME_TRAFFIC",
        status="ACTIVE",
        special_ad_categories=[],
        is_adset_budget_sharing_enabled=False,
    )
    adset = create(
        "adsets",
        name=name,
        campaign_id=campaign,
        daily_budget=4000,
        billing_event="IMPRESSIONS",
        optimization_goal="LINK_CLICKS",
        targeting={"geo_locations": {"countries": list(countries)}, "age_min": 25},
        status="ACTIVE",
    )
    creative = create("adcreatives", name=name, object_story_id=seed.SEED_POST_COFFEE_ID)
    ad = create(
        "ads", name=name, adset_id=adset, creative={"creative_id": creative}, status="ACTIVE"
    )
    return published(
        owner,
        Target.META_AD,
        ad,
        remote={"campaign_id": campaign, "adset_id": adset, "creative_id": creative, "ad_id": ad},
        ad_account=account,
        ad_account_meta_id=ACT,
        ad_account_name=account.name,
    )


def drive(run: RefreshRun, sandbox, *, max_steps=200, waits=None) -> RefreshRun:
    """Run a refresh to its end in this process, as workers would.

    When the job asks to wait, the wait passes: the sandbox clock moves on by it, and the
    run's own times (when it is due, until when accounts are paused) move back by it. Each
    wait is appended to ``waits`` when given.
    """
    for _step in range(max_steps):
        run.refresh_from_db()
        if run.status not in RefreshRun.ACTIVE:
            return run
        now = timezone.now()
        if run.next_attempt_at and run.next_attempt_at > now:
            wait = run.next_attempt_at - now + timedelta(seconds=1)
            if waits is not None:
                waits.append(wait)
            sandbox.state.advance_clock(wait.total_seconds())
            paused = {
                account: (datetime.fromisoformat(until) - wait).isoformat()
                for account, until in (run.paused_accounts or {}).items()
            }
            RefreshRun.objects.filter(pk=run.pk).update(
                next_attempt_at=None, paused_accounts=paused
            )
        collect.run_refresh(run_id=run.pk)
    pytest.fail(f"refresh {run.pk} did not finish in {max_steps} steps")


def refresh(owner, sandbox, *, full=True) -> RefreshRun:
    """Queue a refresh of the owner's workspace (all of it: Refresh now) and run it to its end."""
    run = collect.queue_refresh_run(
        workspace_id=owner.workspace_id, kind=RefreshRun.Kind.MANUAL, full=full
    )
    assert run is not None
    return drive(run, sandbox)
