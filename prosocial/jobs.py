"""The house decorator for Celery tasks (STYLE §3.6).

A task is a wake-up call for one database row: it receives ids only, makes one service call
and holds no business logic. ``job_task`` gives every task the same delivery guarantees:
late acknowledgement (a task whose worker dies is redelivered), rejection on worker loss,
prefetch of one (settings), soft and hard time limits, no result storage.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from celery import shared_task

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
