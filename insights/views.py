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
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import member_required
from accounts.models import Membership
from campaigns import selectors as campaign_selectors
from insights import reports, selectors, services
from insights.errors import InsightsError
from insights.forms import RangeForm
from prosocial import kept
from publishing import selectors as publishing_selectors


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

# A kept body has each form's CSRF token as CSRF_SLOT (prosocial.kept); each response puts
# its own token there. Nothing else in a body may depend on the request (no CSP nonce: its
# scripts are files, its chart data JSON).


def _range_form(request: HttpRequest, membership: Membership) -> RangeForm:
    today = reports.today_in(membership.workspace)
    return RangeForm(request.GET if request.GET else None, today=today)


def _status(form: RangeForm) -> int:
    """Return 400 for a range that does not parse (the page shows the default range)."""
    return HTTPStatus.BAD_REQUEST if form.is_bound and not form.is_valid() else HTTPStatus.OK


def _refresh_context(membership: Membership, state: reports.PageState) -> dict[str, Any]:
    """Return what the Refresh now panel starts from (results.js asks for the latest refresh)."""
    return {
        "refresh_url": reverse("insights:refresh", args=[membership.workspace.slug]),
        "can_refresh": membership.can("insights.refresh") and state.can_refresh_from_meta,
        "meta_connected": state.can_refresh_from_meta,
    }


@dataclass
class ResultsPage:
    """One results page: its report, how to build it, and what its body shows."""

    name: str  # "overview", "publication" or "campaign": the templates insights/<name>*.html
    build: Callable[[], reports.Report]
    csv_view: str
    csv_args: list[Any]
    csv_name: str  # what downloaded files' names start with
    target: int | None = None
    campaign_id: int | None = None
    with_campaigns: bool = False  # the overview lists the workspace's campaigns
    # Adds the links and buttons the member may use to a built report's rows.
    decorate: Callable[[reports.Report], None] = lambda report: None
    context: dict[str, Any] = field(default_factory=dict)


def _state(membership: Membership, page: ResultsPage) -> reports.PageState:
    """Return the page's state; 404 for a campaign that isn't the workspace's."""
    state = reports.page_state(
        membership.workspace_id, campaign_id=page.campaign_id, with_campaigns=page.with_campaigns
    )
    if page.campaign_id is not None:
        if state.campaign_name is None:
            raise Http404("No such campaign")
        page.context["campaign"] = {"pk": page.campaign_id, "name": state.campaign_name}
    return state


def _key(
    membership: Membership, page: ResultsPage, period: reports.Period, state: reports.PageState
) -> str:
    return reports.report_key(page.name, membership.workspace_id, period, state, target=page.target)


def _render(
    request: HttpRequest, membership: Membership, page: ResultsPage, form: RangeForm
) -> HttpResponse:
    """Render a results page; its body (figures, charts, tables) is kept like its report.

    The body depends on the data, the range and which buttons the member has, so it is kept
    under the report's key with those; so is the whole page around it where the layout may be
    kept (``prosocial.kept``), else the header (Refresh now, the range picker) and the layout
    are made for the request.
    """
    period = form.period()
    state = _state(membership, page)
    refresh = _refresh_context(membership, state)
    can_edit = membership.can("content.edit")
    key = _key(membership, page, period, state)
    body_key = f"{key}:html:{int(can_edit)}:{int(refresh['can_refresh'])}:{form.query()}"
    found = kept.find(request, membership, body_key)
    template = f"insights/{page.name}.html"
    status = _status(form)
    if found.page is not None and status == HTTPStatus.OK:
        return kept.render(request, template, {}, found)
    body = found.html
    report = None
    if body is None:
        report = reports.cached_report(key, page.build)
        body = _render_body(membership, page, form, report, refresh)
        kept.keep(found, body, reports.REPORT_CACHE_SECONDS)
    if found.page_key is None or status != HTTPStatus.OK:  # not kept whole: filled here
        body = body.replace(kept.CSRF_SLOT, get_token(request))
    context = {
        "workspace": membership.workspace,
        "membership": membership,
        "nav_section": "results",
        "form": form,
        "period": period,
        "range_query": form.query(),
        "report": report,  # None when the body was kept (tests read it when built)
        "body": mark_safe(body),  # noqa: S308 - our own render
        **refresh,
        **page.context,
    }
    return kept.render(request, template, context, found, status=status)


def _render_body(
    membership: Membership,
    page: ResultsPage,
    form: RangeForm,
    report: reports.Report,
    refresh: dict[str, Any],
) -> str:
    """Render a results page's body (figures, charts, tables) with ``CSRF_SLOT`` for tokens."""
    page.decorate(report)
    if page.with_campaigns:
        page.context["campaigns"] = campaign_selectors.list_campaigns_for_member(membership)[:12]
    for table in report.tables.values():
        args = [*page.csv_args, table.key]
        table.csv_url = f"{reverse(page.csv_view, args=args)}?{form.query()}"
    return render_to_string(
        f"insights/_{page.name}_body.html",
        {
            "workspace": membership.workspace,
            "report": report,
            "charts": {chart.key: chart.as_data() for chart in report.charts},
            "range_query": form.query(),
            "meta_url": reverse("meta_integration:connections", args=[membership.workspace.slug]),
            "csrf_token": kept.CSRF_SLOT,
            **refresh,
            **page.context,
        },
    )


