"""Celery entry points for accounts."""

from accounts import services, sessions
from prosocial.jobs import job_task


@job_task(name="accounts.expire_invitations", queue="default")
def expire_invitations_task() -> None:
    services.expire_invitations()


@job_task(name="accounts.purge_expired_sessions", queue="default")
def purge_expired_sessions_task() -> None:
    sessions.purge_expired_sessions()


@job_task(name="accounts.email_notification", queue="default")
def email_notification_task(notification_id: int) -> None:
    services.email_notifications(notification_ids=[notification_id])
