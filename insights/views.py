"""The results pages (overview, a publication, a campaign, their CSVs) and *Refresh now*.

Pages take the range as ``?range=last_7d|last_28d|last_90d|last_365d`` or
``?range=custom&since=YYYY-MM-DD&until=YYYY-MM-DD``; a range that doesn't parse shows the
default range with the reason (400). Every table of a page downloads as CSV from
``…/csv/<table>/`` with the same range. Everyone in the workspace sees results.

*Refresh now* and its progress are JSON for the pages' button.

``POST w/<slug>/results/refresh/`` queues a refresh of every result that can still change (or
widens the one under way) and answers 202 with its status; ``GET`` on the same URL answers the
latest refresh's status (``{"status": "none"}`` before the first). ``GET …/refresh/<pk>/`` is
one refresh's status, polled by the button. A refusal (no Meta connection) is a 400 with
``{"error": …}``; another workspace's refresh is a 404; viewers may poll, editors and up refresh.
"""

import csv
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import member_required
from accounts.models import Membership
from campaigns import selectors as campaign_selectors
from campaigns.models import Campaign
from insights import reports, selectors, services
from insights.errors import InsightsError
from insights.forms import RangeForm
from publishing import selectors as publishing_selectors
from publishing.models import Publication


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


@member_required("insights.view", post="insights.refresh")
@require_http_methods(["GET", "POST"])
def refresh(request: HttpRequest, membership: Membership) -> JsonResponse:
    slug = membership.workspace.slug
    if request.method == "POST":
        try:
            run = services.request_refresh(actor=membership)
        except InsightsError as error:
            return JsonResponse({"error": error.message}, status=HTTPStatus.BAD_REQUEST)
        return _no_store(JsonResponse(services.status_of(run, slug), status=HTTPStatus.ACCEPTED))
    latest = selectors.latest_run_for_workspace(membership.workspace)
    if latest is None:
        return _no_store(
            JsonResponse({"status": "none", "progress": 0, "message": "", "done": True})
        )
    return _no_store(JsonResponse(services.status_of(latest, slug)))


@member_required("insights.view")
@require_GET
def refresh_status(request: HttpRequest, membership: Membership, pk: int) -> JsonResponse:
    run = selectors.get_run_for_member(membership, pk)
    return _no_store(JsonResponse(services.status_of(run, membership.workspace.slug)))


# --- The results pages -------------------------------------------------------------------------


def _range_form(request: HttpRequest, membership: Membership) -> RangeForm:
    today = reports.today_in(membership.workspace)
    return RangeForm(request.GET if request.GET else None, today=today)


def _status(form: RangeForm) -> int:
    """Return 400 for a range that does not parse (the page shows the default range)."""
    return HTTPStatus.BAD_REQUEST if form.is_bound and not form.is_valid() else HTTPStatus.OK


def _refresh_context(membership: Membership) -> dict[str, Any]:
    workspace = membership.workspace
    latest = selectors.latest_run_for_workspace(workspace)
    return {
        "refresh_url": reverse("insights:refresh", args=[workspace.slug]),
        "refresh_status": services.status_of(latest, workspace.slug) if latest else None,
        "can_refresh": membership.can("insights.refresh")
        and reports.can_refresh_from_meta(workspace),
    }


def _page(
    request: HttpRequest,
    membership: Membership,
    template: str,
    form: RangeForm,
    report: reports.Report,
    csv_url: tuple[str, list[Any]],
    **context: Any,
) -> HttpResponse:
    view_name, args = csv_url
    for table in report.tables.values():
        table.csv_url = f"{reverse(view_name, args=[*args, table.key])}?{form.query()}"
    return render(
        request,
        template,
        {
            "workspace": membership.workspace,
            "membership": membership,
            "nav_section": "results",
            "form": form,
            "range_query": form.query(),
            "report": report,
            "charts": {chart.key: chart.as_data() for chart in report.charts},
            **_refresh_context(membership),
            **context,
        },
        status=_status(form),
    )


def _overview(membership: Membership, period: reports.Period) -> reports.Report:
    workspace = membership.workspace
    return reports.cached_report(
        "overview", workspace.pk, period, lambda: reports.overview(workspace, period)
    )


