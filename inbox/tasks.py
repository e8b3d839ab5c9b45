"""Celery entry points for the inbox (ids in, one service call each)."""

from inbox import assist, ingest, reconcile, replies
from prosocial.jobs import job_task


@job_task(name="inbox.process_webhook_event", queue="default")
def process_webhook_event_task(event_id: int) -> None:
    ingest.process_webhook_event(event_id=event_id)


@job_task(name="inbox.process_webhook_events", queue="default")
def process_webhook_events_task(event_ids: list[int]) -> None:
    """Run the jobs of the events one webhook delivery stored, each as its own job."""
    ingest.process_webhook_events(event_ids=event_ids)


@job_task(name="inbox.sweep_webhook_events", queue="default", frequent=True)
def sweep_webhook_events_task() -> None:
    """Beat, every 15 s: queue webhook events left unprocessed."""
    ingest.sweep_webhook_events()


@job_task(name="inbox.run_reply", queue="publish")
def run_reply_task(reply_id: int) -> None:
    replies.run_reply(reply_id=reply_id)


@job_task(name="inbox.sweep_replies", queue="publish", frequent=True)
def sweep_replies_task() -> None:
    """Beat, every 15 s: queue replies left behind; adopt echoes of unconfirmed replies."""
    replies.sweep_replies()


@job_task(name="inbox.run_assist_job", queue="default", soft_time_limit=300, time_limit=330)
def run_assist_job_task(job_id: int) -> None:
    """Run an AI summary or reply drafts (inbox.assist); OpenAI's calls and retries fit in 300 s."""
    assist.run_assist_job(job_id=job_id)


@job_task(name="inbox.sweep_assist_jobs", queue="default", frequent=True)
def sweep_assist_jobs_task() -> None:
    """Beat, every 15 s: queue assist jobs whose worker died or whose message was lost."""
    assist.sweep_assist_jobs()


@job_task(name="inbox.run_sync", queue="default")
def run_sync_task(run_id: int) -> None:
    reconcile.run_sync(run_id=run_id)


@job_task(name="inbox.plan_reconciles", queue="default")
def plan_reconciles_task() -> None:
    """Beat, every 15 minutes: a reconcile (or a first backfill) for every selected account."""
    reconcile.plan_reconciles()


@job_task(name="inbox.sweep_sync_runs", queue="default", frequent=True)
def sweep_sync_runs_task() -> None:
    """Beat, every minute: queue sync runs left behind (lost messages, dead workers)."""
    reconcile.sweep_sync_runs()


@job_task(name="inbox.fetch_mention_details", queue="default")
def fetch_mention_details_task(message_id: int) -> None:
    reconcile.fetch_mention_details(message_id=message_id)


@job_task(name="inbox.fetch_contact_name", queue="default")
def fetch_contact_name_task(thread_id: int) -> None:
    reconcile.fetch_contact_name(thread_id=thread_id)
