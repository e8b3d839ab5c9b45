"""AI generation jobs: scripts, versions, storyboards, images, voice-over, videos, the cost cap.

Jobs run in-process through ``generation.run_generation_job`` (the worker's entry point; a real
worker is in test_generation_worker.py). The OpenAI path goes through the real SDK against the
local fake (tests/openai_fake.py); media is kept in a filesystem storage under ``tmp_path``.
"""

import subprocess
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from imageio_ffmpeg import get_ffmpeg_exe

from campaigns.models import AudienceCohort, Campaign
from creatives.library import privacy as library_privacy
from creatives.library import services as media_services
from creatives.library.media.inspect import inspect_file
from creatives.library.media.specs import check_conformance
from creatives.library.models import MediaAsset
from creatives.studio import generation, privacy
from creatives.studio.errors import GenerationError
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
from prosocial.erasure import erase_user_data
from prosocial.exporting import collect_workspace_export
from prosocial.jobs import claim_job_row
from tests.media_samples import make_image
from tests.openai_fake import OpenAIFake, speech_mp3, speech_seconds

IMAGE_PATH = "/v1/images/generations"

pytestmark = pytest.mark.usefixtures("media_root", "no_server_key")


@pytest.fixture
def campaign(editor):
    return Campaign.objects.create(
        workspace=editor.workspace,
        created_by=editor.user,
        name="Trail launch",
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
        brand_colors=["#0B3D2E"],
    )


@pytest.fixture
def cohort(campaign):
    return AudienceCohort.objects.create(
        campaign=campaign, name="Weekend hikers", countries=["DE"], interests=["hiking"]
    )


@pytest.fixture(scope="module")
def running_fake() -> Iterator[OpenAIFake]:
    with OpenAIFake().running() as fake:
        yield fake


@pytest.fixture
def fake(running_fake, settings, workspace):
    """The OpenAI fake, with the server's key and the workspace's provider set to OpenAI."""
    running_fake.reset()
    running_fake.slow_seconds = 2.0
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = running_fake.url
    settings.OPENAI_TEXT_MODEL = "gpt-4.1-mini"
    settings.OPENAI_IMAGE_MODEL = "gpt-image-1"
    settings.OPENAI_SPEECH_MODEL = "gpt-4o-mini-tts"
    settings.OPENAI_TIMEOUT_SECONDS = 10
    AISettings.objects.create(workspace=workspace, provider=AISettings.Provider.OPENAI)
    return running_fake


def run(job: GenerationJob) -> GenerationJob:
    generation.run_generation_job(job_id=job.pk)
    job.refresh_from_db()
    return job


def scripts_of(cohort) -> list[Script]:
    return list(Script.objects.filter(cohort=cohort).order_by("number"))


def one_script(editor, cohort) -> Script:
    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=1))
    assert job.status == GenerationJob.Status.SUCCEEDED, job.error
    (script,) = scripts_of(cohort)
    return script


def text_of(version: ScriptVersion) -> dict:
    return {name: getattr(version, name) for name in generation.SCRIPT_FIELDS}


def image_requests(fake: OpenAIFake) -> int:
    return sum(1 for request in fake.requests if request.path == IMAGE_PATH)


