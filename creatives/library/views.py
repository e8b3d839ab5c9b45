"""Media library views: grid, upload, detail with placement fit, transcode, delete."""

import functools
import json

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from accounts.decorators import member_required
from accounts.models import Membership, User, Workspace
from creatives.library import selectors, services
from creatives.library.errors import MediaError
from creatives.library.forms import LibraryFilterForm, TranscodeForm
from creatives.library.media.facts import MediaFacts
from creatives.library.media.specs import PLACEMENTS, check_conformance, fitting_placements
from creatives.library.media_urls import browser_url, meta_downloads_media
from creatives.library.models import MediaAsset
from prosocial import kept

UNPROCESSABLE = 422
PER_PAGE = 24


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


_url = browser_url


@functools.lru_cache(maxsize=4096)
def _fitting_placements(facts: MediaFacts) -> tuple[str, ...]:
    """Return ``fitting_placements`` of stored facts, kept per process.

    The same facts always fit the same placements, and running every placement's rules for
    each card was a quarter of the library's time (bench/README.md).
    """
    return tuple(fitting_placements(facts))


# What the library shows: the workspace's files and (for server notes) the viewer's staff flag.
LIBRARY_SOURCES = (
    kept.Source(Workspace, "t.id"),
    kept.Source(User, "t.id", param="user"),
    kept.Source(MediaAsset),
)


@member_required("workspace.view", page_sources=lambda request, kwargs: (LIBRARY_SOURCES, {}))
def library(request: HttpRequest, membership: Membership) -> HttpResponse:
    return kept.respond(
        request,
        "media",
        membership,
        LIBRARY_SOURCES,
        "creatives/media_library.html",
        {"membership": membership, "workspace": membership.workspace},
        lambda: _library_context(request, membership),
    )


def _library_context(request: HttpRequest, membership: Membership) -> dict[str, object]:
    form = LibraryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    assets = selectors.list_media_for_workspace(
        membership,
        kind=filters.get("kind", ""),
        source=filters.get("source", ""),
        query=filters.get("q", ""),
    )
    placement = filters.get("placement", "")
    shown = selectors.filter_media_fitting(assets, placement) if placement else assets
    items = []
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    kinds = {value: str(label) for value, label in MediaAsset.Kind.choices}
    detail = reverse("creatives:detail", args=[membership.workspace.slug, 0]).rsplit("0/", 1)[0]
    for asset in page:
        fits = (
            _fitting_placements(selectors.facts_for_asset(asset))
            if asset.status == MediaAsset.Status.READY
            else ()
        )
        # Per row, precomputed: the kind's label (get_kind_display rebuilds the translated
        # choices on every call) and the link ({% url %} resolves the pattern every time).
        asset.kind_label = kinds.get(asset.kind, asset.kind)  # type: ignore[attr-defined]
        asset.detail_url = f"{detail}{asset.pk}/"  # type: ignore[attr-defined]
        items.append(
            (asset, _url(asset, asset.poster_key, "image/jpeg"), [PLACEMENTS[k] for k in fits])
        )
    return {
        "form": form,
        "page": page,
        "items": items,
        "used_bytes": services.workspace_storage_used(membership.workspace_id),
        "quota_bytes": settings.MEDIA_WORKSPACE_QUOTA_BYTES,
        "meta_downloads_media": meta_downloads_media(),
        "direct_upload": settings.MEDIA_USES_S3,
        "accept": "image/*,video/*,audio/*",
    }


