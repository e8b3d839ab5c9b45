"""Refreshing 1,000 objects' results from the sandbox, against the bare Graph calls it needs.

Sets up (bench database, ``meta_sandbox`` in this process, a workspace connected through the
sandbox's dialog with every Page, Instagram account and ad account selected) a workspace whose
results cover ``--ig`` Instagram posts and ``--fb`` Facebook posts (seeded on the sandbox, half
on each of two accounts, with their published publications) and ``--ads`` ads (campaign, ad set
and ad each, made through the Graph API), plus its 3 Pages, 2 Instagram accounts and 3 ad
accounts: 1,000 objects with the defaults. The sandbox clock then moves 6 hours on, so every
post has numbers.

Then it measures, one after another, each a *Refresh now* of the whole workspace driven to its
end in this process (``insights.collect.run_refresh``, exactly what a worker runs, without
Celery's delivery):

- ``cold``: the first refresh: every object read for the first time (Pages and Instagram
  accounts 28 days back, ads since they started), every number written;
- ``unchanged``: again at the same sandbox time: every object read, nothing written;
- ``hour_later``: the sandbox clock one hour on: every number moved;
- ``bare``: the Graph requests ``hour_later`` needed, sent directly with ``requests`` (a session
  with ``trust_env = False``, the same parameters, ``appsecret_proof``, paging followed),
  sequentially, with nothing stored: Meta's side alone, the floor.

For each refresh: wall time, objects per second, Graph calls made (every HTTP attempt, from the
run's count), database queries, snapshots written; and the bare calls and time. Results go to
``bench/results/insights_refresh.json``. Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prosocial_bench_h5 \\
    REDIS_URL=redis://127.0.0.1:6379/15 \\
    .venv/bin/python -m bench.insights_refresh [--ig 406] [--fb 406] [--ads 60]
"""

import argparse
import contextlib
import json
import os
import platform
import secrets
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from bench.dashboard_latency import (
    BASE_DIR,
    BenchError,
    bench_database,
    create_database_if_missing,
    migrate,
    setup_django,
)
from bench.publish_faults import purge_queues

RESULTS_PATH = BASE_DIR / "bench" / "results" / "insights_refresh.json"
OWNER_EMAIL = "bench-results@bench.example.com"
HOUR = 3600


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.insights_refresh",
        description="Refreshing 1,000 objects' results, against the bare Graph calls.",
    )
    parser.add_argument("--ig", type=int, default=406, help="Instagram posts")
    parser.add_argument("--fb", type=int, default=406, help="Facebook posts")
    parser.add_argument("--ads", type=int, default=60, help="ads (3 objects each)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write JSON")
    return parser.parse_args(argv)


# --- stage ----------------------------------------------------------------------------------------


def make_owner(run_id: str) -> Any:
    from allauth.account.models import EmailAddress

    from accounts import services
    from accounts.models import Membership, User

    owner = User.objects.filter(email=OWNER_EMAIL).first()
    if owner is None:
        owner = User.objects.create_user(
            OWNER_EMAIL, secrets.token_urlsafe(24), contact_name="Bench Results"
        )
    EmailAddress.objects.update_or_create(
        user=owner, email=OWNER_EMAIL, defaults={"verified": True, "primary": True}
    )
    workspace = services.create_workspace(user=owner, name=f"Bench results {run_id}")
    return Membership.objects.select_related("workspace", "user").get(
        workspace=workspace, user=owner
    )


def connect_meta(owner: Any, sandbox: Any) -> None:
    """Connect through the sandbox's OAuth dialog (as tests/meta_integration/helpers.py), select all."""
    from django.test import Client
    from django.urls import reverse

    from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
    from meta_integration.scopes import requested_scopes
    from meta_sandbox import seed

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("meta_integration:connect", args=[owner.workspace.slug]))
    if response.status_code != 302:
        raise BenchError(f"connect: HTTP {response.status_code}")
    dialog = dict(parse_qsl(urlsplit(response["Location"]).query))
    state = sandbox.state
    state.authorize_user(
        user_id=seed.ALEX_ID,
        scopes=requested_scopes(),
        page_ids=[seed.PAGE_COFFEE_ID, seed.PAGE_PHOTO_ID, seed.PAGE_BAKERY_ID],
        ig_user_ids=[seed.IG_COFFEE_ID, seed.IG_PHOTO_ID],
        ad_account_ids=[seed.ACT_COFFEE_US, seed.ACT_PHOTO_EU, seed.ACT_BAKERY_UK],
    )
    code = state.auth.issue_code(
        user_id=seed.ALEX_ID, client_id=state.app_id, redirect_uri=dialog["redirect_uri"]
    ).code
    response = client.get(
        reverse("meta_integration:oauth_callback"), {"code": code, "state": dialog["state"]}
    )
    if response.status_code != 302:
        raise BenchError(f"OAuth callback: HTTP {response.status_code}")
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)


