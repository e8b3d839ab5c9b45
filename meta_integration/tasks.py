"""Celery entry points for the Meta connection: wake-up calls that take ids only."""

from meta_integration import services
from prosocial.jobs import job_task


@job_task(name="meta_integration.check_all_meta_connections", queue="default")
def check_all_meta_connections_task() -> None:
    services.check_all_meta_connections()


@job_task(name="meta_integration.sync_page_subscription", queue="default")
def sync_page_subscription_task(subscription_id: int) -> None:
    services.sync_page_subscription(subscription_id=subscription_id)


@job_task(name="meta_integration.sweep_page_subscriptions", queue="default", frequent=True)
def sweep_page_subscriptions_task() -> None:
    """Beat: subscription jobs whose worker died or whose message was lost are queued again."""
    services.sweep_page_subscriptions()
