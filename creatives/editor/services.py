"""Video editor use-cases: every change to an edit project, its versions and templates.

Views, tasks and the admin call these functions; nothing else writes an EditVersion or moves
``EditProject.current_version``. Each takes the acting ``Membership`` (``edits.change`` is
required), runs in one transaction, and raises ``EditorError`` (``DocumentError`` for a bad
document) with a message safe to show; a refusal writes nothing.

History never loses a saved version. Versions are immutable and numbered 1, 2, 3… per project;
``current_version`` is the one shown:

- ``save_document`` writes version max+1 whose ``parent`` is the current one, and points at it;
- ``undo_edit`` points at the current version's ``parent``;
- ``redo_edit`` points at the newest version whose ``parent`` is the current one (so after an
  undo and a new save, redo follows the new edit; the undone branch stays in the history and
  ``restore_version`` brings it back);
- ``restore_version`` writes version max+1 with an old version's document (parent: current).

Concurrency is optimistic: every change names the version it was based on (``base_version``,
the number the browser has); if the project's current version moved since (another tab, another
member, an undo), the change is refused with the version it moved to, and nothing is written.
The project row is locked while a change is checked and written, so two saves based on the same
version can't both win.
"""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership
from accounts.permissions import has_permission
from creatives.editor import document as doc_ops
from creatives.editor.document import (
    MAX_TIMELINE_S,
    MIN_CLIP_S,
    RATIOS,
    Caption,
    CaptionStyle,
    Document,
    EndCard,
    Logo,
    Text,
    parse_document,
    timeline_duration,
    to_json,
)
from creatives.editor.errors import DocumentError, EditorError, StaleVersionError
from creatives.editor.jobs import delete_previews
from creatives.editor.models import EditProject, EditTemplate, EditVersion, Render
from creatives.editor.selectors import source_facts
from creatives.library.models import MediaAsset
from creatives.studio.models import Creative, SceneImage

IMAGE_CLIP_S = 3.0
MAX_NAME_CHARS = 120
MAX_NOTE_CHARS = 200
# A generated video's look (creatives/studio/compose): scenes joined by 0.5 s fades, music
# under the voice at 0.35.
GENERATED_TRANSITION_S = 0.5
GENERATED_MUSIC_VOLUME = 0.35


def _require_editor(actor: Membership, project: EditProject | None = None) -> None:
    if not has_permission(actor.role, "edits.change"):
        raise EditorError(_("Your role can watch edit projects but not change them."))
    if project is not None and project.workspace_id != actor.workspace_id:
        # Callers resolve projects through the selectors; this is the last line of defence.
        raise EditorError(_("This project is not in your workspace."))


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise EditorError(_("Give the project a name."))
    if len(name) > MAX_NAME_CHARS:
        raise EditorError(
            _("The name is too long (at most {max} characters).").format(max=MAX_NAME_CHARS)
        )
    return name


def _clean_ratios(ratios: Sequence[str]) -> list[str]:
    try:
        return list(doc_ops.parse_document({"version": 1, "ratios": list(ratios)}).ratios)
    except DocumentError as error:
        raise EditorError(
            _("Choose at least one aspect ratio among {choices}.").format(choices=", ".join(RATIOS))
        ) from error


def _locked(project: EditProject) -> EditProject:
    return EditProject.objects.select_for_update(no_key=True).get(pk=project.pk)


def _current_number(project: EditProject) -> int | None:
    if project.current_version_id is None:
        return None
    return EditVersion.objects.values_list("number", flat=True).get(pk=project.current_version_id)


def _check_base(project: EditProject, base_version: int | None) -> None:
    current = _current_number(project)
    if base_version != current:
        raise StaleVersionError(
            _(
                "This project was changed in another tab or by someone else (version {n}); "
                "reload to see it."
            ).format(n=current)
        )


