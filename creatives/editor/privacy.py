"""What the video editor holds for a person and a workspace: erasure, export and inventory.

Registered from EditorConfig.ready(). Edit projects, their versions, templates, renders and
transcriptions (captions from speech) belong to the workspace: its export carries them as
records (rendered files are media assets, exported by the library) and its erasure removes
them. A person is only unlinked from what they created or saved, and their export lists those
rows. They are kept until a member deletes the project or the workspace is deleted, as the
policy page says; there is no retention period.
"""

from django.db.models import QuerySet

from creatives.editor.jobs import delete_previews
from creatives.editor.models import EditProject, EditTemplate, EditVersion, Render, Transcription
from prosocial.exporting import ExportPart, serialize_rows
from prosocial.inventory import StoredItem


def erase_user(user_id: int) -> dict[str, int]:
    """Edits belong to their workspace; the person is only unlinked from them."""
    return {
        "edit_projects_unlinked": EditProject.objects.filter(created_by_id=user_id).update(
            created_by=None
        ),
        "edit_versions_unlinked": EditVersion.objects.filter(created_by_id=user_id).update(
            created_by=None
        ),
        "edit_templates_unlinked": EditTemplate.objects.filter(created_by_id=user_id).update(
            created_by=None
        ),
        "renders_unlinked": Render.objects.filter(created_by_id=user_id).update(created_by=None),
        "edit_transcriptions_unlinked": Transcription.objects.filter(created_by_id=user_id).update(
            created_by=None
        ),
    }


def _delete(rows: QuerySet) -> int:
    """Delete ``rows`` (and what cascades from them); return how many of ``rows`` went."""
    return rows.delete()[1].get(rows.model._meta.label, 0)


def erase_workspace(workspace_id: int) -> dict[str, int]:
    # Projects hold their versions and renders (they cascade); rendered files are the
    # library's, erased after this.
    delete_previews(Render.objects.filter(workspace_id=workspace_id))  # files, after COMMIT
    return {
        "renders": _delete(Render.objects.filter(workspace_id=workspace_id)),
        "edit_transcriptions": _delete(Transcription.objects.filter(workspace_id=workspace_id)),
        "edit_projects": _delete(EditProject.objects.filter(workspace_id=workspace_id)),
        "edit_templates": _delete(EditTemplate.objects.filter(workspace_id=workspace_id)),
    }


def export_user(user_id: int) -> ExportPart:
    return ExportPart(
        records={
            "edit_projects": serialize_rows(
                EditProject.objects.filter(created_by_id=user_id).order_by("pk")
            ),
            "edit_versions": serialize_rows(
                EditVersion.objects.filter(created_by_id=user_id).order_by("pk")
            ),
            "edit_templates": serialize_rows(
                EditTemplate.objects.filter(created_by_id=user_id).order_by("pk")
            ),
            "renders": serialize_rows(Render.objects.filter(created_by_id=user_id).order_by("pk")),
            "edit_transcriptions": serialize_rows(
                Transcription.objects.filter(created_by_id=user_id).order_by("pk")
            ),
        },
        files=[],
    )


def export_workspace(workspace_id: int) -> ExportPart:
    """Return every edit record of the workspace (rendered files are in the library's part)."""
    return ExportPart(
        records={
            "edit_projects": serialize_rows(
                EditProject.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
            "edit_versions": serialize_rows(
                EditVersion.objects.filter(project__workspace_id=workspace_id).order_by("pk")
            ),
            "edit_templates": serialize_rows(
                EditTemplate.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
            "renders": serialize_rows(
                Render.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
            "edit_transcriptions": serialize_rows(
                Transcription.objects.filter(workspace_id=workspace_id).order_by("pk")
            ),
        },
        files=[],
    )


def describe_user(user_id: int) -> list[StoredItem]:
    return [
        StoredItem(
            "Edit versions you saved", EditVersion.objects.filter(created_by_id=user_id).count()
        )
    ]


def describe_workspace(workspace_id: int) -> list[StoredItem]:
    projects = EditProject.objects.filter(workspace_id=workspace_id)
    return [
        StoredItem(
            "Video edit projects",
            projects.count(),
            f"{EditVersion.objects.filter(project__workspace_id=workspace_id).count()} versions, "
            f"{Render.objects.filter(workspace_id=workspace_id).count()} renders, "
            f"{Transcription.objects.filter(workspace_id=workspace_id).count()} "
            "captions-from-speech requests",
        )
    ]
