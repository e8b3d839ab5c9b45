"""The job runner (prosocial/jobs.py): claims, fencing, heartbeat, sweeper, work folders.

The runner is exercised on DataExport rows through a kind of the tests' own, so what is
checked is the runner, not the export job; ``enqueued`` records what it sends.
"""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from privacy.models import DataExport
from prosocial import jobs, prepared
from prosocial.celery import app as celery_app
from prosocial.jobs import Job, JobKind, LeaseLost
from tests.factories import UserFactory

Status = DataExport.Status


@pytest.fixture
def enqueued():
    return []


@pytest.fixture
def kind(enqueued):
    def enqueue(pk, *, countdown=0):
        enqueued.append((pk, countdown))

    return JobKind(
        name="test export",
        model=DataExport,
        runnable=Q(status__in=[Status.QUEUED, Status.RUNNING]),
        enqueue=enqueue,
        running_status=Status.RUNNING,
        queued_status=Status.QUEUED,
        done_status=Status.READY,
        failed_status=Status.FAILED,
        max_attempts=3,
        exhausted=lambda n: f"Stopped {n} times.",
    )


@pytest.fixture
def row(db):
    return DataExport.objects.create(requested_by=UserFactory(), next_attempt_at=timezone.now())


def snapshot(pk):
    return DataExport.objects.filter(pk=pk).values().get()


def expire(pk):
    DataExport.objects.filter(pk=pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_every_model_with_a_lease_is_a_job_with_a_kind():
    celery_app.loader.import_default_modules()  # tasks import the services that declare kinds
    leased = [
        model
        for model in apps.get_models()
        if any(field.name == "lease_expires_at" for field in model._meta.get_fields())
    ]

    assert {m._meta.label for m in leased} == {
        "creatives.MediaAsset",
        "editor.Render",
        "editor.Transcription",
        "inbox.AssistJob",
        "inbox.Reply",
        "inbox.SyncRun",
        "insights.RefreshRun",
        "meta_integration.MetaPageSubscription",
        "meta_integration.WebhookEvent",
        "privacy.DataDeletionRequest",
        "privacy.DataExport",
        "publishing.Publication",
        "studio.GenerationJob",
    }
    assert [m._meta.label for m in leased if not issubclass(m, Job)] == []
    assert [m._meta.label for m in leased if jobs.kind_for(m).model is not m] == []


def test_a_claim_is_exclusive_until_the_lease_lapses(kind, row):
    first = jobs.claim(kind, row.pk)
    assert first is not None
    assert jobs.claim(kind, row.pk) is None

    expire(row.pk)
    second = jobs.claim(kind, row.pk)

    assert (first.attempt, second.attempt) == (1, 2)
    assert snapshot(row.pk)["status"] == Status.RUNNING


def test_a_row_waiting_for_its_time_is_not_claimed(kind, row):
    DataExport.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1)
    )

    assert jobs.claim(kind, row.pk) is None
    assert snapshot(row.pk)["attempts"] == 0


def test_a_lost_lease_can_change_nothing(kind, row, enqueued):
    stale = jobs.claim(kind, row.pk)
    expire(row.pk)
    current = jobs.claim(kind, row.pk)
    current.progress(40, "Building")
    before = snapshot(row.pk)

    writes = [
        lambda: stale.progress(90, "Stale"),
        lambda: stale.update(size_bytes=1),
        lambda: stale.finish(storage_key="exports/stale.zip"),
        lambda: stale.fail("stale failure"),
        lambda: stale.fail("stale retry", retry_in=5),
        lambda: stale.release(delay=5),
    ]
    for write in writes:
        with pytest.raises(LeaseLost):
            write()
    with pytest.raises(LeaseLost), stale.owned():
        DataExport.objects.filter(pk=row.pk).update(storage_key="exports/stale.zip")

    assert snapshot(row.pk) == before
    assert enqueued == []