def _publication(post: Publication, period: reports.Period) -> reports.PublicationReport:
    return reports.cached_report(
        "publication",
        post.workspace_id,
        period,
        lambda: reports.publication_report(post, period),
        target=post.pk,
    )


def _campaign(campaign: Campaign, period: reports.Period) -> reports.CampaignReport:
    return reports.cached_report(
        "campaign",
        campaign.workspace_id,
        period,
        lambda: reports.campaign_report(campaign, period),
        target=campaign.pk,
        campaign_id=campaign.pk,
    )


def _csv(report: reports.Report, table_key: str, name: str) -> HttpResponse:
    table = report.tables.get(table_key)
    if table is None:
        raise Http404("No such table.")
    period = report.period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{name}-{table.key}-{period.since.isoformat()}-{period.until.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    csv.writer(response).writerows(table.csv_rows())
    return response


@member_required("insights.view")
@require_GET
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = _range_form(request, membership)
    workspace = membership.workspace
    report = _overview(membership, form.period())
    posts = report.tables["posts"]
    for row in posts.rows[: posts.limit or None]:
        if row["publication_id"]:
            row["url"] = reverse(
                "insights:publication", args=[workspace.slug, row["publication_id"]]
            )
    return _page(
        request,
        membership,
        "insights/overview.html",
        form,
        report,
        ("insights:overview_csv", [workspace.slug]),
        campaigns=campaign_selectors.list_campaigns_for_member(membership)[:12],
    )


@member_required("insights.view")
@require_GET
def overview_csv(request: HttpRequest, membership: Membership, table: str) -> HttpResponse:
    report = _overview(membership, _range_form(request, membership).period())
    return _csv(report, table, f"results-{membership.workspace.slug}")


@member_required("insights.view")
@require_GET
def publication(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    post = publishing_selectors.get_publication_for_member(membership, pk)
    form = _range_form(request, membership)
    report = _publication(post, form.period())
    return _page(
        request,
        membership,
        "insights/publication.html",
        form,
        report,
        ("insights:publication_csv", [membership.workspace.slug, post.pk]),
        publication=post,
        can_promote=membership.can("content.edit") and reports.is_promotable(post),
    )


@member_required("insights.view")
@require_GET
def publication_csv(
    request: HttpRequest, membership: Membership, pk: int, table: str
) -> HttpResponse:
    post = publishing_selectors.get_publication_for_member(membership, pk)
    report = _publication(post, _range_form(request, membership).period())
    return _csv(report, table, f"results-publication-{post.pk}")


@member_required("insights.view")
@require_GET
def campaign(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    the_campaign = campaign_selectors.get_campaign_for_member(membership, pk)
    form = _range_form(request, membership)
    report = _campaign(the_campaign, form.period())
    slug = membership.workspace.slug
    can_edit = membership.can("content.edit")
    for row in report.tables["variants"].rows:
        script_id = report.scripts.get(row["key"])
        if can_edit and script_id is not None and row["posts"]:
            row["more_like_url"] = reverse("creatives:more_like", args=[slug, script_id])
            row["more_like"] = reports.results_for_more_like(row, report.period)
    posts = report.tables["posts"]
    for row in posts.rows[: posts.limit or None]:
        post_id = row["publication_id"]
        if post_id is not None:
            row["url"] = reverse("insights:publication", args=[slug, post_id])
            if can_edit and row["promotable"]:
                row["promote_url"] = (
                    f"{reverse('publishing:new', args=[slug])}?{urlencode({'promote': post_id})}"
                )
    return _page(
        request,
        membership,
        "insights/campaign.html",
        form,
        report,
        ("insights:campaign_csv", [slug, the_campaign.pk]),
        campaign=the_campaign,
        verdict_groups=[
            ("Per audience", report.tables["cohorts"], report.cohort_verdicts),
            ("Per creative variant", report.tables["variants"], report.variant_verdicts),
        ],
    )


@member_required("insights.view")
@require_GET
def campaign_csv(request: HttpRequest, membership: Membership, pk: int, table: str) -> HttpResponse:
    the_campaign = campaign_selectors.get_campaign_for_member(membership, pk)
    report = _campaign(the_campaign, _range_form(request, membership).period())
    return _csv(report, table, f"results-campaign-{the_campaign.pk}")