def seed_posts(owner: Any, sandbox: Any, *, ig: int, fb: int, run_id: str) -> None:
    """Posts on the sandbox (two Instagram accounts, two Pages) and their publications."""
    from meta_integration.models import InstagramAccount, MetaPage
    from meta_sandbox import seed
    from meta_sandbox.objects import IgMedia, PagePost
    from publishing.models import Publication, Target

    workspace = owner.workspace
    now = datetime.now(UTC)
    sandbox_now = sandbox.state.now()
    rows = []
    with sandbox.state.lock:
        for number in range(ig):
            ig_user_id = (seed.IG_COFFEE_ID, seed.IG_PHOTO_ID)[number % 2]
            media_id = f"18{run_id[-8:]}{number:06d}"
            sandbox.state.engagement.seeded_media[media_id] = IgMedia(
                id=media_id,
                owner_id=ig_user_id,
                created_at=sandbox_now - (number % 48) * HOUR,
                container_id="",
                media_type="IMAGE",
                media_product_type="FEED",
                caption=f"Bench post {number}",
                shortcode=f"B{number:08d}",
                media_url=None,
            )
            account = InstagramAccount.objects.get(workspace=workspace, ig_user_id=ig_user_id)
            rows.append(
                Publication(
                    workspace=workspace,
                    title=f"IG {number}",
                    target=Target.IG_FEED,
                    status=Publication.Status.PUBLISHED,
                    remote_id=media_id,
                    remote={"media_id": media_id},
                    instagram_account=account,
                    instagram_meta_id=ig_user_id,
                    published_at=now - timedelta(hours=number % 48),
                )
            )
        for number in range(fb):
            page_id = (seed.PAGE_COFFEE_ID, seed.PAGE_PHOTO_ID)[number % 2]
            post_id = f"{page_id}_9{run_id[-8:]}{number:06d}"
            sandbox.state.engagement.seeded_posts[post_id] = PagePost(
                id=post_id,
                owner_id=page_id,
                created_at=sandbox_now - (number % 48) * HOUR,
                message=f"Bench post {number}",
            )
            page = MetaPage.objects.get(workspace=workspace, page_id=page_id)
            rows.append(
                Publication(
                    workspace=workspace,
                    title=f"FB {number}",
                    target=Target.FB_POST,
                    status=Publication.Status.PUBLISHED,
                    remote_id=post_id,
                    remote={"post_id": post_id},
                    page=page,
                    page_meta_id=page_id,
                    published_at=now - timedelta(hours=number % 48),
                )
            )
    Publication.objects.bulk_create(rows, batch_size=500)


def seed_ads(owner: Any, *, count: int) -> None:
    """Ads made through the Graph API (4 creates each), two audiences, and their publications."""
    from meta_integration import graph
    from meta_integration.models import MetaAdAccount
    from meta_sandbox import seed
    from publishing.models import Publication, Target

    account = MetaAdAccount.objects.select_related("connection").get(
        workspace=owner.workspace, ad_account_id=seed.ACT_COFFEE_US
    )
    client = graph.GraphClient(account.connection.access_token)
    act = seed.ACT_COFFEE_US

    def create(edge: str, **params: Any) -> str:
        return str(client.post(f"/{act}/{edge}", params)["id"])

    rows = []
    for number in range(count):
        name = f"Bench ad {number}"
        countries = ["US"] if number % 2 else ["GB", "IE"]
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
            daily_budget=2000 + 100 * number,
            billing_event="IMPRESSIONS",
            optimization_goal="LINK_CLICKS",
            targeting={"geo_locations": {"countries": countries}, "age_min": 18 + number % 20},
            status="ACTIVE",
        )
        creative = create("adcreatives", name=name, object_story_id=seed.SEED_POST_COFFEE_ID)
        ad = create(
            "ads", name=name, adset_id=adset, creative={"creative_id": creative}, status="ACTIVE"
        )
        rows.append(
            Publication(
                workspace=owner.workspace,
                title=name,
                target=Target.META_AD,
                status=Publication.Status.PUBLISHED,
                remote_id=ad,
                remote={"campaign_id": campaign, "adset_id": adset, "ad_id": ad},
                ad_account=account,
                ad_account_meta_id=act,
                published_at=datetime.now(UTC),
            )
        )
    Publication.objects.bulk_create(rows)


