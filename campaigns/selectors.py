"""Reads for campaigns, scoped to the member's workspace (another workspace's row is a 404)."""

from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.models import Membership
from campaigns.models import AudienceCohort, Campaign


def list_campaigns_for_member(
    membership: Membership, *, archived: bool = False
) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.filter(workspace=membership.workspace).annotate(
        cohort_count=Count("cohorts")
    )
    if archived:
        return campaigns.filter(status=Campaign.Status.ARCHIVED)
    return campaigns.exclude(status=Campaign.Status.ARCHIVED)


def get_campaign_for_member(membership: Membership, pk: int) -> Campaign:
    campaign = Campaign.objects.filter(workspace=membership.workspace, pk=pk).first()
    if campaign is None:
        raise Http404("No such campaign")
    return campaign


def get_cohort_for_member(membership: Membership, pk: int) -> AudienceCohort:
    cohort = AudienceCohort.objects.filter(campaign__workspace=membership.workspace, pk=pk).first()
    if cohort is None:
        raise Http404("No such cohort")
    return cohort
