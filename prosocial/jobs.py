"""The job runner: every background job is a row that one worker at a time leases and fences.

ARCHITECTURE §5 "Jobs". Publications, transcodes, AI generation, data exports and erasures all
run through this module; ``docs/jobs.md`` explains it for operators.

**Tasks.** ``job_task`` gives every Celery task the same delivery guarantees: late
acknowledgement (a task whose worker dies is redelivered), rejection on worker loss, prefetch
of one (settings), soft and hard time limits, no result storage. A task takes ids only.

**Rows.** A job model inherits ``Job``: ``status`` (each model overrides it with its own
choices), ``progress`` 0-100, a human ``message``, ``attempts``, ``lease_expires_at``,
``next_attempt_at``, ``error`` (or the model's own field, ``job_error_field``) and
``retryable``. PostgreSQL is the truth; a Celery task only carries the row's id and is a
wake-up call.

**Claiming.** ``claim(kind, pk)`` is one conditional UPDATE: the row must be runnable, due
(``next_attempt_at`` reached) and not leased by a live worker; it takes a lease of
``JOB_LEASE_SECONDS`` and increments ``attempts``. Exactly one row changed means the job is
ours, and the ``attempts`` value we wrote is our fencing token; the UPDATE returns the row
(``RETURNING``), so a claim is one statement and one commit. A row that used up its attempts
fails there with the kind's explanation instead of running again.

**Fencing.** Every write the job makes goes through its ``Lease`` and matches the row only while
``attempts`` is still ours and a lease is set. Another worker's claim, the sweeper taking an
expired row back, or a cancel (``attempts + 1``) make all our later writes match nothing:
they raise ``LeaseLost`` and the job stops without changing anything. A fenced write can carry
other writes into its transaction (``attach``: callables run once the row matched, e.g. a
timeline row or a result) and fields staged along the way (``stage``: a status shown), so a
job step commits once instead of once per write.

**Heartbeat.** ``with lease:`` registers the lease with the process's heartbeat, one daemon
thread (started on first use, again after a fork) that renews every registered lease every
third of its length on its own database connection (Django's are per thread), and closes it
when no lease is left. A worker that dies, even by SIGKILL, stops renewing, so its jobs are
taken over within one lease plus one sweep. The lease leaves the heartbeat when the block ends
(after a renewal of it that is under way, so none follows); a ``LeaseLost`` raised inside the
block ends the job quietly; any other exception releases the row for a retry after a back-off
(bounded by the kind's ``max_attempts``) and propagates.

**Sweeping.** ``sweep(kind)`` (each app's beat task, every 15 s) hands back rows whose lease
expired and rows whose time came but that no worker took within a grace period (a lost
message), then enqueues them; exhausted rows fail with the explanation. It never runs a job.

**Work folders.** Jobs write temporary files only in ``work_dir()`` folders, named after the
process that owns them, so ``remove_orphan_work_dirs`` can delete what dead workers left.

Adding a job kind
-----------------

1. The model inherits ``prosocial.jobs.Job`` and overrides ``status`` with its choices; run
   ``makemigrations``.
2. Next to the job's service, declare ``THINGS = jobs.register(JobKind(name=..., model=...,
   runnable=Q(...), enqueue=..., done_status=..., failed_status=...))``; ``enqueue(pk, *,
   countdown=0)`` sends the task inside ``transaction.on_commit``. The other fields say which
   status a claim, a retry and a failure write, how many attempts a job gets and what it says
   when they are used up (``tests/test_jobs.py`` checks every leased model has a kind).
3. The service::

       def run_thing(*, thing_id: int) -> None:
           lease = jobs.claim(THINGS, thing_id)
           if lease is None:
               return  # done, not due, or another worker holds it
           with lease:
               thing = Thing.objects.get(pk=thing_id)
               lease.progress(10, _("Fetching…"))
               result = do_the_slow_part(thing, on_progress=lease.progress)
               with lease.owned():  # results only inside a transaction that is still ours
                   Result.objects.create(thing=thing, data=result)
                   lease.finish(message=_("Done"))

   Failures: ``lease.fail(message)`` (final) or ``lease.fail(message, retry_in=seconds)``
   (again later, final once the attempts are used up).
4. A ``@job_task`` that calls the service, and in the app's sweeper task ``jobs.sweep(THINGS)``
   (beat schedule in ``prosocial/celery.py``).
5. Files made along the way go in ``jobs.work_dir()``; anything stored before ``finish`` must be
   deleted again when ``finish`` raises ``LeaseLost``.
"""