@contextlib.contextmanager
def counted_queries() -> Iterator[list[int]]:
    from django.db import connection

    count = [0]

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


# --- measuring ------------------------------------------------------------------------------------


def refresh(owner: Any, sandbox: Any) -> dict[str, Any]:
    """A full refresh of the workspace driven to its end in this process, timed."""
    from django.utils import timezone

    from insights import collect
    from insights.models import RefreshRun

    run = collect.queue_refresh_run(
        workspace_id=owner.workspace_id, kind=RefreshRun.Kind.MANUAL, full=True
    )
    if run is None:
        raise BenchError("a refresh is already under way")
    waits = []
    started = time.perf_counter()
    with counted_queries() as queries:
        for _step in range(10_000):
            run.refresh_from_db()
            if run.status not in RefreshRun.ACTIVE:
                break
            now = timezone.now()
            if run.next_attempt_at and run.next_attempt_at > now:  # Meta asked to wait
                wait = run.next_attempt_at - now
                waits.append(wait.total_seconds())
                sandbox.state.advance_clock(wait.total_seconds() + 1)
                paused = {
                    k: (datetime.fromisoformat(v) - wait - timedelta(seconds=1)).isoformat()
                    for k, v in (run.paused_accounts or {}).items()
                }
                RefreshRun.objects.filter(pk=run.pk).update(
                    next_attempt_at=None, paused_accounts=paused
                )
            collect.run_refresh(run_id=run.pk)
    seconds = time.perf_counter() - started
    if run.status != RefreshRun.Status.SUCCEEDED:
        raise BenchError(f"refresh {run.pk} ended {run.status}: {run.error or run.message}")
    return {
        "wall_s": round(seconds, 3),
        "objects": run.objects_done,
        "objects_per_s": round(run.objects_done / seconds, 1),
        "graph_calls": run.calls_made,
        "graph_calls_per_object": round(run.calls_made / max(run.objects_done, 1), 3),
        "db_queries": queries[0],
        "db_queries_per_object": round(queries[0] / max(run.objects_done, 1), 2),
        "snapshots_written": run.snapshots_written,
        "unavailable": run.unavailable,
        "failed": run.failed,
        "postponed": run.postponed,
        "waits_s": waits,
        "message": run.message,
    }


def bare_requests(owner: Any) -> list[tuple[str, dict[str, Any], str]]:
    """The Graph requests a refresh of every object needs: (path, params, token)."""
    from django.utils import timezone

    from insights import collect, metrics
    from insights.models import AD_KINDS, InsightObject, ObjectKind

    planned: list[tuple[str, dict[str, Any], str]] = []
    ad_levels: dict[tuple[str, str], str] = {}
    now = timezone.now()
    today = now.astimezone(UTC).date()
    objects = InsightObject.objects.filter(
        workspace=owner.workspace, state__in=InsightObject.REFRESHED
    ).select_related("page__connection", "instagram_account__connection", "ad_account__connection")
    for obj in objects.order_by("pk"):
        token = collect.token_for(obj)
        if obj.kind in AD_KINDS:
            ad_levels[(obj.account_meta_id, collect.LEVELS[ObjectKind(obj.kind)])] = token
            continue
        params: dict[str, Any]
        if obj.kind == ObjectKind.IG_MEDIA:
            params = {"metric": ",".join(metrics.IG_MEDIA_METRICS["FEED"])}
        elif obj.kind == ObjectKind.FB_POST:
            params = {"metric": ",".join(metrics.POST_METRICS), "period": "lifetime"}
        else:
            since, until = collect._organic_window(obj, now)
            page = obj.kind == ObjectKind.PAGE
            names = metrics.PAGE_METRICS if page else metrics.IG_ACCOUNT_METRICS
            params = {
                "metric": ",".join(names),
                "period": "day",
                "since": int(since.timestamp()),
                "until": int(until.timestamp()),
            }
        planned.append((f"/{obj.insights_id}/insights", params, token))
    window = {
        "since": (today - timedelta(days=collect.AD_REFETCH_DAYS)).isoformat(),
        "until": today.isoformat(),
    }
    for (account, level), token in sorted(ad_levels.items()):
        params = {
            "fields": ",".join(metrics.AD_FIELDS),
            "time_range": json.dumps(window, separators=(",", ":")),
            "time_increment": 1,
            "limit": 100,
        }
        if level != "account":
            params["level"] = level
        planned.append((f"/{account}/insights", params, token))
    return planned


