"""Real Celery worker processes, killed with SIGKILL at step boundaries, against sandbox faults.

Whatever happens, each publication ends published with exactly one post or ad in the sandbox's
own record. A killed worker's lease expires (2 s here) and the sweeper hands the row to a fresh
worker, which resumes from the remote ids stored before it died.
"""

import os
import signal
import time

import pytest

from meta_sandbox import seed
from publishing import services
from publishing.models import Publication
from tests.publishing.conftest import make_publication

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 2
# A create lost with its worker may land at Meta until the read timeout has passed; the
# resumed worker waits that long before re-sending, so keep it short here.
WORKER_ENV = {"PUBLISH_LEASE_SECONDS": LEASE_SECONDS, "META_READ_TIMEOUT": 3}
CASES = {
    "ig_reel": (["reel.mp4"], "ig_media", ["container_id", "container_ready", "media_id"]),
    "fb_post": (["square.jpg"], "page_photo", ["photo_id"]),
    "meta_ad": (["square.jpg"], "ad", ["image_hash", "creative_id", "campaign_id", "adset_id"]),
}


def _wait_for(predicate, timeout=60.0, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def _run_to_the_end(publication, timeout=90.0):
    """Sweep like beat does until the publication is published or failed."""

    def done():
        services.sweep_publications()
        publication.refresh_from_db()
        return publication.status in ("published", "failed")

    assert _wait_for(done, timeout=timeout, every=0.5), (publication.status, publication.remote)
    return publication


def _published(sandbox, kind):
    return [
        o for o in sandbox.state.describe_objects(kind=kind) if o["data"].get("published", True)
    ]


@pytest.mark.parametrize(
    ("target", "kill_after"),
    [(target, key) for target, (_m, _k, keys) in CASES.items() for key in keys],
)
def test_worker_killed_at_a_step_boundary_resumes_without_duplicates(
    connected, upload, sandbox, start_worker, target, kill_after
):
    media, kind, _keys = CASES[target]
    worker = start_worker(**WORKER_ENV)
    publication = make_publication(connected, target, [upload(connected, m) for m in media])
    services.publish_publication(actor=connected, publication=publication)

    def reached():
        publication.refresh_from_db()
        return kill_after in publication.remote or publication.status == "published"

    assert _wait_for(reached), publication.remote
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    start_worker(purge=False, **WORKER_ENV)

    publication = _run_to_the_end(publication)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert len(_published(sandbox, kind)) == 1


def test_faults_on_every_call_still_publish_exactly_once(connected, upload, sandbox, start_worker):
    start_worker(**WORKER_ENV)
    ig = seed.IG_COFFEE_ID
    state = sandbox.state
    state.add_fault(method="POST", path=f"/{ig}/media", http_status=503, times=1)
    state.add_fault(
        method="POST",
        path=f"/{ig}/media",
        error={"code": 4, "message": "(#4) Application request limit reached"},
        headers={"X-Ad-Account-Usage": '{"acc_id_util_pct":99,"reset_time_duration":3}'},
        times=1,
    )
    state.add_fault(method="GET", path="/*", latency_ms=200, times=3)
    state.add_fault(method="POST", path=f"/{ig}/media_publish", drop=True, after_write=True)
    publication = make_publication(connected, "ig_feed", [upload(connected, "square.jpg")])
    services.publish_publication(actor=connected, publication=publication)

    publication = _run_to_the_end(publication, timeout=180)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert len(_published(sandbox, "ig_media")) == 1
    statuses = list(publication.events.filter(kind="graph").values_list("status_code", flat=True))
    assert 503 in statuses
    assert None in statuses  # the dropped answer
    # The throttled call waited as long as the usage header asked (3 s), not the 5 s minimum.
    waits = publication.events.filter(kind="error", message__contains="request limit")
    assert [e.message for e in waits if e.message.endswith("(in 3 s)")], list(waits)
