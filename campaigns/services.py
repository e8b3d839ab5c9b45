"""Campaign use-cases: briefs, prefill from the product page, audience cohorts.

Every function checks the actor's role ("content.edit") and stays inside the actor's
workspace. Refusals raise CampaignError with a message to show (HTTP 422 in views).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership
from accounts.permissions import has_permission
from campaigns.errors import CampaignError
from campaigns.models import AudienceCohort, Campaign
from campaigns.product_page import ProductPage, ProductPageError, read_product_page
from campaigns.targeting import targeting_problems

CAMPAIGN_FIELDS = (
    "name",
    "product_name",
    "product_url",
    "objective",
    "key_message",
    "offer",
    "tone",
    "call_to_action",
    "languages",
    "brand_colors",
    "logo",
    "product_image",
    "budget_minor",
    "currency",
    "starts_on",
    "ends_on",
)
COHORT_FIELDS = (
    "name",
    "description",
    "age_min",
    "age_max",
    "genders",
    "countries",
    "interests",
    "languages",
)


def _require(actor: Membership) -> None:
    if not has_permission(actor.role, "content.edit"):
        raise PermissionDenied


def _check_brief(fields: dict[str, Any]) -> None:
    starts, ends = fields.get("starts_on"), fields.get("ends_on")
    if starts and ends and ends < starts:
        raise CampaignError(_("The campaign ends before it starts."))
    logo = fields.get("logo")
    if logo is not None and logo.kind != "image":
        raise CampaignError(_("The logo must be an image."))
    product_image = fields.get("product_image")
    if product_image is not None and product_image.kind != "image":
        raise CampaignError(_("The product image must be an image."))


@transaction.atomic
def create_campaign(*, actor: Membership, fields: dict[str, Any]) -> Campaign:
    _require(actor)
    _check_brief(fields)
    campaign = Campaign.objects.create(
        workspace=actor.workspace,
        created_by=actor.user,
        **{name: fields[name] for name in CAMPAIGN_FIELDS if name in fields},
    )
    record_audit_event(
        actor=actor.user, action="campaign.created", workspace=actor.workspace, target=campaign
    )
    return campaign


@transaction.atomic
def update_campaign(*, actor: Membership, campaign: Campaign, fields: dict[str, Any]) -> Campaign:
    _require(actor)
    _check_brief(fields)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == Campaign.Status.ARCHIVED:
        raise CampaignError(_("This campaign is archived; restore it to change it."))
    for name in CAMPAIGN_FIELDS:
        if name in fields:
            setattr(campaign, name, fields[name])
    campaign.save(update_fields=[*(n for n in CAMPAIGN_FIELDS if n in fields), "updated_at"])
    return campaign


@transaction.atomic
def set_campaign_status(*, actor: Membership, campaign: Campaign, status: str) -> Campaign:
    _require(actor)
    if status not in Campaign.Status.values:
        raise CampaignError(_("Unknown status."))
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    campaign.status = status
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


def read_brief_from_page(*, actor: Membership, url: str) -> ProductPage:
    """Fetch the product page (safely) and return what it says, to prefill the brief form."""
    _require(actor)
    try:
        return read_product_page(url)
    except ProductPageError as exc:
        raise CampaignError(_("Couldn't read that page: %(why)s") % {"why": exc.message}) from exc


def _check_cohort(fields: dict[str, Any]) -> None:
    problems = targeting_problems(
        countries=fields.get("countries", []),
        age_min=fields.get("age_min", 18),
        age_max=fields.get("age_max", 65),
        genders=fields.get("genders", []),
    )
    if problems:
        raise CampaignError(" ".join(problems))


@transaction.atomic
def add_cohort(*, actor: Membership, campaign: Campaign, fields: dict[str, Any]) -> AudienceCohort:
    _require(actor)
    _check_cohort(fields)
    try:
        with transaction.atomic():
            return AudienceCohort.objects.create(
                campaign=campaign, **{n: fields[n] for n in COHORT_FIELDS if n in fields}
            )
    except IntegrityError as exc:
        raise CampaignError(_("This campaign already has a cohort with that name.")) from exc


@transaction.atomic
def update_cohort(
    *, actor: Membership, cohort: AudienceCohort, fields: dict[str, Any]
) -> AudienceCohort:
    _require(actor)
    _check_cohort(fields)
    for name in COHORT_FIELDS:
        if name in fields:
            setattr(cohort, name, fields[name])
    try:
        with transaction.atomic():
            cohort.save(update_fields=[*(n for n in COHORT_FIELDS if n in fields), "updated_at"])
    except IntegrityError as exc:
        raise CampaignError(_("This campaign already has a cohort with that name.")) from exc
    return cohort


@transaction.atomic
def delete_cohort(*, actor: Membership, cohort: AudienceCohort) -> None:
    _require(actor)
    cohort.delete()
