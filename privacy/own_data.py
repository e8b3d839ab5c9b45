"""What the privacy app itself holds about a person or workspace: erasure and export.

Contact messages a person sent and the data exports they asked for (the archives are files).
Registered from PrivacyConfig.ready().
"""

from privacy.exports import delete_exports
from privacy.models import ContactMessage, DataExport, RetentionSettings
from prosocial.exporting import ExportPart, serialize_rows


def erase_user(user_id: int) -> dict[str, int]:
    return {
        "contact_messages": ContactMessage.objects.filter(user_id=user_id).delete()[0],
        "data_exports": delete_exports(DataExport.objects.filter(requested_by_id=user_id)),
    }


def erase_workspace(workspace_id: int) -> dict[str, int]:
    return {
        "data_exports": delete_exports(DataExport.objects.filter(workspace_id=workspace_id)),
        "retention_settings": RetentionSettings.objects.filter(workspace_id=workspace_id).delete()[
            0
        ],
    }


def export_user(user_id: int) -> ExportPart:
    return ExportPart(
        records={
            "contact_messages": serialize_rows(ContactMessage.objects.filter(user_id=user_id)),
        }
    )


def export_workspace(workspace_id: int) -> ExportPart:
    return ExportPart(
        records={
            "retention_settings": serialize_rows(
                RetentionSettings.objects.filter(workspace_id=workspace_id)
            ),
        }
    )
