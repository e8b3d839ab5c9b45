"""Video editor pages: the project list, the editor, versions, renders and templates.

Every view resolves the workspace through ``member_required`` and its objects through
``selectors`` (another workspace's project, render or template is a 404); viewers read, editors
change (``edits.change``). The editor page itself is driven by ``static/js/editor.js``: it reads
``state.json`` and sends each edit as JSON to ``edit/``, ``undo/`` and ``redo/``, which answer
with the new state (200) or ``{"error": …}`` (400 for a refused edit, 409 when the project
moved past the version the page had). Forms elsewhere (new project, renders, templates,
restore, rename, delete) post normally and redirect with a message.
"""

import json
from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.models import Membership
from creatives.editor import captions, edits, jobs, selectors, services
from creatives.editor.document import MAX_DOCUMENT_BYTES
from creatives.editor.errors import EditorError, StaleVersionError
from creatives.editor.forms import NewProjectForm, RenameForm, TemplateForm
from creatives.editor.models import EditProject, Render
from creatives.editor.state import editor_state, library_entries, render_rows
from creatives.library.media_urls import signed_media_url
from creatives.studio import selectors as studio_selectors

UNPROCESSABLE = HTTPStatus.UNPROCESSABLE_ENTITY
# An edit request is one operation or one document; anything larger is not from the editor.
MAX_EDIT_BYTES = MAX_DOCUMENT_BYTES + 16 * 1024


def _base(membership: Membership) -> dict[str, Any]:
    return {"membership": membership, "workspace": membership.workspace, "nav_section": "edits"}


def _project_url(membership: Membership, project: EditProject) -> str:
    return reverse("editor:project", args=[membership.workspace.slug, project.pk])


def _renders(membership: Membership, project: EditProject) -> dict[str, Any]:
    rows = render_rows(membership, project)
    return {"renders": rows, "renders_open": any(row["render"].is_open for row in rows)}


def _base_version(raw: Any) -> int | None:
    """Return the version number a request was based on (``None``: a project with no version yet)."""
    if raw in (None, ""):
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 10:
        return int(raw)
    raise EditorError(_("The page's version number is malformed; reload the editor."))


# --- Lists -----------------------------------------------------------------------------------


@member_required("edits.view")
@require_GET
def project_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    projects = selectors.list_projects_for_workspace(membership.workspace)
    context = {
        **_base(membership),
        "projects": projects[:200],
        "templates": selectors.list_templates_for_workspace(membership.workspace),
        "form": NewProjectForm(membership=membership),
    }
    return render(request, "creatives/editor/project_list.html", context)


@member_required("edits.change")
def project_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    # ``?asset=<id>`` (the media library's "Edit" button) ticks that file.
    chosen = request.GET.get("asset", "")
    initial = {"assets": [chosen]} if chosen.isascii() and chosen.isdigit() else None
    form = NewProjectForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.create_project(
                actor=membership,
                name=form.cleaned_data["name"],
                ratios=form.cleaned_data["ratios"],
                assets=form.cleaned_data["assets"],
            )
        except EditorError as error:
            form.add_error(None, error.message)
        else:
            return redirect(_project_url(membership, project))
    status = UNPROCESSABLE if request.method == "POST" else HTTPStatus.OK
    context = {**_base(membership), "form": form}
    return render(request, "creatives/editor/project_new.html", context, status=status)


