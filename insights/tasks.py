"""Celery entry points for collecting results (ids in, one service call each)."""

from insights import collect, privacy
from prosocial.jobs import job_task


@job_task(name="insights.run_refresh", queue="default")
def run_refresh_task(run_id: int) -> None:
    collect.run_refresh(run_id=run_id)


@job_task(name="insights.plan_refreshes", queue="default", frequent=True)
def plan_refreshes_task() -> None:
    """Beat, every minute: track new posts, ads and accounts; queue runs where objects are due."""
    collect.plan_refreshes()


@job_task(name="insights.sweep_refresh_runs", queue="default", frequent=True)
def sweep_refresh_runs_task() -> None:
    """Beat, every minute: queue refresh runs left behind (lost messages, dead workers)."""
    collect.sweep_refresh_runs()


@job_task(name="insights.apply_retention", queue="default")
def apply_retention_task() -> None:
    """Beat, nightly: remove results older than the fixed retention, and old finished runs."""
    privacy.apply_insights_retention()
