"""Campaign pages: list, brief form (with prefill from the product page), detail with cohorts.

Thin views: resolve the membership and the campaign (404 across workspaces), validate a form,
call one service, respond. Refusals re-render with the reason and HTTP 422.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import member_required
from accounts.models import Membership, Workspace
from accounts.permissions import has_permission
from campaigns import extensions, selectors, services
from campaigns.errors import CampaignError
from campaigns.forms import CampaignForm, CohortForm, PrefillForm
from campaigns.models import AudienceCohort, Campaign
from creatives.library import services as media_services
from creatives.library.errors import MediaError
from creatives.library.models import MediaAsset
from creatives.library.selectors import list_media_for_workspace
from prosocial import kept
from prosocial.deletion import DeletionPlan, confirm_then_delete
from prosocial.safe_http import SafeFetchError

UNPROCESSABLE = 422


def _logos(membership: Membership) -> QuerySet[MediaAsset]:
    return list_media_for_workspace(membership, kind="image").filter(status="ready")


@member_required("workspace.view")
def campaign_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    campaigns = list(selectors.list_campaigns_for_member(membership, archived=archived))
    counts = extensions.creative_counts([campaign.pk for campaign in campaigns])
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "rows": [(campaign, *counts[campaign.pk]) for campaign in campaigns],
        "archived": archived,
    }
    return render(request, "campaigns/campaign_list.html", context)


def _render_form(
    request: HttpRequest,
    membership: Membership,
    form: CampaignForm,
    *,
    campaign: Campaign | None = None,
    prefill: PrefillForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "form": form,
        "prefill_form": prefill
        or PrefillForm(initial={"product_url": form["product_url"].value()}),
        "campaign": campaign,
    }
    return render(request, "campaigns/campaign_form.html", context, status=status)


@member_required("content.edit")  # a viewer isn't offered a brief they couldn't save
def campaign_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = CampaignForm(
        request.POST or None,
        initial={"currency": membership.workspace.currency},
        logos=_logos(membership),
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(actor=membership, fields=form.to_fields())
        except CampaignError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Campaign created. Now add the audiences it speaks to."))
            return redirect("campaigns:detail", slug=membership.workspace.slug, pk=campaign.pk)
    status = UNPROCESSABLE if request.method == "POST" else 200
    return _render_form(request, membership, form, status=status)


@member_required("content.edit")
@require_POST
def campaign_prefill(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Read the product page and show the brief form filled from it.

    Only the page's image is kept (in the media library, as the product image); the brief
    itself is saved when the user saves the form.
    """
    prefill = PrefillForm(request.POST)
    form = CampaignForm(logos=_logos(membership))
    if not prefill.is_valid():
        return _render_form(request, membership, form, prefill=prefill, status=UNPROCESSABLE)
    url = prefill.cleaned_data["product_url"]
    try:
        page = services.read_brief_from_page(actor=membership, url=url)
    except CampaignError as exc:
        prefill.add_error("product_url", exc.message)
        return _render_form(request, membership, form, prefill=prefill, status=UNPROCESSABLE)
    initial: dict[str, object] = {
        "name": page.title[:150],
        "product_name": page.title[:150],
        "product_url": page.url,
        "key_message": page.description[:1000],
        "languages": ["en"],
        "currency": membership.workspace.currency,
    }
    if page.image_url:
        try:
            image = media_services.import_image_from_url(actor=membership, url=page.image_url)
        except (MediaError, SafeFetchError) as exc:
            messages.warning(
                request, _("The page's image couldn't be used: %(why)s") % {"why": exc.message}
            )
        else:
            initial["product_image"] = image.pk
    form = CampaignForm(initial=initial, logos=_logos(membership))
    messages.info(request, _("Filled in from the page; check and adjust before saving."))
    return _render_form(request, membership, form, prefill=prefill)


