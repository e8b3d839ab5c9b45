"""AI generation pages: variants, a script's page, job retries and the AI settings.

The script's page shows its versions, its storyboard and its videos.

Thin views: resolve the membership and the object (404 across workspaces), validate a form,
call one ``creatives.studio.generation`` service, redirect. Refusals come back as a message (buttons)
or as the form with the reason and HTTP 422.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import member_required
from accounts.models import Membership
from accounts.permissions import has_permission
from campaigns.selectors import get_cohort_for_member
from creatives.studio import deletion as studio_deletion
from creatives.studio import generation
from creatives.studio import selectors as studio_selectors
from creatives.studio.errors import GenerationError
from creatives.studio.forms import (
    AISettingsForm,
    MoreLikeForm,
    SceneForm,
    ScriptEditForm,
    VariantsForm,
    VideoForm,
)
from creatives.studio.models import Script
from prosocial.deletion import DeletionPlan, confirm_then_delete

UNPROCESSABLE = 422
CALLS_PER_PAGE = 25
SCRIPT_JOBS_SHOWN = 4  # templates/creatives/studio/_script_jobs.html shows as many


def _script_url(membership: Membership, script: Script) -> str:
    return reverse("creatives:script", args=[membership.workspace.slug, script.pk])


def _campaign_url(membership: Membership, campaign_id: int) -> str:
    url = reverse("campaigns:detail", args=[membership.workspace.slug, campaign_id])
    return f"{url}#studio"


def _started(request: HttpRequest, what: str) -> None:
    messages.success(request, _("%(what)s started; progress shows below.") % {"what": what})


@member_required("content.edit")
@require_POST
def write_variants(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    cohort = get_cohort_for_member(membership, pk)
    form = VariantsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Pick how many variants to write (1 to 5)."))
    else:
        try:
            generation.start_scripts(
                actor=membership, cohort=cohort, variants=form.cleaned_data["variants"]
            )
        except GenerationError as exc:
            messages.error(request, exc.message)
        else:
            _started(request, _("Writing scripts for %(name)s") % {"name": cohort.name})
    return redirect(_campaign_url(membership, cohort.campaign_id))


def _render_script(
    request: HttpRequest,
    membership: Membership,
    script: Script,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "script": script,
        "campaign": script.campaign,
        "version": script.current,
        "edit_form": forms.get("edit_form")
        or ScriptEditForm(initial=ScriptEditForm.initial_from(script.current)),
        "video_form": forms.get("video_form")
        or VideoForm(music=studio_selectors.list_music_for_member(membership)),
        "scene_form_errors": forms.get("scene_form_errors"),
        "aspects": ["9:16", "1:1", "4:5"],
        "can_edit": has_permission(membership.role, "content.edit"),
        "has_voice": generation.provider_name_for(membership.workspace) == "openai",
        "nav_section": "campaigns",
        **studio_selectors.script_studio(script),
    }
    return render(request, "creatives/studio/script.html", context, status=status)


@member_required("workspace.view")
def script_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    script = studio_selectors.get_script_for_member(membership, pk)
    return _render_script(request, membership, script)


@member_required("workspace.view")
@require_GET
def script_progress(request: HttpRequest, membership: Membership, pk: int) -> JsonResponse:
    """Answer the script page's poll while a job runs: jobs as data and as the list's markup."""
    script = studio_selectors.get_script_for_member(membership, pk)
    progress = studio_selectors.script_progress(script)
    jobs_html = render_to_string(
        "creatives/studio/_script_jobs.html",
        {
            "jobs": progress["jobs"],
            "workspace": membership.workspace,
            "can_edit": has_permission(membership.role, "content.edit"),
        },
        request=request,
    )
    response = JsonResponse(
        {
            "busy": progress["jobs_open"],
            "jobs": [
                {
                    "id": job.pk,
                    "status": job.status,
                    "progress": job.progress,
                    "message": job.message,
                    "open": job.is_open,
                }
                for job in progress["jobs"][:SCRIPT_JOBS_SHOWN]
            ],
            "jobs_html": jobs_html,
        }
    )
    patch_cache_control(response, no_store=True)
    return response


@member_required("content.edit")
@require_POST
def script_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    script = studio_selectors.get_script_for_member(membership, pk)
    form = ScriptEditForm(request.POST)
    if form.is_valid():
        try:
            version = generation.edit_script(
                actor=membership, script=script, fields=form.cleaned_data
            )
        except GenerationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Saved as version %(n)d; earlier versions are kept.") % {"n": version.number},
            )
            return redirect(_script_url(membership, script))
    return _render_script(request, membership, script, edit_form=form, status=UNPROCESSABLE)


@member_required("content.edit")
@require_POST
def version_use(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    version = studio_selectors.get_version_for_member(membership, pk)
    generation.use_version(actor=membership, script=version.script, version=version)
    messages.success(request, _("Version %(n)d is the current one again.") % {"n": version.number})
    return redirect(_script_url(membership, version.script))


def _start_for_script(
    request: HttpRequest, membership: Membership, pk: int, start: Any, what: str
) -> HttpResponse:
    script = studio_selectors.get_script_for_member(membership, pk)
    try:
        start(actor=membership, script=script)
    except GenerationError as exc:
        messages.error(request, exc.message)
    else:
        _started(request, what)
    return redirect(_script_url(membership, script))


@member_required("content.edit")
@require_POST
def script_regenerate(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _start_for_script(
        request, membership, pk, generation.regenerate_script, _("A new version")
    )


@member_required("content.edit")
@require_POST
def storyboard_make(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _start_for_script(
        request, membership, pk, generation.start_storyboard, _("The storyboard")
    )


@member_required("content.edit")
@require_POST
def voiceover_make(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _start_for_script(
        request, membership, pk, generation.start_voiceover, _("The voice-over")
    )


@member_required("content.edit")
@require_POST
def videos_make(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    script = studio_selectors.get_script_for_member(membership, pk)
    form = VideoForm(request.POST, music=studio_selectors.list_music_for_member(membership))
    if form.is_valid():
        try:
            generation.start_videos(
                actor=membership,
                script=script,
                aspects=form.cleaned_data["aspects"],
                music=form.cleaned_data["music"],
                voiceover=form.cleaned_data["voiceover"],
            )
        except GenerationError as exc:
            form.add_error(None, exc.message)
        else:
            _started(request, _("Rendering"))
            return redirect(_script_url(membership, script))
    return _render_script(request, membership, script, video_form=form, status=UNPROCESSABLE)


@member_required("content.edit")
@require_POST
def more_like(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """Start *Make more like this* on a variant, from its results (the results page posts here).

    Bad figures or a refusal: the variant's page with the reason and HTTP 422, nothing started.
    """
    script = studio_selectors.get_script_for_member(membership, pk)
    form = MoreLikeForm(request.POST)
    if not form.is_valid():
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, " ".join(problems))
        return _render_script(request, membership, script, status=UNPROCESSABLE)
    try:
        generation.generate_more_like(
            actor=membership,
            script=script,
            results=form.results(),
            variants=form.cleaned_data["variants"],
        )
    except GenerationError as exc:
        messages.error(request, exc.message)
        return _render_script(request, membership, script, status=UNPROCESSABLE)
    _started(
        request,
        _("Writing variants like variant %(n)d for %(name)s")
        % {"n": script.number, "name": script.cohort.name},
    )
    return redirect(_campaign_url(membership, script.campaign_id))


@member_required("content.edit")
@require_POST
def scene_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    scene = studio_selectors.get_scene_for_member(membership, pk)
    script = scene.storyboard.script
    form = SceneForm(request.POST)
    if not form.is_valid():
        errors = {scene.pk: form}
        return _render_script(
            request, membership, script, scene_form_errors=errors, status=UNPROCESSABLE
        )
    generation.edit_scene(actor=membership, scene=scene, fields=form.cleaned_data)
    messages.success(request, _("Scene %(n)d saved.") % {"n": scene.position})
    return redirect(_script_url(membership, script))


@member_required("content.edit")
@require_POST
def scene_redraw(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    scene = studio_selectors.get_scene_for_member(membership, pk)
    try:
        generation.regenerate_scene_image(
            actor=membership, scene=scene, aspect=request.POST.get("aspect", "")
        )
    except GenerationError as exc:
        messages.error(request, exc.message)
    else:
        _started(request, _("Redrawing scene %(n)d") % {"n": scene.position})
    return redirect(_script_url(membership, scene.storyboard.script))


@member_required("content.edit")
@require_POST
def creative_approval(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    creative = studio_selectors.get_creative_for_member(membership, pk)
    approved = request.POST.get("approved") == "1"
    generation.set_creative_approval(actor=membership, creative=creative, approved=approved)
    if approved:
        messages.success(request, _("Approved: it can be published now."))
    else:
        messages.info(request, _("Approval withdrawn."))
    return redirect(_script_url(membership, creative.script))


@member_required("content.edit")
@require_POST
def job_retry(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    job = studio_selectors.get_job_for_member(membership, pk)
    try:
        generation.retry_job(actor=membership, job=job)
    except GenerationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Trying again; what was already made is kept."))
    if job.script is not None:
        return redirect(_script_url(membership, job.script))
    return redirect(_campaign_url(membership, job.campaign_id))


@member_required("workspace.view", post="workspace.update")
def ai_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    # Validation writes the posted values onto the form's instance; the budget below is read
    # afresh (budget_for), so a refused edit never shows as the cap in force.
    form = AISettingsForm(
        request.POST or None, instance=generation.ai_settings_for(membership.workspace)
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in AISettingsForm.Meta.fields}
        try:
            generation.update_ai_settings(actor=membership, fields=fields)
        except GenerationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("AI settings saved."))
            return redirect("creatives:ai_settings", slug=membership.workspace.slug)
    budget = generation.budget_for(membership.workspace)
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "form": form,
        "can_manage": has_permission(membership.role, "workspace.update"),
        "spent": generation.usd(budget.spent_micro),
        "cap": generation.usd(budget.cap_micro),
        "spent_percent": budget.percent,
        "openai_configured": generation.openai_configured(),
        "auto_means": "OpenAI" if generation.openai_configured() else _("built-in (offline)"),
        "calls": Paginator(studio_selectors.list_ai_calls(membership), CALLS_PER_PAGE).get_page(
            request.GET.get("page")
        ),
        "nav_section": "ai",
    }
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(request, "creatives/studio/ai_settings.html", context, status=status)


# --- deleting (creatives.studio.deletion): GET says what happens, POST does it -------------------


def _delete_flow(
    request: HttpRequest,
    membership: Membership,
    *,
    title: str,
    plan: DeletionPlan,
    back: str,
    delete: Callable[[], None],
    done: str,
) -> HttpResponse:
    """Show the confirmation (GET), or delete and go to ``done`` (POST); refusals are 422."""
    return confirm_then_delete(
        request,
        context={
            "membership": membership,
            "workspace": membership.workspace,
            "section": _("Campaigns"),
            "section_url": reverse("campaigns:list", args=[membership.workspace.slug]),
        },
        title=title,
        plan=plan,
        back=back,
        delete=delete,
        done=done,
        deleted=_("Deleted."),
    )


@member_required("content.edit")
@require_http_methods(["GET", "POST"])
def script_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    script = studio_selectors.get_script_for_member(membership, pk)
    return _delete_flow(
        request,
        membership,
        title=_("Delete %(script)s?") % {"script": script},
        plan=studio_deletion.describe_script_deletion(script),
        back=_script_url(membership, script),
        delete=partial(studio_deletion.delete_script, actor=membership, script=script),
        done=_campaign_url(membership, script.campaign_id),
    )


@member_required("content.edit")
@require_http_methods(["GET", "POST"])
def version_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    version = studio_selectors.get_version_for_member(membership, pk)
    return _delete_flow(
        request,
        membership,
        title=_("Delete version %(n)s of %(script)s?")
        % {"n": version.number, "script": version.script},
        plan=studio_deletion.describe_version_deletion(version),
        back=_script_url(membership, version.script),
        delete=partial(studio_deletion.delete_script_version, actor=membership, version=version),
        done=_script_url(membership, version.script),
    )


@member_required("content.edit")
@require_http_methods(["GET", "POST"])
def storyboard_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    storyboard = studio_selectors.get_storyboard_for_member(membership, pk)
    return _delete_flow(
        request,
        membership,
        title=_("Delete the storyboard of %(script)s?") % {"script": storyboard.script},
        plan=studio_deletion.describe_storyboard_deletion(storyboard),
        back=_script_url(membership, storyboard.script),
        delete=partial(studio_deletion.delete_storyboard, actor=membership, storyboard=storyboard),
        done=_script_url(membership, storyboard.script),
    )


@member_required("content.edit")
@require_http_methods(["GET", "POST"])
def creative_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    creative = studio_selectors.get_creative_for_member(membership, pk)
    return _delete_flow(
        request,
        membership,
        title=_("Delete the video “%(name)s”?") % {"name": creative.asset.original_filename},
        plan=studio_deletion.describe_creative_deletion(creative),
        back=_script_url(membership, creative.script),
        delete=partial(studio_deletion.delete_creative, actor=membership, creative=creative),
        done=_script_url(membership, creative.script),
    )