def music_file(path, seconds=8.0):
    args = [get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    args += ["-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}"]
    args += ["-c:a", "aac", "-b:a", "96k", str(path)]
    subprocess.run(args, check=True, timeout=60)  # noqa: S603
    return path


def upload(membership, path, content_type="application/octet-stream"):
    uploaded = SimpleUploadedFile(path.name, path.read_bytes(), content_type=content_type)
    return media_services.upload_media(actor=membership, uploaded=uploaded)


def reprobe(asset: MediaAsset):
    with media_services.local_copy(asset.storage_key) as path:
        return inspect_file(path)


# --- Scripts and versions (offline) ---------------------------------------------------------


def test_offline_scripts_job_writes_variants_and_records_calls(editor, cohort):
    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=3))

    assert (job.status, job.progress, job.error, job.retryable) == ("succeeded", 100, "", False)
    assert job.message == "3 variants written."
    assert job.lease_expires_at is None
    assert job.finished_at is not None
    scripts = scripts_of(cohort)
    assert [script.number for script in scripts] == [1, 2, 3]
    assert job.params["script_ids"] == [script.pk for script in scripts]
    for script in scripts:
        (version,) = script.versions.all()
        assert (version.number, version.origin, version.provider) == (1, "ai", "offline")
        assert script.current_id == version.pk
        assert version.hook
        assert version.voiceover
    assert len({script.current.hook for script in scripts}) == 3
    (call,) = AICall.objects.filter(job=job)
    assert (call.provider, call.operation, call.cost_micro_usd) == ("offline", "write_scripts", 0)
    assert (call.workspace_id, call.campaign_id) == (editor.workspace_id, cohort.campaign_id)
    assert "Acme Trail Shoes" in call.prompt


def test_second_run_continues_numbering_with_new_hooks(editor, cohort):
    run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))
    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))

    assert job.status == "succeeded"
    scripts = scripts_of(cohort)
    assert [script.number for script in scripts] == [1, 2, 3, 4]
    assert len({script.current.hook for script in scripts}) == 4


def test_edit_makes_a_human_version_and_keeps_the_ai_one(editor, cohort):
    script = one_script(editor, cohort)
    first = script.current
    fields = text_of(first) | {"hook": "Wet rock? No problem.", "hashtags": ["#trail"]}

    edited = generation.edit_script(actor=editor, script=script, fields=fields)

    script.refresh_from_db()
    assert (edited.number, edited.origin, edited.author) == (2, "human", editor.user)
    assert (edited.hook, edited.hashtags, edited.language) == (
        "Wet rock? No problem.",
        ["#trail"],
        first.language,
    )
    assert script.current_id == edited.pk
    assert list(script.versions.values_list("number", "origin")) == [(2, "human"), (1, "ai")]
    assert ScriptVersion.objects.get(pk=first.pk).hook == first.hook

    with pytest.raises(GenerationError, match="Nothing changed"):
        generation.edit_script(actor=editor, script=script, fields=text_of(edited))
    assert script.versions.count() == 2

    generation.use_version(actor=editor, script=script, version=first)
    script.refresh_from_db()
    assert script.current_id == first.pk


def test_use_version_refuses_a_version_of_another_script(editor, cohort):
    run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))
    one, two = scripts_of(cohort)

    with pytest.raises(GenerationError, match="another script"):
        generation.use_version(actor=editor, script=one, version=two.current)
    one.refresh_from_db()
    assert one.current.script_id == one.pk


def test_regenerate_adds_an_ai_version_with_new_text(editor, cohort):
    script = one_script(editor, cohort)
    first = script.current

    job = run(generation.regenerate_script(actor=editor, script=script))

    assert (job.status, job.message) == ("succeeded", "Version 2 written.")
    script.refresh_from_db()
    assert (script.current.number, script.current.origin) == (2, "ai")
    assert script.current.hook != first.hook
    assert list(script.versions.values_list("number", flat=True)) == [2, 1]


def test_viewer_cannot_edit(editor, viewer, cohort):
    script = one_script(editor, cohort)
    fields = text_of(script.current) | {"hook": "Changed"}

    with pytest.raises(GenerationError, match="role"):
        generation.edit_script(actor=viewer, script=script, fields=fields)
    assert script.versions.count() == 1


# --- Storyboards and scene edits -------------------------------------------------------------


