"""The script page while a job runs (#13): progress updates every 2 s from the small progress
endpoint, the page is never reloaded, what the user typed into a scene form stays, finished
results appear in place, and the CSP stays quiet throughout."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from campaigns.models import AudienceCohort, Campaign
from creatives.studio import generation
from creatives.studio.models import GenerationJob, Script, Storyboard, StoryboardScene
from tests.e2e.tour import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OPENAI_API_KEY = ""  # the built-in offline provider
    return settings.MEDIA_ROOT


def test_progress_updates_without_losing_typed_scene_text(
    page: Page, live_server, editor, media_root, csp_violations
):
    campaign = Campaign.objects.create(
        workspace=editor.workspace,
        created_by=editor.user,
        name="Trail launch",
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
        brand_colors=["#0B3D2E"],
    )
    cohort = AudienceCohort.objects.create(
        campaign=campaign, name="Weekend hikers", countries=["DE"], interests=["hiking"]
    )
    generation.run_generation_job(
        job_id=generation.start_scripts(actor=editor, cohort=cohort, variants=1).pk
    )
    script = Script.objects.get()
    storyboard = Storyboard.objects.create(script=script, script_version=script.current)
    StoryboardScene.objects.create(
        storyboard=storyboard, position=1, duration_s=3.0, visual="Boots on a wet boulder."
    )
    job = GenerationJob.objects.create(
        workspace=editor.workspace,
        campaign=campaign,
        script=script,
        kind=GenerationJob.Kind.VIDEO,
        status=GenerationJob.Status.RUNNING,
        progress=10,
        message="Drawing pictures",
    )
    sign_in(page, live_server.url, editor)
    page.goto(live_server.url + reverse("creatives:script", args=["acme", script.pk]))
    page.evaluate("window.__notReloaded = true")

    page.get_by_text("Edit scene").click()
    typed = page.locator("input[name=on_screen_text]")
    typed.fill("Half typed, not saved yet")
    page.locator("textarea[name=visual]").evaluate("el => { el.style.height = '7rem' }")

    for progress, message in ((40, "Composing 9:16"), (70, "Composing 1:1")):
        GenerationJob.objects.filter(pk=job.pk).update(progress=progress, message=message)
        expect(page.get_by_test_id("job-progress")).to_have_attribute(
            "value", str(progress), timeout=6000
        )
        expect(page.get_by_test_id("job-message")).to_have_text(message)
    expect(typed).to_have_value("Half typed, not saved yet")

    GenerationJob.objects.filter(pk=job.pk).update(
        status=GenerationJob.Status.SUCCEEDED, progress=100, message="Videos ready"
    )
    StoryboardScene.objects.filter(storyboard=storyboard).update(visual="Boots, redrawn.")
    expect(page.get_by_test_id("script-live")).to_have_attribute("data-busy", "0", timeout=8000)
    expect(page.get_by_test_id(f"job-{job.pk}")).to_have_attribute("data-status", "succeeded")
    # The scene's text region was refreshed; the form being typed in was left alone.
    expect(page.get_by_test_id("scene-1")).to_contain_text("Boots, redrawn.")
    expect(typed).to_have_value("Half typed, not saved yet")
    assert page.evaluate("window.__notReloaded === true")
    assert csp_violations == []
