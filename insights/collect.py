"""Collecting results from Meta: refresh runs, their batches, and the numbers they store.

A ``RefreshRun`` is a job on ``prosocial.jobs`` (docs/jobs.md). Beat's planner
(``plan_refreshes``, every minute) first tracks new objects (``insights.tracking``), then queues
a *scheduled* run for each workspace with objects due; *Refresh now* queues a *full* run
(``insights.services.request_refresh``). At most one run per workspace is queued or running.

**A run** reads, batch after batch, the objects it covers that were not tried since it was
queued (so it resumes wherever it stopped: the objects hold the progress, the run row the
counts). A batch is one account's objects: up to ``BATCH_SIZE`` posts of one Page or Instagram
account (one Graph call each), an account's own daily series (one call), or every due object
of one ad account (one query per level — account, campaign, ad set, ad — at the ad account,
``time_increment=1``, however many ads). All Graph calls first, no transaction open; then one
transaction (``lease.owned``) writes the batch's snapshots, the objects' refresh state and
the run's counts. A claim works for ``SLICE_SECONDS``, then hands the row back so other jobs
interleave; ``RUN_MAX_AGE`` bounds a run whatever happens.

**Idempotent.** Snapshots are keyed (object, metric set, day): reading twice writes once, and
an unchanged read writes no snapshot at all. Whether a read changed anything is told by a
digest of the numbers on the object (``last_digest``), so ``unchanged_fetches`` can settle it
(``insights.schedule``).

**Throttling** (GRAPH_NOTES §5.4). After every answer the usage headers are read
(``schedule.pace``): a spent or nearly spent *app* budget hands the whole run back for the wait;
an *account's* budget (its business use case, the ad account's insights budget) pauses that
account's objects in the run (``paused_accounts``) while the run goes on with the others. A
pause longer than ``MAX_IN_RUN_PAUSE`` postpones those objects to their next refresh instead,
so a run never waits an hour. Throttling errors (4/1504022, 17, 613, 80000-80014) pause the
same way, for the time Meta gives.

**Async reports** (§4.7). An ads query larger than ``ASYNC_ROWS`` rows (or one Meta times out,
100/1504018) runs as a report: started, polled every ``REPORT_POLL`` (the account pauses
meanwhile), read when complete. A failed report (*Job Failed*, or -2/2490547 when read) is
dropped and a new one started; after ``MAX_REPORT_FAILURES`` the objects fail with the reason
and the next refresh starts afresh. The report row (``AdReport``) outlives the run.

**Unavailable, never zero.** A number Meta did not give stays NULL. A post Meta has no numbers
for yet, a story with fewer than 5 viewers, media from before the business conversion, a
missing permission, a disconnected account, a post deleted on Meta: each is a state on the
object (and a NULL snapshot for the day, for posts) with the reason in words from the error
catalogue. Permanent ones (deleted, before conversion, story insights gone after 24 h) stop
refreshing; the others are tried again later.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from insights import metrics, schedule, tasks, tracking
from insights.metrics import Numbers
from insights.models import (
    ACCOUNT_KINDS,
    AD_KINDS,
    METRIC_FIELDS,
    POST_KINDS,
    AdReport,
    Availability,
    InsightObject,
    InsightSnapshot,
    ObjectKind,
    RefreshRun,
)
from meta_integration import graph
from meta_integration import services as meta_services
from meta_integration.error_catalogue import explain
from meta_integration.errors import MetaConnectionError
from meta_integration.graph import GraphCallRecord, GraphClient, GraphError, ObjectInsights, Usage
from prosocial import jobs

logger = logging.getLogger(__name__)

Status = RefreshRun.Status
State = InsightObject.State
MetricSet = InsightSnapshot.MetricSet

# Objects read between two writes: one transaction per batch (50 calls ≈ 0.5 s on the sandbox).
BATCH_SIZE = 50
SLICE_SECONDS = 45.0
RUN_MAX_AGE = timedelta(hours=6)
MAX_IN_RUN_PAUSE = timedelta(minutes=10)
# An ads query bigger than this goes async (Meta times out big synchronous ones, §4.7).
ASYNC_ROWS = 2000
REPORT_POLL = timedelta(seconds=15)
REPORT_TIMEOUT = timedelta(minutes=30)
MAX_REPORT_FAILURES = 3
# Ads: the days read again each refresh (conversions are attributed up to 7 days after a
# click, Meta's default window), and at most how far back (Meta keeps 37 months).
AD_REFETCH_DAYS = 7
AD_MAX_HISTORY_DAYS = 3 * 365
# Pages and Instagram accounts: a first read covers this many days (Instagram answers 30
# at most), later reads the last few (Meta's organic numbers lag up to 48 h).
ACCOUNT_BACKFILL_DAYS = 28
ACCOUNT_REFETCH_DAYS = 3
AD_ACCOUNT_BACKFILL_DAYS = 28
ORGANIC_DAY_END_MARGIN = timedelta(hours=8)  # Meta's day ends at midnight Pacific (07/08 UTC)
# Throttling error codes that concern the whole app rather than one account (§5.2).
APP_THROTTLE_CODES = frozenset({4, 17, 341, 613})
DEFAULT_THROTTLE_WAIT = timedelta(minutes=5)
LEVELS = {
    ObjectKind.AD_ACCOUNT: "account",
    ObjectKind.CAMPAIGN: "campaign",
    ObjectKind.ADSET: "adset",
    ObjectKind.AD: "ad",
}


def _enqueue(run_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.run_refresh_task.apply_async, (run_id,), countdown=countdown)
    )


REFRESH_RUNS = jobs.register(
    jobs.JobKind(
        name="insights refresh",
        model=RefreshRun,
        runnable=Q(status__in=RefreshRun.ACTIVE),
        enqueue=_enqueue,
        running_status=Status.RUNNING,
        queued_status=Status.QUEUED,
        done_status=Status.SUCCEEDED,
        failed_status=Status.FAILED,
        finished_field="finished_at",
    )
)


# --- Planning -----------------------------------------------------------------------------------


def queue_refresh_run(
    *,
    workspace_id: int,
    kind: str = RefreshRun.Kind.SCHEDULED,
    full: bool = False,
    requested_by_id: int | None = None,
) -> RefreshRun | None:
    """Queue a refresh of one workspace; None when one is already queued or running."""
    try:
        with transaction.atomic():
            run = RefreshRun.objects.create(
                workspace_id=workspace_id,
                kind=kind,
                full=full,
                requested_by_id=requested_by_id,
                message=_("Queued."),
            )
    except IntegrityError:
        return None  # insights_run_one_active
    REFRESH_RUNS.enqueue(run.pk)
    return run


def plan_refreshes(*, now: datetime | None = None) -> int:
    """Track new objects, then queue a run for every workspace with objects due (beat).

    Returns how many runs were queued; a workspace whose run is still going is left alone.
    """
    now = now or timezone.now()
    tracking.track_objects(now=now)
    due = (
        InsightObject.objects.filter(state__in=InsightObject.REFRESHED, next_refresh_at__lte=now)
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    return sum(queue_refresh_run(workspace_id=ws) is not None for ws in list(due))


def sweep_refresh_runs() -> int:
    """Queue runs whose worker died or whose message was lost (beat); return how many."""
    return jobs.sweep(REFRESH_RUNS)


# --- Running ------------------------------------------------------------------------------------


def remaining_objects(run: RefreshRun) -> QuerySet[InsightObject]:
    """Return the objects ``run`` still has to read: covered by it and not tried since it began."""
    rows = InsightObject.objects.filter(
        workspace_id=run.workspace_id, state__in=InsightObject.REFRESHED
    ).filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=run.created_at))
    if not run.full:
        rows = rows.filter(next_refresh_at__lte=run.created_at)
    return rows


@dataclass
class Meter:
    """Counts the HTTP calls made to Meta (every attempt, retries included)."""

    calls: int = 0

    def __call__(self, record: GraphCallRecord) -> None:
        self.calls += 1


@dataclass
class Result:
    """What one read of one object found; applied to the object and its snapshots on write."""

    obj: InsightObject
    outcome: str  # fetched | unavailable (for now) | gone (for good) | failed
    rows: dict[date, Numbers] = field(default_factory=dict)
    availability: str = Availability.OK
    problem: str = ""
    code: int | None = None
    subcode: int | None = None
    retry_in: timedelta | None = None


@dataclass
class Batch:
    """A batch's reads: results per object, pauses asked for, report rows to save."""

    account: str
    results: list[Result] = field(default_factory=list)
    account_pause: timedelta = timedelta(0)
    run_pause: timedelta = timedelta(0)
    pause_reason: str = ""
    reports: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # level -> fields


