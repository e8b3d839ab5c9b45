"""Celery entry points for privacy jobs."""

from privacy import services
from prosocial.jobs import job_task


@job_task(name="privacy.erase_deletion_request", queue="default")
def erase_deletion_request_task(request_id: int) -> None:
    services.erase_deletion_request(request_id=request_id)


@job_task(name="privacy.requeue_stalled_deletion_requests", queue="default")
def requeue_stalled_deletion_requests_task() -> None:
    services.requeue_stalled_deletion_requests()
