"""Deleting what the studio made: scripts with their versions, storyboards, and videos.

Invariants:

- Scripts, versions and storyboards are text and structure: deleting them never deletes a
  file. Pictures, voice-overs and videos stay in the media library (where a member deletes
  them, and where publications that sent them keep their name and checksum).
- Deleting a video (``Creative``) deletes its file through the media library
  (``creatives.library.services.delete_media``), so publications get the same treatment as
  for any file.
- Nothing is deleted while a generation job for it is queued or running (its worker would
  write into rows that are gone); the member is told to wait.
- The version a script uses, and a script's only version, are never deleted on their own.

Callers: ``creatives.studio.views`` (confirmation pages), and ``campaigns.extensions`` through
``deletion_summary`` (registered in ``StudioConfig.ready``). Every deletion is audited.
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.audit import record_audit_event
from accounts.models import Membership
from accounts.permissions import has_permission
from campaigns.models import AudienceCohort, Campaign
from creatives.library import services as media_services
from creatives.library.models import MediaAsset
from creatives.library.usage import MediaUse, describe_uses
from creatives.studio.errors import GenerationError
from creatives.studio.models import (
    Creative,
    GenerationJob,
    SceneImage,
    Script,
    ScriptVersion,
    Storyboard,
    StoryboardScene,
)
from prosocial.deletion import DeletionPlan

OPEN = (GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING)


def _require_editor(actor: Membership) -> None:
    if not has_permission(actor.role, "content.edit"):
        raise GenerationError(_("Your role can't delete creatives."))


def _count(n: int, one: str, many: str) -> str:
    return ngettext(one, many, n) % {"n": n}


def _open_jobs_refusal(jobs: QuerySet[GenerationJob]) -> list[str]:
    if jobs.filter(status__in=OPEN).exists():
        return [_("A generation for it is still running; wait until it finishes, then delete.")]
    return []


def _script_parts(scripts: QuerySet[Script]) -> list[str]:
    """Sentences for the scripts in ``scripts`` and everything hanging off them."""
    ids = list(scripts.values_list("pk", flat=True))
    if not ids:
        return []
    versions = ScriptVersion.objects.filter(script_id__in=ids).count()
    boards = Storyboard.objects.filter(script_id__in=ids).count()
    videos = Creative.objects.filter(script_id__in=ids).count()
    parts = [
        _count(len(ids), "%(n)s script variant", "%(n)s script variants")
        + " ("
        + _count(versions, "%(n)s version", "%(n)s versions")
        + ")."
    ]
    if boards:
        parts.append(_count(boards, "%(n)s storyboard and its scenes.", "%(n)s storyboards."))
    if videos:
        parts.append(
            _count(
                videos,
                "%(n)s video is taken off its script; its file stays in the media library.",
                "%(n)s videos are taken off their scripts; their files stay in the media library.",
            )
        )
    return parts


def deletion_summary(
    campaign: Campaign | None, cohort: AudienceCohort | None
) -> tuple[list[str], list[str]]:
    """Return what deleting a brief or an audience removes here, and whether a job refuses it."""
    if campaign is not None:
        scripts = Script.objects.filter(campaign=campaign)
        jobs = GenerationJob.objects.filter(campaign=campaign)
    else:
        scripts = Script.objects.filter(cohort=cohort)
        jobs = GenerationJob.objects.filter(Q(cohort=cohort) | Q(script__cohort=cohort))
    goes = _script_parts(scripts)
    history = jobs.count()
    if history:
        goes.append(
            _count(history, "%(n)s generation job record.", "%(n)s generation job records.")
        )
    return goes, _open_jobs_refusal(jobs)


def _files_stay() -> list[str]:
    return [
        _(
            "Pictures, voice-overs and videos stay in the media library; delete them there if "
            "you want them gone."
        )
    ]


# --- scripts ----------------------------------------------------------------------------------


def describe_script_deletion(script: Script) -> DeletionPlan:
    scripts = Script.objects.filter(pk=script.pk)
    return DeletionPlan(
        goes=_script_parts(scripts),
        stays=_files_stay(),
        blockers=_open_jobs_refusal(GenerationJob.objects.filter(script=script)),
    )


@transaction.atomic
def delete_script(*, actor: Membership, script: Script) -> None:
    """Delete a script variant with its versions, storyboards and video records (not files)."""
    _require_editor(actor)
    script = Script.objects.select_for_update().get(pk=script.pk)
    plan = describe_script_deletion(script)
    if plan.blockers:
        raise GenerationError(" ".join(plan.blockers))
    record_audit_event(
        actor=actor.user,
        action="script.deleted",
        workspace=actor.workspace,
        target=script,
        metadata={"campaign_id": script.campaign_id, "cohort_id": script.cohort_id},
    )
    script.delete()


# --- versions ---------------------------------------------------------------------------------


def describe_version_deletion(version: ScriptVersion) -> DeletionPlan:
    script = version.script
    blockers = []
    if script.current_id == version.pk:
        blockers.append(
            _(
                "This is the version the script uses; use another version first, or delete the "
                "whole script."
            )
        )
    elif not script.versions.exclude(pk=version.pk).exists():
        blockers.append(_("It is the script's only version; delete the whole script instead."))
    return DeletionPlan(
        goes=[_("Version %(n)s of the script: its text and caption.") % {"n": version.number}],
        stays=[_("The script's other versions, its storyboards and videos.")],
        blockers=blockers,
    )


@transaction.atomic
def delete_script_version(*, actor: Membership, version: ScriptVersion) -> None:
    """Delete one version that isn't in use (storyboards made from it keep their scenes)."""
    _require_editor(actor)
    Script.objects.select_for_update().filter(pk=version.script_id).first()
    version = ScriptVersion.objects.select_related("script").get(pk=version.pk)
    plan = describe_version_deletion(version)
    if plan.blockers:
        raise GenerationError(" ".join(plan.blockers))
    record_audit_event(
        actor=actor.user,
        action="script_version.deleted",
        workspace=actor.workspace,
        target=version,
        metadata={"script_id": version.script_id, "number": version.number},
    )
    version.delete()


