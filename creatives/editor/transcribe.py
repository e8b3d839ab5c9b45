"""Captions from speech: hear an edit's sound with OpenAI and save its words as caption cues.

``start_transcription(actor, project)`` checks, before anything is queued: the role
(``edits.change``), that the server has an OpenAI key and the workspace uses OpenAI (the built-in
provider can't hear speech: the panel says to type captions or import an SRT file instead), the
workspace's AI budget, that the project has a saved version whose timeline has clips and some
sound (a clip with its sound on, or a voice or music track), and that it renders. It then
creates a queued ``Transcription`` row for the current version and sends its task after
COMMIT. One runs per project at a time: asking again while one runs raises
``TranscriptionRunning`` naming it.

``run_transcription(transcription_id=...)`` is the job (``prosocial.jobs``, "Adding a job kind"):

1. render the version with the editor's own renderer (``creatives.editor.render.render``,
   ``proxy=True``) into a work folder: what is heard is exactly what the render would play
   (clip volumes, mutes, speed, ducking, fades);
2. extract its sound as 16 kHz mono (the hardened ffmpeg runner), refuse silence, and encode
   it as a 32 kbps MP3 (three minutes, the longest timeline, is ~720 KB: far below the
   endpoint's 25 MB);
3. send it to the provider's ``transcribe`` (recorded as an ``AICall`` priced per minute,
   after the budget was checked again);
4. turn the segments into cues (``cues_from_segments``: at most two lines of 42 characters
   each, times kept within the timeline) and save them, inside the lease's transaction, as a
   new version made from the project's current version *at that moment* (``services.
   save_document`` with that version as its base, note "Captions from speech"): an edit saved
   while the job listened is kept, and its captions are replaced by the new ones.

A failure saves nothing (the AI call, if made, is recorded: it was paid for) and says why in
words; so does a member who can no longer edit by the time the captions are ready.
"""

import array
import logging
import math
import wave
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Workspace
from accounts.permissions import has_permission
from creatives.editor import services
from creatives.editor.document import (
    MAX_CUES,
    Caption,
    Document,
    SourceFacts,
    parse_document,
    set_captions,
    timeline_duration,
    to_json,
)
from creatives.editor.errors import DocumentError, EditorError
from creatives.editor.jobs import local_sources, ready_assets
from creatives.editor.models import EditProject, EditVersion, Transcription
from creatives.editor.render import RenderError, SourceMedia, build_render
from creatives.editor.render import render as render_document
from creatives.editor.selectors import source_facts
from creatives.library.errors import MediaError
from creatives.library.media.errors import FfmpegError
from creatives.library.media.ffmpeg import run_ffmpeg
from creatives.library.selectors import facts_for_asset
from creatives.studio import generation
from creatives.studio.ai import base as ai_base
from prosocial import jobs as runner

logger = logging.getLogger(__name__)

Status = Transcription.Status
OPEN = (Status.QUEUED, Status.RUNNING)
MAX_ATTEMPTS = 3
# A caption is at most two lines of 42 characters (the usual subtitle line).
MAX_LINE_CHARS = 42
MAX_CUE_LINES = 2
# What is sent: 16 kHz mono (what speech models listen at), MP3 at 32 kbps.
SAMPLE_RATE = 16_000
AUDIO_BITRATE = "32k"
# A peak below this (16-bit samples; about -60 dBFS) is silence.
SILENCE_PEAK = 33
# Cues shorter than this after fitting to the timeline are dropped.
MIN_CUE_S = 0.05


class TranscriptionRunning(EditorError):
    """A transcription of this project is queued or running: its row is ``transcription``."""

    def __init__(self, message: str, *, transcription: Transcription) -> None:
        super().__init__(message)
        self.transcription = transcription


def _enqueue(transcription_id: int, *, countdown: float = 0) -> None:
    from creatives.editor import tasks  # the task module imports this one

    transaction.on_commit(
        partial(tasks.transcribe_task.apply_async, (transcription_id,), countdown=countdown)
    )


TRANSCRIPTIONS = runner.register(
    runner.JobKind(
        name="edit_transcription",
        model=Transcription,
        runnable=Q(status__in=OPEN),
        enqueue=_enqueue,
        done_status=Status.SUCCEEDED,
        failed_status=Status.FAILED,
        running_status=Status.RUNNING,
        queued_status=Status.QUEUED,
        finished_field="finished_at",
        max_attempts=MAX_ATTEMPTS,
        exhausted=lambda n: (
            _("Making the captions was interrupted %(n)s times; try again.") % {"n": n}
        ),
    )
)


# --- Segments to cues (pure) -------------------------------------------------------------------


