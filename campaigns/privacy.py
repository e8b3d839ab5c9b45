"""What campaigns holds for a person and a workspace (erasure and export declarations)."""

from campaigns.models import AudienceCohort, Campaign
from prosocial.exporting import ExportPart, serialize_rows


def erase_user(user_id: int) -> dict[str, int]:
    """Briefs belong to their workspace; the person is only unlinked from them."""
    return {
        "campaigns_unlinked": Campaign.objects.filter(created_by_id=user_id).update(created_by=None)
    }


def erase_workspace(workspace_id: int) -> dict[str, int]:
    campaigns = Campaign.objects.filter(workspace_id=workspace_id)
    cohorts = AudienceCohort.objects.filter(campaign__in=campaigns).count()
    return {"campaigns": campaigns.delete()[1].get(Campaign._meta.label, 0), "cohorts": cohorts}


def export_workspace(workspace_id: int) -> ExportPart:
    campaigns = Campaign.objects.filter(workspace_id=workspace_id).order_by("pk")
    return ExportPart(
        records={
            "campaigns": serialize_rows(campaigns),
            "cohorts": serialize_rows(
                AudienceCohort.objects.filter(campaign__in=campaigns).order_by("pk")
            ),
        }
    )


def export_user(user_id: int) -> ExportPart:
    return ExportPart(
        records={"campaigns": serialize_rows(Campaign.objects.filter(created_by_id=user_id))}
    )