def test_the_sweeper_taking_a_row_back_fences_the_late_worker(kind, row, enqueued):
    late = jobs.claim(kind, row.pk)
    expire(row.pk)

    assert jobs.sweep(kind) == 1

    with pytest.raises(LeaseLost):
        late.finish(storage_key="exports/late.zip")
    after = snapshot(row.pk)
    assert (after["status"], after["storage_key"], after["lease_expires_at"]) == (
        Status.RUNNING,
        "",
        None,
    )
    assert enqueued == [(row.pk, 0)]


def test_a_cancel_that_bumps_attempts_fences_the_worker(kind, row):
    lease = jobs.claim(kind, row.pk)
    DataExport.objects.filter(pk=row.pk).update(status=Status.FAILED, attempts=lease.attempt + 1)

    with pytest.raises(LeaseLost):
        lease.progress(50, "Still going")
    assert snapshot(row.pk)["progress"] == 0


def test_progress_renews_the_lease_and_is_throttled(kind, row):
    lease = jobs.claim(kind, row.pk)
    claimed_until = snapshot(row.pk)["lease_expires_at"]

    lease.progress(10)
    lease.progress(20)  # within a second of the last write: skipped
    assert snapshot(row.pk)["progress"] == 10
    lease.progress(30, "Zipping")  # a new message is written at once
    lease.progress(150)  # forced below, and 100 belongs to finish

    lease.progress(150, force=True)
    after = snapshot(row.pk)
    assert (after["progress"], after["message"]) == (99, "Zipping")
    assert after["lease_expires_at"] > claimed_until


def test_finish_closes_the_lease_and_records_the_result(kind, row):
    lease = jobs.claim(kind, row.pk)
    lease.progress(50, "Zipping")

    lease.finish(storage_key="exports/a.zip", size_bytes=10)

    after = snapshot(row.pk)
    assert (after["status"], after["progress"], after["storage_key"], after["size_bytes"]) == (
        Status.READY,
        100,
        "exports/a.zip",
        10,
    )
    assert (after["lease_expires_at"], after["next_attempt_at"], after["error"]) == (None, None, "")
    with pytest.raises(LeaseLost):  # nothing after the end, not even from the same worker
        lease.progress(10, "Again")


def test_fail_with_retry_hands_back_then_fails_for_good(kind, row, enqueued):
    lease = jobs.claim(kind, row.pk)
    lease.fail("The disk was full.", retry_in=30)

    waiting = snapshot(row.pk)
    assert (waiting["status"], waiting["error"], waiting["lease_expires_at"]) == (
        Status.QUEUED,
        "The disk was full.",
        None,
    )
    assert (
        timedelta(seconds=29) < waiting["next_attempt_at"] - timezone.now() <= timedelta(seconds=30)
    )
    assert enqueued == [(row.pk, 30)]
    assert jobs.claim(kind, row.pk) is None  # not before its time

    DataExport.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now(), attempts=2)
    last = jobs.claim(kind, row.pk)  # the third and last attempt
    last.fail("The disk was full again.", retry_in=30)

    failed = snapshot(row.pk)
    assert (failed["status"], failed["message"], failed["error"], failed["next_attempt_at"]) == (
        Status.FAILED,
        "Failed",
        "The disk was full again.",
        None,
    )
    assert enqueued == [(row.pk, 30)]


def test_a_row_out_of_attempts_fails_when_claimed(kind, row):
    DataExport.objects.filter(pk=row.pk).update(attempts=3)

    assert jobs.claim(kind, row.pk) is None

    after = snapshot(row.pk)
    assert (after["status"], after["error"], after["retryable"], after["attempts"]) == (
        Status.FAILED,
        "Stopped 3 times.",
        True,
        4,
    )


