"""AI generation pages: the campaign's Creatives section, a script's page, jobs, AI settings.

Views only: the services and the job steps are covered in test_generation.py. Scripts come from
a real offline scripts job run in-process; storyboards, scene pictures and finished videos are
rows made here (no renders), so this file stays fast. Media storage points at ``tmp_path``.
"""

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone
from django.utils.html import escape

from campaigns.models import AudienceCohort, Campaign
from creatives.library.models import MediaAsset
from creatives.studio import generation
from creatives.studio.forms import ScriptEditForm
from creatives.studio.models import (
    AICall,
    AISettings,
    Creative,
    GenerationJob,
    SceneImage,
    Script,
    ScriptVersion,
    Storyboard,
    StoryboardScene,
)
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("media_root", "no_server_key")


def make_campaign(membership, name: str) -> Campaign:
    return Campaign.objects.create(
        workspace=membership.workspace,
        created_by=membership.user,
        name=name,
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
        brand_colors=["#0B3D2E"],
    )


@pytest.fixture
def campaign(editor):
    return make_campaign(editor, "Trail launch")


@pytest.fixture
def cohort(campaign):
    return AudienceCohort.objects.create(
        campaign=campaign, name="Weekend hikers", countries=["DE"], interests=["hiking"]
    )


def run(job: GenerationJob) -> GenerationJob:
    generation.run_generation_job(job_id=job.pk)
    job.refresh_from_db()
    return job


def write_scripts(editor, cohort, variants: int) -> list[Script]:
    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=variants))
    assert job.status == GenerationJob.Status.SUCCEEDED, job.error
    return list(Script.objects.filter(cohort=cohort).select_related("current").order_by("number"))


@pytest.fixture
def script(editor, cohort) -> Script:
    (only,) = write_scripts(editor, cohort, 1)
    return only


def add_asset(workspace, kind: str, name: str, **extra) -> MediaAsset:
    content_type = {"video": "video/mp4", "image": "image/png", "audio": "audio/mp4"}[kind]
    return MediaAsset.objects.create(
        workspace=workspace,
        kind=kind,
        source=extra.pop("source", MediaAsset.Source.GENERATED),
        status=MediaAsset.Status.READY,
        original_filename=name,
        storage_key=f"{workspace.slug}/{name}",
        content_type=content_type,
        **extra,
    )


def add_storyboard(script: Script) -> Storyboard:
    """A two-scene storyboard whose first scene has a 9:16 picture (rows only, no AI)."""
    storyboard = Storyboard.objects.create(script=script, script_version=script.current)
    first = StoryboardScene.objects.create(
        storyboard=storyboard,
        position=1,
        duration_s=3.0,
        visual="Boots on a wet boulder.",
        on_screen_text="Wet rock?",
        voiceover_line="Wet rock? No problem.",
    )
    StoryboardScene.objects.create(
        storyboard=storyboard,
        position=2,
        duration_s=2.5,
        visual="A hiker strides up the trail.",
        on_screen_text="Grip that holds.",
        voiceover_line="Grip that holds.",
    )
    workspace = script.campaign.workspace
    picture = add_asset(workspace, "image", f"scene-{first.pk}-9x16.png", width=1080, height=1920)
    SceneImage.objects.create(scene=first, aspect="9:16", asset=picture)
    return storyboard


def add_creative(script: Script, *, aspect: str = "9:16", approved_by=None) -> Creative:
    workspace = script.campaign.workspace
    video = add_asset(
        workspace,
        "video",
        f"{script.campaign.name} - v{script.number} {aspect.replace(':', 'x')}.mp4",
        source=MediaAsset.Source.RENDERED,
        width=1080,
        height=1920,
        duration_seconds=9.0,
    )
    return Creative.objects.create(
        script=script,
        aspect=aspect,
        asset=video,
        approved_at=timezone.now() if approved_by else None,
        approved_by=approved_by,
    )


