"""The script page's progress polling (#13): a small JSON endpoint the page asks every 2 s
while a generation job runs, so progress updates without reloading the scene edit forms."""

import pytest
from django.urls import reverse

from campaigns.models import AudienceCohort
from creatives.studio.models import GenerationJob, Script, Storyboard, StoryboardScene
from tests.conftest import client_for
from tests.creatives.test_studio_views import make_campaign, write_scripts

pytestmark = pytest.mark.usefixtures("media_root", "no_server_key")


@pytest.fixture
def script(editor) -> Script:
    campaign = make_campaign(editor, "Trail launch")
    cohort = AudienceCohort.objects.create(
        campaign=campaign, name="Weekend hikers", countries=["DE"], interests=["hiking"]
    )
    (only,) = write_scripts(editor, cohort, 1)
    return only


def _url(script, slug="acme"):
    return reverse("creatives:script_progress", args=[slug, script.pk])


def _job(editor, script, **fields):
    return GenerationJob.objects.create(
        workspace=editor.workspace,
        campaign=script.campaign,
        script=script,
        kind=GenerationJob.Kind.VIDEO,
        **({"status": GenerationJob.Status.RUNNING, "progress": 40, "message": "Drawing"} | fields),
    )


def test_progress_answers_the_running_jobs_as_json(editor, viewer, script):
    job = _job(editor, script)

    response = client_for(viewer).get(_url(script))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["busy"] is True
    assert {
        "id": job.pk,
        "status": "running",
        "progress": 40,
        "message": "Drawing",
        "open": True,
    } in data["jobs"]
    assert f'data-testid="job-{job.pk}"' in data["jobs_html"]
    assert 'value="40"' in data["jobs_html"]
    assert "style=" not in data["jobs_html"]


def test_progress_says_idle_once_every_job_has_finished(editor, script):
    job = _job(editor, script, status=GenerationJob.Status.SUCCEEDED, progress=100)

    data = client_for(editor).get(_url(script)).json()

    assert data["busy"] is False
    assert [(item["id"], item["open"]) for item in data["jobs"]] == [(job.pk, False)]


def test_another_workspaces_script_is_a_404(editor, outsider, script):
    _job(editor, script)

    assert client_for(outsider).get(_url(script, slug="rival")).status_code == 404
    assert client_for(outsider).get(_url(script)).status_code == 404


def test_progress_is_read_only(editor, script):
    assert client_for(editor).post(_url(script)).status_code == 405


def test_script_page_polls_the_endpoint_instead_of_reloading_itself(editor, script):
    _job(editor, script)
    storyboard = Storyboard.objects.create(script=script, script_version=script.current)
    scene = StoryboardScene.objects.create(
        storyboard=storyboard, position=1, duration_s=3.0, visual="Boots on a wet boulder."
    )

    html = client_for(editor).get(reverse("creatives:script", args=["acme", script.pk]))
    body = html.content.decode()

    assert f'data-progress-url="{_url(script)}"' in body
    assert 'data-busy="1"' in body
    assert 'hx-select="#script-live"' not in body  # no whole-section swap over the edit forms
    assert 'src="/static/js/script-progress.js"' in body
    assert f'data-live-region="scene-{scene.pk}-pictures"' in body
    assert 'data-live-region="videos"' in body
    assert "style=" not in body


def test_idle_script_page_does_not_poll(editor, script):
    html = client_for(editor).get(reverse("creatives:script", args=["acme", script.pk]))

    assert 'data-busy="0"' in html.content.decode()