@member_required("content.edit")
@require_POST
def upload(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Accept one or more files; JSON per file for the uploader, redirect otherwise."""
    files = request.FILES.getlist("files")
    if not files:
        error = _("Choose at least one file to upload.")
        if _wants_json(request):
            return JsonResponse({"error": error}, status=UNPROCESSABLE)
        messages.error(request, error)
        return redirect("creatives:library", slug=membership.workspace.slug)
    results: list[dict[str, object]] = []
    for uploaded in files:
        try:
            asset = services.upload_media(actor=membership, uploaded=uploaded)
        except MediaError as exc:
            results.append({"name": uploaded.name, "error": exc.message})
        else:
            results.append(
                {"name": uploaded.name, "id": asset.pk, "url": _detail(membership, asset)}
            )
    failed = [r for r in results if "error" in r]
    if _wants_json(request):
        return JsonResponse({"files": results}, status=UNPROCESSABLE if failed else 201)
    for result in results:
        if "error" in result:
            messages.error(request, f"{result['name']}: {result['error']}")
        else:
            messages.success(request, _("Uploaded %(name)s.") % {"name": result["name"]})
    return redirect("creatives:library", slug=membership.workspace.slug)


def _detail(membership: Membership, asset: MediaAsset) -> str:
    return reverse("creatives:detail", args=[membership.workspace.slug, asset.pk])


@member_required("content.edit")
@require_POST
def upload_start(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Start a direct-to-bucket upload (S3): answer with the presigned POST."""
    try:
        payload = json.loads(request.body or b"{}")
        name, size = str(payload["name"])[:255], int(payload["size"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("Send the file's name and size.")}, status=400)
    try:
        asset, presigned = services.start_direct_upload(actor=membership, filename=name, size=size)
    except MediaError as exc:
        return JsonResponse({"error": exc.message}, status=UNPROCESSABLE)
    complete = reverse("creatives:upload_complete", args=[membership.workspace.slug, asset.pk])
    return JsonResponse(
        {"url": presigned.url, "fields": presigned.fields, "complete": complete}, status=201
    )


@member_required("content.edit")
@require_POST
def upload_complete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    asset = selectors.get_media_for_member(membership, pk)
    try:
        asset = services.complete_direct_upload(actor=membership, asset=asset)
    except MediaError as exc:
        return JsonResponse({"error": exc.message}, status=UNPROCESSABLE)
    return JsonResponse({"id": asset.pk, "url": _detail(membership, asset)}, status=201)


def _detail_context(membership: Membership, asset: MediaAsset) -> dict[str, object]:
    facts = selectors.facts_for_asset(asset)
    ready = asset.status == MediaAsset.Status.READY
    placements = [
        (spec, check_conformance(facts, key) if ready else [])
        for key, spec in PLACEMENTS.items()
        if asset.kind in spec.kinds
    ]
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "asset": asset,
        "file_url": _url(asset, asset.storage_key, asset.content_type) if ready else "",
        "poster_url": _url(asset, asset.poster_key, "image/jpeg"),
        # (spec, rule results, fits (advisory rules aside), every failed rule can be fixed,
        #  a recommendation is unmet)
        "placements": [
            (
                spec,
                results,
                all(r.ok or r.advisory for r in results),
                all(r.fixable for r in results if not r.ok and not r.advisory),
                any(r.advisory and not r.ok for r in results),
            )
            for spec, results in placements
        ],
        "renditions": selectors.list_renditions(asset),
        "transcode_form": TranscodeForm(),
    }


@member_required("workspace.view")
@require_GET
def detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    asset = selectors.get_media_for_member(membership, pk)
    if request.htmx:  # type: ignore[attr-defined]
        if asset.status != MediaAsset.Status.PROCESSING:
            # The job finished while the page polled: reload it whole (player, placements).
            return HttpResponseClientRefresh()
        return render(
            request, "creatives/media_detail.html#status", _detail_context(membership, asset)
        )
    return render(request, "creatives/media_detail.html", _detail_context(membership, asset))


@member_required("content.edit")
@require_POST
def transcode(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    asset = selectors.get_media_for_member(membership, pk)
    form = TranscodeForm(request.POST)
    if form.is_valid():
        try:
            rendition = services.request_transcode(
                actor=membership,
                asset=asset,
                placement_key=form.cleaned_data["placement"],
                fill=form.cleaned_data["fill"],
            )
        except MediaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Making a conforming copy; it appears below when ready."))
            return redirect("creatives:detail", slug=membership.workspace.slug, pk=rendition.pk)
    context = _detail_context(membership, asset)
    context["transcode_form"] = form
    return render(request, "creatives/media_detail.html", context, status=UNPROCESSABLE)


def _render_delete(
    request: HttpRequest, membership: Membership, asset: MediaAsset, *, error: str = ""
) -> HttpResponse:
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "asset": asset,
        "renditions": selectors.list_renditions(asset),
        "use": services.describe_media_deletion(asset),
        "delete_error": error,
    }
    status = UNPROCESSABLE if error else 200
    return render(request, "creatives/media_delete.html", context, status=status)


@member_required("content.edit")
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """GET: say what deleting the file does (copies, publications); POST: delete it."""
    asset = selectors.get_media_for_member(membership, pk)
    if request.method == "GET":
        return _render_delete(request, membership, asset)
    try:
        services.delete_media(actor=membership, asset=asset)
    except MediaError as exc:
        return _render_delete(request, membership, asset, error=exc.message)
    messages.success(request, _("Deleted %(name)s.") % {"name": asset.original_filename})
    return redirect("creatives:library", slug=membership.workspace.slug)
