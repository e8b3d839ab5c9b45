"""Celery entry points for accounts."""

from accounts import services
from prosocial.jobs import job_task


@job_task(name="accounts.expire_invitations", queue="default")
def expire_invitations_task() -> None:
    services.expire_invitations()