def add_job(script: Script, *, status: str, kind: str = "script", **fields) -> GenerationJob:
    return GenerationJob.objects.create(
        workspace=script.campaign.workspace,
        campaign=script.campaign,
        cohort=script.cohort,
        script=script,
        kind=kind,
        status=status,
        **fields,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def edit_data(version: ScriptVersion, **changes: str) -> dict[str, str]:
    """The script edit form's POST data: the version's text as the form shows it, changed."""
    return {**ScriptEditForm.initial_from(version), **changes}


def edit_hook(editor, script: Script, hook: str) -> ScriptVersion:
    current = script.current
    fields = {name: getattr(current, name) for name in generation.SCRIPT_FIELDS}
    return generation.edit_script(actor=editor, script=script, fields=fields | {"hook": hook})


def studio_tag(html: str) -> str:
    """The opening tag of the Creatives section."""
    match = re.search(r'<section id="studio"[^>]*>', html)
    assert match, "no Creatives section on the page"
    return match.group(0)


def selected(select: str) -> list[str]:
    """The values of a rendered <select>'s selected options."""
    return re.findall(r'<option value="([^"]*)" selected\s*>', select)


def select_block(html: str, name: str) -> str:
    match = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert match, f"no <select name={name!r}> on the page"
    return match.group(0)


@pytest.fixture
def rival(outsider):
    """Another workspace's campaign with one of everything the studio URLs address."""
    campaign = make_campaign(outsider, "Rival launch")
    cohort = AudienceCohort.objects.create(campaign=campaign, name="Rival fans")
    script = Script.objects.create(campaign=campaign, cohort=cohort, number=1)
    version = ScriptVersion.objects.create(
        script=script,
        number=1,
        origin=ScriptVersion.Origin.AI,
        hook="Their hook.",
        body="Their body.",
        cta="Their CTA.",
        voiceover="Their voice-over.",
        caption="Their caption.",
    )
    Script.objects.filter(pk=script.pk).update(current=version)
    script.current = version
    storyboard = add_storyboard(script)
    return SimpleNamespace(
        workspace=outsider.workspace,
        campaign=campaign,
        cohort=cohort,
        script=script,
        version=version,
        scene=storyboard.scenes.get(position=1),
        creative=add_creative(script, approved_by=outsider.user),
        job=add_job(script, status=GenerationJob.Status.FAILED, error="Their failure."),
        music=add_asset(
            outsider.workspace, "audio", "their-tune.m4a", source=MediaAsset.Source.UPLOADED
        ),
    )


# --- The campaign's Creatives section --------------------------------------------------------


def test_campaign_detail_shows_variant_cards_and_the_cost(editor, campaign, cohort):
    scripts = write_scripts(editor, cohort, 2)
    AICall.objects.create(
        workspace=editor.workspace,
        campaign=campaign,
        provider="openai",
        model="gpt-4.1-mini",
        operation="write_scripts",
        unit="tokens",
        input_units=900,
        output_units=400,
        cost_micro_usd=4200,
    )

    response = client_for(editor).get(f"/w/acme/campaigns/{campaign.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="studio"' in html
    assert '<h2 class="h5 mb-0">Creatives</h2>' in html
    for script in scripts:
        assert f'data-testid="variant-{script.pk}"' in html
        assert escape(script.current.hook) in html
        assert (
            f'<a class="btn btn-sm btn-outline-primary mt-auto" href="/w/acme/scripts/{script.pk}/"'
            f' data-testid="open-variant-{script.pk}">Open: edit, storyboard, videos</a>'
        ) in html
    assert "2 variants" in html
    assert "AI cost so far: <strong>$0.0042</strong>" in html
    assert f'data-testid="write-variants-{cohort.pk}"' in html


def test_studio_polls_only_while_a_job_is_open(editor, campaign, cohort):
    write_scripts(editor, cohort, 1)
    client = client_for(editor)
    url = f"/w/acme/campaigns/{campaign.pk}/"

    idle = studio_tag(client.get(url).content.decode())
    assert 'data-busy="0"' in idle
    assert "hx-get" not in idle
    assert "hx-trigger" not in idle

    generation.start_scripts(actor=editor, cohort=cohort, variants=1)
    busy = studio_tag(client.get(url).content.decode())
    assert 'data-busy="1"' in busy
    assert f'hx-get="{url}"' in busy
    assert 'hx-trigger="every 2s"' in busy
    assert 'hx-select="#studio"' in busy


def test_viewer_sees_the_variants_without_the_write_form(editor, viewer, campaign, cohort):
    (script,) = write_scripts(editor, cohort, 1)

    response = client_for(viewer).get(f"/w/acme/campaigns/{campaign.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="variant-{script.pk}"' in html
    assert f'data-testid="write-variants-{cohort.pk}"' not in html


# --- Writing variants ------------------------------------------------------------------------


def test_editor_starts_writing_variants(editor, campaign, cohort):
    response = client_for(editor).post(f"/w/acme/cohorts/{cohort.pk}/scripts/", {"variants": "2"})

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/campaigns/{campaign.pk}/#studio"
    job = GenerationJob.objects.get()
    assert (job.kind, job.status, job.params) == ("scripts", "queued", {"variants": 2})
    assert (job.workspace_id, job.campaign_id, job.cohort_id, job.script_id) == (
        editor.workspace_id,
        campaign.pk,
        cohort.pk,
        None,
    )
    assert job.created_by == editor.user
    assert messages_of(response) == [
        "Writing scripts for Weekend hikers started; progress shows below."
    ]


@pytest.mark.parametrize("variants", ["0", "9", "x", ""])
def test_a_bad_variant_count_is_refused(editor, campaign, cohort, variants):
    response = client_for(editor).post(
        f"/w/acme/cohorts/{cohort.pk}/scripts/", {"variants": variants}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/campaigns/{campaign.pk}/#studio"
    assert messages_of(response) == ["Pick how many variants to write (1 to 5)."]
    assert not GenerationJob.objects.exists()


def test_a_refusal_of_the_service_comes_back_as_a_message(editor, campaign, cohort):
    Campaign.objects.filter(pk=campaign.pk).update(key_message="")

    response = client_for(editor).post(f"/w/acme/cohorts/{cohort.pk}/scripts/", {"variants": "1"})

    assert response.status_code == 302
    assert messages_of(response) == ["The brief needs a key message: what should people take away?"]
    assert not GenerationJob.objects.exists()


def test_viewer_cannot_write_variants(viewer, cohort):
    response = client_for(viewer).post(f"/w/acme/cohorts/{cohort.pk}/scripts/", {"variants": "1"})

    assert response.status_code == 403
    assert not GenerationJob.objects.exists()


def test_another_workspaces_cohort_is_not_found(editor, rival):
    response = client_for(editor).post(
        f"/w/acme/cohorts/{rival.cohort.pk}/scripts/", {"variants": "1"}
    )

    assert response.status_code == 404
    assert not GenerationJob.objects.filter(cohort=rival.cohort, kind="scripts").exists()


# --- The script's page -----------------------------------------------------------------------

EDIT_CONTROLS = (
    'data-testid="edit-script-form"',
    'data-testid="regenerate-script"',
    'data-testid="make-storyboard"',
    'data-testid="scene-form-1"',
    'data-testid="video-form"',
    ">Use this</button>",
    "/approval/",
)


def test_editor_sees_the_script_page_with_its_controls(editor, script):
    edit_hook(editor, script, "Wet rock? No problem.")
    add_storyboard(script)
    creative = add_creative(script)

    response = client_for(editor).get(f"/w/acme/scripts/{script.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd data-testid="script-hook">Wet rock? No problem.</dd>' in html
    assert 'data-testid="version-1"' in html
    assert 'data-testid="version-2"' in html
    assert f'data-testid="creative-{creative.pk}"' in html
    for control in EDIT_CONTROLS:
        assert control in html, control


def test_viewer_sees_the_script_page_read_only(editor, viewer, script):
    edit_hook(editor, script, "Wet rock? No problem.")
    add_storyboard(script)
    creative = add_creative(script, approved_by=editor.user)

    response = client_for(viewer).get(f"/w/acme/scripts/{script.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd data-testid="script-hook">Wet rock? No problem.</dd>' in html
    assert f'data-testid="creative-{creative.pk}"' in html
    assert 'data-testid="scene-1"' in html
    for control in (*EDIT_CONTROLS, 'data-testid="retry-job"', "/publish/new/"):
        assert control not in html, control
    assert "<form" not in html.split('<div class="row g-4">', 1)[1]


def test_outsider_cannot_see_the_script_page(outsider, script):
    response = client_for(outsider).get(f"/w/acme/scripts/{script.pk}/")

    assert response.status_code == 404


def test_editing_the_script_saves_a_human_version(editor, script):
    first = script.current

    response = client_for(editor).post(
        f"/w/acme/scripts/{script.pk}/edit/",
        edit_data(first, hook="Wet rock? No problem.", hashtags="#trail, ##grip"),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == ["Saved as version 2; earlier versions are kept."]
    script.refresh_from_db()
    edited = script.current
    assert (edited.number, edited.origin, edited.author) == (2, "human", editor.user)
    assert (edited.hook, edited.hashtags) == ("Wet rock? No problem.", ["#trail", "#grip"])
    assert (edited.body, edited.caption, edited.language) == (
        first.body.strip(),
        first.caption.strip(),
        first.language,
    )
    assert ScriptVersion.objects.get(pk=first.pk).hook == first.hook


def test_hashtags_are_split_on_spaces(editor, script):
    """ "#no way" is two hashtags, not a bad one: the field is "separated by spaces"."""
    response = client_for(editor).post(
        f"/w/acme/scripts/{script.pk}/edit/", edit_data(script.current, hashtags="#no way")
    )

    assert response.status_code == 302
    script.refresh_from_db()
    assert script.current.hashtags == ["#no", "#way"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hook": "   "}, "This field is required."),
        ({"caption": ""}, "This field is required."),
        ({"hashtags": "#trail #no-way"}, "“#no-way” isn't a hashtag: letters, digits and _ only."),
        ({"hashtags": "#a!"}, "“#a!” isn't a hashtag: letters, digits and _ only."),
        (
            {"hashtags": " ".join(f"#tag{n}" for n in range(31))},
            "Instagram allows at most 30 hashtags.",
        ),
        ({"on_screen_text": "x" * 201}, "Keep each on-screen line under 200 characters."),
    ],
)
def test_an_invalid_edit_is_shown_again_with_the_reason(editor, script, change, message):
    response = client_for(editor).post(
        f"/w/acme/scripts/{script.pk}/edit/", edit_data(script.current, **change)
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert escape(message) in html
    assert '<details class="mt-3" open data-testid="edit-script">' in html
    assert script.versions.count() == 1


def test_an_unchanged_edit_is_refused(editor, script):
    response = client_for(editor).post(
        f"/w/acme/scripts/{script.pk}/edit/", edit_data(script.current)
    )

    assert response.status_code == 422
    assert escape("Nothing changed, so no new version was saved.") in response.content.decode()
    assert script.versions.count() == 1


def test_viewer_cannot_edit_the_script(viewer, script):
    response = client_for(viewer).post(
        f"/w/acme/scripts/{script.pk}/edit/", edit_data(script.current, hook="Mine now.")
    )

    assert response.status_code == 403
    assert script.versions.count() == 1


def test_an_earlier_version_can_be_used_again(editor, script):
    first = script.current
    edit_hook(editor, script, "Edited.")

    response = client_for(editor).post(f"/w/acme/script-versions/{first.pk}/use/")

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == ["Version 1 is the current one again."]
    script.refresh_from_db()
    assert script.current_id == first.pk
    assert script.versions.count() == 2


# --- Starting jobs from the script's page ----------------------------------------------------


@pytest.mark.parametrize(
    ("action", "kind", "what"),
    [
        ("regenerate", "script", "A new version"),
        ("storyboard", "storyboard", "The storyboard"),
    ],
)
def test_buttons_start_a_job_once(editor, script, action, kind, what):
    response = client_for(editor).post(f"/w/acme/scripts/{script.pk}/{action}/")

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == [f"{what} started; progress shows below."]
    job = GenerationJob.objects.get(kind=kind)
    assert (job.status, job.script_id, job.cohort_id) == ("queued", script.pk, script.cohort_id)

    again = client_for(editor).post(f"/w/acme/scripts/{script.pk}/{action}/")

    assert messages_of(again) == ["The same generation is already running; wait for it to finish."]
    assert GenerationJob.objects.filter(kind=kind).count() == 1


def test_voiceover_is_refused_without_a_storyboard(editor, script):
    response = client_for(editor).post(f"/w/acme/scripts/{script.pk}/voiceover/")

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == ["Make the storyboard first: the voice-over reads its lines."]
    assert not GenerationJob.objects.filter(kind="voiceover").exists()


def test_voiceover_starts_once_there_is_a_storyboard(editor, script):
    add_storyboard(script)

    response = client_for(editor).post(f"/w/acme/scripts/{script.pk}/voiceover/")

    assert messages_of(response) == ["The voice-over started; progress shows below."]
    job = GenerationJob.objects.get(kind="voiceover")
    assert (job.status, job.script_id) == ("queued", script.pk)


def test_videos_start_with_the_chosen_aspects_and_music(editor, script):
    music = add_asset(editor.workspace, "audio", "tune.m4a", source=MediaAsset.Source.UPLOADED)

    response = client_for(editor).post(
        f"/w/acme/scripts/{script.pk}/videos/", {"aspects": ["1:1", "9:16"], "music": music.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == ["Rendering started; progress shows below."]
    job = GenerationJob.objects.get(kind="video")
    assert job.status == "queued"
    assert job.params == {"aspects": ["9:16", "1:1"], "music_id": music.pk, "voiceover": False}


def test_videos_need_an_aspect_ratio(editor, script):
    response = client_for(editor).post(f"/w/acme/scripts/{script.pk}/videos/", {"music": ""})

    assert response.status_code == 422
    assert "Pick at least one aspect ratio." in response.content.decode()
    assert not GenerationJob.objects.filter(kind="video").exists()


def test_another_workspaces_music_is_not_selectable(editor, script, rival):
    response = client_for(editor).post(
        f"/w/acme/scripts/{script.pk}/videos/", {"aspects": ["9:16"], "music": rival.music.pk}
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Select a valid choice. That choice is not one of the available choices." in html
    assert f'value="{rival.music.pk}"' not in select_block(html, "music")
    assert not GenerationJob.objects.filter(kind="video").exists()


def test_music_must_be_an_uploaded_ready_audio_file(editor, script):
    """Generated audio (a voice-over) and unfinished uploads aren't offered as music."""
    voice = add_asset(editor.workspace, "audio", "voiceover-1.mp3")
    tune = add_asset(editor.workspace, "audio", "tune.m4a", source=MediaAsset.Source.UPLOADED)
    MediaAsset.objects.filter(pk=tune.pk).update(status=MediaAsset.Status.PROCESSING)

    for music in (voice, tune):
        response = client_for(editor).post(
            f"/w/acme/scripts/{script.pk}/videos/", {"aspects": ["9:16"], "music": music.pk}
        )
        assert response.status_code == 422
    assert not GenerationJob.objects.filter(kind="video").exists()


# --- Scenes ----------------------------------------------------------------------------------


def scene_data(scene: StoryboardScene, **changes) -> dict:
    return {name: getattr(scene, name) for name in generation.SCENE_FIELDS} | changes


def test_an_invalid_scene_edit_is_shown_again(editor, script):
    scene = add_storyboard(script).scenes.get(position=1)

    response = client_for(editor).post(
        f"/w/acme/scenes/{scene.pk}/edit/", scene_data(scene, duration_s="0.5", visual="Changed")
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Ensure this value is greater than or equal to 1.5." in html
    assert '<details class="mt-1" open>' in html
    scene.refresh_from_db()
    assert (scene.duration_s, scene.visual) == (3.0, "Boots on a wet boulder.")
    assert SceneImage.objects.filter(scene=scene).count() == 1


def test_a_new_scene_text_drops_its_pictures(editor, script):
    storyboard = add_storyboard(script)
    scene = storyboard.scenes.get(position=1)

    response = client_for(editor).post(
        f"/w/acme/scenes/{scene.pk}/edit/",
        scene_data(scene, duration_s="4.5", on_screen_text="Grip."),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == ["Scene 1 saved."]
    scene.refresh_from_db()
    storyboard.refresh_from_db()
    assert (scene.duration_s, scene.on_screen_text) == (4.5, "Grip.")
    assert not SceneImage.objects.filter(scene=scene).exists()
    assert storyboard.origin == "human"


def test_a_new_duration_keeps_the_pictures(editor, script):
    scene = add_storyboard(script).scenes.get(position=1)

    response = client_for(editor).post(
        f"/w/acme/scenes/{scene.pk}/edit/", scene_data(scene, duration_s="6")
    )

    assert response.status_code == 302
    scene.refresh_from_db()
    assert scene.duration_s == 6.0
    assert SceneImage.objects.filter(scene=scene).count() == 1


def test_a_scene_redraw_needs_a_known_aspect(editor, script):
    scene = add_storyboard(script).scenes.get(position=1)

    response = client_for(editor).post(f"/w/acme/scenes/{scene.pk}/redraw/", {"aspect": "16:9"})

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == ["Pick 9:16, 1:1 or 4:5."]
    assert not GenerationJob.objects.filter(kind="image").exists()

    response = client_for(editor).post(f"/w/acme/scenes/{scene.pk}/redraw/", {"aspect": "1:1"})

    assert messages_of(response) == ["Redrawing scene 1 started; progress shows below."]
    job = GenerationJob.objects.get(kind="image")
    assert (job.status, job.scene_id, job.params) == ("queued", scene.pk, {"aspect": "1:1"})


# --- Approval and retries --------------------------------------------------------------------


def test_approving_and_withdrawing_a_video(editor, script):
    creative = add_creative(script)
    client = client_for(editor)
    url = f"/w/acme/creatives/{creative.pk}/approval/"

    response = client.post(url, {"approved": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == ["Approved: it can be published now."]
    creative.refresh_from_db()
    assert creative.approved_at is not None
    assert creative.approved_by == editor.user
    creative.asset.refresh_from_db()
    assert creative.asset.last_used_at == creative.approved_at  # kept from unused-media retention
    page = client.get(f"/w/acme/scripts/{script.pk}/").content.decode()
    assert f'href="/w/acme/publish/new/?creative={creative.pk}"' in page

    response = client.post(url, {"approved": "0"})

    assert messages_of(response) == ["Approval withdrawn."]
    creative.refresh_from_db()
    assert (creative.approved_at, creative.approved_by) == (None, None)


def test_a_failed_job_is_retried(editor, script):
    job = add_job(script, status="failed", error="The provider timed out.", attempts=2)

    response = client_for(editor).post(f"/w/acme/generation/{job.pk}/retry/")

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/scripts/{script.pk}/"
    assert messages_of(response) == ["Trying again; what was already made is kept."]
    job.refresh_from_db()
    assert (job.status, job.error, job.attempts) == ("queued", "", 2)
    assert job.params["attempts_before_retry"] == 2


def test_a_failed_scripts_job_goes_back_to_the_campaign(editor, campaign, cohort):
    job = GenerationJob.objects.create(
        workspace=editor.workspace,
        campaign=campaign,
        cohort=cohort,
        kind="scripts",
        status="failed",
        error="Stopped.",
    )

    response = client_for(editor).post(f"/w/acme/generation/{job.pk}/retry/")

    assert response["Location"] == f"/w/acme/campaigns/{campaign.pk}/#studio"
    job.refresh_from_db()
    assert job.status == "queued"


def test_only_a_failed_job_can_be_retried(editor, script):
    job = add_job(script, status="succeeded", message="Version 2 written.")

    response = client_for(editor).post(f"/w/acme/generation/{job.pk}/retry/")

    assert response.status_code == 302
    assert messages_of(response) == ["Only a failed job can be retried."]
    job.refresh_from_db()
    assert (job.status, job.message) == ("succeeded", "Version 2 written.")


def test_a_failed_job_shows_its_error_and_a_retry_button(editor, viewer, script):
    job = add_job(script, status="failed", error="The provider timed out.", progress=40)

    html = client_for(editor).get(f"/w/acme/scripts/{script.pk}/").content.decode()
    seen = client_for(viewer).get(f"/w/acme/scripts/{script.pk}/").content.decode()

    assert f'data-testid="job-{job.pk}" data-status="failed"' in html
    assert "The provider timed out." in html
    assert f'action="/w/acme/generation/{job.pk}/retry/"' in html
    assert "The provider timed out." in seen
    assert f'action="/w/acme/generation/{job.pk}/retry/"' not in seen


# --- Refusals: roles and other workspaces ----------------------------------------------------

# (URL with {pk} for the object, the rival attribute, POST data)
OBJECT_URLS = [
    ("/w/acme/scripts/{pk}/edit/", "script", {"hook": "x"}),
    ("/w/acme/scripts/{pk}/regenerate/", "script", {}),
    ("/w/acme/scripts/{pk}/storyboard/", "script", {}),
    ("/w/acme/scripts/{pk}/voiceover/", "script", {}),
    ("/w/acme/scripts/{pk}/videos/", "script", {"aspects": ["9:16"]}),
    ("/w/acme/script-versions/{pk}/use/", "version", {}),
    ("/w/acme/scenes/{pk}/edit/", "scene", {"duration_s": "3", "visual": "x"}),
    ("/w/acme/scenes/{pk}/redraw/", "scene", {"aspect": "9:16"}),
    ("/w/acme/creatives/{pk}/approval/", "creative", {"approved": "0"}),
    ("/w/acme/generation/{pk}/retry/", "job", {}),
]


def snapshot(rows) -> dict:
    """What a refused request must leave alone (``rows``: a script and its scene, video, job)."""
    rows.creative.refresh_from_db()
    rows.scene.refresh_from_db()
    return {
        "jobs": list(GenerationJob.objects.order_by("pk").values_list("pk", "status", "params")),
        "versions": rows.script.versions.count(),
        "current": Script.objects.get(pk=rows.script.pk).current_id,
        "approved": (rows.creative.approved_at, rows.creative.approved_by_id),
        "scene": (rows.scene.duration_s, rows.scene.visual),
        "images": SceneImage.objects.filter(scene=rows.scene).count(),
    }


def test_another_workspaces_script_page_is_not_found(editor, rival):
    response = client_for(editor).get(f"/w/acme/scripts/{rival.script.pk}/")

    assert response.status_code == 404


@pytest.mark.parametrize(("url", "attr", "data"), OBJECT_URLS)
def test_another_workspaces_objects_are_not_found(editor, rival, url, attr, data):
    before = snapshot(rival)

    response = client_for(editor).post(url.format(pk=getattr(rival, attr).pk), data)

    assert response.status_code == 404
    assert snapshot(rival) == before


@pytest.mark.parametrize(("url", "attr", "data"), OBJECT_URLS)
def test_viewer_is_refused_every_change(viewer, editor, script, url, attr, data):
    storyboard = add_storyboard(script)
    ours = SimpleNamespace(
        script=script,
        version=script.current,
        scene=storyboard.scenes.get(position=1),
        creative=add_creative(script, approved_by=editor.user),
        job=add_job(script, status="failed", error="Stopped."),
    )
    before = snapshot(ours)

    response = client_for(viewer).post(url.format(pk=getattr(ours, attr).pk), data)

    assert response.status_code == 403
    assert snapshot(ours) == before


# --- AI settings -----------------------------------------------------------------------------

SETTINGS_FORM = {
    "provider": "offline",
    "text_model": "",
    "image_model": "",
    "speech_model": "",
    "voice": "alloy",
    "monthly_cap_usd": "5.00",
}


@pytest.mark.parametrize("persona", ["viewer", "editor"])
def test_members_who_cannot_manage_see_the_settings_read_only(cast, persona):
    client = client_for(cast[persona])

    page = client.get("/w/acme/ai/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="ai-settings-form"' not in html
    assert "Owners and admins can change it." in html

    response = client.post("/w/acme/ai/", SETTINGS_FORM)

    assert response.status_code == 403
    assert not AISettings.objects.exists()


def test_owner_saves_the_ai_settings(owner):
    client = client_for(owner)
    assert 'data-testid="ai-settings-form"' in client.get("/w/acme/ai/").content.decode()

    response = client.post("/w/acme/ai/", SETTINGS_FORM | {"text_model": "gpt-4.1-mini"})

    assert response.status_code == 302
    assert response["Location"] == "/w/acme/ai/"
    assert messages_of(response) == ["AI settings saved."]
    row = AISettings.objects.get(workspace=owner.workspace)
    assert (row.provider, row.monthly_cap_usd, row.text_model, row.voice) == (
        "offline",
        Decimal("5.00"),
        "gpt-4.1-mini",
        "alloy",
    )
    assert "of $5.00" in client.get("/w/acme/ai/").content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"text_model": "gpt 4; drop"},
            "A model name is letters, digits, dots, dashes, colons or underscores "
            "(e.g. gpt-4.1-mini).",
        ),
        ({"voice": "Alloy!"}, "A voice is a lowercase name, e.g. alloy."),
        ({"monthly_cap_usd": "-1"}, "Ensure this value is greater than or equal to 0."),
        (
            {"provider": "openai"},
            "This server has no OpenAI key (OPENAI_API_KEY), so OpenAI can't be chosen.",
        ),
    ],
)
def test_invalid_ai_settings_are_shown_again(owner, change, message):
    response = client_for(owner).post("/w/acme/ai/", SETTINGS_FORM | change)

    assert response.status_code == 422
    assert escape(message) in response.content.decode()
    assert not AISettings.objects.exists()


def test_a_refused_save_shows_the_cap_in_force(owner, settings):
    settings.AI_MONTHLY_COST_CAP_USD = 50

    response = client_for(owner).post(
        "/w/acme/ai/", SETTINGS_FORM | {"provider": "openai", "monthly_cap_usd": "7.00"}
    )

    assert response.status_code == 422
    assert not AISettings.objects.exists()
    assert "of $50.00" in response.content.decode()


def test_openai_can_be_chosen_when_the_server_has_a_key(owner, settings):
    settings.OPENAI_API_KEY = "sk-test"

    response = client_for(owner).post("/w/acme/ai/", SETTINGS_FORM | {"provider": "openai"})

    assert response.status_code == 302
    assert AISettings.objects.get(workspace=owner.workspace).provider == "openai"


def test_the_page_lists_recent_calls_and_the_months_spend(owner, outsider, campaign, settings):
    settings.AI_MONTHLY_COST_CAP_USD = 10

    def call(workspace, model: str, cost: int, **extra) -> AICall:
        return AICall.objects.create(
            workspace=workspace,
            provider="openai",
            model=model,
            operation="write_scripts",
            unit="tokens",
            input_units=1200,
            output_units=300,
            cost_micro_usd=cost,
            **extra,
        )

    call(owner.workspace, "gpt-4.1-mini", 4200, campaign=campaign)
    call(owner.workspace, "gpt-image-1", 1_500_000, campaign=campaign)
    old = call(owner.workspace, "gpt-old", 3_000_000)
    AICall.objects.filter(pk=old.pk).update(created_at=generation.month_start() - timedelta(days=3))
    call(outsider.workspace, "rival-model", 7_000_000)

    response = client_for(owner).get("/w/acme/ai/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="fs-4 fw-semibold" data-testid="spent">$1.50</span>' in html
    assert "of $10.00" in html
    assert 'max="100" value="15"' in html
    calls = re.search(r'<table[^>]*data-testid="ai-calls".*?</table>', html, re.S).group(0)
    costs = re.findall(r"<td[^>]*>(\$[0-9.,]+)</td>", calls)
    assert costs == ["$1.50", "$0.0042", "$3.00"]  # newest first
    assert calls.count("<tr>") == 4  # the header and this workspace's three calls
    assert "<code>gpt-old</code>" in calls
    assert "Trail launch" in calls
    assert "rival-model" not in html


def test_the_calls_are_paged(owner):
    AICall.objects.bulk_create(
        AICall(
            workspace=owner.workspace,
            provider="offline",
            model=f"model-{n}",
            operation="write_scripts",
            unit="tokens",
        )
        for n in range(26)
    )
    client = client_for(owner)

    first = client.get("/w/acme/ai/").content.decode()
    second = client.get("/w/acme/ai/", {"page": "2"}).content.decode()

    assert first.count("<code>model-") == 25
    assert "1\u201325 of 26 calls" in first
    assert 'href="?page=2">Older</a>' in first
    assert second.count("<code>model-") == 1
    assert 'href="?page=1">Newer</a>' in second


# --- Publishing an approved video ------------------------------------------------------------


def test_an_approved_video_prefills_a_new_publication(editor, script):
    creative = add_creative(script, approved_by=editor.user)
    caption = script.current.caption

    response = client_for(editor).get(f"/w/acme/publish/new/?creative={creative.pk}")

    assert response.status_code == 200
    html = response.content.decode()
    assert selected(select_block(html, "item_1")) == [str(creative.asset_id)]
    assert selected(select_block(html, "target")) == ["ig_reel"]
    assert f">\n{escape(caption)}</textarea>" in html
    assert f'value="{escape("Trail launch · variant 1 (9:16)")}"' in html


def test_a_square_video_prefills_a_feed_post(editor, script):
    creative = add_creative(script, aspect="1:1", approved_by=editor.user)

    html = client_for(editor).get(f"/w/acme/publish/new/?creative={creative.pk}").content.decode()

    assert selected(select_block(html, "target")) == ["ig_feed"]


def test_an_unapproved_video_is_not_prefilled(editor, script):
    creative = add_creative(script)

    response = client_for(editor).get(f"/w/acme/publish/new/?creative={creative.pk}")

    assert response.status_code == 200
    html = response.content.decode()
    assert escape("That video isn't approved yet; approve it first.") in html
    assert selected(select_block(html, "item_1")) == [""]
    assert escape(script.current.caption) not in html


def test_another_workspaces_video_is_not_found(editor, rival):
    response = client_for(editor).get(f"/w/acme/publish/new/?creative={rival.creative.pk}")

    assert response.status_code == 404


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", ""])
def test_a_non_numeric_creative_is_ignored(editor, value):
    response = client_for(editor).get("/w/acme/publish/new/", {"creative": value})

    assert response.status_code == 200
    assert "approve it first" not in response.content.decode()


def test_a_superscript_digit_is_ignored(editor):
    response = client_for(editor).get("/w/acme/publish/new/", {"creative": "²"})

    assert response.status_code == 200


def test_a_missing_creative_is_not_found(editor):
    response = client_for(editor).get("/w/acme/publish/new/?creative=999999")

    assert response.status_code == 404


def test_viewer_cannot_open_the_publish_prefill(editor, viewer, script):
    creative = add_creative(script, approved_by=editor.user)

    response = client_for(viewer).get(f"/w/acme/publish/new/?creative={creative.pk}")

    assert response.status_code == 403