def _printable(text: str) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _wrap(text: str) -> list[str]:
    """Break ``text`` into lines of at most ``MAX_LINE_CHARS`` (a longer word is cut)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > MAX_LINE_CHARS:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:MAX_LINE_CHARS])
            word = word[MAX_LINE_CHARS:]
        if not word:
            continue
        if line and len(line) + 1 + len(word) > MAX_LINE_CHARS:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def split_text(text: str) -> list[str]:
    """Return ``text`` as caption texts of at most two lines of ``MAX_LINE_CHARS`` each."""
    lines = _wrap(_printable(text))
    return ["\n".join(lines[i : i + MAX_CUE_LINES]) for i in range(0, len(lines), MAX_CUE_LINES)]


def cues_from_segments(
    segments: list[ai_base.TranscriptSegment] | tuple[ai_base.TranscriptSegment, ...],
    *,
    duration: float,
) -> list[Caption]:
    """Return caption cues for ``segments``, within a timeline of ``duration`` seconds.

    A segment too long for one caption is split into several, its time shared between them in
    proportion to their length. Cues are cut at the end of the timeline, and dropped when
    nothing of them is left (or nothing to read); at most ``MAX_CUES`` are kept.
    """
    cues: list[Caption] = []
    for segment in sorted(segments, key=lambda s: (s.start, s.end)):
        texts = split_text(segment.text)
        if not texts or not (math.isfinite(segment.start) and math.isfinite(segment.end)):
            continue
        start, end = max(0.0, segment.start), segment.end
        if end <= start:
            continue
        total = sum(len(t) for t in texts)
        at = start
        for text in texts:
            until = at + (end - start) * len(text) / total
            cue_start, cue_end = round(at, 3), round(min(until, duration), 3)
            at = until
            if cue_start >= duration or cue_end - cue_start < MIN_CUE_S:
                continue
            cues.append(Caption(start=cue_start, end=cue_end, text=text))
    return cues[:MAX_CUES]


# --- Asking ------------------------------------------------------------------------------------


def refusal(workspace: Workspace) -> str:
    """Return why captions can't be made from speech in ``workspace`` now ("" when they can)."""
    if not generation.openai_configured():
        return _(
            "Captions from speech need OpenAI, and this server has no OpenAI key "
            "(OPENAI_API_KEY). Type the captions or import an SRT file instead."
        )
    if generation.provider_name_for(workspace) != "openai":
        return _(
            "This workspace uses the built-in AI provider, which can't hear speech. An owner or "
            "admin can choose OpenAI in AI settings; or type the captions or import an SRT file."
        )
    try:
        generation.check_cost_cap(workspace)
    except generation.AICostCapError as error:
        return error.message
    return ""


def has_sound(document: Document, facts: dict[int, SourceFacts]) -> bool:
    """Whether anything in ``document`` can be heard: a clip's own sound or an audio track."""
    for clip in document.clips:
        source = facts.get(clip.asset)
        audible = source is not None and source.kind == "video" and source.has_audio
        if audible and not clip.muted and clip.volume > 0:
            return True
    length = timeline_duration(document)
    for track in document.audio:
        source = facts.get(track.asset)
        audible = source is not None and (source.kind == "audio" or source.has_audio)
        if audible and track.volume > 0 and track.start < length:
            return True
    return False


def _require_editor(actor: Membership) -> None:
    if not has_permission(actor.role, "edits.change"):
        raise EditorError(_("Your role can watch edit projects but not change their captions."))


@transaction.atomic
def start_transcription(actor: Membership, project: EditProject) -> Transcription:
    """Queue captions from the speech of ``project``'s current version; refuse at once if not."""
    _require_editor(actor)
    if project.workspace_id != actor.workspace_id:
        raise EditProject.DoesNotExist
    # The project's row lock makes two clicks (two tabs, two members) one job.
    project = EditProject.objects.select_for_update(no_key=True).get(pk=project.pk)
    running = Transcription.objects.filter(project=project, status__in=OPEN).first()
    if running is not None:
        raise TranscriptionRunning(
            _("Captions are already being made from this edit's speech; wait for them."),
            transcription=running,
        )
    refused = refusal(actor.workspace)
    if refused:
        raise EditorError(refused)
    version = (
        EditVersion.objects.filter(pk=project.current_version_id).first()
        if project.current_version_id
        else None
    )
    if version is None:
        raise EditorError(_("Save the edit before making captions from its speech."))
    try:
        document = parse_document(version.document)
    except DocumentError as error:
        raise EditorError(error.message) from error
    if not document.clips:
        raise EditorError(
            _("The timeline is empty: add a clip with sound, then make captions from its speech.")
        )
    facts = source_facts(
        actor.workspace, {c.asset for c in document.clips} | {a.asset for a in document.audio}
    )
    if not has_sound(document, facts):
        raise EditorError(
            _(
                "This edit has no sound to hear: its clips are muted or silent and it has no "
                "voice or music track. Type the captions or import an SRT file instead."
            )
        )
    assets = ready_assets(project.workspace_id, version.document)
    sources = {
        pk: SourceMedia(Path(asset.storage_key), facts_for_asset(asset))
        for pk, asset in assets.items()
    }
    try:
        build_render(version.document, document.ratios[0], sources, proxy=True)
    except RenderError as error:
        raise EditorError(error.message) from error
    transcription = Transcription.objects.create(
        workspace_id=project.workspace_id,
        project=project,
        version=version,
        status=Status.QUEUED,
        created_by=actor.user,
        message=_("Waiting for a worker…"),
        next_attempt_at=timezone.now(),
    )
    _enqueue(transcription.pk)
    logger.info("transcription %s queued for project %s", transcription.pk, project.pk)
    return transcription


