"""The refresh schedule and the pace read from Meta's usage headers (pure: insights.schedule)."""

from datetime import UTC, datetime, timedelta

import pytest

from insights import schedule
from insights.schedule import Pace, next_refresh, pace, retry_after_failure
from meta_integration.graph import Usage, UsageReading

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def post(age: timedelta, unchanged: int = 0, **kinds) -> datetime | None:
    return next_refresh(
        is_account=False, published_at=NOW - age, unchanged_fetches=unchanged, now=NOW, **kinds
    )


@pytest.mark.parametrize(
    ("age", "wait"),
    [
        (timedelta(0), 30 * MINUTE),
        (5 * HOUR, 30 * MINUTE),
        (DAY - MINUTE, 30 * MINUTE),
        (DAY, 3 * HOUR),
        (6 * DAY, 3 * HOUR),
        (7 * DAY, DAY),
        (60 * DAY, DAY),
    ],
)
def test_a_post_is_read_often_while_fresh_then_every_few_hours_then_daily(age, wait):
    assert post(age) == NOW + wait


def test_a_post_settles_after_three_quiet_reads_once_two_days_old():
    assert post(3 * DAY, unchanged=2) == NOW + 3 * HOUR
    assert post(3 * DAY, unchanged=3) is None
    assert post(20 * DAY, unchanged=5) is None


def test_quiet_reads_in_the_first_two_days_prove_nothing():
    # Meta's numbers lag up to 48 hours (GRAPH_NOTES §10.1): a quiet start is not "settled".
    assert post(2 * HOUR, unchanged=10) == NOW + 30 * MINUTE
    assert post(DAY + HOUR, unchanged=10) == NOW + 3 * HOUR


def test_age_caps_stop_posts_ads_and_stories():
    assert post(schedule.MAX_POST_AGE) is None
    assert post(schedule.MAX_POST_AGE - MINUTE) == NOW + DAY
    assert post(schedule.MAX_POST_AGE, is_ad=True) == NOW + DAY  # a long-running ad goes on
    assert post(schedule.MAX_AD_AGE, is_ad=True) is None
    assert post(23 * HOUR, is_story=True) == NOW + 30 * MINUTE
    assert post(24 * HOUR, is_story=True) is None  # Meta keeps story insights for 24 h


def test_a_post_without_a_publish_time_counts_as_fresh():
    assert next_refresh(is_account=False, published_at=None, unchanged_fetches=9, now=NOW) == (
        NOW + 30 * MINUTE
    )


def test_accounts_never_settle_but_slow_down_when_quiet():
    def account(unchanged: int) -> datetime | None:
        return next_refresh(
            is_account=True, published_at=None, unchanged_fetches=unchanged, now=NOW
        )

    assert account(0) == NOW + 3 * HOUR
    assert account(2) == NOW + 3 * HOUR
    assert account(3) == NOW + DAY
    assert account(100) == NOW + DAY


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(1, 15 * MINUTE), (2, 30 * MINUTE), (3, HOUR), (6, 8 * HOUR), (7, 16 * HOUR), (8, DAY)],
)
def test_failures_back_off_to_a_day(failures, wait):
    assert retry_after_failure(failures, now=NOW) == NOW + wait
    assert retry_after_failure(1000, now=NOW) == NOW + DAY


# --- pace ----------------------------------------------------------------------------------------


def reading(scope: str, percent: float, **fields) -> UsageReading:
    return UsageReading("x-test", scope, percent, **fields)


def test_no_headers_or_low_usage_means_go_on():
    assert pace(None) == Pace()
    assert pace(Usage()).is_clear
    assert pace(Usage((reading("app", 40), reading("business_use_case", 74.9)))).is_clear


def test_an_accounts_budget_pauses_that_account_only():
    slow = pace(Usage((reading("app", 10), reading("business_use_case", 80, object_id="17841"))))
    high = pace(Usage((reading("ad_account", 95),)))

    assert slow == Pace(run=timedelta(0), account=schedule.SLOW_PAUSE)
    assert high == Pace(run=timedelta(0), account=schedule.HIGH_PAUSE)


def test_the_apps_budget_pauses_the_whole_run():
    assert pace(Usage((reading("app", 76),))) == Pace(run=schedule.SLOW_PAUSE)
    assert pace(Usage((reading("app", 100),))) == Pace(run=schedule.HIGH_PAUSE)


def test_a_wait_meta_states_wins_over_percentages():
    usage = Usage(
        (
            reading("business_use_case", 100, regain_seconds=420.0),
            reading("ad_account", 20, regain_seconds=60.0),
            reading("app", 5),
        ),
        retry_after=None,
    )

    assert pace(usage) == Pace(run=timedelta(0), account=timedelta(seconds=420))
    assert pace(Usage((reading("app", 5),), retry_after=90.0)).run == timedelta(seconds=90)
