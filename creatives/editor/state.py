"""What the editor page shows: the project's state as JSON, and the render history's rows.

``editor_state`` is the one answer of ``state.json``, ``edit/``, ``undo/`` and ``redo/``: the
current version's document with what the browser needs to draw it (each clip's start on the
timeline, the files it uses with their thumbnails and aids URLs) and what it may do (undo,
redo, edit). It costs a constant number of queries whatever the project's size.
"""

from typing import Any

from django.urls import reverse

from accounts.models import Membership
from creatives.editor import document as doc_ops
from creatives.editor.errors import DocumentError
from creatives.editor.models import EditProject, EditVersion, Render
from creatives.editor.render import PLACEMENT_FOR_RATIO
from creatives.editor.selectors import facts_of, list_renders_for_project
from creatives.library.media.specs import PLACEMENTS
from creatives.library.models import MediaAsset
from creatives.library.templatetags.media_tags import file_url, thumbnail_url

RENDER_HISTORY = 30


def _asset_entry(membership: Membership, asset: MediaAsset) -> dict[str, Any]:
    slug = membership.workspace.slug
    return {
        "name": asset.original_filename,
        "kind": asset.kind,
        "duration": asset.duration_seconds,
        "has_audio": asset.has_audio,
        "ready": asset.status == MediaAsset.Status.READY,
        "thumb": thumbnail_url(asset),
        "aids": reverse("editor:asset_aids", args=[slug, asset.pk]),
    }


def _problem(document: dict[str, Any], assets: dict[int, MediaAsset]) -> str:
    """Why this document can't be rendered now ("" when it can), in the document's words."""
    try:
        doc_ops.parse_document(
            document, sources={pk: facts_of(a) for pk, a in assets.items()}, for_render=True
        )
    except DocumentError as error:
        return error.message
    return ""


def editor_state(membership: Membership, project: EditProject) -> dict[str, Any]:
    version: EditVersion | None = project.current_version
    document = (
        version.document
        if version is not None
        else doc_ops.to_json(doc_ops.empty_document(project.ratios or ["9:16"]))
    )
    parsed = doc_ops.parse_document(document)
    ids = doc_ops.asset_ids(parsed)
    assets = {
        a.pk: a for a in MediaAsset.objects.for_workspace(membership.workspace).filter(pk__in=ids)
    }
    can_redo = (
        version is not None
        and EditVersion.objects.filter(project_id=project.pk, parent_id=version.pk).exists()
    )
    return {
        "project": {"id": project.pk, "name": project.name, "ratios": list(parsed.ratios)},
        "version": version.number if version is not None else None,
        "note": version.note if version is not None else "",
        "can_undo": version is not None and version.parent_id is not None,
        "can_redo": can_redo,
        "can_edit": membership.can("edits.change"),
        "document": document,
        "starts": doc_ops.clip_starts(parsed),
        "duration": doc_ops.timeline_duration(parsed),
        "assets": {str(pk): _asset_entry(membership, a) for pk, a in assets.items()},
        "problem": _problem(document, assets),
    }


def render_rows(membership: Membership, project: EditProject) -> list[dict[str, Any]]:
    """Return the project's newest renders, with the checks' verdict and where to go next."""
    slug = membership.workspace.slug
    rows = []
    for row in list_renders_for_project(project).filter(proxy=False)[:RENDER_HISTORY]:
        checks = (row.preflight or {}).get("checks") or []
        placement = PLACEMENTS.get(PLACEMENT_FOR_RATIO.get(row.ratio, ""))
        output = row.output
        rows.append(
            {
                "render": row,
                "placement": placement.label if placement is not None else row.ratio,
                "failed_checks": [c["message"] for c in checks if not (c["ok"] or c["advisory"])],
                "advice": [c["message"] for c in checks if not c["ok"] and c["advisory"]],
                "checked": bool(checks),
                "output": output,
                "output_url": file_url(output) if output is not None else "",
                "poster": thumbnail_url(output) if output is not None else "",
                # The draft form picks the placement the ratio is made for.
                "publish_url": reverse("publishing:new", args=[slug]) + f"?render={row.pk}"
                if output is not None and row.status == Render.Status.SUCCEEDED
                else "",
            }
        )
    return rows


LIBRARY_CHOICES = 200


def library_entries(membership: Membership) -> list[dict[str, Any]]:
    """Return the newest ready files the editor can add: footage, music and voice, logos."""
    assets = MediaAsset.objects.for_workspace(membership.workspace).filter(
        status=MediaAsset.Status.READY
    )[:LIBRARY_CHOICES]
    return [
        {
            "id": a.pk,
            "name": a.original_filename,
            "kind": a.kind,
            "duration": a.duration_seconds,
            "has_audio": a.has_audio,
        }
        for a in assets
    ]