def run_refresh(*, run_id: int) -> None:
    """Read a workspace's due results from Meta and store them (a job of the runner).

    Resumable: each batch commits its numbers and the objects it tried; the next claim goes on
    with the objects not tried yet. Throttling hands the row back for Meta's wait.
    """
    lease = jobs.claim(REFRESH_RUNS, run_id)
    if lease is None:
        return
    with lease:
        run = RefreshRun.objects.get(pk=run_id)
        started = time.monotonic()
        if run.full and run.objects_done == 0:
            tracking.track_objects(workspace_id=run.workspace_id)
        meter = Meter()
        while True:
            now = timezone.now()
            # Refresh now may have widened this run to every object (``full``) meanwhile.
            run.refresh_from_db(fields=["full", "objects_total"])
            if now - run.created_at > RUN_MAX_AGE:
                _finish(lease, run, stopped=True)
                return
            paused = _paused(run, now)
            objects = _next_batch(run, paused)
            if not objects:
                waiting = set(
                    remaining_objects(run)
                    .filter(account_meta_id__in=list(paused))
                    .values_list("account_meta_id", flat=True)
                    .distinct()
                )
                paused = {account: until for account, until in paused.items() if account in waiting}
                if not paused:
                    _finish(lease, run)
                    return
                until = min(paused.values())
                if until - now > MAX_IN_RUN_PAUSE:
                    _postpone(lease, run, list(paused), until, now)
                    continue
                lease.release(
                    delay=(until - now).total_seconds(), paused_accounts=run.paused_accounts
                )
                return
            if run.objects_total == 0:  # first batch, or Refresh now widened a scheduled run
                run.objects_total = run.objects_done + remaining_objects(run).count()
                lease.update(objects_total=run.objects_total)
            calls_before = meter.calls
            batch = _read_batch(objects, meter, now)
            _write_batch(lease, run, batch, calls=meter.calls - calls_before, now=timezone.now())
            if batch.run_pause:
                wait = batch.run_pause.total_seconds()
                lease.release(
                    delay=wait,
                    message=_("%(why)s Going on in %(s)d s.")
                    % {"why": batch.pause_reason, "s": int(wait)},
                )
                return
            if time.monotonic() - started > SLICE_SECONDS:
                lease.release(delay=0)
                return