def test_storyboard_job_and_scene_edits(editor, cohort, tmp_path):
    script = one_script(editor, cohort)
    job = run(generation.start_storyboard(actor=editor, script=script))

    assert job.status == "succeeded", job.error
    storyboard = generation.current_storyboard(script)
    scenes = list(storyboard.scenes.all())
    assert job.message == f"Storyboard with {len(scenes)} scenes ready."
    assert len(scenes) >= 3
    assert [scene.position for scene in scenes] == list(range(1, len(scenes) + 1))
    assert scenes[0].voiceover_line == script.current.hook
    assert (storyboard.script_version_id, storyboard.origin) == (script.current_id, "ai")
    assert list(AICall.objects.filter(job=job).values_list("operation", flat=True)) == [
        "make_storyboard"
    ]

    scene = scenes[0]
    drawn = run(generation.regenerate_scene_image(actor=editor, scene=scene, aspect="1:1"))
    assert drawn.status == "succeeded", drawn.error
    image = SceneImage.objects.get(scene=scene, aspect="1:1")
    assert (image.asset.kind, image.asset.source) == ("image", "generated")
    assert (image.asset.width, image.asset.height) == (1080, 1080)
    voice = keep_voiceover(editor, tmp_path, "A line to say.")
    Storyboard.objects.filter(pk=storyboard.pk).update(voiceover=voice)

    # A new spoken line drops the voice-over; the picture (no text change) stays.
    fields = {name: getattr(scene, name) for name in generation.SCENE_FIELDS}
    generation.edit_scene(actor=editor, scene=scene, fields=fields | {"voiceover_line": "New."})
    storyboard.refresh_from_db()
    assert (storyboard.voiceover_id, storyboard.origin) == (None, "human")
    assert SceneImage.objects.filter(scene=scene).count() == 1

    # New on-screen text drops the scene's pictures (the next video job redraws them).
    Storyboard.objects.filter(pk=storyboard.pk).update(voiceover=voice)
    generation.edit_scene(
        actor=editor,
        scene=scene,
        fields=fields | {"voiceover_line": "New.", "on_screen_text": "Grip."},
    )
    storyboard.refresh_from_db()
    scene.refresh_from_db()
    assert SceneImage.objects.filter(scene=scene).count() == 0
    assert storyboard.voiceover_id == voice.pk  # the line did not change this time
    assert (scene.on_screen_text, scene.voiceover_line) == ("Grip.", "New.")


def keep_voiceover(membership, folder, text: str) -> MediaAsset:
    path = folder / "voice.mp3"
    path.write_bytes(speech_mp3(text))
    return media_services.keep_generated_file(
        workspace=membership.workspace, path=path, filename="voice.mp3"
    )


def test_voiceover_needs_a_storyboard(editor, cohort):
    script = one_script(editor, cohort)

    with pytest.raises(GenerationError, match="storyboard first"):
        generation.start_voiceover(actor=editor, script=script)
    assert GenerationJob.objects.filter(kind="voiceover").count() == 0


def test_offline_voiceover_job_explains_there_is_no_voice(editor, cohort):
    script = one_script(editor, cohort)
    run(generation.start_storyboard(actor=editor, script=script))

    job = run(generation.start_voiceover(actor=editor, script=script))

    assert job.status == "succeeded"
    assert "no voice" in job.message
    assert generation.current_storyboard(script).voiceover is None


# --- Videos (offline; each render takes seconds, so one job makes both) ----------------------


def test_offline_video_job_renders_conforming_videos_with_music(editor, cohort, tmp_path):
    music = upload(editor, music_file(tmp_path / "music.m4a"))
    assert music.kind == "audio"
    script = one_script(editor, cohort)

    job = run(
        generation.start_videos(actor=editor, script=script, aspects=["1:1", "9:16"], music=music)
    )

    assert (job.status, job.progress) == ("succeeded", 100), job.error
    assert job.message == "2 videos ready in the media library."
    creatives = {creative.aspect: creative for creative in Creative.objects.filter(script=script)}
    assert set(creatives) == {"9:16", "1:1"}
    assert job.params["creatives"] == {aspect: c.pk for aspect, c in creatives.items()}
    storyboard = generation.current_storyboard(script)
    scenes = storyboard.scenes.count()
    assert SceneImage.objects.filter(scene__storyboard=storyboard).count() == 2 * scenes
    for aspect, size, placement in (
        ("9:16", (1080, 1920), "ig_reel"),
        ("1:1", (1080, 1080), "ig_feed_video"),
    ):
        creative = creatives[aspect]
        asset = creative.asset
        assert (creative.music_id, creative.storyboard_id) == (music.pk, storyboard.pk)
        assert (asset.kind, asset.source, asset.workspace_id) == (
            "video",
            "generated",
            editor.workspace_id,
        )
        assert asset.created_by == editor.user
        facts = reprobe(asset)
        assert (facts.width, facts.height, facts.has_audio) == (*size, True)
        assert facts.duration_seconds > 5
        failing = [r.rule for r in check_conformance(facts, placement) if not r.ok]
        assert failing == ([] if aspect == "9:16" else ["recommended_aspect"])  # 4:5 advised
    music.refresh_from_db()
    assert music.last_used_at is not None