@member_required("content.edit")
def campaign_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign_for_member(membership, pk)
    form = CampaignForm(
        request.POST or None, initial=CampaignForm.initial_from(campaign), logos=_logos(membership)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_campaign(actor=membership, campaign=campaign, fields=form.to_fields())
        except CampaignError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Brief saved."))
            return redirect("campaigns:detail", slug=membership.workspace.slug, pk=campaign.pk)
    status = UNPROCESSABLE if request.method == "POST" else 200
    return _render_form(request, membership, form, campaign=campaign, status=status)


def _render_detail(
    request: HttpRequest,
    membership: Membership,
    campaign: Campaign,
    *,
    cohort_form: CohortForm | None = None,
    status: int = 200,
    body: kept.KeptBody | None = None,
) -> HttpResponse:
    """Render a campaign's page; ``body``: its kept content (plain GETs)."""
    context: dict[str, object] = {
        "membership": membership,
        "workspace": membership.workspace,
        "campaign": campaign,
        "kept": body,
    }
    if body is None or body.missing:
        context |= {
            "cohorts": campaign.cohorts.all(),
            "cohort_form": cohort_form or CohortForm(),
            "can_edit": has_permission(membership.role, "content.edit"),
            **extensions.detail_context(campaign),
        }
    if body is not None:
        return kept.render(request, "campaigns/campaign_detail.html", context, body)
    return render(request, "campaigns/campaign_detail.html", context, status=status)


# What a campaign's page shows besides what the apps above add (``extensions.detail_sources``).
DETAIL_SOURCES = (
    kept.Source(Workspace, "t.id"),
    kept.Source(Campaign, "t.id", param="campaign"),
    kept.Source(AudienceCohort, "t.campaign_id", param="campaign"),
    kept.Source(  # the brief's logo and product image
        MediaAsset,
        "c.id",
        param="campaign",
        join=f"JOIN {Campaign._meta.db_table} c ON t.id IN (c.logo_id, c.product_image_id)",
    ),
)


def _detail_sources(request: HttpRequest, kwargs: dict[str, Any]) -> kept.PageState:
    return DETAIL_SOURCES + extensions.detail_sources(), {"campaign": kwargs["pk"]}


@member_required("workspace.view", page_sources=_detail_sources)
def campaign_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    sources, params = _detail_sources(request, {"pk": pk})
    body = kept.lookup(request, "campaign", membership, sources, params)
    if body.page is not None:
        # Kept for this member at this address only after the campaign was found in their
        # workspace, and its state holds the campaign's row: while it is served, it still is.
        return kept.render(request, "campaigns/campaign_detail.html", {}, body)
    campaign = selectors.get_campaign_for_member(membership, pk)
    return _render_detail(request, membership, campaign, body=body)


@member_required("content.edit")
@require_POST
def campaign_status(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign_for_member(membership, pk)
    try:
        services.set_campaign_status(
            actor=membership, campaign=campaign, status=request.POST.get("status", "")
        )
    except CampaignError as exc:
        messages.error(request, exc.message)
    return redirect("campaigns:detail", slug=membership.workspace.slug, pk=campaign.pk)


@member_required("content.edit")
@require_POST
def cohort_add(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign_for_member(membership, pk)
    form = CohortForm(request.POST)
    if form.is_valid():
        try:
            services.add_cohort(actor=membership, campaign=campaign, fields=form.cleaned_data)
        except CampaignError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Cohort added."))
            return redirect("campaigns:detail", slug=membership.workspace.slug, pk=campaign.pk)
    return _render_detail(request, membership, campaign, cohort_form=form, status=UNPROCESSABLE)


@member_required("content.edit")  # a viewer isn't offered a form they couldn't save
def cohort_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    cohort = selectors.get_cohort_for_member(membership, pk)
    form = CohortForm(request.POST or None, initial=CohortForm.initial_from(cohort))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_cohort(actor=membership, cohort=cohort, fields=form.cleaned_data)
        except CampaignError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Audience saved."))
            return redirect(
                "campaigns:detail", slug=membership.workspace.slug, pk=cohort.campaign_id
            )
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "campaign": cohort.campaign,
        "cohort": cohort,
        "form": form,
    }
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(request, "campaigns/cohort_form.html", context, status=status)


def _delete_flow(
    request: HttpRequest,
    membership: Membership,
    *,
    title: str,
    subject: str,
    plan: DeletionPlan,
    back: str,
    delete: Callable[[], None],
    done: str,
) -> HttpResponse:
    """Show what deleting does (GET), or delete and go to ``done`` (POST); refusals are 422."""
    return confirm_then_delete(
        request,
        context={
            "membership": membership,
            "workspace": membership.workspace,
            "section": _("Campaigns"),
            "section_url": reverse("campaigns:list", args=[membership.workspace.slug]),
            "subject": subject,
        },
        title=_("Delete “%(name)s”?") % {"name": title},
        plan=plan,
        back=back,
        delete=delete,
        done=done,
        deleted=_("Deleted “%(name)s”.") % {"name": title},
    )


@member_required("content.edit")
@require_http_methods(["GET", "POST"])
def campaign_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """GET: say what deleting the brief takes with it; POST: delete it."""
    campaign = selectors.get_campaign_for_member(membership, pk)
    slug = membership.workspace.slug
    return _delete_flow(
        request,
        membership,
        title=campaign.name,
        subject=campaign.name,
        plan=services.describe_campaign_deletion(campaign),
        back=reverse("campaigns:detail", args=[slug, campaign.pk]),
        delete=partial(services.delete_campaign, actor=membership, campaign=campaign),
        done=reverse("campaigns:list", args=[slug]),
    )


@member_required("content.edit")
@require_http_methods(["GET", "POST"])
def cohort_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """GET: say what deleting the audience takes with it; POST: delete it."""
    cohort = selectors.get_cohort_for_member(membership, pk)
    detail = reverse("campaigns:detail", args=[membership.workspace.slug, cohort.campaign_id])
    return _delete_flow(
        request,
        membership,
        title=cohort.name,
        subject=cohort.campaign.name,
        plan=services.describe_cohort_deletion(cohort),
        back=detail,
        delete=partial(services.delete_cohort, actor=membership, cohort=cohort),
        done=detail,
    )
