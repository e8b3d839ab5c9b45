"""The Celery application. Every periodic job is declared here, with when and why."""

import os

from celery import Celery

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
    # Every minute: transcodes whose worker died (lease expired) are queued again.
    "requeue-stalled-transcodes": {
        "task": "creatives.requeue_stalled_transcodes",
        "schedule": 60.0,
    },
    # Every minute: deletion requests whose worker died are picked up again; Meta expects
    # erasure to start right away.
    "requeue-stalled-deletion-requests": {
        "task": "privacy.requeue_stalled_deletion_requests",
        "schedule": 60.0,
    },
    # Hourly: invitations past their expiry stop showing as pending.
    "expire-invitations": {
        "task": "accounts.expire_invitations",
        "schedule": 60.0 * 60,
    },
}