# --- Reading (views) ---------------------------------------------------------------------------


def get_transcription_for_member(
    membership: Membership, project: EditProject, pk: int
) -> Transcription:
    """Return the project's transcription ``pk`` in the member's workspace, else 404."""
    found = (
        Transcription.objects.filter(workspace=membership.workspace, project=project, pk=pk)
        .select_related("result_version")
        .first()
    )
    if found is None:
        raise Http404("No such transcription")
    return found


def status_url(transcription: Transcription, slug: str) -> str:
    return reverse("editor:transcription", args=[slug, transcription.project_id, transcription.pk])


def status_of(transcription: Transcription) -> dict[str, object]:
    """Return what the panel polls: status, progress, a sentence, and the version made."""
    done = transcription.status in (Status.SUCCEEDED, Status.FAILED)
    failed = transcription.status == Status.FAILED
    version = transcription.result_version
    return {
        "status": transcription.status,
        "progress": transcription.progress,
        "message": (transcription.error or transcription.message)
        if failed
        else transcription.message,
        "done": done,
        "version": version.number
        if version is not None and transcription.status == Status.SUCCEEDED
        else None,
    }


@dataclass(frozen=True)
class Panel:
    """What the captions panel shows about captions from speech (``_transcribe.html``)."""

    can_edit: bool
    url: str
    refusal: str = ""
    running_url: str = ""
    has_captions: bool = False


def panel(membership: Membership, project: EditProject) -> Panel:
    """Return the panel's button (or why there is none) for ``membership`` on ``project``."""
    slug = membership.workspace.slug
    url = reverse("editor:transcribe", args=[slug, project.pk])
    if not membership.can("edits.change"):
        return Panel(can_edit=False, url=url)
    running = Transcription.objects.filter(project=project, status__in=OPEN).first()
    current = project.current_version
    return Panel(
        can_edit=True,
        url=url,
        refusal=refusal(membership.workspace),
        running_url=status_url(running, slug) if running is not None else "",
        has_captions=bool(current is not None and (current.document or {}).get("captions")),
    )


# --- Running (the worker) ----------------------------------------------------------------------


def run_transcription(*, transcription_id: int) -> None:
    """Run one transcription job, unless it is done or held by another worker."""
    lease = runner.claim(TRANSCRIPTIONS, transcription_id)
    if lease is None:
        return
    with lease:
        _transcribe(lease)


def _member(row: Transcription) -> Membership | None:
    """Return the asker's membership if they may still edit the project, else None."""
    member = (
        Membership.objects.filter(workspace_id=row.workspace_id, user_id=row.created_by_id)
        .select_related("workspace", "user")
        .first()
        if row.created_by_id
        else None
    )
    return member if member is not None and member.can("edits.change") else None


def _peak(wav_path: Path) -> int:
    """Return the loudest sample of a 16-bit mono WAV file."""
    loudest = 0
    with wave.open(str(wav_path), "rb") as wav:
        while chunk := wav.readframes(SAMPLE_RATE * 10):
            samples = array.array("h", chunk[: len(chunk) - len(chunk) % 2])
            if samples:
                loudest = max(loudest, max(samples), -min(samples))
    return loudest


def extract_speech(video: Path, work: Path, *, timeout: float) -> Path | None:
    """Return ``video``'s sound as a 16 kHz mono 32 kbps MP3 in ``work``; None when silent."""
    wav = work / "speech.wav"
    mp3 = work / "speech.mp3"
    mono = ["-ac", "1", "-ar", str(SAMPLE_RATE)]
    run_ffmpeg(
        ["-i", str(video), "-vn", *mono, "-c:a", "pcm_s16le", "-f", "wav", str(wav)],
        timeout=timeout,
    )
    if _peak(wav) < SILENCE_PEAK:
        return None
    run_ffmpeg(
        ["-i", str(wav), *mono, "-c:a", "libmp3lame", "-b:a", AUDIO_BITRATE, "-f", "mp3", str(mp3)],
        timeout=timeout,
    )
    wav.unlink()
    return mp3