import functools
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, ParamSpec, Protocol, Self, TypeVar, cast

from celery import shared_task
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection, connections, models, router, transaction
from django.db.models import F, Q, QuerySet, sql
from django.utils import timezone
from django.utils.translation import gettext as _

from prosocial import prepared

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

QUEUES = ("default", "media", "publish")
# Progress without a new message is written at most this often (the lease renews with it).
PROGRESS_MIN_INTERVAL_SECONDS = 1.0
# A due row no worker took within this long lost its message; the sweeper sends another.
SWEEP_GRACE = timedelta(seconds=60)
SWEEP_BATCH = 500
# Work folders of dead processes are removed once untouched for this long.
ORPHAN_WORK_DIR_MIN_AGE = timedelta(minutes=5)
WORK_DIR_PREFIX = "prosocial-work-"


def job_task(
    *,
    name: str,
    queue: str = "default",
    soft_time_limit: int | None = None,
    time_limit: int | None = None,
    frequent: bool = False,
) -> Callable[[Callable[P, R]], Any]:
    """Register ``fn`` as a Celery task named ``name`` on ``queue`` with the house options.

    ``frequent`` tasks (beat's sweepers and heartbeat, every 15-30 s) log their runs at DEBUG,
    so a worker's log shows the work, not the clock.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; expected one of {QUEUES}")
    level = logging.DEBUG if frequent else logging.INFO

    def decorator(fn: Callable[P, R]) -> Any:
        @functools.wraps(fn)
        def logged(*args: P.args, **kwargs: P.kwargs) -> R:
            logger.log(level, "task %s started with %s %s", name, args, kwargs)
            result = fn(*args, **kwargs)
            logger.log(level, "task %s finished", name)
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


# --- Rows ----------------------------------------------------------------------------------------


class Job(models.Model):
    """What every job row has: state for the user, and the lease and fence for the runner."""

    # Overridden by every job model with its own choices (and length).
    status = models.CharField(max_length=16)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    # Claims so far; the value a worker wrote when it claimed is its fencing token.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set while a worker owns the row; renewed by its heartbeat.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the row is due (again): retries and waits set it; None or past means now.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    retryable = models.BooleanField(default=False)

    # The field that holds the human explanation of a failure (a model may have its own).
    job_error_field: ClassVar[str] = "error"

    class Meta:
        abstract = True


class LeaseLost(Exception):
    """Another worker owns the job now (or it was taken back): stop without writing."""


class Enqueue(Protocol):
    def __call__(self, pk: int, /, *, countdown: float = ...) -> None: ...


def _failed() -> str:
    return _("Failed")


def _attempts(row: Any) -> int:
    return int(row.attempts)


@dataclass(frozen=True)
class JobKind[M: Job]:
    """How the runner treats one kind of job row."""

    name: str
    model: type[M]
    # The rows a worker may run (statuses, not paused, …); due-ness and leases are added.
    runnable: Q
    # Sends the row's task after COMMIT (``transaction.on_commit``), ``countdown`` s later.
    enqueue: Enqueue
    done_status: str
    failed_status: str
    # Written by the claim (None: the job sets its own statuses).
    running_status: str | None = None
    # Written when the row is handed back for a retry (None: unchanged).
    queued_status: str | None = None
    # The message a failed row shows; the error field says why.
    failed_message: Callable[[], str] = _failed
    # Where ``finish``/``fail`` stamp the time (None: nowhere).
    finished_field: str | None = None
    # Claims a job may use before it fails with ``exhausted(max_attempts)`` (None: no limit).
    max_attempts: int | None = None
    attempts_used: Callable[[Any], int] = _attempts
    exhausted: Callable[[int], str] = field(
        default=lambda n: _("The job stopped %(n)d times before finishing; try again.") % {"n": n}
    )
    # The setting holding the lease length in seconds.
    lease_setting: str = "JOB_LEASE_SECONDS"
    # A due row no worker took within this long lost its message; the sweeper sends another.
    sweep_grace: timedelta = SWEEP_GRACE

    def lease_length(self) -> timedelta:
        return timedelta(seconds=float(getattr(settings, self.lease_setting)))

    def is_exhausted(self, row: M) -> bool:
        """Whether ``row`` used every attempt it may (the next claim would be one too many)."""
        return self.max_attempts is not None and self.attempts_used(row) >= self.max_attempts

    def due(self, now: datetime) -> Q:
        """Rows a worker may claim now: runnable, their time came, no live lease."""
        return (
            self.runnable
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        )

    @functools.cached_property
    def _field_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.model._meta.concrete_fields)

    def fit(self, values: dict[str, Any]) -> dict[str, Any]:
        """Cut strings to their column's length (a job's explanation must never fail a write)."""
        fitted = dict(values)
        for name, value in values.items():
            limit = getattr(self.model._meta.get_field(name), "max_length", None)
            if isinstance(value, str) and limit:
                fitted[name] = value[:limit]
        if "updated_at" in self._field_names:
            fitted.setdefault("updated_at", timezone.now())
        return fitted


# --- Claiming and the lease ----------------------------------------------------------------------


def claim_job_row(
    model: type[models.Model],
    pk: int,
    *,
    runnable: dict[str, Any] | Q,
    lease: timedelta,
    values: dict[str, Any] | None = None,
) -> bool:
    """Take the lease on one job row; return whether this worker got it.

    One conditional UPDATE (exactly one row changed = ours), so it behaves the same on
    PostgreSQL and SQLite and holds no lock afterwards. ``runnable`` filters the states a job
    may be picked up in; a row whose lease is still running belongs to another worker. Jobs call
    ``claim``, which adds due-ness and returns the lease.
    """
    now = timezone.now()
    rows = model._default_manager.filter(pk=pk)
    rows = rows.filter(runnable) if isinstance(runnable, Q) else rows.filter(**runnable)
    changed = rows.filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)).update(
        **(values or {}), lease_expires_at=now + lease, attempts=F("attempts") + 1
    )
    return changed == 1


def claim[M: Job](kind: JobKind[M], pk: int) -> "Lease[M] | None":
    """Claim row ``pk`` of ``kind`` for this worker; None when it isn't ours to run.

    None: finished, not due yet, leased by a live worker, gone, or out of attempts (then it
    is failed here with the kind's explanation). Never call it inside a transaction: other
    workers must see the lease at once.
    """
    values = kind.fit({"status": kind.running_status} if kind.running_status else {})
    row = _claim_returning(kind, pk, values)
    if row is None:
        logger.info("%s %s: not runnable, not due, or held by another worker", kind.name, pk)
        return None
    lease = Lease(kind, row)
    if kind.max_attempts is not None and kind.attempts_used(row) > kind.max_attempts:
        logger.warning("%s %s: out of attempts (%s)", kind.name, pk, row.attempts)
        lease.fail(kind.exhausted(kind.max_attempts), retryable=True)
        return None
    return lease


def _claim_returning[M: Job](kind: JobKind[M], pk: int, values: dict[str, Any]) -> M | None:
    """Claim row ``pk`` in one UPDATE … RETURNING and return the row as claimed (None: not ours).

    Where the database can't return rows from an UPDATE, the claim and a read of the row share
    a transaction instead (our UPDATE holds the row lock, so the read sees our attempts value).
    """
    now = timezone.now()
    model = kind.model
    alias = router.db_for_write(model)
    compiled = _claim_sql(kind, alias, values)
    if compiled is not None:  # no query built: the SQL was written once
        fills = {"now": now, "lease_end": now + kind.lease_length(), "pk": pk, **values}
        params = [fills[p.name] if isinstance(p, _Fill) else p for p in compiled.params]
        connection = connections[alias]
        with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
            prepared.execute(cursor, compiled.sql, params)
            returned = cursor.fetchall()
        if len(returned) != 1:
            return None
        row = prepared.converted(returned[0], compiled.converters, connection)
        return model.from_db(alias, compiled.attnames, row)
    rows = model._default_manager.filter(kind.due(now), pk=pk)  # due: no live lease either
    if not connections[rows.db].features.can_return_rows_from_update:
        with transaction.atomic(using=rows.db):
            if not claim_job_row(
                model, pk, runnable=kind.due(now), lease=kind.lease_length(), values=values
            ):
                return None
            return model._default_manager.get(pk=pk)
    query = cast(sql.UpdateQuery, rows.query.chain(sql.UpdateQuery))
    query.add_update_values(
        {**values, "lease_expires_at": now + kind.lease_length(), "attempts": F("attempts") + 1}
    )
    fields = list(model._meta.concrete_fields)
    with transaction.mark_for_rollback_on_error(using=rows.db):
        returned = query.get_compiler(rows.db).execute_returning_sql(fields)
    if len(returned) != 1:
        return None
    return model.from_db(rows.db, [f.attname for f in fields], returned[0])


@dataclass(frozen=True)
class _Fill:
    name: str  # what a claim puts in: "now", "lease_end", "pk" or a field of its values


@dataclass(frozen=True)
class _ClaimSQL:
    sql: str
    params: tuple[Any, ...]  # constants and ``_Fill``s
    attnames: tuple[str, ...]
    converters: prepared.Converters


# Stand-ins the claim's SQL is compiled with once, each replaced by its value at every claim.
_NOW = datetime(1900, 1, 1, 0, 0, 1, tzinfo=UTC)
_LEASE_END = datetime(1900, 1, 1, 0, 0, 2, tzinfo=UTC)
_PK = -7_340_061_239  # no row has it
_CLAIM_SQL: dict[tuple[Any, ...], _ClaimSQL | None] = {}


def _claim_sql(kind: JobKind[Any], alias: str, values: dict[str, Any]) -> _ClaimSQL | None:
    """Return the claim's ``UPDATE … RETURNING`` for ``kind`` as SQL written once (PostgreSQL).

    Every post and job claims its row once per task; Django building that statement each time
    cost more than running it (bench/README.md, "publish_throughput", third pass). It is
    compiled by the ORM once, with stand-ins for the time, the lease's end, the row and the
    datetimes among ``values``, and run as a prepared statement. None (the ORM builds it):
    another database, or a stand-in the compiled parameters don't show as such.
    """
    if connections[alias].vendor != "postgresql":
        return None
    times = sorted(name for name, value in values.items() if isinstance(value, datetime))
    constants = tuple(sorted((n, v) for n, v in values.items() if n not in times))
    key = (kind.model._meta.label, kind.runnable, alias, constants, tuple(times))
    if key in _CLAIM_SQL:
        return _CLAIM_SQL[key]
    stand_ins = {
        name: datetime(1900, 1, 2, 0, 0, index, tzinfo=UTC) for index, name in enumerate(times)
    }
    model = kind.model
    rows = model._default_manager.using(alias).filter(kind.due(_NOW), pk=_PK)
    query = cast(sql.UpdateQuery, rows.query.chain(sql.UpdateQuery))
    query.add_update_values(
        {**values, **stand_ins, "lease_expires_at": _LEASE_END, "attempts": F("attempts") + 1}
    )
    fields = list(model._meta.concrete_fields)
    compiler = query.get_compiler(alias)
    compiler.returning_fields = fields
    text, params = compiler.as_sql()
    marks: dict[Any, str] = {_NOW: "now", _LEASE_END: "lease_end"}
    marks |= {stand_in: name for name, stand_in in stand_ins.items()}
    filled = tuple(
        _Fill(marks[param])
        if isinstance(param, datetime) and param in marks
        else _Fill("pk")
        if type(param) is int and param == _PK
        else param
        for param in params
    )
    names = {param.name for param in filled if isinstance(param, _Fill)}
    found = None
    if {"now", "lease_end", "pk", *times} <= names and "RETURNING" in text:
        found = _ClaimSQL(
            sql=text,
            params=filled,
            attnames=tuple(f.attname for f in fields),
            converters=prepared.converters(connections[alias], fields),
        )
    _CLAIM_SQL[key] = found
    return found


_FENCED_SQL: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _update_fenced(lease: "Lease[Any]", values: dict[str, Any]) -> int:
    """Run ``lease.mine().update(**values)``; return how many rows it changed (1: still ours).

    A job writes its row this way a few times per step (a post: four); Django building each
    ``UPDATE`` cost about what running it did (bench/README.md, "publish_throughput", third
    pass). Where every value is a plain one (no expression, no related object) on PostgreSQL,
    the statement is written once per model and set of fields and prepared; each value goes
    through its field's ``get_db_prep_save`` as the ORM's ``update`` does. Anything else is the
    ORM's.
    """
    model = lease.kind.model
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [model._meta.get_field(name) for name in values]
    plain = all(
        not hasattr(value, "resolve_expression") and not hasattr(value, "prepare_database_save")
        for value in values.values()
    )
    if (
        connection.vendor != "postgresql"
        or not plain
        or not values
        or any(not f.concrete or f.many_to_many or hasattr(f, "get_placeholder") for f in fields)
    ):
        return lease.mine().update(**values)
    key = (model._meta.label, alias, tuple(values))
    sql = _FENCED_SQL.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)  # type: ignore[union-attr]
        pk = quote(str(model._meta.pk.column))  # type: ignore[union-attr]

        def column(name: str) -> str:
            return quote(str(model._meta.get_field(name).column))  # type: ignore[union-attr]

        # Names from the model; every value a parameter. The fence is ``mine()``'s.
        sql = (
            f"UPDATE {table} SET {sets} WHERE {table}.{pk} = %s "  # noqa: S608
            f"AND {table}.{column('attempts')} = %s "
            f"AND {table}.{column('lease_expires_at')} IS NOT NULL"
        )
        _FENCED_SQL[key] = sql
    params = [
        f.get_db_prep_save(value, connection)
        for f, value in zip(fields, values.values(), strict=True)
    ]  # type: ignore[union-attr]
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        prepared.execute(cursor, sql, [*params, lease.pk, lease.attempt])
        return int(cursor.rowcount)


def retry_delay(attempts: int) -> float:
    """Seconds before retrying after an unexpected error: 10, 20, 40 … up to 10 minutes."""
    return float(min(600, 10 * 2 ** max(0, min(attempts - 1, 10))))


class Lease[M: Job]:
    """A worker's hold on one job row: every write through it is fenced by ``attempts``.

    Writes raise ``LeaseLost`` (and change nothing) once another worker claimed the row, the
    sweeper took it back, or the job already finished. Use it as a context manager to keep
    the lease alive with a heartbeat while the job runs.
    """

    def __init__(self, kind: JobKind[M], row: M, *, attempt: int | None = None) -> None:
        self.kind = kind
        self.row = row
        self.pk: int = row.pk
        self.attempt: int = row.attempts if attempt is None else attempt
        self.lost = threading.Event()
        self.closed = False  # finished, failed or released: nothing more to write
        self._last_progress = 0.0
        self._staged: dict[str, Any] = {}  # written with the next fenced write (``stage``)
        self._attached: list[Callable[[], object]] = []  # run in its transaction (``attach``)
        # Held while the heartbeat renews this lease; leaving the heartbeat waits for it.
        self._beat = threading.Lock()
        self._beating = False

    @classmethod
    def for_row(cls, row: M) -> "Lease[M]":
        """Return the lease as of ``row``'s current attempt (for code handed a row, not a lease)."""
        return cls(kind_for(type(row)), row)

    def __repr__(self) -> str:
        return f"<Lease {self.kind.name} {self.pk} attempt {self.attempt}>"

    # --- fenced writes -------------------------------------------------------------------------

    def mine(self) -> QuerySet[M]:
        """Return the row, matching only while this lease still holds it."""
        return self.kind.model._default_manager.filter(
            pk=self.pk, attempts=self.attempt, lease_expires_at__isnull=False
        )

    def _write(self, values: dict[str, Any], *, renew: bool) -> None:
        """Write ``values`` (over the staged fields) and the attached writes, or nothing.

        Attached writes (``attach``) run in the same transaction once the fenced UPDATE
        matched; a lost lease, or their own error, rolls everything back. Without them the
        UPDATE commits alone (one statement).
        """
        also, self._attached = self._attached, []  # this write's, whatever becomes of it
        values = {**self._staged, **values}
        if renew:
            values = {"lease_expires_at": timezone.now() + self.kind.lease_length(), **values}
        values = self.kind.fit(values)
        if also:
            with transaction.atomic(using=router.db_for_write(self.kind.model)):
                self._update_mine(values)
                for write in also:
                    write()
        else:
            self._update_mine(values)
        self._staged.clear()
        for name, value in values.items():
            setattr(self.row, name, value)

    def _update_mine(self, values: dict[str, Any]) -> None:
        if _update_fenced(self, values) != 1:
            self.lost.set()
            self._staged.clear()
            raise LeaseLost(f"{self!r} no longer holds the row")

    @property
    def has_staged(self) -> bool:
        """Whether fields are staged for the next write (``stage``)."""
        return bool(self._staged)

    def attach(self, *writes: Callable[[], object]) -> None:
        """Run ``writes`` in the transaction of the next fenced write, after it matched our row.

        For what must commit with the row's new state and never without it (a timeline row, a
        result, a notification): one commit for all. They are dropped if that write fails.
        """
        self._attached.extend(writes)

    def stage(self, **fields: Any) -> None:
        """Have the next fenced write (any of them: ``update``, ``finish``, …) write ``fields`` too.

        Under what that write sets itself: a ``finish`` after ``stage(status=…)`` still writes
        the done status. For what a job shows along the way (a status, a message) that needn't
        commit on its own; a write that fails leaves it staged for the next.
        """
        self._staged.update(fields)

    def check(self) -> None:
        """Raise ``LeaseLost`` if the heartbeat found the row taken over."""
        if self.lost.is_set():
            raise LeaseLost(f"{self!r} was taken over")

    def update(self, **fields: Any) -> None:
        """Write ``fields`` now and renew the lease."""
        self._write(fields, renew=True)

    def progress(self, percent: float, message: str | None = None, *, force: bool = False) -> None:
        """Record progress (0-99; ``finish`` writes 100) and renew the lease.

        Without a new ``message`` it writes at most once a second (ffmpeg reports 4 times a
        second); it still raises ``LeaseLost`` at once when the heartbeat found the row gone,
        which is how a running ffmpeg is stopped.
        """
        self.check()
        now = time.monotonic()
        if (
            not force
            and message is None
            and now - self._last_progress < PROGRESS_MIN_INTERVAL_SECONDS
        ):
            return
        self._last_progress = now
        fields: dict[str, Any] = {"progress": max(0, min(99, int(percent)))}
        if message is not None:
            fields["message"] = message
        self._write(fields, renew=True)

    def renew(self) -> bool:
        """Extend the lease (the heartbeat); False when the row is no longer ours."""
        if self.closed:
            return False
        expires = timezone.now() + self.kind.lease_length()
        return self.mine().update(lease_expires_at=expires) == 1

    @contextmanager
    def owned(self) -> Iterator[None]:
        """Open a transaction in which the row is still ours (locked): write results inside."""
        with transaction.atomic():
            if not list(self.mine().select_for_update().values_list("pk", flat=True)):
                self.lost.set()
                raise LeaseLost(f"{self!r} no longer holds the row")
            yield

    def _close(self, values: dict[str, Any]) -> None:
        self._write({"lease_expires_at": None, **values}, renew=False)
        self.closed = True

    def finish(self, **fields: Any) -> None:
        """Mark the job done (``done_status``, progress 100, error cleared) with ``fields``."""
        values: dict[str, Any] = {
            "status": self.kind.done_status,
            "progress": 100,
            "next_attempt_at": None,
            self.kind.model.job_error_field: "",
            "retryable": False,
        }
        if self.kind.finished_field:
            values[self.kind.finished_field] = timezone.now()
        self._close({**values, **fields})

    def fail(
        self,
        error: str,
        *,
        retry_in: float | timedelta | None = None,
        retryable: bool = False,
        **fields: Any,
    ) -> None:
        """Record a failure: run again in ``retry_in`` while attempts remain, else fail for good.

        A final failure writes ``failed_status`` with ``error`` as the explanation; a retry keeps
        the row runnable (``queued_status``), notes ``error`` and queues the task for later.
        """
        error_field = self.kind.model.job_error_field
        if retry_in is not None and not self.kind.is_exhausted(self.row):
            delay = retry_in.total_seconds() if isinstance(retry_in, timedelta) else retry_in
            values: dict[str, Any] = {
                "next_attempt_at": timezone.now() + timedelta(seconds=delay),
                error_field: error,
            }
            if self.kind.queued_status:
                values["status"] = self.kind.queued_status
            self._close({**values, **fields})
            self.kind.enqueue(self.pk, countdown=delay)
            return
        values = {
            "status": self.kind.failed_status,
            "message": self.kind.failed_message(),
            "next_attempt_at": None,
            error_field: error,
            "retryable": retryable,
        }
        if self.kind.finished_field:
            values[self.kind.finished_field] = timezone.now()
        self._close({**values, **fields})

    def release(self, *, delay: float = 0, enqueue: bool = True, **fields: Any) -> None:
        """Hand the row back to run its next step ``delay`` seconds from now."""
        when = timezone.now() + timedelta(seconds=delay)
        self._close({"next_attempt_at": when, **fields})
        if enqueue:
            self.kind.enqueue(self.pk, countdown=delay)

    # --- the heartbeat -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        if connection.in_atomic_block:
            # Inside a transaction (tests on the ``db`` fixture) no other connection sees the
            # row, the heartbeat's included; the job's own writes renew the lease instead.
            logger.debug("%r: no heartbeat inside a transaction", self)
        else:
            _heartbeat().add(self)
            self._beating = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if self._beating:
            _heartbeat().remove(self)
            self._beating = False
        if isinstance(exc, LeaseLost):
            logger.warning("%r: lost the lease; the new owner carries on", self)
            return True
        if isinstance(exc, Exception) and not self.closed:
            # A bug or an outage: back off and retry rather than wait for the lease to lapse.
            try:
                self.fail(
                    _("Stopped by an internal error (%(kind)s).") % {"kind": type(exc).__name__},
                    retry_in=retry_delay(self.attempt),
                    retryable=True,
                )
            except (LeaseLost, DatabaseError):
                logger.warning("%r: could not record the error", self, exc_info=True)
        return False


class _Heartbeat(threading.Thread):
    """Renews this process's leases, each every third of its length, on its own DB connection.

    One thread per process for every lease (a thread per lease cost a start and a join per job
    step); it sleeps while no lease is registered, with its connection closed.
    """

    def __init__(self) -> None:
        super().__init__(name="jobs-heartbeat", daemon=True)
        self.pid = os.getpid()
        self.changed = threading.Condition()
        self.due: dict[Lease[Any], float] = {}  # lease → when it is renewed next (monotonic)
        self.wakes_at = float("inf")  # when the thread looks next (monotonic)
        self.idle_wait = 1.0  # how long it waits with no lease: a third of the last one's
        self.connected = False

    @staticmethod
    def interval(lease: Lease[Any]) -> float:
        return lease.kind.lease_length().total_seconds() / 3

    def add(self, lease: Lease[Any]) -> None:
        with self.changed:
            due = self.due[lease] = time.monotonic() + self.interval(lease)
            self.idle_wait = self.interval(lease)
            if due < self.wakes_at:  # else the thread looks in time anyway: don't wake it
                self.changed.notify()

    def remove(self, lease: Lease[Any]) -> None:
        """Stop renewing ``lease``; a renewal of it under way finishes first."""
        with lease._beat, self.changed:
            self.due.pop(lease, None)

    def run(self) -> None:
        while True:
            with self.changed:
                while True:
                    now = time.monotonic()
                    ready = [lease for lease, when in self.due.items() if when <= now]
                    if ready or (not self.due and self.connected):
                        break
                    self.wakes_at = min(self.due.values(), default=now + self.idle_wait)
                    self.changed.wait(self.wakes_at - now)
                for lease in ready:
                    self.due[lease] = now + self.interval(lease)
            if not ready:  # nothing to renew any more: don't hold a connection meanwhile
                connections.close_all()  # this thread's connections only
                self.connected = False
                continue
            for lease in ready:
                self.beat(lease)

    def beat(self, lease: Lease[Any]) -> None:
        with lease._beat:
            with self.changed:
                if lease not in self.due:
                    return  # left the heartbeat meanwhile
            self.connected = True
            try:
                alive = lease.renew()
            except Exception:  # the thread serves every lease of the process: it must not die
                # The database is away: try again next beat (the lease may lapse meanwhile,
                # and then the job's next write finds out).
                logger.warning("%r: heartbeat failed", lease, exc_info=True)
                connections.close_all()
                return
            if not alive:
                if not lease.closed:
                    logger.warning("%r: the row was taken over", lease)
                    lease.lost.set()
                with self.changed:
                    self.due.pop(lease, None)


_HEARTBEAT: _Heartbeat | None = None
_HEARTBEAT_LOCK = threading.Lock()


def _heartbeat() -> _Heartbeat:
    """Return this process's heartbeat thread, started on first use (and again after a fork)."""
    global _HEARTBEAT
    with _HEARTBEAT_LOCK:
        beat = _HEARTBEAT
        if beat is None or beat.pid != os.getpid() or not beat.is_alive():
            beat = _HEARTBEAT = _Heartbeat()
            beat.start()
        return beat


# --- Kinds and the sweeper -----------------------------------------------------------------------

_KINDS: dict[type[Job], JobKind[Any]] = {}


def register[M: Job](kind: JobKind[M]) -> JobKind[M]:
    """Record ``kind`` as the job kind of its model (``kind_for``); return it."""
    _KINDS[kind.model] = kind
    return kind


def kind_for[M: Job](model: type[M]) -> JobKind[M]:
    """Return the registered job kind of ``model``."""
    return _KINDS[model]


def sweep[M: Job](kind: JobKind[M]) -> int:
    """Queue rows whose lease expired or whose time came unnoticed; return how many.

    A row whose worker died (lease expired) or whose message was lost (due for longer than
    ``kind.sweep_grace`` without a claim) is handed back (lease cleared, which fences off a worker
    that is only late) and its task sent again. A row that used all its attempts is claimed
    here instead, which fails it with the kind's explanation.
    """
    now = timezone.now()
    stale = kind.runnable & (
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now - kind.sweep_grace))
    )
    rows = list(kind.model._default_manager.filter(stale).order_by("pk")[:SWEEP_BATCH])
    queued = 0
    for row in rows:
        if kind.is_exhausted(row):
            claim(kind, row.pk)
            continue
        handed_back = kind.model._default_manager.filter(
            stale, pk=row.pk, attempts=row.attempts
        ).update(lease_expires_at=None, next_attempt_at=now)
        if handed_back:
            kind.enqueue(row.pk, countdown=0)
            queued += 1
    if rows:
        logger.info(
            "%s: %d queued again, %d out of attempts", kind.name, queued, len(rows) - queued
        )
    return queued