def _paused(run: RefreshRun, now: datetime) -> dict[str, datetime]:
    found = {}
    for account, until in (run.paused_accounts or {}).items():
        moment = datetime.fromisoformat(until)
        if moment > now:
            found[account] = moment
    return found


def _next_batch(run: RefreshRun, paused: dict[str, datetime]) -> list[InsightObject]:
    """Return the next batch: one account's posts, its own series, or its ad objects."""
    left = remaining_objects(run).exclude(account_meta_id__in=list(paused))
    first = left.order_by("account_meta_id", "kind", "pk").values("account_meta_id", "kind").first()
    if first is None:
        return []
    rows = left.filter(account_meta_id=first["account_meta_id"]).select_related(
        "workspace",
        "publication",
        "page__connection",
        "instagram_account__connection",
        "ad_account__connection",
    )
    if first["kind"] in AD_KINDS:
        return list(rows.filter(kind__in=AD_KINDS).order_by("pk"))
    return list(rows.filter(kind=first["kind"]).order_by("pk")[:BATCH_SIZE])


def _finish(lease: jobs.Lease[RefreshRun], run: RefreshRun, *, stopped: bool = False) -> None:
    run.refresh_from_db(fields=["objects_done", "unavailable", "failed", "postponed"])
    done = run.objects_done - run.unavailable - run.failed - run.postponed
    summary = _(
        "Read %(total)d results from Meta: %(done)d up to date, %(unavailable)d unavailable, "
        "%(failed)d failed, %(postponed)d postponed."
    ) % {
        "total": run.objects_done,
        "done": max(done, 0),
        "unavailable": run.unavailable,
        "failed": run.failed,
        "postponed": run.postponed,
    }
    if run.objects_done == 0:
        summary = _("Nothing to read from Meta right now.")
    if stopped:
        summary += " " + _("Stopped after 6 hours; the rest waits for its next refresh.")
    lease.finish(message=summary, paused_accounts={})


def _postpone(
    lease: jobs.Lease[RefreshRun],
    run: RefreshRun,
    accounts: list[str],
    until: datetime,
    now: datetime,
) -> None:
    """Take paused accounts' objects out of the run: they are read at their next refresh."""
    words = _("Meta asked ProSocial to slow down; tried again from %(time)s UTC.") % {
        "time": until.strftime("%Y-%m-%d %H:%M")
    }
    with lease.owned():
        count = (
            remaining_objects(run)
            .filter(account_meta_id__in=accounts)
            .update(next_refresh_at=until, last_attempt_at=now, last_error=words, updated_at=now)
        )
        pauses = {k: v for k, v in run.paused_accounts.items() if k not in accounts}
        lease.update(
            objects_done=F("objects_done") + count,
            postponed=F("postponed") + count,
            paused_accounts=pauses,
        )
    run.paused_accounts = pauses
    run.refresh_from_db(fields=["objects_done", "postponed"])


# --- Reading ------------------------------------------------------------------------------------


def _read_batch(objects: list[InsightObject], meter: Meter, now: datetime) -> Batch:
    """Make the batch's Graph calls (no transaction, no lock held) and say what they found."""
    batch = Batch(account=objects[0].account_meta_id)
    if objects[0].kind in AD_KINDS:
        _read_ads(batch, objects, meter, now)
    else:
        _read_organic(batch, objects, meter, now)
    return batch