def test_the_sweeper_queues_stale_rows_and_fails_exhausted_ones(kind, enqueued, db):
    user = UserFactory()
    now = timezone.now()

    def make(**fields):
        return DataExport.objects.create(requested_by=user, **fields).pk

    dead = make(status=Status.RUNNING, attempts=1, lease_expires_at=now - timedelta(seconds=1))
    lost = make(next_attempt_at=now - jobs.SWEEP_GRACE - timedelta(seconds=1))
    legacy = make()  # queued before the runner set next_attempt_at
    exhausted = make(status=Status.RUNNING, attempts=3, lease_expires_at=now - timedelta(seconds=1))
    make(status=Status.RUNNING, attempts=1, lease_expires_at=now + timedelta(minutes=1))  # alive
    make(next_attempt_at=now)  # just queued: its message is on its way
    make(next_attempt_at=now + timedelta(minutes=5))  # waiting for a retry
    make(status=Status.READY)

    assert jobs.sweep(kind) == 3

    assert sorted(pk for pk, _countdown in enqueued) == sorted([dead, lost, legacy])
    assert DataExport.objects.get(pk=dead).lease_expires_at is None
    assert (
        DataExport.objects.get(pk=exhausted).status,
        DataExport.objects.get(pk=exhausted).error,
    ) == (
        Status.FAILED,
        "Stopped 3 times.",
    )
    enqueued.clear()
    assert jobs.sweep(kind) == 0  # handed back just now: within the grace period


def test_an_unexpected_error_in_the_job_backs_off_and_propagates(kind, row, enqueued):
    lease = jobs.claim(kind, row.pk)

    with pytest.raises(ZeroDivisionError), lease:
        1 / 0  # noqa: B018

    after = snapshot(row.pk)
    assert (after["status"], after["lease_expires_at"]) == (Status.QUEUED, None)
    assert after["error"] == "Stopped by an internal error (ZeroDivisionError)."
    assert enqueued == [(row.pk, jobs.retry_delay(1))]


def test_lease_lost_inside_the_job_ends_it_quietly(kind, row):
    lease = jobs.claim(kind, row.pk)
    expire(row.pk)
    jobs.claim(kind, row.pk)

    with lease:
        lease.progress(50, "Stale")
        raise AssertionError("not reached")  # pragma: no cover

    assert snapshot(row.pk)["progress"] == 0


# --- The heartbeat needs committed rows: another connection renews the lease. --------------------


@pytest.fixture
def short_lease(settings):
    settings.JOB_LEASE_SECONDS = 1
    return timedelta(seconds=1)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_long_job_leased(kind, short_lease, enqueued):
    row = DataExport.objects.create(requested_by=UserFactory(), next_attempt_at=timezone.now())
    lease = jobs.claim(kind, row.pk)

    with lease:
        time.sleep(3 * short_lease.total_seconds())  # three leases long, no write of its own
        assert snapshot(row.pk)["lease_expires_at"] > timezone.now()
        assert jobs.sweep(kind) == 0
        assert jobs.claim(kind, row.pk) is None
        lease.finish(storage_key="exports/long.zip")

    assert snapshot(row.pk)["status"] == Status.READY
    assert [t for t in threading.enumerate() if t.name.startswith("lease-")] == []
    assert enqueued == []


@pytest.mark.django_db(transaction=True)
def test_a_dead_heartbeat_lets_the_sweeper_take_over(kind, short_lease, enqueued):
    row = DataExport.objects.create(requested_by=UserFactory(), next_attempt_at=timezone.now())
    lease = jobs.claim(kind, row.pk)
    with lease:
        pass  # the "worker" stops renewing without finishing, as a killed one does

    time.sleep(short_lease.total_seconds() + 0.2)

    assert jobs.sweep(kind) == 1
    assert jobs.claim(kind, row.pk).attempt == 2


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_notices_a_takeover_and_stops_the_job(kind, short_lease):
    row = DataExport.objects.create(requested_by=UserFactory(), next_attempt_at=timezone.now())
    lease = jobs.claim(kind, row.pk)

    with lease:
        DataExport.objects.filter(pk=row.pk).update(attempts=lease.attempt + 1)  # claimed away
        assert lease.lost.wait(timeout=2)
        lease.progress(10)  # raises LeaseLost: the job ends here
        raise AssertionError("not reached")  # pragma: no cover

    assert snapshot(row.pk)["progress"] == 0


