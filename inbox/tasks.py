"""Celery entry points for the inbox (ids in, one service call each)."""

from inbox import ingest
from prosocial.jobs import job_task


@job_task(name="inbox.process_webhook_event", queue="default")
def process_webhook_event_task(event_id: int) -> None:
    ingest.process_webhook_event(event_id=event_id)


@job_task(name="inbox.sweep_webhook_events", queue="default", frequent=True)
def sweep_webhook_events_task() -> None:
    """Beat, every 15 s: queue webhook events left unprocessed."""
    ingest.sweep_webhook_events()