def token_for(obj: InsightObject) -> str:
    """Return the token that reads ``obj``: the Page's for Facebook, the connection's otherwise."""
    if obj.kind in (ObjectKind.FB_POST, ObjectKind.PAGE):
        if obj.page is None:
            raise MetaConnectionError(
                _("The Facebook Page is no longer connected. Reconnect Meta.")
            )
        return meta_services.page_token_for(page=obj.page)
    instagram = obj.kind in (ObjectKind.IG_MEDIA, ObjectKind.IG_ACCOUNT)
    asset = obj.instagram_account if instagram else obj.ad_account
    connection = asset.connection if asset is not None else None
    if connection is None or not connection.is_usable or not connection.access_token:
        raise MetaConnectionError(
            _("ProSocial has no working access to this account on Meta. Reconnect Meta.")
        )
    return connection.access_token


def _story_is_over(obj: InsightObject, now: datetime) -> bool:
    return (
        obj.media_product_type == "STORY"
        and obj.published_at is not None
        and now - obj.published_at >= schedule.STORY_LIFETIME
    )


def _read_organic(batch: Batch, objects: list[InsightObject], meter: Meter, now: datetime) -> None:
    try:
        token = token_for(objects[0])
    except MetaConnectionError as error:
        batch.results += [
            Result(o, "unavailable", availability=Availability.DISCONNECTED, problem=error.message)
            for o in objects
        ]
        return
    for index, obj in enumerate(objects):
        try:
            result, usage = _read_one(obj, token, meter, now)
        except GraphError as exc:
            if exc.is_throttled:
                _throttled(batch, exc)
                return
            result, usage = _failure(obj, exc), None
            if exc.is_auth:
                # The token is dead: the account's other objects would fail the same way.
                batch.results.append(result)
                batch.results += [_failure(o, exc) for o in objects[index + 1 :]]
                return
        batch.results.append(result)
        pace = schedule.pace(usage)
        if not pace.is_clear:
            batch.run_pause, batch.account_pause = pace.run, pace.account
            batch.pause_reason = _("Meta's usage headers say its call budget is nearly spent.")
            return


def _read_one(
    obj: InsightObject, token: str, meter: Meter, now: datetime
) -> tuple[Result, Usage | None]:
    kind = obj.kind
    if kind == ObjectKind.IG_MEDIA:
        names = metrics.IG_MEDIA_METRICS.get(obj.media_product_type or "FEED")
        found = graph.get_ig_media_insights(
            access_token=token,
            media_id=obj.insights_id,
            metrics=names or metrics.IG_MEDIA_METRICS["FEED"],
            on_call=meter,
        )
        return _lifetime(obj, found, metrics.ig_media_numbers(found), now), found.usage
    if kind == ObjectKind.FB_POST:
        if "_" not in obj.insights_id:
            post_id = _video_post_id(obj, token, meter)
            if not post_id:
                return (
                    Result(
                        obj,
                        "gone",
                        availability=Availability.NOT_SUPPORTED,
                        problem=_("Meta gives no post insights for this video."),
                    ),
                    None,
                )
            obj.graph_id = post_id
        found = graph.get_page_post_insights(
            page_access_token=token,
            post_id=obj.insights_id,
            metrics=metrics.POST_METRICS,
            on_call=meter,
        )
        return _lifetime(obj, found, metrics.fb_post_numbers(found), now), found.usage
    since, until = _organic_window(obj, now)
    if kind == ObjectKind.PAGE:
        found = graph.get_page_insights(
            page_access_token=token,
            page_id=obj.insights_id,
            metrics=metrics.PAGE_METRICS,
            since=since,
            until=until,
            on_call=meter,
        )
        rows = metrics.daily_numbers(found, metrics.PAGE_COLUMNS)
    else:
        found = graph.get_ig_account_insights(
            access_token=token,
            ig_user_id=obj.insights_id,
            metrics=metrics.IG_ACCOUNT_METRICS,
            since=since,
            until=until,
            on_call=meter,
        )
        rows = metrics.daily_numbers(found, metrics.IG_ACCOUNT_COLUMNS)
    rows = {day: numbers for day, numbers in rows.items() if not numbers.is_empty}
    return Result(obj, "fetched", rows=rows), found.usage


def _video_post_id(obj: InsightObject, token: str, meter: Meter) -> str:
    """Return the Page post of a Facebook video or reel (insights are read from the post)."""
    body = GraphClient(token, on_call=meter).get(f"/{obj.meta_id}", {"fields": "post_id"})
    return str(body.get("post_id") or "")


def _organic_window(obj: InsightObject, now: datetime) -> tuple[datetime, datetime]:
    """Return since/until for a Page's or Instagram account's daily values (UTC days)."""
    days = ACCOUNT_REFETCH_DAYS if obj.last_fetched_at else ACCOUNT_BACKFILL_DAYS
    today = now.astimezone(ZoneInfo("UTC")).replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - timedelta(days=days - 1)
    return since, today + timedelta(days=1) + ORGANIC_DAY_END_MARGIN


