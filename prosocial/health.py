"""Service health: what /healthz reports and the worker heartbeat behind it."""

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_CACHE_KEY = "prosocial:worker-heartbeat"


def record_worker_heartbeat() -> None:
    """Store the current time as the last moment a worker ran a task."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=24 * 60 * 60)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("health: database check failed: %s", type(exc).__name__)
        return "unavailable"
    return "ok"


def _check_broker() -> str:
    from prosocial.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.BROKER_HEALTH_TIMEOUT)
    except Exception as exc:
        logger.warning("health: broker check failed: %s", type(exc).__name__)
        return "unavailable"
    return "ok"


def check_health() -> tuple[bool, dict[str, Any]]:
    """Return (healthy, report). Healthy means the database and the broker both answer."""
    started = time.monotonic()
    report: dict[str, Any] = {"database": _check_database(), "broker": _check_broker()}
    healthy = report["database"] == "ok" and report["broker"] == "ok"
    report["status"] = "ok" if healthy else "unavailable"
    try:
        report["worker_last_seen"] = cache.get(HEARTBEAT_CACHE_KEY)
    except Exception:
        report["worker_last_seen"] = None
    report["elapsed_ms"] = round((time.monotonic() - started) * 1000, 1)
    return healthy, report