def _validated(project: EditProject, data: Any) -> Document:
    parsed = parse_document(data)  # the document's own rules first: no queries for garbage
    return parse_document(
        to_json(parsed), sources=source_facts(project.workspace, doc_ops.asset_ids(parsed))
    )


def _write_version(
    *, actor: Membership, project: EditProject, document: Document, note: str
) -> EditVersion:
    """Write the next version of ``project`` (locked by the caller) and point at it."""
    number = (project.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = EditVersion.objects.create(
        project=project,
        number=number,
        parent_id=project.current_version_id,
        document=to_json(document),
        note=note[:MAX_NOTE_CHARS],
        created_by=actor.user,
    )
    project.current_version = version
    project.ratios = list(document.ratios)
    project.save(update_fields=["current_version", "ratios", "updated_at"])
    return version


def current_document(project: EditProject) -> Document:
    """Return the document of the project's current version, as stored now (not as cached)."""
    current_id = (
        EditProject.objects.filter(pk=project.pk)
        .values_list("current_version_id", flat=True)
        .first()
    )
    version = EditVersion.objects.filter(pk=current_id).first() if current_id else None
    if version is None:
        return doc_ops.empty_document(project.ratios or ["9:16"])
    return parse_document(version.document)


@transaction.atomic
def create_project(
    *,
    actor: Membership,
    name: str,
    ratios: Sequence[str],
    assets: Sequence[MediaAsset] = (),
) -> EditProject:
    """Create a project with version 1: one clip per video (or image) of ``assets``, in order.

    Videos are used whole, images for ``IMAGE_CLIP_S``; clips that would take the timeline
    past ``MAX_TIMELINE_S`` are shortened, and left out once nothing is left.
    """
    _require_editor(actor)
    name = _clean_name(name)
    clean_ratios = _clean_ratios(ratios)
    document = doc_ops.empty_document(clean_ratios)
    for asset in assets:
        if asset.workspace_id != actor.workspace_id:
            raise EditorError(_("A chosen file is not in this workspace's library."))
        if asset.kind not in (MediaAsset.Kind.VIDEO, MediaAsset.Kind.IMAGE):
            raise EditorError(
                _("{name} is not a video or an image.").format(name=asset.original_filename)
            )
        length = IMAGE_CLIP_S if asset.kind == MediaAsset.Kind.IMAGE else asset.duration_seconds
        if not length:
            raise EditorError(
                _("{name} is still being processed; try again in a moment.").format(
                    name=asset.original_filename
                )
            )
        room = MAX_TIMELINE_S - timeline_duration(document)
        length = min(float(length), room)
        if length < MIN_CLIP_S:
            break
        document = doc_ops.add_clip(document, asset=asset.pk, in_=0.0, out=round(length, 3))
    document = _validated_new(actor, document)
    project = EditProject.objects.create(
        workspace=actor.workspace, name=name, ratios=clean_ratios, created_by=actor.user
    )
    _write_version(actor=actor, project=project, document=document, note=_("Created"))
    record_audit_event(
        actor=actor.user,
        action="edit_project.created",
        workspace=actor.workspace,
        target=project,
    )
    return project


def _validated_new(actor: Membership, document: Document) -> Document:
    return parse_document(
        to_json(document), sources=source_facts(actor.workspace, doc_ops.asset_ids(document))
    )


@transaction.atomic
def rename_project(*, actor: Membership, project: EditProject, name: str) -> EditProject:
    """Rename ``project`` (not a document change: no new version)."""
    _require_editor(actor, project)
    project = _locked(project)
    project.name = _clean_name(name)
    project.save(update_fields=["name", "updated_at"])
    return project


@transaction.atomic
def delete_project(*, actor: Membership, project: EditProject) -> None:
    """Delete ``project`` with its versions and render history (rendered files stay in the library)."""
    _require_editor(actor, project)
    record_audit_event(
        actor=actor.user,
        action="edit_project.deleted",
        workspace=actor.workspace,
        metadata={"name": project.name, "project_id": project.pk},
    )
    delete_previews(Render.objects.filter(project_id=project.pk))
    EditProject.objects.filter(pk=project.pk).delete()


@transaction.atomic
def save_document(
    *,
    actor: Membership,
    project: EditProject,
    data: Any,
    base_version: int | None,
    note: str = "",
) -> EditVersion:
    """Save ``data`` as the project's next version, if it is still based on the current one.

    ``data`` is the document's JSON (object, text or bytes). A document equal to the current
    version's writes nothing and returns the current version (autosave may repeat itself).
    Raises ``DocumentError`` for an invalid document and ``EditorError`` when the project
    moved past ``base_version``.
    """
    _require_editor(actor, project)
    document = _validated(project, data)
    project = _locked(project)
    _check_base(project, base_version)
    if project.current_version_id is not None:
        current = EditVersion.objects.get(pk=project.current_version_id)
        if current.document == to_json(document):
            return current
    return _write_version(actor=actor, project=project, document=document, note=note)


@transaction.atomic
def undo_edit(*, actor: Membership, project: EditProject, base_version: int | None) -> EditVersion:
    """Point the project at the version its current one was made from."""
    _require_editor(actor, project)
    project = _locked(project)
    _check_base(project, base_version)
    current = project.current_version
    if current is None or current.parent_id is None:
        raise EditorError(_("There is nothing to undo."))
    previous = EditVersion.objects.get(pk=current.parent_id)
    project.current_version = previous
    project.ratios = list(previous.document.get("ratios") or project.ratios)
    project.save(update_fields=["current_version", "ratios", "updated_at"])
    return previous


@transaction.atomic
def redo_edit(*, actor: Membership, project: EditProject, base_version: int | None) -> EditVersion:
    """Point the project at the newest version made from its current one."""
    _require_editor(actor, project)
    project = _locked(project)
    _check_base(project, base_version)
    following = (
        EditVersion.objects.filter(project=project, parent_id=project.current_version_id)
        .order_by("-number")
        .first()
    )
    if project.current_version_id is None or following is None:
        raise EditorError(_("There is nothing to redo."))
    project.current_version = following
    project.ratios = list(following.document.get("ratios") or project.ratios)
    project.save(update_fields=["current_version", "ratios", "updated_at"])
    return following


@transaction.atomic
def restore_version(
    *, actor: Membership, project: EditProject, number: int, base_version: int | None
) -> EditVersion:
    """Save version ``number``'s document as the project's next version.

    The old document is checked again (a file it used may have been deleted since).
    """
    _require_editor(actor, project)
    old = EditVersion.objects.filter(project=project, number=number).first()
    if old is None:
        raise EditorError(_("This project has no version {n}.").format(n=number))
    document = _validated(project, old.document)
    project = _locked(project)
    _check_base(project, base_version)
    return _write_version(
        actor=actor,
        project=project,
        document=document,
        note=_("Restored version {n}").format(n=number),
    )


# ---------------------------------------------------------------------------------------------
# A generated video as a project


@transaction.atomic
def create_project_from_creative(*, actor: Membership, creative: Creative) -> EditProject:
    """Open a studio video as a project: its scenes, captions, voice-over and music as parts.

    Each scene becomes an image clip (its picture at the video's aspect ratio) lasting as long
    as it did, joined by the composer's fades; each scene's voice-over line becomes a caption
    over that scene; the voice-over and the music become audio tracks; the call to action the
    end card. The scenes' slow zooms and pans are not part of edit documents and are left out.
    """
    _require_editor(actor)
    from creatives.studio.ai import base as ai_base
    from creatives.studio.generation import scene_durations_for_voice

    campaign = creative.script.campaign
    if campaign.workspace_id != actor.workspace_id:
        raise EditorError(_("This video is not in your workspace."))
    storyboard = creative.storyboard
    if storyboard is None:
        raise EditorError(_("This video's storyboard was deleted; it can't be opened as parts."))
    scenes = list(storyboard.scenes.all())
    images: dict[int, MediaAsset] = {}
    for image in SceneImage.objects.filter(scene__in=scenes).select_related("asset"):
        if image.aspect == creative.aspect or image.scene_id not in images:
            images[image.scene_id] = image.asset
    if not scenes or any(scene.pk not in images for scene in scenes):
        raise EditorError(_("A scene of this video has no picture any more; remake it first."))
    voice = storyboard.voiceover
    durations = scene_durations_for_voice(
        [(scene.duration_s, scene.voiceover_line) for scene in scenes],
        voice.duration_seconds if voice is not None else None,
    )
    ratio = creative.aspect if creative.aspect in RATIOS else "9:16"
    document = doc_ops.empty_document([ratio])
    for index, (scene, duration) in enumerate(zip(scenes, durations, strict=True)):
        # Long enough for a fade in and a fade out; never past the timeline's limit.
        shortest = 2 * GENERATED_TRANSITION_S + MIN_CLIP_S
        length = min(max(duration, shortest), MAX_TIMELINE_S - timeline_duration(document))
        if length < shortest:
            break
        document = doc_ops.add_clip(
            document, asset=images[scene.pk].pk, in_=0.0, out=round(length, 3)
        )
        if index:
            previous = document.clips[-2].id
            document = doc_ops.set_transition(document, previous, "fade", GENERATED_TRANSITION_S)
    # Each scene's line is captioned while its scene shows.
    starts = doc_ops.clip_starts(document)
    captions: list[Caption] = []
    for scene, clip, start in zip(scenes, document.clips, starts, strict=False):
        line = " ".join(scene.voiceover_line.split())[: doc_ops.MAX_CAPTION_CHARS]
        if line:
            captions.append(Caption(start=start, end=round(start + clip.duration, 3), text=line))
    document = doc_ops.set_captions(document, captions)
    cta = ai_base.cta_label(campaign.call_to_action)[: doc_ops.MAX_END_CARD_CHARS].strip()
    if cta and timeline_duration(document) + 2.0 <= MAX_TIMELINE_S:
        document = doc_ops.set_end_card(document, EndCard(text=cta, duration=2.0))
    total = timeline_duration(document)
    if voice is not None and voice.duration_seconds:
        document = doc_ops.add_audio(
            document,
            asset=voice.pk,
            role="voice",
            in_=0.0,
            out=round(min(voice.duration_seconds, total), 3),
        )
    music = creative.music
    if music is not None and music.duration_seconds:
        document = doc_ops.add_audio(
            document,
            asset=music.pk,
            role="music",
            in_=0.0,
            out=round(min(music.duration_seconds, total), 3),
            volume=GENERATED_MUSIC_VOLUME,
            duck=True,
        )
    document = _validated_new(actor, document)
    project = EditProject.objects.create(
        workspace=actor.workspace,
        name=_clean_name(f"{campaign.name[:80]} - {creative.aspect}"),
        ratios=[ratio],
        source_creative=creative,
        created_by=actor.user,
    )
    _write_version(
        actor=actor, project=project, document=document, note=_("Opened from a generated video")
    )
    record_audit_event(
        actor=actor.user,
        action="edit_project.created",
        workspace=actor.workspace,
        target=project,
        metadata={"creative_id": creative.pk},
    )
    return project


# ---------------------------------------------------------------------------------------------
# Templates


def _look_of(document: Document) -> dict[str, Any]:
    music = next((a for a in document.audio if a.role == "music"), None)
    full = to_json(document)
    return {
        "texts": full["texts"],
        "caption_style": full["caption_style"],
        "end_card": full["end_card"],
        "logo": full["logo"],
        "music": None
        if music is None
        else {
            "volume": music.volume,
            "fade_in": music.fade_in,
            "fade_out": music.fade_out,
            "duck": music.duck,
        },
    }


@transaction.atomic
def create_template(*, actor: Membership, project: EditProject, name: str) -> EditTemplate:
    """Save the look of ``project``'s current version as a template.

    The look is its texts, caption style, end card, logo and music (file and levels).
    """
    _require_editor(actor, project)
    document = current_document(project)
    music = next((a for a in document.audio if a.role == "music"), None)
    template = EditTemplate.objects.create(
        workspace=actor.workspace,
        name=_clean_name(name),
        look=_look_of(document),
        music=MediaAsset.objects.for_workspace(actor.workspace).filter(pk=music.asset).first()
        if music is not None
        else None,
        created_by=actor.user,
    )
    record_audit_event(
        actor=actor.user,
        action="edit_template.created",
        workspace=actor.workspace,
        target=template,
    )
    return template


@transaction.atomic
def apply_template(
    *,
    actor: Membership,
    project: EditProject,
    template: EditTemplate,
    base_version: int | None,
) -> EditVersion:
    """Save a new version of ``project`` with ``template``'s look over its own footage.

    The template's texts, caption style, end card and logo replace the project's; its music
    replaces the project's music tracks (cut to the timeline's length). The clips, captions
    and voice tracks stay. Refused like a save when the project moved past ``base_version``.
    """
    _require_editor(actor, project)
    if template.workspace_id != actor.workspace_id:
        raise EditorError(_("This template is not in your workspace."))
    project = _locked(project)
    _check_base(project, base_version)
    document = current_document(project)
    look = template.look or {}
    try:
        template_part = parse_document(
            {
                "version": 1,
                "ratios": list(document.ratios),
                "texts": look.get("texts") or [],
                "caption_style": look.get("caption_style"),
                "end_card": look.get("end_card"),
                "logo": look.get("logo"),
            }
        )
    except DocumentError as error:
        raise EditorError(
            _("The template {name} can't be used: {why}").format(
                name=template.name, why=error.message
            )
        ) from error
    texts: list[Text] = list(template_part.texts)
    logo: Logo | None = template_part.logo
    style: CaptionStyle = template_part.caption_style
    document = replace(
        document,
        texts=tuple(texts),
        logo=logo,
        caption_style=style,
        end_card=template_part.end_card,
        audio=tuple(a for a in document.audio if a.role != "music"),
    )
    music_look = look.get("music")
    if template.music is not None and isinstance(music_look, dict):
        length = template.music.duration_seconds or 0.0
        total = timeline_duration(document) or length
        out = round(min(length, max(total, MIN_CLIP_S)), 3)
        if out > 0:
            try:
                document = doc_ops.add_audio(
                    document,
                    asset=template.music.pk,
                    role="music",
                    in_=0.0,
                    out=out,
                    volume=music_look.get("volume", 1.0),
                    fade_in=min(music_look.get("fade_in", 0.0), out / 2),
                    fade_out=min(music_look.get("fade_out", 0.0), out / 2),
                    duck=bool(music_look.get("duck", True)),
                )
            except (DocumentError, TypeError) as error:
                raise EditorError(
                    _("The template {name}'s music can't be used.").format(name=template.name)
                ) from error
    document = _validated(project, to_json(document))
    return _write_version(
        actor=actor,
        project=project,
        document=document,
        note=_("Applied template {name}").format(name=template.name),
    )


@transaction.atomic
def delete_template(*, actor: Membership, template: EditTemplate) -> None:
    """Delete ``template`` (projects it was applied to keep their look)."""
    _require_editor(actor)
    if template.workspace_id != actor.workspace_id:
        raise EditorError(_("This template is not in your workspace."))
    record_audit_event(
        actor=actor.user,
        action="edit_template.deleted",
        workspace=actor.workspace,
        metadata={"name": template.name, "template_id": template.pk},
    )
    EditTemplate.objects.filter(pk=template.pk).delete()
