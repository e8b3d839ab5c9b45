"""*Refresh now*: POST and GET ``w/<slug>/results/refresh/`` and a refresh's status (JSON).

Editors and up start a refresh (a job row with progress); everyone polls; another workspace's
refresh is a 404; a workspace without Meta gets a 400 saying what to do, never a 500.
"""

import pytest
from django.urls import reverse

from insights import collect
from insights.models import RefreshRun
from tests.conftest import client_for
from tests.insights.conftest import drive, publish_fb_post

Status = RefreshRun.Status


def refresh_url(slug="acme") -> str:
    return reverse("insights:refresh", args=[slug])


def status_url(pk: int, slug="acme") -> str:
    return reverse("insights:refresh_status", args=[slug, pk])


@pytest.mark.parametrize(
    ("_case", "expected"),
    [("owner", 202), ("admin", 202), ("editor", 202), ("viewer", 403), ("outsider", 404)],
)
def test_who_may_refresh(connected, cast, _case, expected, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = client_for(cast[_case]).post(refresh_url())

    assert response.status_code == expected
    runs = RefreshRun.objects.filter(workspace=connected.workspace)
    if expected == 202:
        [run] = runs
        body = response.json()
        assert body["id"] == run.pk
        assert (body["status"], body["progress"], body["done"]) == ("queued", 0, False)
        assert body["status_url"] == status_url(run.pk)
        assert (run.kind, run.full, run.requested_by_id) == ("manual", True, cast[_case].user_id)
        assert len(queued) == 1  # the job's task, after COMMIT
        assert response["Cache-Control"] == "no-store"
    else:
        assert not runs.exists()
        assert queued == []


@pytest.mark.parametrize(("_case", "expected"), [("viewer", 200), ("outsider", 404)])
def test_who_may_poll(connected, cast, _case, expected):
    run = collect.queue_refresh_run(workspace_id=connected.workspace_id)

    one = client_for(cast[_case]).get(status_url(run.pk))
    latest = client_for(cast[_case]).get(refresh_url())

    assert (one.status_code, latest.status_code) == (expected, expected)
    if expected == 200:
        assert one.json() == latest.json()
        assert one.json()["kind"] == "scheduled"


def test_another_workspaces_refresh_is_a_404(connected, outsider):
    theirs = collect.queue_refresh_run(workspace_id=outsider.workspace_id)

    response = client_for(connected).get(status_url(theirs.pk))

    assert response.status_code == 404


def test_status_follows_the_job_to_its_end(connected, sandbox):
    publish_fb_post(connected)
    client = client_for(connected)
    started = client.post(refresh_url()).json()
    run = RefreshRun.objects.get(pk=started["id"])

    drive(run, sandbox)
    body = client.get(started["status_url"]).json()

    assert (body["status"], body["progress"], body["done"]) == ("succeeded", 100, True)
    assert body["message"].startswith("Read 9 results from Meta")
    assert body["objects_done"] == body["objects_total"] == 9
    assert body["calls_made"] >= 6


def test_refresh_now_while_a_scheduled_run_is_queued_widens_it(connected, sandbox):
    scheduled = collect.queue_refresh_run(workspace_id=connected.workspace_id)

    response = client_for(connected).post(refresh_url())

    assert response.status_code == 202
    assert response.json()["id"] == scheduled.pk
    scheduled.refresh_from_db()
    assert (scheduled.kind, scheduled.full, scheduled.requested_by_id) == (
        "manual",
        True,
        connected.user_id,
    )
    assert RefreshRun.objects.count() == 1


def test_without_meta_the_refresh_is_refused_with_words(owner):
    response = client_for(owner).post(refresh_url())

    assert response.status_code == 400
    assert response.json() == {
        "error": "Connect Meta first: results are read from your Pages, Instagram and ad accounts."
    }
    assert not RefreshRun.objects.exists()


def test_before_any_refresh_the_status_says_none(owner):
    response = client_for(owner).get(refresh_url())

    assert response.status_code == 200
    assert response.json() == {"status": "none", "progress": 0, "message": "", "done": True}


def test_other_methods_are_refused(owner):
    client = client_for(owner)

    assert client.put(refresh_url()).status_code == 405
    run = collect.queue_refresh_run(workspace_id=owner.workspace_id)
    assert client.post(status_url(run.pk)).status_code == 405