def test_start_videos_refuses_bad_choices(editor, outsider, cohort, tmp_path):
    script = one_script(editor, cohort)
    theirs = upload(outsider, music_file(tmp_path / "theirs.m4a", seconds=2))
    picture = upload(editor, make_image(tmp_path / "photo.jpg", width=640, height=640))

    with pytest.raises(GenerationError, match="at least one aspect"):
        generation.start_videos(actor=editor, script=script, aspects=["16:9"])
    for music in (theirs, picture):
        with pytest.raises(GenerationError, match="ready audio file from this workspace"):
            generation.start_videos(actor=editor, script=script, aspects=["9:16"], music=music)
    assert GenerationJob.objects.filter(kind="video").count() == 0


# --- Refused starts ----------------------------------------------------------------------------


@pytest.mark.parametrize("variants", [0, 6])
def test_variant_count_is_bounded(editor, cohort, variants):
    with pytest.raises(GenerationError, match="between 1 and 5"):
        generation.start_scripts(actor=editor, cohort=cohort, variants=variants)
    assert GenerationJob.objects.count() == 0


def test_archived_campaign_is_refused(editor, cohort, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ARCHIVED)
    cohort.refresh_from_db()

    with pytest.raises(GenerationError, match="archived"):
        generation.start_scripts(actor=editor, cohort=cohort, variants=2)
    assert GenerationJob.objects.count() == 0


def test_empty_key_message_is_refused(editor, cohort, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(key_message="  ")
    cohort.refresh_from_db()

    with pytest.raises(GenerationError, match="needs a key message"):
        generation.start_scripts(actor=editor, cohort=cohort, variants=2)
    assert GenerationJob.objects.count() == 0


def test_same_job_twice_is_refused_while_open(editor, cohort):
    first = generation.start_scripts(actor=editor, cohort=cohort, variants=2)

    with pytest.raises(GenerationError, match="already running"):
        generation.start_scripts(actor=editor, cohort=cohort, variants=3)
    assert list(GenerationJob.objects.values_list("pk", flat=True)) == [first.pk]

    run(first)
    second = generation.start_scripts(actor=editor, cohort=cohort, variants=1)
    assert second.status == "queued"


def test_viewer_cannot_generate(viewer, cohort):
    with pytest.raises(GenerationError, match="role"):
        generation.start_scripts(actor=viewer, cohort=cohort, variants=2)
    assert GenerationJob.objects.count() == 0


def test_start_enqueues_the_job_after_commit(editor, cohort, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = generation.start_scripts(actor=editor, cohort=cohort, variants=2)

    assert len(callbacks) == 1
    assert (job.status, job.kind, job.params, job.created_by) == (
        "queued",
        "scripts",
        {"variants": 2},
        editor.user,
    )


# --- OpenAI through the SDK against the fake ---------------------------------------------------


def test_openai_scripts_job_records_model_and_cost(editor, cohort, fake):
    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))

    assert job.status == "succeeded", job.error
    scripts = scripts_of(cohort)
    assert [s.current.hook for s in scripts] == [
        "Hook 1 for Acme Trail Shoes",
        "Hook 2 for Acme Trail Shoes",
    ]
    assert {(s.current.provider, s.current.model) for s in scripts} == {("openai", "gpt-4.1-mini")}
    (call,) = AICall.objects.filter(job=job)
    assert (call.provider, call.model, call.operation, call.unit) == (
        "openai",
        "gpt-4.1-mini",
        "write_scripts",
        "tokens",
    )
    assert (call.input_units, call.output_units) == (1000, 500)
    assert call.cost_micro_usd > 0
    assert generation.spent_micro_usd(editor.workspace_id) == call.cost_micro_usd
    assert generation.campaign_cost_micro_usd(cohort.campaign) == call.cost_micro_usd
    assert [r.path for r in fake.requests] == ["/v1/chat/completions"]


