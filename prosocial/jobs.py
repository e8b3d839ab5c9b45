"""The house decorator for Celery tasks and the lease-based claim of job rows (STYLE §3.6).

A task is a wake-up call for one database row: it receives ids only, makes one service call
and holds no business logic. ``job_task`` gives every task the same delivery guarantees:
late acknowledgement (a task whose worker dies is redelivered), rejection on worker loss,
prefetch of one (settings), soft and hard time limits, no result storage.
"""

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from celery import shared_task
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

QUEUES = ("default", "media", "publish")


def job_task(
    *,
    name: str,
    queue: str = "default",
    soft_time_limit: int | None = None,
    time_limit: int | None = None,
) -> Callable[[Callable[P, R]], Any]:
    """Register ``fn`` as a Celery task named ``name`` on ``queue`` with the house options."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; expected one of {QUEUES}")

    def decorator(fn: Callable[P, R]) -> Any:
        @functools.wraps(fn)
        def logged(*args: P.args, **kwargs: P.kwargs) -> R:
            logger.info("task %s started with %s %s", name, args, kwargs)
            result = fn(*args, **kwargs)
            logger.info("task %s finished", name)
            return result

        options: dict[str, Any] = {
            "name": name,
            "queue": queue,
            "acks_late": True,
            "reject_on_worker_lost": True,
            "ignore_result": True,
        }
        if soft_time_limit is not None:
            options["soft_time_limit"] = soft_time_limit
        if time_limit is not None:
            options["time_limit"] = time_limit
        return shared_task(**options)(logged)

    return decorator


def claim_job_row(
    model: type[models.Model],
    pk: int,
    *,
    runnable: dict[str, Any],
    lease: timedelta,
) -> bool:
    """Take the lease on one job row; return whether this worker got it.

    One conditional UPDATE (exactly one row changed = ours), so it behaves the same on
    PostgreSQL and SQLite and holds no lock afterwards. ``runnable`` filters the states a job
    may be picked up in; a row whose lease is still running belongs to another worker.
    """
    now = timezone.now()
    changed = (
        model._default_manager.filter(pk=pk, **runnable)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(lease_expires_at=now + lease, attempts=F("attempts") + 1)
    )
    return changed == 1
