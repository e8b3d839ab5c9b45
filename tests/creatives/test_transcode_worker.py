"""Transcodes on real Celery workers: a lease that outlives ffmpeg, and a worker SIGKILLed mid-job.

Regression (issue #12): a transcode's lease ran out while ffmpeg was still encoding, the sweeper
handed the same job to a second worker, three encodes ran at once, the job showed "failed"
while it was running, and four stored files were left behind. Now the running worker's
heartbeat keeps the lease, every write is fenced, and ffmpeg dies with its worker.
"""

import os
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from creatives.library import services
from creatives.library.media.ffmpeg import ffmpeg_exe
from creatives.library.models import MediaAsset
from prosocial import jobs
from tests.media_samples import make_video

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def work_root(settings, tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    settings.JOB_WORK_DIR = str(root)
    return root


@pytest.fixture
def source(editor, media_root, tmp_path):
    # 1280x720, 16 s: encoding it for a reel (1080x1920) takes several seconds on two cores
    # (8 s of video once took 2.998 s, under the 3 s the lease test needs to mean anything).
    path = make_video(tmp_path / "wide.mp4", width=1280, height=720, seconds=16)
    uploaded = SimpleUploadedFile("wide.mp4", path.read_bytes(), "video/mp4")
    return services.upload_media(actor=editor, uploaded=uploaded)


class Encodes:
    """Watches /proc for transcode encodes (ffmpeg with a filter graph) under given workers."""

    def __init__(self) -> None:
        self.parents: set[int] = set()
        self.seen: set[int] = set()
        self.first_seen_at: float | None = None
        self.most_at_once = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def running(self) -> set[int]:
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                exe = os.readlink(entry / "exe")
                stat = (entry / "stat").read_text()
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if exe == ffmpeg_exe() and ppid in self.parents and b"-filter_complex" in argv:
                found.add(int(entry.name))
        return found

    def _watch(self) -> None:
        while not self._stop.is_set():
            now = self.running()
            if now and self.first_seen_at is None:
                self.first_seen_at = time.monotonic()
            self.seen |= now
            self.most_at_once = max(self.most_at_once, len(now))
            time.sleep(0.05)

    def __enter__(self) -> "Encodes":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie is dead, only not yet reaped


def sweep_until_done(rendition: MediaAsset, timeout: float, every: float) -> MediaAsset:
    """Run the sweeper as beat would (often) until the rendition is ready or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.requeue_stalled_transcodes()
        rendition.refresh_from_db()
        if rendition.status != MediaAsset.Status.PROCESSING:
            return rendition
        time.sleep(every)
    raise AssertionError(f"not done after {timeout} s: {rendition.status} {rendition.progress}%")


def stored(media_root: Path) -> set[str]:
    return {p.relative_to(media_root).as_posix() for p in media_root.rglob("*") if p.is_file()}


def keys_in_use() -> set[str]:
    rows = MediaAsset.objects.values_list("storage_key", "poster_key")
    return {key for pair in rows for key in pair if key}


def test_a_transcode_longer_than_its_lease_runs_once(
    editor, source, media_root, work_root, start_worker
):
    env = {"JOB_LEASE_SECONDS": 1, "JOB_WORK_DIR": work_root}
    workers = [start_worker(**env), start_worker(purge=False, **env)]

    with Encodes() as encodes:
        encodes.parents = {worker.pid for worker in workers}
        started = time.monotonic()
        rendition = services.request_transcode(actor=editor, asset=source, placement_key="ig_reel")
        # The sweeper runs five times a lease: any lapse would hand the job to the other worker.
        rendition = sweep_until_done(rendition, timeout=120, every=0.2)
        took = time.monotonic() - started

    print(f"\ntranscode took {took:.1f} s on a 1 s lease, two workers, a sweep every 0.2 s")  # noqa: T201
    assert rendition.status == MediaAsset.Status.READY, rendition.error
    assert took > 3, "the encode must outlast the 1 s lease several times over"
    assert (len(encodes.seen), encodes.most_at_once, rendition.attempts) == (1, 1, 1)
    assert stored(media_root) == keys_in_use()  # one result, no orphaned files
    assert len(keys_in_use()) == 4  # the source and its poster, the rendition and its poster
    assert list(work_root.iterdir()) == []


def test_a_sigkilled_worker_is_taken_over_and_its_ffmpeg_dies(
    editor, source, media_root, work_root, start_worker, monkeypatch
):
    env = {"JOB_LEASE_SECONDS": 2, "JOB_WORK_DIR": work_root}
    monkeypatch.setattr(jobs, "ORPHAN_WORK_DIR_MIN_AGE", timedelta(0))
    first = start_worker(**env)
    with Encodes() as encodes:
        encodes.parents = {first.pid}
        rendition = services.request_transcode(actor=editor, asset=source, placement_key="ig_reel")
        deadline = time.monotonic() + 60
        while not encodes.seen:
            assert time.monotonic() < deadline, first.log.read_text()
            time.sleep(0.05)
    (encode,) = encodes.seen
    left_behind = [
        p for p in work_root.iterdir() if p.name.startswith(f"prosocial-work-{first.pid}-")
    ]
    assert left_behind

    os.kill(first.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    first.wait(timeout=10)
    while alive(encode):
        assert time.monotonic() - killed_at < 5, "ffmpeg outlived its worker"
        time.sleep(0.05)
    ffmpeg_gone_after = time.monotonic() - killed_at

    second = start_worker(purge=False, **env)
    restarted_at = time.monotonic()
    with Encodes() as encodes:
        encodes.parents = {second.pid}
        rendition = sweep_until_done(rendition, timeout=90, every=0.5)
    done_at = time.monotonic()

    resumed_at = encodes.first_seen_at or done_at
    print(  # noqa: T201 - the numbers the report quotes
        f"\nffmpeg gone {ffmpeg_gone_after:.2f} s after SIGKILL; encoding again "
        f"{resumed_at - restarted_at:.1f} s after the restart, "
        f"{resumed_at - killed_at:.1f} s after the kill; done {done_at - restarted_at:.1f} s "
        "after the restart"
    )
    assert rendition.status == MediaAsset.Status.READY, rendition.error
    assert done_at - restarted_at < 60
    assert (rendition.attempts, len(encodes.seen)) == (2, 1)
    assert stored(media_root) == keys_in_use()
    assert [p for p in left_behind if p.exists()] == []  # the sweeper removed the dead worker's