def _lifetime(obj: InsightObject, found: ObjectInsights, numbers: Numbers, now: datetime) -> Result:
    """Turn a post's lifetime read into a result (numbers, no numbers yet, or unavailable)."""
    if found.unavailable == graph.NOT_ENOUGH_VIEWERS:
        return Result(
            obj,
            "unavailable",
            availability=Availability.NOT_ENOUGH_VIEWERS,
            problem=_("Fewer than 5 accounts saw this story: Meta shows no numbers for it."),
            retry_in=schedule.NOT_ENOUGH_VIEWERS_RETRY,
        )
    if found.unavailable == graph.BEFORE_BUSINESS_CONVERSION:
        return Result(
            obj,
            "gone",
            availability=Availability.BEFORE_CONVERSION,
            problem=_(
                "Posted before the account became a professional account: Meta has no "
                "insights for it."
            ),
        )
    if numbers.is_empty and _story_is_over(obj, now):
        return Result(
            obj,
            "gone",
            availability=Availability.EXPIRED,
            problem=_("Meta keeps a story's insights for 24 hours only."),
        )
    day = _local_day(obj, now)
    if numbers.is_empty:
        return Result(obj, "fetched", rows={}, availability=Availability.NO_DATA)
    return Result(obj, "fetched", rows={day: numbers})