def run_bare(sandbox: Any, planned: list[tuple[str, dict[str, Any], str]]) -> dict[str, Any]:
    """Send the planned requests with requests (paging followed); count and time them."""
    from django.conf import settings

    from meta_integration.graph import appsecret_proof

    base = f"{sandbox.url}/{settings.META_API_VERSION}"
    session = requests.Session()
    session.trust_env = False
    calls = 0
    started = time.perf_counter()
    for path, params, token in planned:
        follow = "fields" in params  # ads rows are paged; organic paging links move in time
        query = {**params, "access_token": token}
        url = base + path
        while True:
            query["appsecret_proof"] = appsecret_proof(token, settings.META_APP_SECRET)
            response = session.get(url, params=query, timeout=30)
            calls += 1
            if response.status_code != 200:
                raise BenchError(f"bare GET {path}: HTTP {response.status_code}")
            next_url = (response.json().get("paging") or {}).get("next")
            if not follow or not next_url:
                break
            parts = urlsplit(next_url)
            url = base + parts.path.split(settings.META_API_VERSION, 1)[1]
            query = {**dict(parse_qsl(parts.query)), "access_token": token}
    seconds = time.perf_counter() - started
    return {
        "wall_s": round(seconds, 3),
        "requests_planned": len(planned),
        "graph_calls": calls,
        "calls_per_s": round(calls / seconds, 1),
    }


def environment_report() -> dict[str, Any]:
    import django
    from django.db import connection

    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    pg = getattr(connection, "pg_version", 0)
    return {
        "machine": {
            "cpu_count": os.cpu_count(),
            "cpu_model": cpu_model,
            "platform": platform.platform(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "requests": requests.__version__,
            "postgresql": f"{pg // 10000}.{pg % 10000}",
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup_django()
    from django.conf import settings
    from django.test.utils import override_settings

    from insights import tracking
    from insights.models import InsightObject
    from meta_sandbox.testing import start_server

    db = bench_database()
    if create_database_if_missing(db):
        print(f"created database {db['NAME']}")
    print("migrating…", flush=True)
    migrate()
    environment = environment_report()
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    sandbox = start_server(port=0, app_id=settings.META_APP_ID, app_secret=settings.META_APP_SECRET)
    override = override_settings(META_GRAPH_URL=sandbox.url, META_DIALOG_URL=sandbox.url)
    override.enable()
    try:
        # Stop the sandbox clock: only advance_clock moves it, so `unchanged` reads the same.
        clock = sandbox.state.clock
        base = clock.now() - clock.offset
        clock.now = lambda: base + clock.offset  # type: ignore[method-assign]
        owner = make_owner(run_id)
        connect_meta(owner, sandbox)
        print(f"seeding {args.ig} Instagram posts, {args.fb} Facebook posts, {args.ads} ads…")
        seed_posts(owner, sandbox, ig=args.ig, fb=args.fb, run_id=run_id)
        seed_ads(owner, count=args.ads)
        tracking.track_objects(workspace_id=owner.workspace_id)
        objects = InsightObject.objects.filter(workspace=owner.workspace).count()
        sandbox.state.advance_clock(6 * HOUR)
        print(f"{objects} objects; refreshing…", flush=True)
        results: dict[str, Any] = {"objects": objects}
        results["cold"] = refresh(owner, sandbox)
        print(f"cold: {results['cold']['wall_s']} s, {results['cold']['graph_calls']} calls")
        results["unchanged"] = refresh(owner, sandbox)
        print(f"unchanged: {results['unchanged']['wall_s']} s")
        sandbox.state.advance_clock(HOUR)
        planned = bare_requests(owner)
        results["hour_later"] = refresh(owner, sandbox)
        print(f"hour_later: {results['hour_later']['wall_s']} s")
        results["bare"] = run_bare(sandbox, planned)
        print(f"bare: {results['bare']['wall_s']} s, {results['bare']['graph_calls']} calls")
        later, bare = results["hour_later"], results["bare"]
        results["ratios"] = {
            "hour_later_wall_vs_bare": round(later["wall_s"] / bare["wall_s"], 2),
            "hour_later_calls_vs_bare": round(later["graph_calls"] / bare["graph_calls"], 3),
            "calls_vs_one_per_object": round(later["graph_calls"] / objects, 3),
        }
    finally:
        override.disable()
        sandbox.stop()
        # The refreshes queued their tasks (no worker runs here): drop them.
        purge_queues()
    return {
        "bench": "insights_refresh",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"ig_posts": args.ig, "fb_posts": args.fb, "ads": args.ads},
        "environment": environment,
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
