"""Campaign use-cases: briefs, prefill from the product page, audience cohorts, deleting them.

Every function checks the actor's role ("content.edit") and stays inside the actor's
workspace. Refusals raise CampaignError with a message to show (HTTP 422 in views).
"""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from accounts.audit import record_audit_event
from accounts.models import Membership
from accounts.permissions import has_permission
from campaigns import extensions
from campaigns.errors import CampaignError
from campaigns.models import AudienceCohort, Campaign
from campaigns.product_page import ProductPage, ProductPageError, read_product_page
from campaigns.targeting import targeting_problems
from creatives.library.models import MediaAsset
from creatives.library.usage import MediaUse
from prosocial.deletion import DeletionPlan

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


# --- Deleting (what goes is said first on a confirmation page) ----------------------------------


STAYS = (
    _lazy(
        "Publications are not affected: they keep their files, captions and history, and "
        "nothing is deleted on Facebook or Instagram."
    ),
    _lazy(
        "The files it used or made (logo, product image, pictures, voice-overs, videos) stay in "
        "the media library; delete them there if you want them gone."
    ),
)


def describe_campaign_deletion(campaign: Campaign) -> DeletionPlan:
    """Say what deleting ``campaign`` takes with it (every audience and its scripts)."""
    cohorts = campaign.cohorts.count()
    consequences, blockers = extensions.deletion_summary(campaign=campaign)
    goes = [
        _("The brief: its product, message, offer, budget and dates."),
        ngettext("%(n)s audience.", "%(n)s audiences.", cohorts) % {"n": cohorts},
        *consequences,
    ]
    return DeletionPlan(goes=goes, stays=[str(line) for line in STAYS], blockers=blockers)


def describe_cohort_deletion(cohort: AudienceCohort) -> DeletionPlan:
    """Say what deleting ``cohort`` takes with it (the scripts written for it)."""
    consequences, blockers = extensions.deletion_summary(cohort=cohort)
    goes = [_("The audience “%(name)s” and its targeting.") % {"name": cohort.name}, *consequences]
    return DeletionPlan(goes=goes, stays=[str(line) for line in STAYS], blockers=blockers)


@transaction.atomic
def delete_campaign(*, actor: Membership, campaign: Campaign) -> None:
    """Delete a brief with its audiences and what the studio made from them (not the files).

    Raises ``CampaignError`` while a generation for it is still running.
    """
    _require(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    plan = describe_campaign_deletion(campaign)
    if plan.blockers:
        raise CampaignError(" ".join(plan.blockers))
    record_audit_event(
        actor=actor.user,
        action="campaign.deleted",
        workspace=actor.workspace,
        target=campaign,
        metadata={"name": campaign.name, "cohorts": campaign.cohorts.count()},
    )
    campaign.delete()


@transaction.atomic
def delete_cohort(*, actor: Membership, cohort: AudienceCohort) -> None:
    """Delete an audience with the scripts written for it (not the files).

    Raises ``CampaignError`` while a generation for it is still running.
    """
    _require(actor)
    Campaign.objects.select_for_update().filter(pk=cohort.campaign_id).first()
    plan = describe_cohort_deletion(cohort)
    if plan.blockers:
        raise CampaignError(" ".join(plan.blockers))
    record_audit_event(
        actor=actor.user,
        action="cohort.deleted",
        workspace=actor.workspace,
        target=cohort,
        metadata={"name": cohort.name, "campaign_id": cohort.campaign_id},
    )
    cohort.delete()


# --- files deleted from the media library (creatives.library.usage) ----------------------------


def describe_media_use(assets: Sequence[MediaAsset]) -> MediaUse:
    """Say which briefs lose their logo or product image when ``assets`` are deleted."""
    ids = [asset.pk for asset in assets]
    names = sorted(
        Campaign.objects.filter(Q(logo_id__in=ids) | Q(product_image_id__in=ids)).values_list(
            "name", flat=True
        )
    )
    if not names:
        return MediaUse()
    return MediaUse(
        consequences=[
            _("The brief %(names)s loses it as its logo or product image.")
            % {"names": ", ".join(f"“{name}”" for name in names)}
        ]
    )


def release_media(*, actor: Membership, assets: Sequence[MediaAsset]) -> None:
    """Do nothing: a brief's logo and product image let go by their foreign keys (SET_NULL)."""