def test_quota_fails_for_good_and_writes_nothing(editor, cohort, fake):
    fake.fail_next("quota")  # an exhausted quota is not retried

    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))

    assert (job.status, job.retryable) == ("failed", False)
    assert "out of credit or over its quota" in job.error
    assert job.message == "Stopped: see why below."
    assert job.lease_expires_at is None
    assert Script.objects.count() == 0
    assert ScriptVersion.objects.count() == 0
    assert AICall.objects.filter(job=job).count() == 0  # nothing answered, nothing billed
    assert len(fake.requests) == 1


def test_malformed_output_fails_retryably_and_a_retry_succeeds(editor, cohort, fake):
    fake.fail_next("malformed")

    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))

    assert (job.status, job.retryable) == ("failed", True), job.error
    assert job.error
    assert Script.objects.count() == 0

    job = generation.retry_job(actor=editor, job=job)
    assert (job.status, job.error, job.retryable) == ("queued", "", False)
    job = run(job)

    assert (job.status, job.attempts) == ("succeeded", 2), job.error
    assert len(scripts_of(cohort)) == 2


def test_a_retried_job_is_due_now_even_if_its_failure_set_a_later_time(editor, cohort, fake):
    fake.fail_next("malformed")
    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=1))
    later = timezone.now() + timedelta(hours=1)
    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=later)
    job.refresh_from_db()

    generation.retry_job(actor=editor, job=job)

    job.refresh_from_db()
    assert job.next_attempt_at is not None
    assert job.next_attempt_at <= timezone.now()


def test_retry_is_only_for_failed_jobs(editor, cohort):
    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=1))

    with pytest.raises(GenerationError, match="Only a failed job"):
        generation.retry_job(actor=editor, job=job)


def test_unknown_model_is_named_in_the_error(editor, cohort, fake):
    AISettings.objects.filter(workspace=editor.workspace).update(text_model="nope")
    fake.fail_next("model")

    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))

    assert (job.status, job.retryable) == ("failed", False)
    assert job.error == "OpenAI has no model “nope” for this key; check the model setting."
    assert fake.requests[0].body["model"] == "nope"
    assert Script.objects.count() == 0


def test_timeout_fails_retryably(editor, cohort, fake, settings):
    settings.OPENAI_TIMEOUT_SECONDS = 0.3
    fake.slow_seconds = 1.0
    fake.fail_next("slow", "slow", "slow")  # the SDK retries a timeout twice

    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))

    assert (job.status, job.retryable) == ("failed", True)
    assert "did not answer in time" in job.error
    assert Script.objects.count() == 0


def test_openai_voiceover_job_keeps_the_audio(editor, cohort, fake):
    script = one_script(editor, cohort)
    run(generation.start_storyboard(actor=editor, script=script))

    job = run(generation.start_voiceover(actor=editor, script=script))

    assert (job.status, job.message) == ("succeeded", "Voice-over recorded."), job.error
    voice = generation.current_storyboard(script).voiceover
    assert (voice.kind, voice.source, voice.content_type) == ("audio", "generated", "audio/mpeg")
    spoken = "Spoken 1 Spoken 2 Spoken 3"  # the fake storyboard's lines, joined
    assert voice.duration_seconds == pytest.approx(speech_seconds(spoken), abs=0.15)
    (call,) = AICall.objects.filter(job=job)
    assert (call.operation, call.model, call.unit, call.input_units) == (
        "speak",
        "gpt-4o-mini-tts",
        "characters",
        len(spoken),
    )
    assert call.cost_micro_usd > 0


