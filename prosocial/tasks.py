"""Celery entry points for cross-cutting jobs."""

from prosocial import health
from prosocial.jobs import job_task


@job_task(name="prosocial.record_worker_heartbeat", queue="default", frequent=True)
def record_worker_heartbeat_task() -> None:
    health.record_worker_heartbeat()
