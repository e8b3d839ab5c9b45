"""What creatives holds for a person and a workspace: erasure, export and retention.

Registered from CreativesConfig.ready() with ``prosocial.erasure``, ``prosocial.exporting`` and
``prosocial.retention``. Files live in the media storage; removing a row removes its files.

AI generation records (provider calls, scripts and their versions, storyboards, finished
creatives, jobs) belong to the workspace: its export carries them as records (their files are
media assets, exported with the library) and its erasure removes them. A person is only
unlinked from what they wrote, started or approved, and their export lists those rows.
"""

from datetime import datetime
from pathlib import PurePath

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from creatives.models import (
    AICall,
    AISettings,
    Creative,
    GenerationJob,
    MediaAsset,
    SceneImage,
    Script,
    ScriptVersion,
    Storyboard,
    StoryboardScene,
)
from creatives.services import delete_stored_files
from prosocial.exporting import ExportFile, ExportPart, serialize_rows
from prosocial.retention import RetentionRule


def _remove_assets(assets: QuerySet[MediaAsset]) -> int:
    """Delete assets with their renditions and stored files; return how many assets."""
    family = MediaAsset.objects.filter(pk__in=assets.values("pk")) | MediaAsset.objects.filter(
        parent__in=assets.values("pk")
    )
    rows = list(family.values_list("pk", "storage_key", "poster_key"))
    count = assets.count()
    MediaAsset.objects.filter(pk__in=[pk for pk, _key, _poster in rows]).delete()
    delete_stored_files(*(key for _pk, *keys in rows for key in keys if key))
    return count


def erase_user(user_id: int) -> dict[str, int]:
    """Files and AI work belong to their workspace; the person is only unlinked from them."""
    return {
        "media_unlinked": MediaAsset.objects.filter(created_by_id=user_id).update(created_by=None),
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
    # The AI records go first: creatives and scene images point at media assets, and scripts
    # hold the versions, storyboards, scenes, images and creatives (they cascade from them).
    counts = {
        "generation_jobs": _delete(GenerationJob.objects.filter(workspace_id=workspace_id)),
        "scripts": _delete(Script.objects.filter(campaign__workspace_id=workspace_id)),
        "ai_calls": _delete(AICall.objects.filter(workspace_id=workspace_id)),
        "ai_settings": _delete(AISettings.objects.filter(workspace_id=workspace_id)),
    }
    counts["media_assets"] = _remove_assets(MediaAsset.objects.filter(workspace_id=workspace_id))
    return counts


def _media_export(assets: QuerySet[MediaAsset]) -> ExportPart:
    assets = assets.order_by("pk")
    files = [
        ExportFile(
            path=f"media/{asset.pk}{PurePath(asset.storage_key).suffix}",
            storage_key=asset.storage_key,
            size_bytes=asset.size_bytes,
        )
        for asset in assets
        if asset.storage_key
    ]
    return ExportPart(records={"media_assets": serialize_rows(assets)}, files=files)


def export_user(user_id: int) -> ExportPart:
    part = _media_export(MediaAsset.objects.filter(created_by_id=user_id))
    part.records.update(
        {
            "script_versions": serialize_rows(
                ScriptVersion.objects.filter(author_id=user_id).order_by("pk")
            ),
            "generation_jobs": serialize_rows(
                GenerationJob.objects.filter(created_by_id=user_id).order_by("pk")
            ),
            "creative_approvals": serialize_rows(
                Creative.objects.filter(approved_by_id=user_id).order_by("pk")
            ),
        }
    )
    return part


def export_workspace(workspace_id: int) -> ExportPart:
    """Return the library with its files, and every AI record (their files are in it)."""
    part = _media_export(MediaAsset.objects.filter(workspace_id=workspace_id))
    in_campaigns = {"campaign__workspace_id": workspace_id}
    part.records.update(
        {
            "ai_settings": serialize_rows(AISettings.objects.filter(workspace_id=workspace_id)),
            "ai_calls": serialize_rows(
                AICall.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
            "generation_jobs": serialize_rows(
                GenerationJob.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
            "scripts": serialize_rows(Script.objects.filter(**in_campaigns).order_by("pk")),
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
        }
    )
    return part


def expired_generated_media(workspace_id: int, cutoff: datetime) -> QuerySet[MediaAsset]:
    """AI-generated originals not used by anything since ``cutoff`` (renditions go with them)."""
    return (
        MediaAsset.objects.filter(
            workspace_id=workspace_id, source=MediaAsset.Source.GENERATED, parent__isnull=True
        )
        # Anything a publication still points at stays (publishing's reverse relations).
        .filter(publication_items__isnull=True, publication_covers__isnull=True)
        .annotate(last_touched=Coalesce("last_used_at", "created_at"))
        .filter(last_touched__lt=cutoff)
    )


UNUSED_GENERATED_MEDIA = RetentionRule(
    name="creatives.unused_generated_media",
    label=_("Unused AI-generated media"),
    period_field="unused_generated_media_days",
    expired=expired_generated_media,
    remove=_remove_assets,
)
