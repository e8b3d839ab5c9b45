"""What deleting a media-library file does to edit projects (``creatives.library.usage``).

An edit document names its files by id (clips, audio tracks, the logo). Deleting a file a
project's current edit uses is not refused — the edit stays, and rendering it says which file
is missing — but the confirmation page names the projects, so nobody loses a cut by surprise.
Renders already made are media files of their own and keep playing.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import ngettext

from creatives.editor.models import EditProject
from creatives.library.models import MediaAsset
from creatives.library.usage import MediaUse


def document_asset_ids(document: dict[str, Any]) -> set[int]:
    """Return the ids of every file an edit document uses: clips, audio tracks and the logo."""
    parts: Iterable[Any] = [
        *(document.get("clips") or []),
        *(document.get("audio") or []),
        document.get("logo") or {},
    ]
    return {
        part["asset"]
        for part in parts
        if isinstance(part, dict) and isinstance(part.get("asset"), int)
    }


def describe_media_use(assets: Sequence[MediaAsset]) -> MediaUse:
    """Name the edit projects whose current edit uses any of ``assets``."""
    ids = {asset.pk for asset in assets}
    workspaces = {asset.workspace_id for asset in assets}
    projects = (
        EditProject.objects.filter(workspace_id__in=workspaces, current_version__isnull=False)
        .select_related("current_version")
        .only("name", "current_version__document")
        .order_by("name", "pk")
    )
    using = [
        project.name
        for project in projects
        if project.current_version is not None
        and document_asset_ids(project.current_version.document) & ids
    ]
    if not using:
        return MediaUse()
    names = ", ".join(f"“{name}”" for name in using)
    return MediaUse(
        consequences=[
            ngettext(
                "The edit project %(names)s uses it: the edit is kept, and rendering it will "
                "ask you to replace the missing file.",
                "The edit projects %(names)s use them: the edits are kept, and rendering them "
                "will ask you to replace the missing files.",
                len(using),
            )
            % {"names": names}
        ]
    )


def release_media(**_kwargs: Any) -> None:
    """Let go of nothing: documents keep the ids, and renders are files of their own."""
