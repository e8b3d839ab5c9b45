"""What the media library holds for a person and a workspace: erasure, export and retention.

Registered from LibraryConfig.ready() with ``prosocial.erasure``, ``prosocial.exporting`` and
``prosocial.retention``. Files live in the media storage; removing a row removes its files.
The studio's records (scripts, jobs, AI calls) are erased and exported by its own module,
``creatives.studio.privacy``; the registry runs it before this one, since its rows point at
media assets.
"""

from datetime import datetime
from pathlib import PurePath

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from creatives.library.models import MediaAsset
from prosocial.exporting import ExportFile, ExportPart, serialize_rows
from prosocial.inventory import StoredItem
from prosocial.retention import RetentionRule
from prosocial.stored_files import delete_stored_files


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
    """Files belong to their workspace; the person is only unlinked from them."""
    return {
        "media_unlinked": MediaAsset.objects.filter(created_by_id=user_id).update(created_by=None),
    }


def erase_workspace(workspace_id: int) -> dict[str, int]:
    return {"media_assets": _remove_assets(MediaAsset.objects.filter(workspace_id=workspace_id))}


def describe_user(user_id: int) -> list[StoredItem]:
    return [
        StoredItem("Media you uploaded", MediaAsset.objects.filter(created_by_id=user_id).count())
    ]


def describe_workspace(workspace_id: int) -> list[StoredItem]:
    media = MediaAsset.objects.filter(workspace_id=workspace_id)
    media_bytes = media.aggregate(total=Sum("size_bytes"))["total"] or 0
    return [StoredItem("Media files", media.count(), f"{media_bytes / 1024 / 1024:.1f} MB")]


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
    return _media_export(MediaAsset.objects.filter(created_by_id=user_id))


def export_workspace(workspace_id: int) -> ExportPart:
    """Return the library with its files (the studio's records point at them)."""
    return _media_export(MediaAsset.objects.filter(workspace_id=workspace_id))


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
