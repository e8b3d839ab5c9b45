"""Captions from speech: the OpenAI fake through the real SDK, real ffmpeg, real workers.

The job renders the edit with the editor's renderer, extracts its sound and sends it to the
local fake (tests/openai_fake.py), which hears its fixed ``TRANSCRIPT`` in any audio with sound
and nothing in silence, spread over the audio's measured duration.
"""

import itertools
import time
from decimal import Decimal
from pathlib import Path

import openai
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse

from creatives.editor import document as doc_ops
from creatives.editor import privacy, services, transcribe
from creatives.editor.document import Caption, parse_document, to_json
from creatives.editor.errors import EditorError
from creatives.editor.models import EditProject, EditVersion, Transcription
from creatives.library import services as media_services
from creatives.library.media.ffmpeg import run_ffmpeg
from creatives.library.models import MediaAsset
from creatives.studio.ai.base import AIError, Transcriber, TranscriptSegment
from creatives.studio.ai.offline import OfflineProvider
from creatives.studio.ai.openai_provider import OpenAIProvider, translate_error
from creatives.studio.models import AICall, AISettings
from tests.conftest import client_for
from tests.media_samples import make_video
from tests.openai_fake import TRANSCRIPT, OpenAIFake

PATH = "/v1/audio/transcriptions"


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def running_fake():
    with OpenAIFake().running() as fake:
        yield fake


@pytest.fixture
def fake(running_fake, settings):
    """The OpenAI fake with the server's key: "auto" means OpenAI."""
    running_fake.reset()
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = running_fake.url
    settings.OPENAI_TRANSCRIPTION_MODEL = "whisper-1"
    settings.OPENAI_TIMEOUT_SECONDS = 10
    return running_fake