# --- Work folders ---------------------------------------------------------------------------------


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_orphan_work_folders_of_dead_processes_are_removed(settings, tmp_path):
    settings.JOB_WORK_DIR = str(tmp_path)
    with jobs.work_dir("media") as mine:
        assert mine.name.startswith(f"prosocial-work-{os.getpid()}-media-")
        gone = tmp_path / f"prosocial-work-{dead_pid()}-media-abc"
        (gone / "sub").mkdir(parents=True)
        (gone / "sub" / "output.mp4").write_bytes(b"x")
        young = tmp_path / f"prosocial-work-{dead_pid()}-media-def"
        young.mkdir()
        other = tmp_path / "someone-elses-folder"
        other.mkdir()
        old = time.time() - 3600
        for path in (gone, mine, other):
            os.utime(path, (old, old))

        assert jobs.remove_orphan_work_dirs() == 1

        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            [mine.name, young.name, other.name]
        )
    assert not mine.exists()


def test_the_claim_is_compiled_once_and_claims_as_the_orm_does(kind, row):
    """The claim's UPDATE … RETURNING is SQL written once per kind (a prepared statement)."""
    before = timezone.now()
    with CaptureQueriesContext(connection) as first_run:
        first = jobs.claim(kind, row.pk)
    expire(row.pk)
    with CaptureQueriesContext(connection) as second_run:
        second = jobs.claim(kind, row.pk)

    assert (first.attempt, second.attempt) == (1, 2)
    assert second.row.status == Status.RUNNING
    assert second.row.requested_by_id == row.requested_by_id
    lease_end = second.row.lease_expires_at
    assert before + kind.lease_length() <= lease_end <= timezone.now() + kind.lease_length()
    assert snapshot(row.pk)["attempts"] == 2
    [claim_sql] = [q["sql"] for q in second_run.captured_queries]
    assert claim_sql.startswith("EXECUTE prosocial_")  # prepared before, in the first claim
    statement = prepared.spelled_out(claim_sql)
    assert statement.startswith('UPDATE "privacy_dataexport"')
    assert "RETURNING" in statement
    assert len(first_run.captured_queries) == 1
    # Not due: the same statement claims nothing.
    assert jobs.claim(kind, row.pk) is None


@pytest.mark.django_db(transaction=True)  # the connection is closed first
def test_a_fenced_write_is_written_once_and_still_fenced(kind, row):
    """Fenced writes run SQL written once per set of fields (prepared): the first on a
    connection (``PREPARE``; ``EXECUTE``) and the next count the rows they changed alike."""
    connection.close()  # nothing prepared on the next one
    stale = jobs.claim(kind, row.pk)
    expire(row.pk)
    current = jobs.claim(kind, row.pk)

    with CaptureQueriesContext(connection) as writes:
        current.update(size_bytes=7, error="50% done")  # prepared here on a fresh connection
        with pytest.raises(LeaseLost):
            stale.update(size_bytes=1, error="50% stale")
        current.update(size_bytes=8, error="")

    after = snapshot(row.pk)
    assert (after["size_bytes"], after["error"]) == (8, "")
    statements = [prepared.spelled_out(q["sql"]) for q in writes.captured_queries]
    assert len(statements) == 3
    assert all(s.startswith('UPDATE "privacy_dataexport" SET') for s in statements)
    assert all('"attempts" = %s' in s for s in statements)  # the fence
    assert writes.captured_queries[0]["sql"].startswith("PREPARE prosocial_")
    assert writes.captured_queries[2]["sql"].startswith("EXECUTE prosocial_")