def test_failed_video_keeps_its_images_and_retry_does_not_redraw_them(editor, cohort, fake):
    script = one_script(editor, cohort)
    run(generation.start_storyboard(actor=editor, script=script))
    storyboard = generation.current_storyboard(script)
    fake.reset()
    fake.fail_next("ok", "ok", "bad_image")  # the third scene's picture comes back broken

    job = run(generation.start_videos(actor=editor, script=script, aspects=["9:16"]))

    assert (job.status, job.retryable) == ("failed", True), job.error
    kept = dict(
        SceneImage.objects.filter(scene__storyboard=storyboard).values_list(
            "scene__position", "asset_id"
        )
    )
    assert set(kept) == {1, 2}
    assert image_requests(fake) == 3
    assert Creative.objects.count() == 0
    assert AICall.objects.filter(job=job, operation="make_image").count() == 3

    job = run(generation.retry_job(actor=editor, job=job))

    assert job.status == "succeeded", job.error
    assert image_requests(fake) == 4  # only the missing third picture
    images = dict(
        SceneImage.objects.filter(scene__storyboard=storyboard).values_list(
            "scene__position", "asset_id"
        )
    )
    assert {k: images[k] for k in (1, 2)} == kept
    assert set(images) == {1, 2, 3}
    (creative,) = Creative.objects.filter(script=script)
    storyboard.refresh_from_db()
    assert storyboard.voiceover is not None
    facts = reprobe(creative.asset)
    assert (facts.width, facts.height, facts.has_audio) == (1080, 1920, True)
    assert [r.rule for r in check_conformance(facts, "ig_reel") if not r.ok] == []


# --- The monthly cost cap -------------------------------------------------------------------


def at_cap(workspace, cap="0.01"):
    AISettings.objects.update_or_create(
        workspace=workspace, defaults={"monthly_cap_usd": Decimal(cap)}
    )
    AICall.objects.create(
        workspace=workspace,
        provider="openai",
        model="gpt-4.1-mini",
        operation="write_scripts",
        unit="tokens",
        cost_micro_usd=10_000,
    )


def test_cost_cap_stops_a_paid_job_before_any_request(editor, cohort, fake):
    at_cap(editor.workspace)

    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))

    assert (job.status, job.retryable) == ("failed", False)
    assert "has used $0.0100 of its $0.0100 monthly AI budget" in job.error
    assert fake.requests == []
    assert Script.objects.count() == 0
    assert AICall.objects.filter(job=job).count() == 0


def test_cost_cap_does_not_apply_to_the_free_provider(editor, cohort):
    at_cap(editor.workspace)
    AISettings.objects.filter(workspace=editor.workspace).update(provider="offline")

    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=2))

    assert job.status == "succeeded", job.error
    assert len(scripts_of(cohort)) == 2


def test_last_months_spend_does_not_count(editor, cohort, fake):
    at_cap(editor.workspace)
    AICall.objects.update(created_at=generation.month_start() - timedelta(days=1))

    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=1))

    assert job.status == "succeeded", job.error


# --- Leases and fencing -----------------------------------------------------------------------


def claim(job):
    return claim_job_row(
        GenerationJob,
        job.pk,
        runnable={"status__in": generation.OPEN},
        lease=generation.GENERATION.lease_length(),
    )


def test_a_leased_job_is_not_run_by_a_second_worker(editor, cohort):
    job = generation.start_scripts(actor=editor, cohort=cohort, variants=2)
    assert claim(job) is True
    assert claim(job) is False

    job = run(job)

    assert (job.status, job.attempts) == ("queued", 1)
    assert Script.objects.count() == 0