@member_required("edits.change")
@require_POST
def project_from_creative(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    creative = studio_selectors.get_creative_for_member(membership, pk)
    try:
        project = services.create_project_from_creative(actor=membership, creative=creative)
    except EditorError as error:
        messages.error(request, error.message)
        return redirect("editor:list", membership.workspace.slug)
    messages.success(
        request, _("The video is open as an edit project; the original stays as it was.")
    )
    return redirect(_project_url(membership, project))


# --- The editor ------------------------------------------------------------------------------


@member_required("edits.view")
@require_GET
def project_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    state = editor_state(membership, project)
    context = {
        **_base(membership),
        "project": project,
        "state": state,
        "library": library_entries(membership),
        **_renders(membership, project),
        "templates": selectors.list_templates_for_workspace(membership.workspace),
        "template_form": TemplateForm(),
        "rename_form": RenameForm(initial={"name": project.name}),
    }
    return render(request, "creatives/editor/project_detail.html", context)


@member_required("edits.view")
@require_GET
def project_state(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    return JsonResponse(editor_state(membership, project))


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_EDIT_BYTES:
        raise EditorError(_("The edit is too large."))
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise EditorError(_("The edit is not valid JSON.")) from error
    if not isinstance(data, dict):
        raise EditorError(_("The edit is malformed."))
    return data


def _refusal(membership: Membership, project: EditProject, error: EditorError) -> JsonResponse:
    project.refresh_from_db()
    current = project.current_version.number if project.current_version else None
    stale = isinstance(error, StaleVersionError)
    return JsonResponse(
        {"error": error.message, "version": current, "stale": stale},
        status=HTTPStatus.CONFLICT if stale else HTTPStatus.BAD_REQUEST,
    )


@member_required("edits.view", post="edits.change")
@require_POST
def project_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    try:
        data = _json_body(request)
        edits.apply_edit(
            actor=membership,
            project=project,
            base_version=_base_version(data.get("base_version")),
            op=str(data.get("op", "")),
            args=data.get("args") or {},
        )
    except EditorError as error:
        return _refusal(membership, project, error)
    project.refresh_from_db()
    return JsonResponse(editor_state(membership, project))


def _walk(request: HttpRequest, membership: Membership, pk: int, *, forward: bool) -> JsonResponse:
    project = selectors.get_project_for_member(membership, pk)
    walk = services.redo_edit if forward else services.undo_edit
    try:
        data = _json_body(request)
        walk(
            actor=membership, project=project, base_version=_base_version(data.get("base_version"))
        )
    except EditorError as error:
        return _refusal(membership, project, error)
    project.refresh_from_db()
    return JsonResponse(editor_state(membership, project))


@member_required("edits.view", post="edits.change")
@require_POST
def project_undo(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _walk(request, membership, pk, forward=False)


@member_required("edits.view", post="edits.change")
@require_POST
def project_redo(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _walk(request, membership, pk, forward=True)


# --- Versions, name, deletion ----------------------------------------------------------------


@member_required("edits.view")
@require_GET
def project_versions(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    versions = selectors.list_versions_for_project(project).select_related("created_by")[:200]
    context = {**_base(membership), "project": project, "versions": versions}
    return render(request, "creatives/editor/project_versions.html", context)


@member_required("edits.change")
@require_POST
def version_restore(
    request: HttpRequest, membership: Membership, pk: int, number: int
) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    selectors.get_version_for_member(membership, project.pk, number)
    try:
        version = services.restore_version(
            actor=membership,
            project=project,
            number=number,
            base_version=_base_version(request.POST.get("base_version")),
        )
    except EditorError as error:
        messages.error(request, error.message)
        return redirect("editor:versions", membership.workspace.slug, project.pk)
    messages.success(
        request,
        _("Version {old} is back, saved as version {new}.").format(old=number, new=version.number),
    )
    return redirect(_project_url(membership, project))


@member_required("edits.change")
@require_POST
def project_rename(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the project a name (at most 120 characters)."))
    else:
        try:
            services.rename_project(
                actor=membership, project=project, name=form.cleaned_data["name"]
            )
        except EditorError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Renamed."))
    return redirect(_project_url(membership, project))


@member_required("edits.view", post="edits.change")
def project_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    if request.method == "POST":
        services.delete_project(actor=membership, project=project)
        messages.success(
            request,
            _("“{name}” is deleted. Its rendered videos stay in the media library.").format(
                name=project.name
            ),
        )
        return redirect("editor:list", membership.workspace.slug)
    context = {**_base(membership), "project": project}
    return render(request, "creatives/editor/project_delete.html", context)


# --- Captions files --------------------------------------------------------------------------


@member_required("edits.view")
@require_GET
def captions_export(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    kind = request.GET.get("format", "srt")
    if kind not in ("srt", "vtt"):
        return HttpResponse(
            _("Choose srt or vtt."), status=HTTPStatus.BAD_REQUEST, content_type="text/plain"
        )
    cues = services.current_document(project).captions
    if kind == "srt":
        body, content_type = captions.to_srt(cues), "application/x-subrip; charset=utf-8"
    else:
        body, content_type = captions.to_vtt(cues), "text/vtt; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    filename = f"{slugify(project.name)[:60] or 'captions'}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Renders ---------------------------------------------------------------------------------


@member_required("edits.change")
@require_POST
def render_start(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    ratios = [r for r in request.POST.getlist("ratio") if isinstance(r, str)]
    if not ratios:
        messages.error(request, _("Choose at least one aspect ratio to render."))
        return redirect(f"{_project_url(membership, project)}#panel-render")
    started: list[Render] = []
    try:
        started.extend(jobs.start_render(membership, project, r) for r in dict.fromkeys(ratios))
    except EditorError as error:
        messages.error(request, error.message)
    if started:
        messages.success(
            request,
            _("Rendering {ratios}; the videos appear below and in the media library.").format(
                ratios=", ".join(r.ratio for r in started)
            ),
        )
    return redirect(f"{_project_url(membership, project)}#panel-render")


@member_required("edits.view")
@require_GET
def render_list(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """Answer the render history (polled by the editor page while a render is open)."""
    project = selectors.get_project_for_member(membership, pk)
    context = {**_base(membership), "project": project, **_renders(membership, project)}
    return render(request, "creatives/editor/_renders.html", context)


@member_required("edits.change")
@require_POST
def render_cancel(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    row: Render = selectors.get_render_for_member(membership, pk)
    if jobs.cancel_render(membership, row):
        messages.success(request, _("Render cancelled; nothing was kept."))
    else:
        messages.info(request, _("That render had already finished."))
    return redirect(f"{_project_url(membership, row.project)}#panel-render")


# --- Preview proxies ---------------------------------------------------------------------------


def _preview_answer(membership: Membership, row: Render) -> JsonResponse:
    url = ""
    if row.status == Render.Status.SUCCEEDED and row.preview_key:
        url = signed_media_url(
            storage_name=row.preview_key,
            content_type="video/mp4",
            filename=f"preview-{row.pk}.mp4",
            for_browser=True,
        )
    return JsonResponse(
        {
            "id": row.pk,
            "version": row.version.number,
            "ratio": row.ratio,
            "status": row.status,
            "progress": row.progress,
            "message": row.message,
            "url": url,
            "status_url": reverse(
                "editor:preview_status", args=[membership.workspace.slug, row.pk]
            ),
        }
    )


@member_required("edits.view")
@require_POST
def preview_start(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """Start (or find) the 540p preview of the current version at a ratio: for playing."""
    project = selectors.get_project_for_member(membership, pk)
    try:
        data = _json_body(request)
        ratio = data.get("ratio")
        if not isinstance(ratio, str):
            raise EditorError(_("Choose an aspect ratio."))
        row = jobs.start_render(membership, project, ratio, proxy=True)
    except EditorError as error:
        return JsonResponse({"error": error.message}, status=HTTPStatus.BAD_REQUEST)
    return _preview_answer(membership, row)


@member_required("edits.view")
@require_GET
def preview_status(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    row = selectors.get_render_for_member(membership, pk)
    if not row.proxy:
        return JsonResponse({"error": _("Not a preview.")}, status=HTTPStatus.NOT_FOUND)
    return _preview_answer(membership, row)


# --- Templates -------------------------------------------------------------------------------


@member_required("edits.change")
@require_POST
def template_save(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    form = TemplateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the template a name (at most 120 characters)."))
    else:
        try:
            template = services.create_template(
                actor=membership, project=project, name=form.cleaned_data["name"]
            )
        except EditorError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Saved the look as the template “{name}”.").format(name=template.name),
            )
    return redirect(f"{_project_url(membership, project)}#panel-templates")


@member_required("edits.change")
@require_POST
def template_apply(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    project = selectors.get_project_for_member(membership, pk)
    raw = request.POST.get("template", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        messages.error(request, _("Choose a template."))
        return redirect(f"{_project_url(membership, project)}#panel-templates")
    template = selectors.get_template_for_member(membership, int(raw))
    try:
        services.apply_template(
            actor=membership,
            project=project,
            template=template,
            base_version=_base_version(request.POST.get("base_version")),
        )
    except EditorError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Applied “{name}”. Undo brings the old look back.").format(name=template.name),
        )
    return redirect(f"{_project_url(membership, project)}#panel-templates")


@member_required("edits.change")
@require_POST
def template_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    template = selectors.get_template_for_member(membership, pk)
    services.delete_template(actor=membership, template=template)
    messages.success(request, _("Template “{name}” deleted.").format(name=template.name))
    return redirect("editor:list", membership.workspace.slug)
