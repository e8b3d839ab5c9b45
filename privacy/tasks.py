"""Celery entry points for privacy jobs (thin wrappers around one service call each)."""

from privacy import exports, retention, services
from prosocial.jobs import job_task


@job_task(name="privacy.erase_deletion_request", queue="default")
def erase_deletion_request_task(request_id: int) -> None:
    services.erase_deletion_request(request_id=request_id)


@job_task(name="privacy.build_data_export", queue="default")
def build_data_export_task(export_id: int) -> None:
    exports.build_data_export(export_id=export_id)


@job_task(name="privacy.sweep_privacy_jobs", queue="default", frequent=True)
def sweep_privacy_jobs_task() -> None:
    services.sweep_privacy_jobs()


@job_task(name="privacy.apply_retention", queue="default")
def apply_retention_task() -> None:
    retention.apply_retention()