def test_an_expired_lease_is_swept_and_run_again(editor, cohort):
    job = generation.start_scripts(actor=editor, cohort=cohort, variants=2)
    assert claim(job) is True
    assert generation.sweep_generation_jobs() == 0

    GenerationJob.objects.filter(pk=job.pk).update(
        status="running", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert generation.sweep_generation_jobs() == 1

    job = run(job)
    assert (job.status, job.attempts) == ("succeeded", 2)


def test_a_stale_worker_cannot_write(editor, cohort):
    job = generation.start_scripts(actor=editor, cohort=cohort, variants=2)
    assert claim(job) is True
    job.refresh_from_db()
    stale = generation._Run(job=job, attempt=job.attempts)
    # Its lease ran out and another worker claimed the job (attempts moved on).
    GenerationJob.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)

    with pytest.raises(generation.LeaseLost):
        stale.update(progress=50, message="Stale")
    with pytest.raises(generation.LeaseLost), stale.owned():
        Script.objects.create(campaign=cohort.campaign, cohort=cohort, number=1)
    job.refresh_from_db()
    assert (job.progress, job.message) == (0, "Waiting for a worker…")
    assert Script.objects.count() == 0


def test_a_job_that_keeps_stopping_gives_up(editor, cohort):
    job = generation.start_scripts(actor=editor, cohort=cohort, variants=2)
    GenerationJob.objects.filter(pk=job.pk).update(attempts=generation.MAX_ATTEMPTS)

    job = run(job)

    assert (job.status, job.retryable) == ("failed", True)
    assert "stopped 4 times" in job.error
    assert Script.objects.count() == 0


# --- Privacy: export and erasure ---------------------------------------------------------------


@pytest.fixture
def generated(editor, owner, cohort):
    """A script with an edited version, a storyboard, a scene picture and an approved video."""
    script = one_script(editor, cohort)
    generation.edit_script(
        actor=editor, script=script, fields=text_of(script.current) | {"hook": "Edited."}
    )
    run(generation.start_storyboard(actor=editor, script=script))
    scene = generation.current_storyboard(script).scenes.first()
    run(generation.regenerate_scene_image(actor=editor, scene=scene, aspect="1:1"))
    image = SceneImage.objects.get(scene=scene)
    creative = Creative.objects.create(
        script=script, storyboard=scene.storyboard, aspect="1:1", asset=image.asset
    )
    generation.set_creative_approval(actor=owner, creative=creative, approved=True)
    return script


def test_workspace_export_has_every_ai_record(editor, outsider, generated):
    theirs = Campaign.objects.create(
        workspace=outsider.workspace, name="Theirs", product_name="Rival", key_message="Ours."
    )
    their_cohort = AudienceCohort.objects.create(campaign=theirs, name="All", countries=["FR"])
    run(generation.start_scripts(actor=outsider, cohort=their_cohort, variants=1))

    part = privacy.export_workspace(editor.workspace_id)

    records = part.records
    script = generated
    storyboard = generation.current_storyboard(script)
    assert [r["id"] for r in records["scripts"]] == [script.pk]
    assert [(r["number"], r["origin"]) for r in records["script_versions"]] == [
        (1, "ai"),
        (2, "human"),
    ]
    assert [r["id"] for r in records["storyboards"]] == [storyboard.pk]
    assert len(records["storyboard_scenes"]) == storyboard.scenes.count()
    assert len(records["scene_images"]) == 1
    assert [r["aspect"] for r in records["creatives"]] == ["1:1"]
    mine = GenerationJob.objects.filter(workspace=editor.workspace).order_by("pk")
    assert [r["id"] for r in records["generation_jobs"]] == [j.pk for j in mine]
    assert [r["operation"] for r in records["ai_calls"]] == [
        "write_scripts",
        "make_storyboard",
        "make_image",
    ]
    assert all(r["workspace_id"] == editor.workspace_id for r in records["ai_calls"])
    assert "Rival" not in str(records)
    # Registered with the export registry under the app's name (creatives/apps.py).
    collected = collect_workspace_export(editor.workspace_id).records
    assert len(collected["studio.script_versions"]) == 2
    assert len(collected["studio.generation_jobs"]) == 3
    # The scene picture is a media asset, exported with its file.
    files = library_privacy.export_workspace(editor.workspace_id).files
    assert {f.storage_key for f in files} == set(
        MediaAsset.objects.filter(workspace=editor.workspace).values_list("storage_key", flat=True)
    )


