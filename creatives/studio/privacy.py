"""What the AI studio holds for a person and a workspace: erasure and export.

Registered from StudioConfig.ready(). AI generation records (provider calls, scripts and their
versions, storyboards, finished creatives, jobs) belong to the workspace: its export carries
them as records (their files are media assets, exported by the library) and its erasure removes
them. A person is only unlinked from what they wrote, started or approved, and their export
lists those rows.
"""

from django.db.models import QuerySet

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
from prosocial.exporting import ExportPart, serialize_rows


def erase_user(user_id: int) -> dict[str, int]:
    """AI work belongs to its workspace; the person is only unlinked from it."""
    return {
        "script_versions_unlinked": ScriptVersion.objects.filter(author_id=user_id).update(
            author=None
        ),
        "generation_jobs_unlinked": GenerationJob.objects.filter(created_by_id=user_id).update(
            created_by=None
        ),
        "creative_approvals_unlinked": Creative.objects.filter(approved_by_id=user_id).update(
            approved_by=None
        ),
    }


def _delete(rows: QuerySet) -> int:
    """Delete ``rows`` (and what cascades from them); return how many of ``rows`` went."""
    return rows.delete()[1].get(rows.model._meta.label, 0)


def erase_workspace(workspace_id: int) -> dict[str, int]:
    # Scripts hold the versions, storyboards, scenes, images and creatives (they cascade); the
    # media files those point at are the library's, erased after this.
    return {
        "generation_jobs": _delete(GenerationJob.objects.filter(workspace_id=workspace_id)),
        "scripts": _delete(Script.objects.filter(campaign__workspace_id=workspace_id)),
        "ai_calls": _delete(AICall.objects.filter(workspace_id=workspace_id)),
        "ai_settings": _delete(AISettings.objects.filter(workspace_id=workspace_id)),
    }


def export_user(user_id: int) -> ExportPart:
    return ExportPart(
        records={
            "script_versions": serialize_rows(
                ScriptVersion.objects.filter(author_id=user_id).order_by("pk")
            ),
            "generation_jobs": serialize_rows(
                GenerationJob.objects.filter(created_by_id=user_id).order_by("pk")
            ),
            "creative_approvals": serialize_rows(
                Creative.objects.filter(approved_by_id=user_id).order_by("pk")
            ),
        },
        files=[],
    )


def export_workspace(workspace_id: int) -> ExportPart:
    """Return every AI record of the workspace (their files are in the library's part)."""
    in_workspace = {"campaign__workspace_id": workspace_id}
    return ExportPart(
        records={
            "ai_settings": serialize_rows(AISettings.objects.filter(workspace_id=workspace_id)),
            "ai_calls": serialize_rows(
                AICall.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
            "generation_jobs": serialize_rows(
                GenerationJob.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
            "scripts": serialize_rows(Script.objects.filter(**in_workspace).order_by("pk")),
            "script_versions": serialize_rows(
                ScriptVersion.objects.filter(script__campaign__workspace_id=workspace_id).order_by(
                    "pk"
                )
            ),
            "storyboards": serialize_rows(
                Storyboard.objects.filter(script__campaign__workspace_id=workspace_id).order_by(
                    "pk"
                )
            ),
            "storyboard_scenes": serialize_rows(
                StoryboardScene.objects.filter(
                    storyboard__script__campaign__workspace_id=workspace_id
                ).order_by("pk")
            ),
            "scene_images": serialize_rows(
                SceneImage.objects.filter(
                    scene__storyboard__script__campaign__workspace_id=workspace_id
                ).order_by("pk")
            ),
            "creatives": serialize_rows(
                Creative.objects.filter(script__campaign__workspace_id=workspace_id).order_by("pk")
            ),
        },
        files=[],
    )