def _described(row: Transcription, seconds: float) -> str:
    """Return what the AICall records as its prompt: the request, not the words heard."""
    return (
        f"captions from speech of edit project {row.project_id}, version {row.version.number} "
        f"({seconds:.1f} s of audio)"
    )


def _transcribe(lease: runner.Lease[Transcription]) -> None:
    row = Transcription.objects.select_related("project", "version", "workspace").get(pk=lease.pk)
    lease.update(started_at=timezone.now(), message=_("Preparing the sound…"), progress=0)
    workspace = row.workspace
    if _member(row) is None:
        lease.fail(_("The member who asked for these captions can no longer edit this project."))
        return
    refused = refusal(workspace)  # the key, the provider or the budget may have changed since
    if refused:
        lease.fail(refused)
        return
    document = row.version.document
    try:
        provider = generation.provider_for(workspace)
        if not isinstance(provider, ai_base.Transcriber):
            lease.fail(_("The workspace's AI provider can't hear speech; choose OpenAI."))
            return
        with ExitStack() as stack:
            sources = local_sources(stack, row.workspace_id, document)
            work = stack.enter_context(runner.work_dir("edit-transcribe"))
            timeline = work / "timeline.mp4"
            timeout = float(settings.MEDIA_FFMPEG_TIMEOUT_SECONDS)
            lease.progress(1, _("Mixing the edit's sound…"), force=True)
            render_document(
                document,
                str(document["ratios"][0]),
                sources,
                timeline,
                proxy=True,
                # Raises LeaseLost once the row is taken over: ffmpeg is killed.
                on_progress=lambda percent: lease.progress(percent * 0.6),
                timeout=timeout,
            )
            lease.progress(62, _("Extracting the speech…"), force=True)
            speech = extract_speech(timeline, work, timeout=timeout)
            if speech is None:
                lease.fail(
                    _(
                        "The edit's sound is silent, so there is no speech to caption. Type the "
                        "captions or import an SRT file instead."
                    )
                )
                return
            seconds = timeline_duration(parse_document(document))
            lease.progress(70, _("Listening to the speech…"), force=True)
            if not provider.free:
                generation.check_cost_cap(workspace)  # it may have run out since the request
            try:
                heard = provider.transcribe(speech)
            finally:
                generation.record_usage(
                    provider, workspace_id=workspace.pk, prompt=_described(row, seconds)
                )
        lease.progress(95, _("Writing the captions…"), force=True)
        with lease.owned():
            version, cues, moved = _save(row, heard)
            message = _("Captions saved as version %(n)d.") % {"n": version.number}
            if moved:
                message += " " + _(
                    "The clips changed while the speech was heard: check the captions' timing."
                )
            lease.finish(
                result_version=version,
                cue_count=len(cues),
                language=heard.language[:40],
                message=message,
            )
    except (RenderError, EditorError, MediaError, ai_base.AIError) as error:
        detail = error.stderr_tail if isinstance(error, FfmpegError) else ""
        logger.info("transcription %s failed: %s %s", lease.pk, error, detail)
        lease.fail(error.message, retryable=bool(getattr(error, "retryable", False)))


def _timeline_of(document: Document) -> tuple[object, ...]:
    """Return what decides where speech falls on the timeline: the clips and their joins."""
    return (document.clips, document.transitions)


def _save(row: Transcription, heard: ai_base.Transcript) -> tuple[EditVersion, list[Caption], bool]:
    """Save the captions over the project's current version (locked: no save slips between).

    Returns the version written, the cues, and whether the clips moved since the heard version.
    """
    member = _member(row)
    if member is None:
        raise EditorError(
            _("The member who asked for these captions can no longer edit this project.")
        )
    project = EditProject.objects.select_for_update(no_key=True).get(pk=row.project_id)
    current = services.current_document(project)
    cues = cues_from_segments(heard.segments, duration=timeline_duration(current))
    if not cues:
        if not heard.segments:
            raise EditorError(
                _(
                    "No speech was heard in the edit's sound. Type the captions or import an "
                    "SRT file instead."
                )
            )
        raise EditorError(_("The edit changed while the speech was heard: no clip is left for it."))
    base = (
        EditVersion.objects.values_list("number", flat=True).get(pk=project.current_version_id)
        if project.current_version_id
        else None
    )
    version = services.save_document(
        actor=member,
        project=project,
        data=to_json(set_captions(current, cues)),
        base_version=base,
        note=_("Captions from speech"),
    )
    moved = _timeline_of(current) != _timeline_of(parse_document(row.version.document))
    return version, cues, moved
