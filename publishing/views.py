"""Publishing pages: history, the editor, the detail page with its live status, the calendar.

Each view resolves (``member_required`` and ``selectors.get_publication_for_member``),
validates a form, calls one service and responds: a redirect to the detail page on success,
the page again with the message and HTTP 422 when input or a service refuses.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from accounts.decorators import member_required
from accounts.models import Membership, Workspace
from campaigns.meta_vocabulary import Objective
from creatives.editor import selectors as editor_selectors
from creatives.library import selectors as media_selectors
from creatives.library import services as media_services
from creatives.library.errors import MediaError
from creatives.library.media_urls import browser_url
from creatives.library.models import MediaAsset
from creatives.studio import selectors as studio_selectors
from creatives.studio.models import Script
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from prosocial import kept
from prosocial.money import to_major_units
from publishing import (
    deletion,
    previews,
    promotion,
    remote_delete,
    selectors,
    services,
    siblings,
    ui_services,
)
from publishing.errors import PublishingError
from publishing.forms import (
    CalendarForm,
    ConvertForm,
    PublicationFilterForm,
    PublicationForm,
    ReviewForm,
    ScheduleForm,
    UseCopyForm,
)
from publishing.models import Publication, PublicationTombstone, Target
from publishing.preflight import PENDING, preflight_blockers
from publishing.targeting import interest_names, targeting_from_audience
from publishing.targets import (
    AD_TARGETS,
    INSTAGRAM_TARGETS,
    PROMOTABLE_TARGETS,
    TARGETS,
    target_for_aspect,
    target_spec,
)

UNPROCESSABLE = 422
# Rows are plain text and one badge; 50 keeps the history page small and quick to render.
PER_PAGE = 50
CHECKED_STATUSES = {
    Publication.Status.DRAFT,
    Publication.Status.READY,
    Publication.Status.SCHEDULED,
}
GENDER_LABELS = {(1,): gettext_lazy("men"), (2,): gettext_lazy("women")}


# --- history and calendar --------------------------------------------------------------------------


# What the history and the calendar show: publications, with the names of the accounts they
# went to (and the filter's choices of them), in the workspace's time zone.
LIST_SOURCES = (
    kept.Source(Workspace, "t.id"),
    kept.Source(Publication),
    kept.Source(MetaPage),
    kept.Source(InstagramAccount),
    kept.Source(MetaAdAccount),
)


@member_required("workspace.view", page_sources=lambda request, kwargs: (LIST_SOURCES, {}))
@require_GET
def publication_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    return kept.respond(
        request,
        "publications",
        membership,
        LIST_SOURCES,
        "publishing/publication_list.html",
        _base(membership),
        lambda: _list_context(request, membership),
    )


def _list_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    form = PublicationFilterForm(request.GET or None, membership=membership)
    filters = form.cleaned_data if form.is_valid() else {}
    publications = selectors.list_publications_for_member(
        membership,
        status=filters.get("status", ""),
        target=filters.get("target", ""),
        account=filters.get("account", ""),
    )
    page = Paginator(publications, PER_PAGE).get_page(request.GET.get("page"))
    _label_rows(membership, list(page))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "form": form,
        "page": page,
        "filter_query": query.urlencode(),
        "filtered": any(filters.values()),
    }


@member_required("workspace.view", page_sources=lambda request, kwargs: (LIST_SOURCES, {}))
@require_GET
def publication_calendar(request: HttpRequest, membership: Membership) -> HttpResponse:
    return kept.respond(
        request,
        "calendar",
        membership,
        LIST_SOURCES,
        "publishing/publication_calendar.html",
        _base(membership),
        lambda: _calendar_context(request, membership),
    )


def _calendar_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    form = CalendarForm(request.GET or None)
    chosen = form.cleaned_data if form.is_valid() else {}
    zone = selectors.workspace_zone(membership)
    now = timezone.now().astimezone(zone)
    today = now.date()
    context: dict[str, Any] = {"today": today, "now_local": now}
    if chosen.get("view") == "week":
        day = chosen.get("week") or chosen.get("month") or today
        context |= {"view": "week", "week": selectors.calendar_week(membership, day)}
    else:
        month = selectors.calendar_items(membership, chosen.get("month") or today)
        context |= {"view": "month", "month": month}
    shown = context["week"].items if "week" in context else context["month"].items
    _label_rows(membership, [p for pairs in shown.values() for _local, p in pairs])
    return context


_PK_SLOT = 987654321  # a pk no row has: reversed once per page, then filled per row


def _label_rows(membership: Membership, publications: list[Publication]) -> None:
    """Give each listed row its labels and links, computed once per page instead of per row.

    ``get_<field>_display`` rebuilds the field's choices (translating every label) on each
    call, and ``{% url %}`` resolves the pattern each time; on a month of posts those were
    most of the page's time (bench/README.md).
    """
    slug = membership.workspace.slug
    targets = {
        value: str(label) for value, label in Publication._meta.get_field("target").flatchoices
    }
    statuses = {value: str(label) for value, label in Publication.Status.choices}
    links = {
        name: reverse(f"publishing:{name}", args=[slug, _PK_SLOT]).split(str(_PK_SLOT))
        for name in ("detail", "reschedule")
    }
    for publication in publications:
        publication.target_label = targets.get(publication.target, publication.target)  # type: ignore[attr-defined]
        publication.status_label = statuses.get(publication.status, publication.status)  # type: ignore[attr-defined]
        for name, (head, tail) in links.items():
            setattr(publication, f"{name}_url", f"{head}{publication.pk}{tail}")


@member_required("workspace.view")
@require_GET
def approval_queue(request: HttpRequest, membership: Membership) -> HttpResponse:
    """List what waits for this member (to approve, or sent back to them), oldest first."""
    rows = selectors.list_waiting_for_member(membership)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {**_base(membership), "page": page}
    return render(request, "publishing/approval_queue.html", context)


# --- editor ----------------------------------------------------------------------------------------


def _initial_from_creative(
    request: HttpRequest, membership: Membership, creative_id: str, *, target: str = ""
) -> dict[str, Any]:
    """Return a draft's prefill from an approved AI video.

    The ``target`` asked for (an ad), else the one the table names for the video's aspect
    ratio; the file, its script's caption, the brief's product link and call to action (where
    the target takes them), and a name. An ad also gets the brief: its objective and the
    script's audience (countries, ages, genders; the interests as a hint).
    """
    if not creative_id.isascii() or not creative_id.isdigit():
        return {}
    creative = studio_selectors.get_creative_for_member(membership, int(creative_id))
    if creative.approved_at is None:
        messages.warning(request, _("That video isn't approved yet; approve it first."))
        return {}
    version = creative.script.current
    campaign = creative.script.campaign
    target = target if target in TARGETS else target_for_aspect(creative.aspect) or ""
    spec = target_spec(target) if target else None
    initial: dict[str, Any] = {
        "title": f"{campaign.name} · variant {creative.script.number} ({creative.aspect})"[:200],
        "target": target,
        "item_1": creative.asset_id,
        "caption": version.caption if version else "",
    }
    if spec is not None and spec.takes_link:
        initial["link_url"] = campaign.product_url
    if spec is not None and spec.takes_cta:
        initial["cta_type"] = campaign.call_to_action
    if spec is not None and "ad_account" in spec.accounts:
        initial |= _initial_from_brief(request, creative.script)
    return initial


def _initial_from_render(
    request: HttpRequest, membership: Membership, render_id: str, *, target: str = ""
) -> dict[str, Any]:
    """Return a draft's prefill from a finished render of the video editor.

    The ``target`` asked for, else the one the table names for the render's aspect ratio; the
    rendered file and a name. A render that failed, was cancelled or whose file is gone is
    refused with a message.
    """
    if not render_id.isascii() or not render_id.isdigit() or len(render_id) > 9:
        return {}
    row = editor_selectors.get_render_for_member(membership, int(render_id))
    if row.output_id is None:
        messages.warning(request, _("That render has no video; render it again first."))
        return {}
    target = target if target in TARGETS else target_for_aspect(row.ratio) or ""
    return {
        "title": f"{row.project.name} · {row.ratio} (version {row.version.number})"[:200],
        "target": target,
        "item_1": row.output_id,
    }


def _initial_from_brief(request: HttpRequest, script: Script) -> dict[str, Any]:
    """Return an ad's objective and audience from the campaign brief and the script's cohort."""
    cohort = script.cohort
    targeting = targeting_from_audience(
        countries=cohort.countries,
        age_min=cohort.age_min,
        age_max=cohort.age_max,
        genders=cohort.genders,
    )
    if interests := interest_names(cohort.interests):
        messages.info(
            request,
            _(
                "The audience “%(cohort)s” is filled in. Its interests (%(interests)s) aren't "
                "sent: Meta targets interests by its own ids; add them in Ads Manager if needed."
            )
            % {"cohort": cohort.name, "interests": ", ".join(interests)},
        )
    return {
        "objective": script.campaign.objective,
        **PublicationForm.initial_from_targeting(targeting),
    }


def _initial_from_promoted(
    request: HttpRequest, membership: Membership, source_id: str
) -> dict[str, Any]:
    """Return a promotion's prefill from a published post of the workspace (``?promote=``).

    The post, a name, and the brief's objective and audience when the post carries a campaign
    script's video (an Instagram post's ad also gets the brief's link and button); else
    Engagement, what promoting a post is most often for. Another workspace's post is a 404;
    one that isn't live yet is refused with a message.
    """
    if not source_id.isascii() or not source_id.isdigit() or len(source_id) > 18:
        return {}
    source = selectors.get_publication_for_member(membership, int(source_id))
    if why := promotion.why_not_promotable(source, workspace_id=membership.workspace_id):
        messages.warning(request, why)
        return {}
    initial: dict[str, Any] = {
        "title": f"Promote: {source.title}"[:200],
        "target": Target.META_AD_PROMOTE,
        "promoted": source.pk,
        "objective": Objective.ENGAGEMENT.value,
    }
    script = selectors.script_of(source)
    if script is not None:
        initial |= _initial_from_brief(request, script)
        if promotion.is_instagram(source):
            initial |= {
                "link_url": script.campaign.product_url,
                "cta_type": script.campaign.call_to_action,
            }
    return initial


@member_required("content.edit")
def publication_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    initial = None
    if request.method == "GET":
        initial = {"target": request.GET.get("target", "")}
        initial |= _initial_from_creative(
            request, membership, request.GET.get("creative", ""), target=initial["target"]
        )
        initial |= _initial_from_render(
            request, membership, request.GET.get("render", ""), target=initial["target"]
        )
        initial |= _initial_from_promoted(request, membership, request.GET.get("promote", ""))
    form = PublicationForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        sibling = form.sibling_fields()
        try:
            publication, *others = siblings.create_sibling_publications(
                actor=membership,
                fields=[form.publication_fields(), *([sibling] if sibling else [])],
                assets=form.items(),
            )
        except PublishingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Two linked drafts saved, one per network; the checks are running for each.")
                if others
                else _("Draft saved; the checks are running."),
            )
            return _to_detail(membership, publication)
    status = UNPROCESSABLE if request.method == "POST" else 200
    context = {**_base(membership), "form": form, "publication": None, **_form_previews(form)}
    return render(request, "publishing/publication_form.html", context, status=status)


@member_required("content.edit")
def publication_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    publication = selectors.get_publication_for_member(membership, pk)
    items = selectors.list_items(publication)
    form = PublicationForm(
        request.POST or None, membership=membership, publication=publication, items=items
    )
    if request.method == "POST" and form.is_valid():
        try:
            publication = services.update_publication(
                actor=membership,
                publication=publication,
                fields=form.publication_fields(),
                assets=form.items(),
            )
        except PublishingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Changes saved; the checks are running again."))
            return _to_detail(membership, publication)
    status = UNPROCESSABLE if request.method == "POST" else 200
    context = {
        **_base(membership),
        "form": form,
        "publication": publication,
        **_form_previews(form),
    }
    return render(request, "publishing/publication_form.html", context, status=status)


@member_required("content.edit")
@require_POST
def publication_preview(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Return the editor's previews for the inputs as they stand (``static/js/preview.js``).

    Nothing is saved; inputs that don't validate yet are left out of the previews.
    """
    form = PublicationForm(request.POST, membership=membership)
    return render(request, "publishing/_preview.html", _form_previews(form))


