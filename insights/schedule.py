"""When to read an object's numbers again, and how fast Meta lets us: pure functions, no I/O.

**Schedule** (``next_refresh``), following how Meta's numbers settle:

- a post or ad in its first day: every 30 minutes (most of an organic post's audience comes in
  its first hours);
- then every 3 hours until it is a week old, then daily;
- it *settles* (no more scheduled reads) once ``SETTLE_AFTER`` reads in a row changed nothing,
  but not before it is ``MIN_SETTLE_AGE`` old: Meta's numbers can lag up to 48 hours
  (GRAPH_NOTES §10.1), so a quiet first day proves nothing;
- and it stops at an age cap whatever happens: ``MAX_POST_AGE`` for posts, ``MAX_AD_AGE`` for
  ads (a long-running ad keeps spending), ``STORY_LIFETIME`` for stories (Meta keeps story
  insights for 24 hours only);
- a Page, Instagram account or ad account never settles (each day brings a new day): every
  ``ACCOUNT_INTERVAL``, daily once reads stop changing anything.

Failures back off (``retry_after_failure``); an object Meta shows no numbers for (a permission
missing, a story with too few viewers) is tried again after ``UNAVAILABLE_RETRY``.

**Pace** (``pace``), from the usage headers of Meta's last answer (GRAPH_NOTES §5.4): a wait Meta
states (``Usage.wait_seconds``) is honoured; a budget above ``HIGH_PERCENT`` pauses its callers
for ``HIGH_PAUSE``, one above ``SLOW_PERCENT`` for ``SLOW_PAUSE``. App-wide budgets pause a whole
run, per-object budgets (an ad account's, a Page's, an Instagram account's) that account only.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from meta_integration.graph import Usage, UsageReading

FRESH_AGE = timedelta(days=1)
FRESH_INTERVAL = timedelta(minutes=30)
WEEK_AGE = timedelta(days=7)
WEEK_INTERVAL = timedelta(hours=3)
DAILY_INTERVAL = timedelta(days=1)
SETTLE_AFTER = 3  # reads in a row that changed nothing
MIN_SETTLE_AGE = timedelta(days=2)
MAX_POST_AGE = timedelta(days=90)
MAX_AD_AGE = timedelta(days=365)
STORY_LIFETIME = timedelta(hours=24)
ACCOUNT_INTERVAL = timedelta(hours=3)
QUIET_ACCOUNT_INTERVAL = timedelta(days=1)
UNAVAILABLE_RETRY = timedelta(days=1)
NOT_ENOUGH_VIEWERS_RETRY = timedelta(hours=2)
FIRST_FAILURE_RETRY = timedelta(minutes=15)
MAX_FAILURE_RETRY = timedelta(days=1)

HIGH_PERCENT = 90.0
SLOW_PERCENT = 75.0
HIGH_PAUSE = timedelta(minutes=5)
SLOW_PAUSE = timedelta(seconds=30)


def next_refresh(
    *,
    is_account: bool,
    is_ad: bool = False,
    is_story: bool = False,
    published_at: datetime | None,
    unchanged_fetches: int,
    now: datetime,
) -> datetime | None:
    """Return when to read the object again after a successful read at ``now``; None: settled."""
    if is_account:
        quiet = unchanged_fetches >= SETTLE_AFTER
        return now + (QUIET_ACCOUNT_INTERVAL if quiet else ACCOUNT_INTERVAL)
    age = now - (published_at or now)
    cap = STORY_LIFETIME if is_story else MAX_AD_AGE if is_ad else MAX_POST_AGE
    if age >= cap:
        return None
    if unchanged_fetches >= SETTLE_AFTER and age >= MIN_SETTLE_AGE:
        return None
    if age < FRESH_AGE:
        interval = FRESH_INTERVAL
    elif age < WEEK_AGE:
        interval = WEEK_INTERVAL
    else:
        interval = DAILY_INTERVAL
    return now + interval


def retry_after_failure(failures: int, *, now: datetime) -> datetime:
    """Return when to try again after ``failures`` failed reads in a row: 15 min, 30 min … 1 day."""
    delay = FIRST_FAILURE_RETRY * 2 ** max(0, min(failures - 1, 10))
    return now + min(delay, MAX_FAILURE_RETRY)


@dataclass(frozen=True)
class Pace:
    """How long to leave Meta alone: the whole app (``run``) and the called account."""

    run: timedelta = timedelta(0)
    account: timedelta = timedelta(0)

    @property
    def is_clear(self) -> bool:
        return not (self.run or self.account)


def _pause(readings: list[UsageReading], explicit: float | None) -> timedelta:
    waits = [r.regain_seconds for r in readings if r.regain_seconds]
    if explicit:
        waits.append(explicit)
    if waits:
        return timedelta(seconds=max(waits))
    percent = max((r.percent for r in readings), default=0.0)
    if percent >= HIGH_PERCENT:
        return HIGH_PAUSE
    if percent >= SLOW_PERCENT:
        return SLOW_PAUSE
    return timedelta(0)


def pace(usage: Usage | None) -> Pace:
    """Return how long Meta's last answer asks us to wait before the next calls (0: go on).

    ``app`` readings (``X-App-Usage``, the insights app figure) concern every call the app
    makes; the others (business use case, ad account) the account just called.
    """
    if usage is None:
        return Pace()
    app = [r for r in usage.readings if r.scope == "app"]
    account = [r for r in usage.readings if r.scope != "app"]
    return Pace(run=_pause(app, usage.retry_after), account=_pause(account, None))