# --- Work folders --------------------------------------------------------------------------------


def work_root() -> Path:
    """Return the folder of every job's work folders (``JOB_WORK_DIR`` or the system's)."""
    return Path(settings.JOB_WORK_DIR or tempfile.gettempdir())


def make_work_dir(label: str = "job") -> Path:
    """Create a private work folder named after this process; the caller removes it."""
    root = work_root()
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-{label}-", dir=root))


@contextmanager
def work_dir(label: str = "job") -> Iterator[Path]:
    """Yield a private work folder, removed with everything in it afterwards.

    If the process dies first, the sweeper's ``remove_orphan_work_dirs`` removes it.
    """
    path = make_work_dir(label)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


_OWNER = re.compile(rf"^{re.escape(WORK_DIR_PREFIX)}(\d+)-")


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_orphan_work_dirs(*, min_age: timedelta | None = None) -> int:
    """Delete work folders whose process is gone and that nobody touched for ``min_age``.

    Only this host's folders are visible, so each host's workers clean their own. Return how
    many folders were removed.
    """
    age = (min_age if min_age is not None else ORPHAN_WORK_DIR_MIN_AGE).total_seconds()
    removed = 0
    try:
        entries = list(work_root().iterdir())
    except FileNotFoundError:
        return 0
    for entry in entries:
        owner = _OWNER.match(entry.name)
        if owner is None or _process_exists(int(owner[1])):
            continue
        try:
            idle = time.time() - entry.stat().st_mtime
        except FileNotFoundError:
            continue
        if idle < age or not entry.is_dir():
            continue
        shutil.rmtree(entry, ignore_errors=True)
        logger.info("removed %s, left by process %s", entry, owner[1])
        removed += 1
    return removed