def _form_previews(form: PublicationForm) -> dict[str, Any]:
    inputs = form.preview_inputs()
    assets = inputs.pop("assets")
    return {"previews": previews.build_previews(**inputs, media=previews.media_of(assets, _thumb))}


# --- detail and its live status ----------------------------------------------------------------------


@member_required("workspace.view")
@require_GET
def publication_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    publication = selectors.get_publication_for_member(membership, pk)
    context = _detail_context(membership, publication)
    if request.htmx:  # type: ignore[attr-defined]
        if not context["polling"]:
            # What the page waited for happened: reload it whole (actions, checks, timeline).
            return HttpResponseClientRefresh()
        return render(request, "publishing/publication_detail.html#live", context)
    return render(request, "publishing/publication_detail.html", context)


# --- actions ---------------------------------------------------------------------------------------


def _action(
    request: HttpRequest,
    membership: Membership,
    pk: int,
    call: Callable[[Publication], Publication],
    success: str,
) -> HttpResponse:
    """Run one service call on the publication; redirect, or show the refusal with 422."""
    publication = selectors.get_publication_for_member(membership, pk)
    try:
        publication = call(publication)
    except PublishingError as exc:
        context = _detail_context(membership, publication)
        context["action_error"] = exc.message
        return render(request, "publishing/publication_detail.html", context, status=UNPROCESSABLE)
    messages.success(request, success)
    return _to_detail(membership, publication)


