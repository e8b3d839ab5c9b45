"""Celery entry points for the Meta connection."""

from meta_integration import services
from prosocial.jobs import job_task


@job_task(name="meta_integration.check_all_meta_connections", queue="default")
def check_all_meta_connections_task() -> None:
    services.check_all_meta_connections()