def _local_day(obj: InsightObject, now: datetime) -> date:
    try:
        zone = ZoneInfo(obj.workspace.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def _throttled(batch: Batch, exc: GraphError) -> None:
    wait = timedelta(seconds=exc.retry_after) if exc.retry_after else DEFAULT_THROTTLE_WAIT
    if exc.code in APP_THROTTLE_CODES:
        batch.run_pause = wait
    else:
        batch.account_pause = wait
    batch.pause_reason = explain(exc, about="insights").cause


def _words(exc: GraphError) -> str:
    explanation = explain(exc, about="insights")
    return f"{explanation.cause} {explanation.fix}".strip()


def _failure(obj: InsightObject, exc: GraphError) -> Result:
    """Say what a failed read means for the object: gone, unavailable for now, or failing."""
    if exc.code == 100 and exc.subcode == 33:
        outcome, availability = "gone", Availability.DELETED
    elif exc.is_permission:
        outcome, availability = "unavailable", Availability.PERMISSION_MISSING
    else:
        outcome, availability = "failed", Availability(obj.availability)
    return Result(
        obj,
        outcome,
        availability=availability,
        problem=_words(exc),
        code=exc.code,
        subcode=exc.subcode,
    )


# --- Ads ----------------------------------------------------------------------------------------


def _account_today(obj: InsightObject, now: datetime) -> date:
    name = obj.ad_account.timezone_name if obj.ad_account is not None else ""
    try:
        zone = ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def _ad_window_start(obj: InsightObject, today: date) -> date:
    if obj.last_fetched_at is not None:
        start = today - timedelta(days=AD_REFETCH_DAYS)
    elif obj.kind == ObjectKind.AD_ACCOUNT or obj.published_at is None:
        start = today - timedelta(days=AD_ACCOUNT_BACKFILL_DAYS - 1)
    else:
        start = obj.published_at.date() - timedelta(days=1)  # the account's day may lag UTC
    return max(start, today - timedelta(days=AD_MAX_HISTORY_DAYS))


def _row_id(row: graph.AdInsightsRow, level: str) -> str | None:
    if level == "account":
        return f"act_{row.account_id}" if row.account_id else None
    return {"campaign": row.campaign_id, "adset": row.adset_id, "ad": row.ad_id}[level]


def _read_ads(batch: Batch, objects: list[InsightObject], meter: Meter, now: datetime) -> None:
    try:
        token = token_for(objects[0])
    except MetaConnectionError as error:
        batch.results += [
            Result(o, "unavailable", availability=Availability.DISCONNECTED, problem=error.message)
            for o in objects
        ]
        return
    account = objects[0].account_meta_id
    today = _account_today(objects[0], now)
    reports = {
        r.level: r
        for r in AdReport.objects.filter(
            workspace_id=objects[0].workspace_id, ad_account_meta_id=account
        )
    }
    by_level: dict[str, list[InsightObject]] = defaultdict(list)
    for obj in objects:
        by_level[LEVELS[ObjectKind(obj.kind)]].append(obj)
    for level, members in by_level.items():
        since = min(_ad_window_start(o, today) for o in members)
        query = _AdQuery(token, account, level, since, today, meter, now)
        try:
            rows = _ad_rows(batch, query, reports.get(level), len(members))
        except GraphError as exc:
            if exc.is_throttled:
                _throttled(batch, exc)
                return
            batch.results += [_failure(o, exc) for o in members]
            if exc.is_auth:
                return
            continue
        if isinstance(rows, str):  # reports kept failing
            batch.results += [
                Result(
                    o, "failed", availability=o.availability, problem=rows, code=-2, subcode=2490547
                )
                for o in members
            ]
        elif rows is not None:  # None: a report Meta is still preparing; the account waits
            batch.results += _ad_results(members, rows, level)
        pace = schedule.pace(query.usage)
        if not pace.is_clear:
            batch.run_pause = max(batch.run_pause, pace.run)
            batch.account_pause = max(batch.account_pause, pace.account)
            batch.pause_reason = _("Meta's usage headers say its call budget is nearly spent.")
            return


def _ad_results(
    members: list[InsightObject], rows: Iterable[graph.AdInsightsRow], level: str
) -> list[Result]:
    """Share one level's rows out to its objects: one Numbers per object and day."""
    found: dict[str, dict[date, Numbers]] = defaultdict(dict)
    for row in rows:
        object_id = _row_id(row, level)
        if object_id is not None:
            found[object_id][row.date_start] = metrics.ad_numbers(row)
    results = []
    for obj in members:
        days = found.get(obj.meta_id, {})
        for numbers in days.values():
            numbers.values["currency"] = obj.currency
        # No row: no delivery in the window (Meta leaves such days out), not unavailable.
        seen = days or obj.availability == Availability.OK
        availability = Availability.OK if seen else Availability.NO_DATA
        results.append(Result(obj, "fetched", rows=days, availability=availability))
    return results


@dataclass
class _AdQuery:
    token: str
    account: str
    level: str
    since: date
    until: date
    meter: Meter
    now: datetime
    usage: Usage | None = None

    def params(self) -> dict[str, Any]:
        return {
            "access_token": self.token,
            "object_id": self.account,
            "fields": metrics.AD_FIELDS,
            "level": None if self.level == "account" else self.level,
            "since": self.since,
            "until": self.until,
            "time_increment": 1,
            "on_call": self.meter,
        }


def _ad_rows(
    batch: Batch, query: _AdQuery, report: AdReport | None, members: int
) -> tuple[graph.AdInsightsRow, ...] | str | None:
    """Return the rows of one level's query: synchronously, or through an async report.

    None: a report is under way (the account pauses until its next poll). A string: reports
    kept failing (the reason, in words).
    """
    rows_expected = members * ((query.until - query.since).days + 1)
    if report is None and rows_expected <= ASYNC_ROWS:
        try:
            result = graph.get_ad_insights(**query.params())
        except GraphError as exc:
            if not (exc.code == 100 and exc.subcode == 1504018):
                raise
            # Meta timed the query out: ask for it as a report instead (§4.7).
        else:
            query.usage = result.usage
            return result.rows
    return _report_rows(batch, query, report)


def _start_report(batch: Batch, query: _AdQuery, failures: int, error: str = "") -> None:
    params = query.params()
    started = graph.start_ad_insights_report(**params)
    query.usage = started.usage
    batch.reports[query.level] = {
        "report_run_id": started.id,
        "since": query.since,
        "until": query.until,
        "started_at": query.now,
        "next_poll_at": query.now + REPORT_POLL,
        "failures": failures,
        "last_error": error[:500],
    }
    _pause_account(batch, REPORT_POLL)


def _pause_account(batch: Batch, wait: timedelta) -> None:
    if not batch.account_pause or wait < batch.account_pause:
        batch.account_pause = wait
    batch.pause_reason = batch.pause_reason or _("Waiting for Meta to prepare a report.")


def _report_rows(
    batch: Batch, query: _AdQuery, report: AdReport | None
) -> tuple[graph.AdInsightsRow, ...] | str | None:
    if report is None or not report.report_run_id:
        _start_report(batch, query, report.failures if report else 0)
        return None
    query.since, query.until = report.since, report.until
    status = graph.get_ad_insights_report(
        access_token=query.token, report_run_id=report.report_run_id, on_call=query.meter
    )
    query.usage = status.usage
    failure = ""
    if status.is_completed:
        try:
            result = graph.read_ad_insights_report(
                access_token=query.token, report_run_id=report.report_run_id, on_call=query.meter
            )
        except GraphError as exc:
            if exc.code != -2:
                raise
            failure = _words(exc)
        else:
            query.usage = result.usage or query.usage
            batch.reports[query.level] = None  # done: the next big query starts a new one
            return result.rows
    elif status.is_failed:
        failure = _("Meta's report failed (%(status)s).") % {"status": status.status}
    elif report.started_at is not None and query.now - report.started_at > REPORT_TIMEOUT:
        failure = _("Meta's report did not finish within 30 minutes.")
    if not failure:
        batch.reports[query.level] = {"next_poll_at": query.now + REPORT_POLL}
        _pause_account(batch, REPORT_POLL)
        return None
    failures = report.failures + 1
    logger.warning("ads report %s failed (%d): %s", report.report_run_id, failures, failure)
    if failures >= MAX_REPORT_FAILURES:
        batch.reports[query.level] = None
        return _("Meta's ads report failed %(n)d times in a row: %(why)s") % {
            "n": failures,
            "why": failure,
        }
    # A failed run never completes: start a new one (§4.7).
    query.since = min(report.since, query.since)
    _start_report(batch, query, failures, failure)
    return None


# --- Writing ------------------------------------------------------------------------------------


def _write_batch(
    lease: jobs.Lease[RefreshRun], run: RefreshRun, batch: Batch, *, calls: int, now: datetime
) -> None:
    """Store the batch's numbers and the objects' states, and count them, in one transaction."""
    counts: dict[str, int] = defaultdict(int)
    for result in batch.results:
        _expire_story(result, now)
        counts[result.outcome] += 1
    pauses = dict(run.paused_accounts or {})
    if batch.account_pause:
        pauses[batch.account] = (now + batch.account_pause).isoformat()
    done = run.objects_done + len(batch.results)
    total = max(run.objects_total, done, 1)
    with lease.owned():
        written, wrote_numbers = _store_snapshots(batch.results, now)
        for result in batch.results:
            _apply(result, now, wrote_numbers=result.obj.pk in wrote_numbers)
        if batch.results:
            update_rows(InsightObject, OBJECT_STATE_FIELDS, [r.obj for r in batch.results])
        _save_reports(run, batch, now)
        lease.update(
            objects_done=F("objects_done") + len(batch.results),
            snapshots_written=F("snapshots_written") + written,
            unavailable=F("unavailable") + counts["unavailable"] + counts["gone"],
            failed=F("failed") + counts["failed"],
            calls_made=F("calls_made") + calls,
            paused_accounts=pauses,
            progress=min(99, int(100 * done / total)),
            message=_("Read %(done)d of %(total)d results from Meta…")
            % {"done": done, "total": total},
        )
    run.paused_accounts = pauses
    run.objects_done = done


def _save_reports(run: RefreshRun, batch: Batch, now: datetime) -> None:
    """Record the batch's async reports: started or polled (kept), done or given up (deleted)."""
    for level, fields in batch.reports.items():
        rows = AdReport.objects.filter(
            workspace_id=run.workspace_id, ad_account_meta_id=batch.account, level=level
        )
        if fields is None:
            rows.delete()
        elif "since" in fields:
            AdReport.objects.update_or_create(
                workspace_id=run.workspace_id,
                ad_account_meta_id=batch.account,
                level=level,
                defaults={**fields, "updated_at": now},
            )
        else:
            rows.update(**fields, updated_at=now)


OBJECT_STATE_FIELDS = [
    "graph_id",
    "state",
    "availability",
    "next_refresh_at",
    "last_attempt_at",
    "last_fetched_at",
    "last_changed_at",
    "unchanged_fetches",
    "failures",
    "last_digest",
    "last_error",
    "error_code",
    "error_subcode",
    "updated_at",
]


def _is_story(obj: InsightObject) -> bool:
    return obj.media_product_type == "STORY"


def _expire_story(result: Result, now: datetime) -> None:
    """Stop a story for good once its 24 hours are over and Meta shows nothing for it."""
    if result.outcome == "unavailable" and _story_is_over(result.obj, now):
        result.outcome = "gone"
        result.availability = Availability.EXPIRED
        result.problem = _("Meta keeps a story's insights for 24 hours only.")


def _apply(result: Result, now: datetime, *, wrote_numbers: bool) -> None:
    """Set the object's refresh state from what its read found (in memory; saved in bulk).

    A post's read changed something when its totals differ from the last read's (digest); an
    account's or ad's when a day's numbers were written (a new day, or a day that moved).
    """
    obj = result.obj
    obj.last_attempt_at = now
    obj.updated_at = now
    obj.availability = result.availability
    if result.outcome == "fetched":
        if obj.kind in POST_KINDS:
            digest = _digest(result.rows)
            changed = digest != obj.last_digest
            obj.last_digest = digest
        else:
            changed = wrote_numbers
        obj.unchanged_fetches = 0 if changed else min(obj.unchanged_fetches + 1, 1000)
        if changed:
            obj.last_changed_at = now
        obj.last_fetched_at = now
        obj.failures = 0
        obj.last_error = ""
        obj.error_code = obj.error_subcode = None
        obj.next_refresh_at = schedule.next_refresh(
            is_account=obj.kind in ACCOUNT_KINDS,
            is_ad=obj.kind in AD_KINDS,
            is_story=_is_story(obj),
            published_at=obj.published_at,
            unchanged_fetches=obj.unchanged_fetches,
            now=now,
        )
        obj.state = State.ACTIVE if obj.next_refresh_at is not None else State.SETTLED
        return
    obj.last_error = result.problem[:500]
    obj.error_code, obj.error_subcode = result.code, result.subcode
    if result.outcome == "gone":
        obj.state = State.GONE
        obj.next_refresh_at = None
        return
    if result.outcome == "unavailable":
        obj.state = State.UNAVAILABLE
        obj.next_refresh_at = now + (result.retry_in or schedule.UNAVAILABLE_RETRY)
        return
    obj.failures = min(obj.failures + 1, 1000)
    obj.state = State.FAILING
    obj.next_refresh_at = schedule.retry_after_failure(obj.failures, now=now)


def _digest(rows: dict[date, Numbers]) -> str:
    merged = Numbers(extra={str(day): numbers.digest() for day, numbers in sorted(rows.items())})
    return merged.digest()


SNAPSHOT_FIELDS = [
    *METRIC_FIELDS,
    "currency",
    "extra",
    "availability",
    "date_start",
    "date_stop",
    "fetched_at",
]


def _snapshot_values(numbers: Numbers) -> dict[str, Any]:
    values = {name: numbers.values.get(name) for name in METRIC_FIELDS}
    values["currency"] = numbers.values.get("currency") or ""
    values["extra"] = numbers.extra
    values["date_start"] = numbers.date_start
    values["date_stop"] = numbers.date_stop
    return values


def update_rows(model: type[Model], fields: list[str], rows: list[Any]) -> None:
    """Save ``fields`` of ``rows`` with one parametrised UPDATE sent for all of them.

    Django's ``bulk_update`` builds one CASE expression per field and row, which cost more
    than the Graph calls themselves here (bench/insights_refresh.py); ``executemany`` sends
    the same statement with each row's values (one round trip with psycopg's pipelining).
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    by_name = {field.name: field for field in model._meta.concrete_fields}
    columns = [by_name[name] for name in fields]
    assignments = ", ".join(f"{quote(str(column.column))} = %s" for column in columns)
    table, key = quote(model._meta.db_table), quote(str(by_name["id"].column))
    # Names come from the model, values go as parameters.
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608
    params = [
        [column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _store_snapshots(results: Iterable[Result], now: datetime) -> tuple[int, set[int]]:
    """Upsert the results' snapshots keyed (object, metric set, day).

    Return how many rows were written, and the objects whose numbers were (created or
    changed). A row whose numbers did not
    change is not written. A post's "unavailable" or "no numbers yet" row is written only for a
    day that has no numbers: it never hides numbers already read.
    """
    wanted: dict[tuple[int, str, date], tuple[InsightObject, dict[str, Any]]] = {}
    for result in results:
        obj = result.obj
        metric_set = MetricSet.LIFETIME if obj.kind in POST_KINDS else MetricSet.DAILY
        for day, numbers in result.rows.items():
            values = _snapshot_values(numbers)
            values["availability"] = Availability.OK
            wanted[(obj.pk, metric_set, day)] = (obj, values)
        if metric_set == MetricSet.LIFETIME and not result.rows and result.outcome != "failed":
            blank: dict[str, Any] = dict.fromkeys(METRIC_FIELDS)
            blank.update(currency="", extra={}, date_start=None, date_stop=None)
            blank["availability"] = (
                result.availability
                if result.availability != Availability.OK
                else Availability.NO_DATA
            )
            wanted[(obj.pk, metric_set, _local_day(obj, now))] = (obj, blank)
    if not wanted:
        return 0, set()
    days = [key[2] for key in wanted]
    existing = {
        (row.source_id, row.metric_set, row.day): row
        for row in InsightSnapshot.objects.filter(
            source_id__in={key[0] for key in wanted}, day__gte=min(days), day__lte=max(days)
        )
    }
    creates, updates = [], []
    numbers_of: set[int] = set()
    for key, (obj, values) in wanted.items():
        row = existing.get(key)
        has_numbers = values["availability"] == Availability.OK
        if row is None:
            if has_numbers:
                numbers_of.add(obj.pk)
            creates.append(
                InsightSnapshot(
                    workspace_id=obj.workspace_id,
                    source=obj,
                    metric_set=key[1],
                    day=key[2],
                    fetched_at=now,
                    **values,
                )
            )
            continue
        if values["availability"] != Availability.OK and row.availability == Availability.OK:
            continue  # never hide numbers already read
        if all(getattr(row, name) == value for name, value in values.items()):
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.fetched_at = now
        updates.append(row)
        if has_numbers:
            numbers_of.add(obj.pk)
    if creates:
        InsightSnapshot.objects.bulk_create(creates, batch_size=500)
    if updates:
        update_rows(InsightSnapshot, SNAPSHOT_FIELDS, updates)
    return len(creates) + len(updates), numbers_of


def summary_counts(run: RefreshRun) -> dict[str, int]:
    """Return a run's counts for its status (what was read, unavailable, failed, calls)."""
    return {
        "objects_total": run.objects_total,
        "objects_done": run.objects_done,
        "snapshots_written": run.snapshots_written,
        "unavailable": run.unavailable,
        "failed": run.failed,
        "postponed": run.postponed,
        "calls_made": run.calls_made,
    }