def _csv(
    membership: Membership, page: ResultsPage, period: reports.Period, table_key: str
) -> HttpResponse:
    key = _key(membership, page, period, _state(membership, page))
    report = reports.cached_report(key, page.build)
    table = report.tables.get(table_key)
    if table is None:
        raise Http404("No such table.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = (
        f"{page.csv_name}-{table.key}-{period.since.isoformat()}-{period.until.isoformat()}.csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    csv.writer(response).writerows(table.csv_rows())
    return response


def _overview_page(membership: Membership, period: reports.Period) -> ResultsPage:
    workspace = membership.workspace

    def link_posts(report: reports.Report) -> None:
        posts = report.tables["posts"]
        for row in posts.rows[: posts.limit or None]:
            if row["publication_id"]:
                row["url"] = reverse(
                    "insights:publication", args=[workspace.slug, row["publication_id"]]
                )

    return ResultsPage(
        name="overview",
        build=lambda: reports.overview(workspace, period),
        csv_view="insights:overview_csv",
        csv_args=[workspace.slug],
        csv_name=f"results-{workspace.slug}",
        decorate=link_posts,
        with_campaigns=True,
    )


@member_required("insights.view")
@require_GET
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = _range_form(request, membership)
    return _render(request, membership, _overview_page(membership, form.period()), form)


@member_required("insights.view")
@require_GET
def overview_csv(request: HttpRequest, membership: Membership, table: str) -> HttpResponse:
    period = _range_form(request, membership).period()
    return _csv(membership, _overview_page(membership, period), period, table)


def _publication_page(membership: Membership, pk: int, period: reports.Period) -> ResultsPage:
    post = publishing_selectors.get_publication_for_member(membership, pk)
    return ResultsPage(
        name="publication",
        build=lambda: reports.publication_report(post, period),
        csv_view="insights:publication_csv",
        csv_args=[membership.workspace.slug, post.pk],
        csv_name=f"results-publication-{post.pk}",
        target=post.pk,
        context={
            "publication": post,
            "can_promote": membership.can("content.edit") and reports.is_promotable(post),
        },
    )


@member_required("insights.view")
@require_GET
def publication(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    form = _range_form(request, membership)
    return _render(request, membership, _publication_page(membership, pk, form.period()), form)


@member_required("insights.view")
@require_GET
def publication_csv(
    request: HttpRequest, membership: Membership, pk: int, table: str
) -> HttpResponse:
    period = _range_form(request, membership).period()
    return _csv(membership, _publication_page(membership, pk, period), period, table)


def _campaign_page(membership: Membership, pk: int, period: reports.Period) -> ResultsPage:
    """Return the campaign's comparison (whether it is the workspace's: the page state)."""
    slug = membership.workspace.slug
    can_edit = membership.can("content.edit")

    def add_buttons(report: reports.Report) -> None:
        if not isinstance(report, reports.CampaignReport):
            return
        for row in report.tables["variants"].rows:
            script_id = report.scripts.get(row["key"])
            if can_edit and script_id is not None and row["posts"]:
                row["more_like_url"] = reverse("creatives:more_like", args=[slug, script_id])
                row["more_like"] = reports.results_for_more_like(row, report.period)
        posts = report.tables["posts"]
        new_ad = reverse("publishing:new", args=[slug])
        for row in posts.rows[: posts.limit or None]:
            post_id = row["publication_id"]
            if post_id is not None:
                row["url"] = reverse("insights:publication", args=[slug, post_id])
                if can_edit and row["promotable"]:
                    row["promote_url"] = f"{new_ad}?{urlencode({'promote': post_id})}"

    def build() -> reports.Report:
        the_campaign = campaign_selectors.get_campaign_for_member(membership, pk)
        the_campaign.workspace = membership.workspace
        return reports.campaign_report(the_campaign, period)

    return ResultsPage(
        name="campaign",
        build=build,
        csv_view="insights:campaign_csv",
        csv_args=[slug, pk],
        csv_name=f"results-campaign-{pk}",
        target=pk,
        campaign_id=pk,
        decorate=add_buttons,
    )


@member_required("insights.view")
@require_GET
def campaign(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    form = _range_form(request, membership)
    return _render(request, membership, _campaign_page(membership, pk, form.period()), form)


@member_required("insights.view")
@require_GET
def campaign_csv(request: HttpRequest, membership: Membership, pk: int, table: str) -> HttpResponse:
    period = _range_form(request, membership).period()
    return _csv(membership, _campaign_page(membership, pk, period), period, table)