def test_user_export_lists_what_they_wrote_started_and_approved(editor, owner, generated):
    mine = privacy.export_user(editor.user.pk)
    theirs = privacy.export_user(owner.user.pk)

    assert [(r["number"], r["hook"]) for r in mine.records["script_versions"]] == [(2, "Edited.")]
    assert len(mine.records["generation_jobs"]) == 3
    assert mine.records["creative_approvals"] == []
    assert theirs.records["script_versions"] == []
    assert theirs.records["generation_jobs"] == []
    assert [r["approved_by_id"] for r in theirs.records["creative_approvals"]] == [owner.user.pk]


def test_user_erasure_unlinks_them_from_ai_work(editor, owner, generated):
    counts = privacy.erase_user(editor.user.pk)

    assert counts["script_versions_unlinked"] == 1
    assert counts["generation_jobs_unlinked"] == 3
    assert counts["creative_approvals_unlinked"] == 0
    assert ScriptVersion.objects.filter(author__isnull=False).count() == 0
    assert GenerationJob.objects.filter(created_by__isnull=False).count() == 0
    assert ScriptVersion.objects.count() == 2  # the work stays with the workspace
    assert erase_user_data(owner.user.pk)["studio.creative_approvals_unlinked"] == 1
    assert Creative.objects.get().approved_by is None


def test_workspace_erasure_removes_ai_records_and_files(editor, outsider, generated, media_root):
    theirs = Campaign.objects.create(
        workspace=outsider.workspace, name="Theirs", product_name="Rival", key_message="Ours."
    )
    their_cohort = AudienceCohort.objects.create(campaign=theirs, name="All", countries=["FR"])
    run(generation.start_scripts(actor=outsider, cohort=their_cohort, variants=1))

    # The registry runs the studio's eraser before the library's (its rows point at media).
    counts = {
        **privacy.erase_workspace(editor.workspace_id),
        **library_privacy.erase_workspace(editor.workspace_id),
    }

    assert counts == {
        "generation_jobs": 3,
        "scripts": 1,
        "ai_calls": 3,
        "ai_settings": 0,
        "media_assets": 1,
    }
    assert Storyboard.objects.count() == 0
    assert StoryboardScene.objects.count() == 0
    assert SceneImage.objects.count() == 0
    assert Creative.objects.count() == 0
    assert list(Script.objects.values_list("cohort", flat=True)) == [their_cohort.pk]
    assert AICall.objects.filter(workspace=outsider.workspace).count() == 1
    left = [p for p in (media_root / f"workspaces/{editor.workspace_id}").rglob("*") if p.is_file()]
    assert left == []
    assert MediaAsset.objects.filter(workspace=outsider.workspace).count() == 0


def test_scene_durations_share_the_voice_over_by_line_length():
    scenes = [
        (3.0, "Short hook."),
        (4.0, "A much longer line that takes a while to say."),
        (3.0, ""),
    ]

    assert generation.scene_durations_for_voice(scenes, None) == [3.0, 4.0, 3.0]
    assert generation.scene_durations_for_voice(scenes, 2.0) == [3.0, 4.0, 3.0]  # fits already
    stretched = generation.scene_durations_for_voice(scenes, 20.0)
    spoken = 20.0 * 11 / (11 + 45)
    assert stretched[0] == pytest.approx(spoken + 0.3)
    assert stretched[1] == pytest.approx(20.0 - spoken + 0.3)
    assert stretched[2] == 3.0  # no line: the planned duration
    assert sum(stretched[:2]) >= 20.0