def _form_refused(
    request: HttpRequest, membership: Membership, pk: int, **forms: Any
) -> HttpResponse:
    publication = selectors.get_publication_for_member(membership, pk)
    context = {**_detail_context(membership, publication), **forms}
    return render(request, "publishing/publication_detail.html", context, status=UNPROCESSABLE)


@member_required("content.edit")
@require_POST
def publication_publish(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _action(
        request,
        membership,
        pk,
        lambda p: services.publish_publication(actor=membership, publication=p),
        _("On its way; follow it below."),
    )


@member_required("content.edit")
@require_POST
def publication_schedule(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    form = ScheduleForm(request.POST, membership=membership)
    if not form.is_valid():
        return _form_refused(request, membership, pk, schedule_form=form)
    when = form.cleaned_data["when"]
    return _action(
        request,
        membership,
        pk,
        lambda p: ui_services.set_publish_time(actor=membership, publication=p, when=when),
        _("Time set; the checks run again for it. Schedule it once they pass."),
    )


@member_required("content.edit")
@require_POST
def publication_reschedule(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    form = ScheduleForm(request.POST, membership=membership)
    if not form.is_valid():
        return _form_refused(request, membership, pk, schedule_form=form)
    when = form.cleaned_data["when"]
    response = _action(
        request,
        membership,
        pk,
        lambda p: ui_services.reschedule(actor=membership, publication=p, when=when),
        _("Rescheduled."),
    )
    back = request.POST.get("next", "")
    calendar = reverse("publishing:calendar", args=[membership.workspace.slug])
    if response.status_code == 302 and (back == calendar or back.startswith(calendar + "?")):
        return redirect(back)  # moved from the calendar: back to the same week or month
    return response


@member_required("content.edit")
@require_POST
def publication_cancel(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _action(
        request,
        membership,
        pk,
        lambda p: services.cancel_publication(actor=membership, publication=p),
        _("Cancelled; nothing was sent to Meta."),
    )


@member_required("content.edit")
@require_POST
def publication_retry(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _action(
        request,
        membership,
        pk,
        lambda p: services.retry_publication(actor=membership, publication=p),
        _("Retrying; it resumes where it stopped."),
    )


@member_required("content.edit")
@require_POST
def publication_submit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _action(
        request,
        membership,
        pk,
        lambda p: services.submit_for_approval(actor=membership, publication=p),
        _("Submitted; an owner or admin will review it."),
    )


@member_required("publish.approve")
@require_POST
def publication_review(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, membership, pk, review_form=form)
    approve = form.cleaned_data["decision"] == "approve"
    return _action(
        request,
        membership,
        pk,
        lambda p: services.review_publication(
            actor=membership, publication=p, approve=approve, comment=form.cleaned_data["comment"]
        ),
        _("Approved.") if approve else _("Sent back with your comment."),
    )


@member_required("content.edit")
@require_POST
def publication_checks(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _action(
        request,
        membership,
        pk,
        lambda p: ui_services.request_preflight(actor=membership, publication=p),
        _("Running the checks again."),
    )


@member_required("content.edit")
@require_POST
def publication_convert(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """Make a conforming copy of one of the publication's files (the one-click fix)."""
    publication = selectors.get_publication_for_member(membership, pk)
    form = ConvertForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, membership, pk, action_error=_("Choose what to convert."))
    asset = media_selectors.get_media_for_member(membership, form.cleaned_data["asset"])
    try:
        media_services.request_transcode(
            actor=membership,
            asset=asset,
            placement_key=form.cleaned_data["placement"],
            fill=form.cleaned_data["fill"],
        )
    except MediaError as exc:
        return _form_refused(request, membership, pk, action_error=exc.message)
    messages.success(
        request, _("Converting %(name)s; use the copy here when it's ready.") % {"name": asset}
    )
    return _to_detail(membership, publication)


@member_required("content.edit")
@require_POST
def publication_use_copy(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    form = UseCopyForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, membership, pk, action_error=_("Choose the copy to use."))
    original = media_selectors.get_media_for_member(membership, form.cleaned_data["original"])
    copy = media_selectors.get_media_for_member(membership, form.cleaned_data["copy"])
    return _action(
        request,
        membership,
        pk,
        lambda p: ui_services.use_converted_copy(
            actor=membership, publication=p, original=original, copy=copy
        ),
        _("Now using the converted file; the checks are running again."),
    )


# --- helpers ---------------------------------------------------------------------------------------


def _base(membership: Membership) -> dict[str, Any]:
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "can_edit": membership.can("content.edit"),
        "can_approve": membership.can("publish.approve"),
    }


def _to_detail(membership: Membership, publication: Publication) -> HttpResponse:
    return redirect("publishing:detail", slug=membership.workspace.slug, pk=publication.pk)


def _thumb(asset: MediaAsset) -> str:
    key, content_type = (
        (asset.storage_key, asset.content_type)
        if asset.kind == MediaAsset.Kind.IMAGE
        else (asset.poster_key, "image/jpeg")
    )
    if asset.status != MediaAsset.Status.READY:
        return ""
    return browser_url(asset, key, content_type)


def _check_rows(
    membership: Membership, publication: Publication, items: list[MediaAsset]
) -> list[dict[str, Any]]:
    """Return the stored checks with what the page offers for each one-click fix."""
    copies = selectors.list_renditions_of(items)
    by_pk = {asset.pk: asset for asset in items}
    rows = []
    for result in publication.preflight:
        row: dict[str, Any] = {**result}
        action = result.get("action") or {}
        if action.get("kind") == "transcode" and action.get("asset") in by_pk:
            placement = action.get("placement", "")
            row["asset"] = by_pk[action["asset"]]
            row["ready_copy"] = next(
                (c for c in copies[action["asset"]] if c.placement_key == placement), None
            )
            row["converting"] = selectors.converting_copy(row["asset"], placement)
        elif action.get("kind") == "link":
            try:
                row["link"] = reverse(action["url_name"], args=[membership.workspace.slug])
            except NoReverseMatch:
                row["link"] = ""
        rows.append(row)
    return rows


def _detail_context(membership: Membership, publication: Publication) -> dict[str, Any]:
    items = selectors.list_items(publication)
    checks = _check_rows(membership, publication, items)
    pending = any(row["status"] == PENDING for row in checks)
    converting = any(row.get("converting") for row in checks)
    currency = publication.ad_account.currency if publication.ad_account else ""
    blockers = preflight_blockers(publication)
    # A promotion shows (and previews) the post it promotes.
    shown, shown_items = publication, items
    if publication.target == Target.META_AD_PROMOTE and publication.promoted is not None:
        shown, shown_items = publication.promoted, selectors.list_items(publication.promoted)
    time_set = publication.scheduled_at is not None and publication.scheduled_at > timezone.now()
    return {
        **_base(membership),
        "publication": publication,
        "items": [(asset, _thumb(asset)) for asset in items],
        "checks": checks,
        "checks_pending": pending,
        "blockers": blockers,
        "next_step": selectors.next_step_hint(publication, blockers=blockers, time_set=time_set),
        # Pending checks are only awaited where a check job was queued for them.
        "polling": publication.is_running
        or converting
        or (pending and publication.status in CHECKED_STATUSES),
        "time_set": time_set,
        "events": selectors.list_events(publication),
        "budget": to_major_units(publication.budget_minor, currency or "USD")
        if publication.budget_minor
        else None,
        "currency": currency,
        "schedule_form": ScheduleForm(membership=membership),
        "review_form": ReviewForm(),
        "is_instagram": publication.target in INSTAGRAM_TARGETS,
        "is_ad": publication.target in AD_TARGETS,
        # *Promote…*: a live organic post can become an ad (``publishing.promotion``).
        "can_promote": publication.target in PROMOTABLE_TARGETS
        and publication.status == Publication.Status.PUBLISHED
        and bool(publication.remote_id),
        "previews": previews.build_previews(
            targets=[publication.target],
            caption=shown.caption,
            link_url=publication.link_url,
            cta_type=publication.cta_type,
            media=previews.media_of(shown_items, _thumb),
            page_name=publication.page_label,
            instagram_name=publication.instagram_label,
        ),
        "siblings": [
            (sibling, preflight_blockers(sibling))
            for sibling in siblings.list_siblings(publication)
        ],
        "genders_label": GENDER_LABELS.get(
            tuple((publication.targeting or {}).get("genders") or [])
        ),
    }


# --- deleting (publishing.deletion; on Meta: publishing.remote_delete) ------------------------------


def _delete_page(
    request: HttpRequest,
    membership: Membership,
    publication: Publication,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        **_base(membership),
        "publication": publication,
        "plan": deletion.describe_publication_deletion(publication),
        "meta_refusal": remote_delete.why_not_deletable_for_target(publication.target),
        "delete_error": error,
    }
    return render(request, "publishing/publication_delete.html", context, status=status)


@member_required("content.edit")
@require_http_methods(["GET", "POST"])
def publication_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """GET: say what deleting does (what goes, what stays); POST: delete it."""
    publication = selectors.get_publication_for_member(membership, pk)
    if request.method == "GET":
        return _delete_page(request, membership, publication)
    try:
        tombstone = deletion.delete_publication(actor=membership, publication=publication)
    except PublishingError as exc:
        return _delete_page(
            request, membership, publication, error=exc.message, status=UNPROCESSABLE
        )
    if tombstone is None:
        messages.success(request, _("Deleted “%(title)s”.") % {"title": publication.title})
        return redirect("publishing:list", slug=membership.workspace.slug)
    messages.success(request, _("Deleted here. A record of what went to Meta is kept below."))
    if request.POST.get("delete_on_meta") == "1":
        _delete_on_meta(request, membership, tombstone)
    return redirect("publishing:tombstone", slug=membership.workspace.slug, pk=tombstone.pk)


def _delete_on_meta(
    request: HttpRequest, membership: Membership, tombstone: PublicationTombstone
) -> None:
    try:
        remote_delete.delete_publication_on_meta(actor=membership, tombstone=tombstone)
    except PublishingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Deleted on Facebook too."))


@member_required("workspace.view")
@require_GET
def tombstone_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    rows = deletion.list_tombstones_for_member(membership)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "publishing/tombstone_list.html", {**_base(membership), "page": page})


@member_required("workspace.view")
@require_GET
def tombstone_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    tombstone = deletion.get_tombstone_for_member(membership, pk)
    context = {
        **_base(membership),
        "tombstone": tombstone,
        "meta_refusal": remote_delete.why_not_deletable_on_meta(tombstone),
    }
    return render(request, "publishing/tombstone_detail.html", context)


@member_required("content.edit")
@require_POST
def tombstone_delete_on_meta(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    tombstone = deletion.get_tombstone_for_member(membership, pk)
    _delete_on_meta(request, membership, tombstone)
    return redirect("publishing:tombstone", slug=membership.workspace.slug, pk=tombstone.pk)
