"""Reads for the video editor: workspace-scoped lookups (the same 404 for missing and foreign)."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Membership, Workspace
from creatives.editor.document import SourceFacts
from creatives.editor.models import EditProject, EditTemplate, EditVersion, Render
from creatives.library.models import MediaAsset


def _found(obj: Any, what: str) -> Any:
    if obj is None:
        raise Http404(f"No such {what}")
    return obj


def list_projects_for_workspace(workspace: Workspace) -> QuerySet[EditProject]:
    return EditProject.objects.for_workspace(workspace).select_related("current_version")


def get_project_for_member(membership: Membership, pk: int) -> EditProject:
    project: EditProject = _found(
        EditProject.objects.filter(workspace=membership.workspace, pk=pk)
        .select_related("current_version")
        .first(),
        "project",
    )
    return project


def get_version_for_member(membership: Membership, project_pk: int, number: int) -> EditVersion:
    version: EditVersion = _found(
        EditVersion.objects.filter(
            project__workspace=membership.workspace, project_id=project_pk, number=number
        )
        .select_related("project")
        .first(),
        "version",
    )
    return version


def list_versions_for_project(project: EditProject) -> QuerySet[EditVersion]:
    return EditVersion.objects.filter(project=project).order_by("-number")


def list_templates_for_workspace(workspace: Workspace) -> QuerySet[EditTemplate]:
    return EditTemplate.objects.for_workspace(workspace)


def get_template_for_member(membership: Membership, pk: int) -> EditTemplate:
    template: EditTemplate = _found(
        EditTemplate.objects.filter(workspace=membership.workspace, pk=pk).first(), "template"
    )
    return template


def list_renders_for_project(project: EditProject) -> QuerySet[Render]:
    return Render.objects.filter(project=project).select_related("version", "output", "created_by")


def get_render_for_member(membership: Membership, pk: int) -> Render:
    render: Render = _found(
        Render.objects.filter(workspace=membership.workspace, pk=pk)
        .select_related("project", "version", "output")
        .first(),
        "render",
    )
    return render


def facts_of(asset: MediaAsset) -> SourceFacts:
    """Return what an edit document needs to know about ``asset``."""
    return SourceFacts(
        kind=asset.kind,
        duration=asset.duration_seconds,
        has_audio=asset.has_audio,
        width=asset.width,
        height=asset.height,
        ready=asset.status == MediaAsset.Status.READY,
    )


def source_facts(workspace: Workspace, asset_ids: Iterable[int]) -> dict[int, SourceFacts]:
    """Return the facts of the workspace's assets among ``asset_ids`` (others are left out)."""
    ids = {i for i in asset_ids if isinstance(i, int)}
    if not ids:
        return {}
    assets = MediaAsset.objects.for_workspace(workspace).filter(pk__in=ids)
    return {asset.pk: facts_of(asset) for asset in assets}
