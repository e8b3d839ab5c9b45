"""Async ads reports (GRAPH_NOTES §4.7): large queries, failed runs and their recovery.

The sandbox answers a synchronous ads query larger than ``insights_sync_row_limit`` rows with
100/1504018 (Meta's timeout), makes a report run take ``insights_report_seconds`` of its clock,
and fails the next ``insights_fail_next_reports`` runs half way (*Job Failed*).
"""

from decimal import Decimal

from insights import collect
from insights.models import (
    AD_KINDS,
    AdReport,
    InsightObject,
    InsightSnapshot,
    ObjectKind,
    RefreshRun,
)
from tests.insights.conftest import HOUR, drive, publish_ad, refresh

Status = RefreshRun.Status


def report_posts(sandbox) -> int:
    """How many report runs were started (POST …/insights)."""
    return sum(1 for r in sandbox.state.requests if r.method == "POST" and "/insights" in r.path)


def ad_objects() -> int:
    return InsightObject.objects.filter(kind__in=AD_KINDS).count()


def ad_rows(publication) -> list[InsightSnapshot]:
    source = InsightObject.objects.get(kind=ObjectKind.AD, meta_id=publication.remote_id)
    return list(InsightSnapshot.objects.filter(source=source).order_by("day"))


def test_a_query_meta_times_out_is_read_through_a_report(connected, sandbox):
    # Every ads query times out, whatever days its range covers: with a limit of 1, a range of
    # one day (one row a level) went through synchronously, and the test failed after 00:00 UTC.
    sandbox.state.update_settings(insights_sync_row_limit=0)
    ad = publish_ad(connected, sandbox)
    sandbox.state.advance_clock(12 * HOUR)
    run = collect.queue_refresh_run(workspace_id=connected.workspace_id, full=True)
    collect.run_refresh(run_id=run.pk)
    run.refresh_from_db()

    # The ad account's levels wait for their reports; the run waits with them.
    reports = AdReport.objects.filter(workspace=connected.workspace)
    assert reports.count() == 4  # account, campaign, ad set, ad
    assert all(r.report_run_id and r.failures == 0 for r in reports)
    assert run.status in RefreshRun.ACTIVE
    assert run.next_attempt_at is not None
    done = drive(run, sandbox)

    assert (done.status, done.failed) == (Status.SUCCEEDED, 0)
    assert not AdReport.objects.exists()  # read and dropped
    rows = ad_rows(ad)
    assert rows
    assert all(isinstance(row.spend, Decimal) for row in rows)
    assert report_posts(sandbox) == 4


def test_a_report_meta_failed_is_started_again_and_read(connected, sandbox, monkeypatch):
    monkeypatch.setattr(collect, "ASYNC_ROWS", 0)  # every ads query large enough for a report
    sandbox.state.update_settings(insights_fail_next_reports=1)
    ad = publish_ad(connected, sandbox)
    sandbox.state.advance_clock(12 * HOUR)

    done = refresh(connected, sandbox)

    assert (done.status, done.failed) == (Status.SUCCEEDED, 0)
    # One report per ad account and level (the ad's four, the two other accounts'); the
    # one that failed was started once more.
    assert report_posts(sandbox) == ad_objects() + 1
    assert ad_rows(ad)
    assert not AdReport.objects.exists()


def test_reports_that_keep_failing_fail_the_objects_and_the_next_refresh_recovers(
    connected, sandbox, monkeypatch
):
    monkeypatch.setattr(collect, "ASYNC_ROWS", 0)  # every ads query large enough for a report
    sandbox.state.update_settings(insights_fail_next_reports=100)
    ad = publish_ad(connected, sandbox)
    sandbox.state.advance_clock(12 * HOUR)

    failed = refresh(connected, sandbox)

    assert failed.status == Status.SUCCEEDED  # the run ends; its objects say what went wrong
    assert failed.failed == ad_objects() == 6
    source = InsightObject.objects.get(kind=ObjectKind.AD, meta_id=ad.remote_id)
    assert source.state == InsightObject.State.FAILING
    assert (source.error_code, source.error_subcode) == (-2, 2490547)
    assert "failed 3 times in a row" in source.last_error
    assert not InsightSnapshot.objects.filter(source=source).exists()  # nothing, not zeros
    assert not AdReport.objects.exists()  # dropped: the next refresh starts afresh
    assert report_posts(sandbox) == ad_objects() * collect.MAX_REPORT_FAILURES

    sandbox.state.update_settings(insights_fail_next_reports=0)
    recovered = refresh(connected, sandbox)

    source.refresh_from_db()
    assert recovered.failed == 0
    assert (source.state, source.failures, source.last_error) == ("active", 0, "")
    assert ad_rows(ad)