@pytest.fixture
def work_root(settings, tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    settings.JOB_WORK_DIR = str(root)
    return root


def upload(member, path: Path) -> MediaAsset:
    uploaded = SimpleUploadedFile(path.name, path.read_bytes(), "video/mp4")
    return media_services.upload_media(actor=member, uploaded=uploaded)


def silent_video(path: Path, seconds: float) -> Path:
    """A video whose sound track is there but silent."""
    args = ["-y", "-f", "lavfi", "-i", f"testsrc=size=320x180:rate=30:duration={seconds}"]
    args += ["-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    run_ffmpeg([*args, "-shortest", str(path)], timeout=60)
    return path


@pytest.fixture
def talking(editor, media_root, work_root, tmp_path) -> MediaAsset:
    """A 4 s video with sound (a tone: the fake "hears" its transcript in it)."""
    return upload(editor, make_video(tmp_path / "talk.mp4", width=320, height=180, seconds=4))


def clip(asset: MediaAsset, cid: str = "c1", seconds: float = 4.0, **extra) -> dict:
    return {"id": cid, "asset": asset.pk, "in": 0, "out": seconds, **extra}


def document(*clips: dict, **extra) -> dict:
    return {"version": 1, "ratios": ["9:16"], "clips": list(clips), **extra}


def project_with(member, data: dict) -> EditProject:
    project = EditProject.objects.create(
        workspace=member.workspace, name="Spring", ratios=["9:16"], created_by=member.user
    )
    data = to_json(parse_document(data))
    version = EditVersion.objects.create(project=project, number=1, document=data, note="Created")
    project.current_version = version
    project.save(update_fields=["current_version"])
    return project


def start_url(project: EditProject) -> str:
    return reverse("editor:transcribe", args=[project.workspace.slug, project.pk])


def run(job: Transcription) -> Transcription:
    transcribe.run_transcription(transcription_id=job.pk)
    job.refresh_from_db()
    return job


def transcription_requests(fake: OpenAIFake) -> list:
    return [r for r in fake.requests if r.path == PATH]


# --- Segments to cues (pure) ---------------------------------------------------------------------


def test_long_segments_become_cues_of_two_short_lines_sharing_their_time():
    long = " ".join(["word"] * 40)  # 199 characters: three cues of two lines or fewer
    cues = transcribe.cues_from_segments(
        [TranscriptSegment(0.0, 2.0, "Hi there."), TranscriptSegment(2.0, 8.0, long)],
        duration=30.0,
    )

    assert cues[0] == Caption(start=0.0, end=2.0, text="Hi there.")
    rest = cues[1:]
    assert len(rest) == 3
    for cue in rest:
        lines = cue.text.split("\n")
        assert len(lines) <= 2
        assert all(len(line) <= 42 for line in lines)
    assert " ".join(c.text.replace("\n", " ") for c in rest) == long
    # Back to back from the segment's start to its end, in proportion to their length.
    assert rest[0].start == 2.0
    assert rest[-1].end == 8.0
    assert all(a.end == b.start for a, b in itertools.pairwise(rest))
    assert rest[0].end - rest[0].start > rest[-1].end - rest[-1].start


def test_cues_stay_within_the_timeline_and_skip_what_has_no_words():
    cues = transcribe.cues_from_segments(
        [
            TranscriptSegment(-0.5, 1.0, "Starts \x07before zero"),
            TranscriptSegment(1.0, 1.5, "   "),
            TranscriptSegment(4.0, 6.0, "Runs past the end"),
            TranscriptSegment(6.0, 7.0, "After the end"),
        ],
        duration=5.0,
    )

    assert cues == [
        Caption(start=0.0, end=1.0, text="Starts before zero"),
        Caption(start=4.0, end=5.0, text="Runs past the end"),
    ]


def test_a_word_longer_than_a_line_is_cut_not_lost():
    word = "x" * 100
    texts = transcribe.split_text(f"a {word} b")

    assert "".join(t.replace("\n", "").replace(" ", "") for t in texts) == f"a{word}b"
    assert all(len(line) <= 42 for t in texts for line in t.split("\n"))


def test_only_openai_can_hear_speech():
    assert not isinstance(OfflineProvider(), Transcriber)
    provider = OpenAIProvider(
        api_key="sk-test",
        text_model="gpt-4.1-mini",
        image_model="gpt-image-1",
        speech_model="gpt-4o-mini-tts",
        timeout=5,
    )
    assert isinstance(provider, Transcriber)


# --- The provider against the fake ---------------------------------------------------------------


@pytest.fixture
def provider(fake) -> OpenAIProvider:
    return OpenAIProvider.from_settings()


def test_the_provider_sends_the_file_and_prices_its_minutes(provider, fake, tmp_path):
    audio = tmp_path / "speech.mp3"
    tone = ["-f", "lavfi", "-i", "sine=frequency=300:duration=12"]
    run_ffmpeg([*tone, "-ac", "1", "-b:a", "32k", str(audio)], timeout=60)

    heard = provider.transcribe(audio)

    (request,) = transcription_requests(fake)
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert request.body["model"] == "whisper-1"
    assert request.body["response_format"] == "verbose_json"
    assert request.body["timestamp_granularities[]"] == "segment"
    assert request.body["file"]["filename"] == "speech.mp3"
    assert request.body["file"]["size"] == audio.stat().st_size
    assert [s.text for s in heard.segments] == list(TRANSCRIPT)
    assert heard.language == "english"
    assert heard.segments[-1].end == pytest.approx(12.0, abs=0.1)
    (usage,) = provider.take_usage()
    assert (usage.operation, usage.unit, usage.model) == ("transcribe", "seconds", "whisper-1")
    assert usage.input_units == 12
    assert usage.cost_micro_usd == 1200  # 12 s of $0.006 a minute


def test_a_file_over_25_mb_is_refused_before_sending(provider, fake, tmp_path):
    big = tmp_path / "big.mp3"
    big.write_bytes(b"\0" * (25 * 1024 * 1024 + 1))

    with pytest.raises(AIError, match="at most 25 MB"):
        provider.transcribe(big)
    assert transcription_requests(fake) == []


def test_the_fakes_upload_errors_are_openais(provider, fake):
    with pytest.raises(openai.APIStatusError) as too_big:
        provider.client.audio.transcriptions.create(
            model="whisper-1", file=("a.mp3", b"\0" * (26_214_400 + 10), "audio/mpeg")
        )
    assert too_big.value.status_code == 413
    assert "Maximum content size limit (26214400) exceeded" in too_big.value.message
    assert "larger than OpenAI accepts" in translate_error(too_big.value, model="whisper-1").message

    with pytest.raises(openai.BadRequestError, match="Invalid file format"):
        provider.client.audio.transcriptions.create(
            model="whisper-1", file=("a.mp3", b"not audio at all", "audio/mpeg")
        )
    with pytest.raises(openai.BadRequestError, match="field required"):
        provider.client.post(
            "/audio/transcriptions",
            cast_to=object,
            body={"model": "whisper-1"},
            files=[("model", (None, b"whisper-1"))],
            options={"headers": {"Content-Type": "multipart/form-data"}},
        )


# --- The job, in this process --------------------------------------------------------------------


def test_captions_replace_the_old_ones_as_a_new_version(editor, fake, talking):
    project = project_with(
        editor, document(clip(talking), captions=[{"start": 0, "end": 1, "text": "Old cue"}])
    )

    job = run(transcribe.start_transcription(editor, project))

    assert job.status == Transcription.Status.SUCCEEDED, job.error
    project.refresh_from_db()
    version = project.current_version
    assert (version.number, version.parent.number, version.note) == (2, 1, "Captions from speech")
    assert job.result_version == version
    assert (job.language, job.progress) == ("english", 100)
    cues = parse_document(version.document).captions
    assert "Old cue" not in [c.text for c in cues]
    assert job.cue_count == len(cues) >= len(TRANSCRIPT)
    said = " ".join(c.text.replace("\n", " ") for c in cues)
    assert said == " ".join(TRANSCRIPT)
    assert cues[0].start == 0.0
    assert cues[-1].end <= 4.0
    assert all(len(line) <= 42 for c in cues for line in c.text.split("\n"))
    assert "version 2" in job.message
    (call,) = AICall.objects.filter(workspace=editor.workspace)
    assert (call.provider, call.operation, call.unit) == ("openai", "transcribe", "seconds")
    assert call.input_units == 4
    assert call.cost_micro_usd == 400
    assert call.prompt.startswith(f"captions from speech of edit project {project.pk}")
    assert "Hello" not in call.prompt  # the words heard are the edit's, not the call log's
    (request,) = transcription_requests(fake)
    assert request.body["file"]["content_type"] == "audio/mpeg"
    assert request.body["file"]["size"] < 40_000  # 4 s at 32 kbps, not the video


def test_a_save_made_while_listening_is_kept(editor, fake, talking):
    project = project_with(
        editor, document(clip(talking), captions=[{"start": 0, "end": 1, "text": "Old cue"}])
    )
    job = transcribe.start_transcription(editor, project)
    # Meanwhile someone adds a text (version 2); the job heard version 1.
    meanwhile = parse_document(project.current_version.document)
    meanwhile = doc_ops.add_text(meanwhile, text="Spring sale", start=0, end=2)
    services.save_document(actor=editor, project=project, data=to_json(meanwhile), base_version=1)

    job = run(job)

    assert job.status == Transcription.Status.SUCCEEDED, job.error
    assert job.version.number == 1
    project.refresh_from_db()
    result = project.current_version
    assert (result.number, result.parent.number) == (3, 2)
    saved = parse_document(result.document)
    assert [t.text for t in saved.texts] == ["Spring sale"]
    assert "Old cue" not in [c.text for c in saved.captions]
    assert saved.captions
    assert "clips changed" not in job.message  # only a text changed: the timing holds


def test_the_message_warns_when_the_clips_changed_meanwhile(editor, fake, talking):
    project = project_with(editor, document(clip(talking)))
    job = transcribe.start_transcription(editor, project)
    shorter = parse_document(project.current_version.document)
    shorter = doc_ops.trim_clip(shorter, "c1", 0.0, 3.0)
    services.save_document(actor=editor, project=project, data=to_json(shorter), base_version=1)

    job = run(job)

    assert job.status == Transcription.Status.SUCCEEDED, job.error
    assert "check the captions' timing" in job.message
    cues = parse_document(job.result_version.document).captions
    assert cues[-1].end <= 3.0  # kept within the timeline as it is now


def test_silence_fails_without_calling_openai(editor, fake, media_root, work_root, tmp_path):
    mute = upload(editor, silent_video(tmp_path / "quiet.mp4", 3))
    project = project_with(editor, document(clip(mute, seconds=3)))

    job = run(transcribe.start_transcription(editor, project))

    assert job.status == Transcription.Status.FAILED
    assert "silent" in job.error
    assert transcription_requests(fake) == []
    assert not AICall.objects.exists()
    assert EditVersion.objects.filter(project=project).count() == 1
    assert job.result_version is None


def test_an_openai_refusal_saves_nothing_and_says_why(editor, fake, talking):
    project = project_with(editor, document(clip(talking)))
    fake.fail_next("quota")

    job = run(transcribe.start_transcription(editor, project))

    assert job.status == Transcription.Status.FAILED
    assert "out of credit" in job.error
    assert EditVersion.objects.filter(project=project).count() == 1
    status = transcribe.status_of(job)
    assert status["done"] is True
    assert status["version"] is None
    assert "out of credit" in status["message"]


def test_the_budget_running_out_after_the_request_stops_the_job(editor, fake, talking, settings):
    project = project_with(editor, document(clip(talking)))
    job = transcribe.start_transcription(editor, project)
    settings.AI_MONTHLY_COST_CAP_USD = 1
    AICall.objects.create(
        workspace=editor.workspace,
        provider="openai",
        model="gpt-4.1-mini",
        operation="write_scripts",
        unit="tokens",
        cost_micro_usd=1_000_000,
    )

    job = run(job)

    assert job.status == Transcription.Status.FAILED
    assert "monthly AI budget" in job.error
    assert transcription_requests(fake) == []


def test_a_member_who_can_no_longer_edit_gets_nothing_saved(editor, fake, talking):
    project = project_with(editor, document(clip(talking)))
    job = transcribe.start_transcription(editor, project)
    editor.role = "viewer"
    editor.save(update_fields=["role"])

    job = run(job)

    assert job.status == Transcription.Status.FAILED
    assert "can no longer edit" in job.error
    assert transcription_requests(fake) == []
    assert EditVersion.objects.filter(project=project).count() == 1


# --- Refusals at once ----------------------------------------------------------------------------


def refused(member, project) -> tuple[int, str]:
    response = client_for(member).post(start_url(project))
    return response.status_code, response.json().get("error", "")


def test_without_a_key_the_panel_says_to_type_or_import(editor, talking, settings):
    settings.OPENAI_API_KEY = ""
    project = project_with(editor, document(clip(talking)))

    status, error = refused(editor, project)
    html = render_to_string(
        "creatives/editor/_transcribe.html", {"membership": editor, "project": project}
    )

    assert status == 400
    assert "OPENAI_API_KEY" in error
    assert "import an SRT file" in error
    assert "data-transcribe-button" not in html
    assert "OpenAI key" in html
    assert not Transcription.objects.exists()


def test_a_workspace_on_the_built_in_provider_is_told_so(editor, fake, talking):
    AISettings.objects.create(workspace=editor.workspace, provider=AISettings.Provider.OFFLINE)
    project = project_with(editor, document(clip(talking)))

    status, error = refused(editor, project)

    assert status == 400
    assert "built-in AI provider" in error
    assert not Transcription.objects.exists()


def test_an_empty_timeline_is_refused(editor, fake, media_root):
    project = project_with(editor, document())

    assert refused(editor, project) == (
        400,
        "The timeline is empty: add a clip with sound, then make captions from its speech.",
    )


def test_a_timeline_without_sound_is_refused(editor, fake, media_root, work_root, tmp_path):
    quiet = upload(
        editor, make_video(tmp_path / "q.mp4", width=320, height=180, seconds=2, audio=False)
    )
    loud = upload(editor, make_video(tmp_path / "l.mp4", width=320, height=180, seconds=2))
    no_track = project_with(editor, document(clip(quiet, seconds=2)))
    muted = project_with(editor, document(clip(loud, seconds=2, muted=True)))

    for project in (no_track, muted):
        status, error = refused(editor, project)
        assert status == 400
        assert "no sound to hear" in error
    assert not Transcription.objects.exists()


def test_a_used_up_budget_is_refused(editor, fake, talking):
    AISettings.objects.create(workspace=editor.workspace, monthly_cap_usd=Decimal("0.50"))
    AICall.objects.create(
        workspace=editor.workspace,
        provider="openai",
        model="whisper-1",
        operation="transcribe",
        unit="seconds",
        cost_micro_usd=500_000,
    )
    project = project_with(editor, document(clip(talking)))

    status, error = refused(editor, project)
    html = render_to_string(
        "creatives/editor/_transcribe.html", {"membership": editor, "project": project}
    )

    assert status == 400
    assert "monthly AI budget" in error
    assert "monthly AI budget" in html
    assert not Transcription.objects.exists()


def test_asking_twice_follows_the_running_job(editor, fake, talking):
    project = project_with(editor, document(clip(talking)))
    client = client_for(editor)

    first = client.post(start_url(project))
    second = client.post(start_url(project))

    assert first.status_code == 202
    assert second.status_code == 409
    assert "already being made" in second.json()["error"]
    assert second.json()["status_url"] == first.json()["status_url"]
    assert Transcription.objects.count() == 1
    html = render_to_string(
        "creatives/editor/_transcribe.html", {"membership": editor, "project": project}
    )
    assert f'data-status-url="{first.json()["status_url"]}"' in html


def test_start_refuses_a_viewer_in_the_service_too(viewer, fake, talking, editor):
    project = project_with(editor, document(clip(talking)))

    with pytest.raises(EditorError, match="role"):
        transcribe.start_transcription(viewer, project)


# --- Tenancy and roles ---------------------------------------------------------------------------


def test_outsiders_get_404_and_viewers_may_only_watch(cast, fake, talking):
    editor, viewer, outsider = cast["editor"], cast["viewer"], cast["outsider"]
    project = project_with(editor, document(clip(talking)))
    started = client_for(editor).post(start_url(project)).json()
    status_url = started["status_url"]

    assert client_for(outsider).post(start_url(project)).status_code == 404
    assert client_for(outsider).get(status_url).status_code == 404
    assert client_for(viewer).post(start_url(project)).status_code == 403
    watched = client_for(viewer).get(status_url)
    assert watched.status_code == 200
    assert watched.json() == {
        "status": "queued",
        "progress": 0,
        "message": "Waiting for a worker…",
        "done": False,
        "version": None,
    }
    assert client_for(editor).get(start_url(project)).status_code == 405
    html = render_to_string(
        "creatives/editor/_transcribe.html", {"membership": viewer, "project": project}
    )
    assert "data-transcribe" not in html
    assert Transcription.objects.count() == 1


def test_another_workspaces_job_is_a_404_under_your_project(cast, fake, talking, media_root):
    editor, outsider = cast["editor"], cast["outsider"]
    project = project_with(editor, document(clip(talking)))
    job = transcribe.start_transcription(editor, project)
    theirs = project_with(outsider, document())

    # Their project with our job's id, and our project under their workspace's slug.
    url = reverse("editor:transcription", args=[outsider.workspace.slug, theirs.pk, job.pk])
    assert client_for(outsider).get(url).status_code == 404
    url = reverse("editor:transcription", args=[editor.workspace.slug, project.pk, job.pk + 999])
    assert client_for(editor).get(url).status_code == 404


# --- Privacy -------------------------------------------------------------------------------------


def test_transcriptions_are_exported_unlinked_and_erased(editor, fake, talking):
    project = project_with(editor, document(clip(talking)))
    job = transcribe.start_transcription(editor, project)

    assert [
        r["id"] for r in privacy.export_user(editor.user_id).records["edit_transcriptions"]
    ] == [job.pk]
    assert privacy.export_workspace(editor.workspace_id).records["edit_transcriptions"]
    assert (
        "1 captions-from-speech requests"
        in privacy.describe_workspace(editor.workspace_id)[0].detail
    )
    assert privacy.erase_user(editor.user_id)["edit_transcriptions_unlinked"] == 1
    job.refresh_from_db()
    assert job.created_by is None
    assert privacy.erase_workspace(editor.workspace_id)["edit_transcriptions"] == 1
    assert not Transcription.objects.exists()


def test_the_policy_says_the_edits_sound_goes_to_openai(db, client):
    html = client.get(reverse("privacy:policy")).content.decode()

    openai_line = next(
        line for line in html.splitlines() if "<strong>OpenAI</strong>, if we" in line
    )
    assert "the edit's sound" in openai_line
    assert "each request for captions from speech" in html


# --- A real worker, end to end -------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_makes_captions_the_page_polls_for(editor, fake, talking, start_worker):
    worker = start_worker(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.url)
    project = project_with(editor, document(clip(talking)))
    client = client_for(editor)

    started = client.post(start_url(project))

    assert started.status_code == 202
    body = started.json()
    assert set(body) == {"id", "status", "message", "status_url"}
    seen = []
    deadline = time.monotonic() + 90
    while True:
        status = client.get(body["status_url"]).json()
        seen.append(status["status"])
        if status["done"]:
            break
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.3)
    assert status["status"] == "succeeded", (status, worker.log.read_text())
    assert status["version"] == 2
    assert status["progress"] == 100
    project.refresh_from_db()
    assert project.current_version.number == 2
    assert project.current_version.note == "Captions from speech"
    assert parse_document(project.current_version.document).captions
    assert len(transcription_requests(fake)) == 1
    assert AICall.objects.filter(operation="transcribe").count() == 1
    job = Transcription.objects.get(pk=body["id"])
    assert job.attempts == 1
    assert job.lease_expires_at is None
