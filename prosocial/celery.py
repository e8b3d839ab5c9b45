"""The Celery application. Every periodic job is declared here, with when and why."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prosocial.settings")

app = Celery("prosocial")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every 30 s: proves to /healthz and the operator that a worker is consuming the queue.
    "record-worker-heartbeat": {
        "task": "prosocial.record_worker_heartbeat",
        "schedule": 30.0,
    },
    # Every 6 hours: ask Meta about every connection's token, so admins hear about expiring or
    # revoked access days before a scheduled post would fail (Meta tokens last ~60 days).
    "check-meta-connections": {
        "task": "meta_integration.check_all_meta_connections",
        "schedule": 6 * 60.0 * 60,
    },
    # The job sweepers (prosocial.jobs.sweep, docs/jobs.md) run every 15 s: with leases of
    # JOB_LEASE_SECONDS (45 s) a dead worker's job is back in the queue within a minute.
    # Transcodes whose worker died (lease expired) are queued again, and work folders that
    # dead workers left are removed.
    "requeue-stalled-transcodes": {
        "task": "creatives.requeue_stalled_transcodes",
        "schedule": 15.0,
    },
    # Every 15 minutes: direct uploads started but never completed (pending for longer than
    # the signed upload URL's 15 minutes plus an hour) lose their bucket object and their row.
    "remove-abandoned-direct-uploads": {
        "task": "creatives.remove_abandoned_direct_uploads",
        "schedule": 15 * 60.0,
    },
    # Edit renders (#17) whose worker died or whose message was lost.
    "sweep-edit-renders": {
        "task": "creatives.editor.sweep_renders",
        "schedule": 15.0,
    },
    # AI generation jobs whose worker died (lease expired) or that no worker picked up.
    "sweep-generation-jobs": {
        "task": "creatives.sweep_generation_jobs",
        "schedule": 15.0,
    },
    # Deletion requests and exports whose worker died are picked up again (Meta expects
    # erasure to start right away); export archives past their link's expiry go.
    "sweep-privacy-jobs": {
        "task": "privacy.sweep_privacy_jobs",
        "schedule": 15.0,
    },
    # Every 15 s: scheduled publications whose time came, and publish jobs whose worker died
    # (lease expired) or whose wait for Meta's processing ended, are queued.
    "sweep-publications": {
        "task": "publishing.sweep_publications",
        "schedule": 15.0,
    },
    # Every minute: Page webhook subscription jobs whose worker died or whose message was lost
    # (meta_integration.services.sync_page_subscription) are queued again.
    "sweep-page-subscriptions": {
        "task": "meta_integration.sweep_page_subscriptions",
        "schedule": 60.0,
    },
    # Every 15 s: Meta webhook events still waiting to be turned into inbox threads (a lost
    # message, a dead worker, events stored while no worker ran) are queued.
    "sweep-webhook-events": {
        "task": "inbox.sweep_webhook_events",
        "schedule": 15.0,
    },
    # Every 15 s: inbox replies whose worker died or whose message was lost are queued again;
    # unconfirmed replies (a lost answer from Meta) adopt the echo that came meanwhile.
    "sweep-inbox-replies": {
        "task": "inbox.sweep_replies",
        "schedule": 15.0,
    },
    # Every 15 s: AI summaries and reply drafts (inbox.assist) whose worker died or whose
    # message was lost are queued again.
    "sweep-assist-jobs": {
        "task": "inbox.sweep_assist_jobs",
        "schedule": 15.0,
    },
    # Every 15 minutes: read every selected Page's and Instagram account's recent comments,
    # conversations and mentions back from Meta, for what webhooks missed (inbox.reconcile).
    "reconcile-inbox": {
        "task": "inbox.plan_reconciles",
        "schedule": 15 * 60.0,
    },
    # Every minute: inbox sync runs whose worker died or whose message was lost.
    "sweep-inbox-sync-runs": {
        "task": "inbox.sweep_sync_runs",
        "schedule": 60.0,
    },
    # Every minute: track newly published posts and ads and newly selected accounts, and queue
    # a results refresh for each workspace with objects due (insights.schedule: every 30 min
    # for a fresh post, then every 3 h, then daily, until its numbers settle).
    "plan-insight-refreshes": {
        "task": "insights.plan_refreshes",
        "schedule": 60.0,
    },
    # Every minute: results refreshes whose worker died or whose message was lost.
    "sweep-insight-refreshes": {
        "task": "insights.sweep_refresh_runs",
        "schedule": 60.0,
    },
    # Nightly at 03:45 UTC: results past their fixed two-year retention, old finished refreshes.
    "apply-insights-retention": {
        "task": "insights.apply_retention",
        "schedule": crontab(hour=3, minute=45),
    },
    # Every 5 minutes: Meta's review verdict on recently created ads (PENDING_REVIEW → …).
    "refresh-ad-reviews": {
        "task": "publishing.refresh_ad_reviews",
        "schedule": 5 * 60.0,
    },
    # Nightly at 03:15 UTC: remove what is past each workspace's retention periods.
    "apply-retention": {
        "task": "privacy.apply_retention",
        "schedule": crontab(hour=3, minute=15),
    },
    # Hourly: expired sessions go, with the IP address and user agent recorded for them.
    "purge-expired-sessions": {
        "task": "accounts.purge_expired_sessions",
        "schedule": 60.0 * 60,
    },
    # Hourly: invitations past their expiry stop showing as pending.
    "expire-invitations": {
        "task": "accounts.expire_invitations",
        "schedule": 60.0 * 60,
    },
}
