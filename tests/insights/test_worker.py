"""A real Celery worker refreshes results: *Refresh now* → task after COMMIT → numbers stored.

The worker is a separate process (``start_worker``) reaching the sandbox over loopback at the
URL this test uses; it sees the rows because the test runs on ``transactional_db``.
"""

import time

from insights.models import InsightObject, InsightSnapshot, ObjectKind, RefreshRun
from meta_sandbox import seed
from tests.conftest import client_for
from tests.insights.conftest import HOUR, publish_fb_post, publish_ig


def wait_until_done(run_id: int, *, seconds: float = 60) -> RefreshRun:
    deadline = time.monotonic() + seconds
    run = RefreshRun.objects.get(pk=run_id)
    while run.status in RefreshRun.ACTIVE and time.monotonic() < deadline:
        time.sleep(0.3)
        run.refresh_from_db()
    return run


def test_a_real_worker_runs_refresh_now_to_its_end(
    transactional_db, connected, sandbox, start_worker
):
    post = publish_fb_post(connected)
    publish_ig(connected, seed.SEED_MEDIA_COFFEE_ID)
    sandbox.state.advance_clock(3 * HOUR)
    worker = start_worker()

    started = client_for(connected).post(f"/w/{connected.workspace.slug}/results/refresh/")
    run = wait_until_done(started.json()["id"])

    assert run.status == RefreshRun.Status.SUCCEEDED, worker.log.read_text()[-3000:]
    assert (run.progress, run.failed) == (100, 0)
    assert run.objects_done == InsightObject.objects.filter(workspace=connected.workspace).count()
    source = InsightObject.objects.get(kind=ObjectKind.FB_POST, meta_id=post.remote_id)
    [row] = InsightSnapshot.objects.filter(source=source)
    assert row.views > 0
    assert "insights.run_refresh" in worker.log.read_text()