# --- storyboards ------------------------------------------------------------------------------


def describe_storyboard_deletion(storyboard: Storyboard) -> DeletionPlan:
    scenes = StoryboardScene.objects.filter(storyboard=storyboard).count()
    videos = storyboard.creatives.count()
    stays = _files_stay()
    if videos:
        stays.insert(
            0,
            _count(videos, "%(n)s video made from it stays.", "%(n)s videos made from it stay."),
        )
    jobs = GenerationJob.objects.filter(
        Q(script_id=storyboard.script_id) | Q(scene__storyboard=storyboard)
    )
    return DeletionPlan(
        goes=[
            _count(
                scenes,
                "The storyboard and its %(n)s scene.",
                "The storyboard and its %(n)s scenes.",
            )
        ],
        stays=stays,
        blockers=_open_jobs_refusal(jobs),
    )


@transaction.atomic
def delete_storyboard(*, actor: Membership, storyboard: Storyboard) -> None:
    """Delete a storyboard and its scenes (their pictures stay in the media library)."""
    _require_editor(actor)
    Script.objects.select_for_update().filter(pk=storyboard.script_id).first()
    plan = describe_storyboard_deletion(storyboard)
    if plan.blockers:
        raise GenerationError(" ".join(plan.blockers))
    record_audit_event(
        actor=actor.user,
        action="storyboard.deleted",
        workspace=actor.workspace,
        target=storyboard,
        metadata={"script_id": storyboard.script_id},
    )
    storyboard.delete()


# --- videos (generated media) -----------------------------------------------------------------


def describe_creative_deletion(creative: Creative) -> DeletionPlan:
    use = describe_uses([creative.asset])
    return DeletionPlan(
        goes=[
            _("The video “%(name)s” (%(aspect)s) and its file.")
            % {"name": creative.asset.original_filename, "aspect": creative.aspect},
            *use.consequences,
        ],
        stays=[_("The script, its storyboard and its other videos.")],
        blockers=use.blockers,
    )


def delete_creative(*, actor: Membership, creative: Creative) -> None:
    """Delete a generated video and its file (``delete_media`` removes the Creative row too).

    Raises ``MediaError`` when a publication that hasn't been sent still uses the file.
    """
    _require_editor(actor)
    record = {"script_id": creative.script_id, "aspect": creative.aspect}
    with transaction.atomic():
        record_audit_event(
            actor=actor.user,
            action="creative.deleted",
            workspace=actor.workspace,
            target=creative,
            metadata=record,
        )
        media_services.delete_media(actor=actor, asset=creative.asset)


# --- files deleted from the media library (creatives.library.usage) ----------------------------


def describe_media_use(assets: Sequence[MediaAsset]) -> MediaUse:
    """Say what the studio loses when ``assets`` are deleted (never a reason to refuse)."""
    ids = [asset.pk for asset in assets]
    videos = Creative.objects.filter(asset_id__in=ids).count()
    pictures = SceneImage.objects.filter(asset_id__in=ids).count()
    voices = Storyboard.objects.filter(voiceover_id__in=ids).count()
    use = MediaUse()
    if videos:
        use.consequences.append(
            _count(
                videos,
                "It is a script's video: the video is taken off the script.",
                "It is the video of %(n)s scripts: the videos are taken off them.",
            )
        )
    if pictures:
        use.consequences.append(
            _count(
                pictures,
                "%(n)s storyboard scene loses its picture (it can be drawn again).",
                "%(n)s storyboard scenes lose their pictures (they can be drawn again).",
            )
        )
    if voices:
        use.consequences.append(
            _count(
                voices,
                "%(n)s storyboard loses its voice-over (it can be recorded again).",
                "%(n)s storyboards lose their voice-over (it can be recorded again).",
            )
        )
    return use


def release_media(*, actor: Membership, assets: Sequence[MediaAsset]) -> None:
    """Do nothing: the studio's rows let go of a deleted file by their foreign keys."""
