"""Captions from speech: start a transcription of an edit, and poll it (JSON for the editor).

``static/js/editor-transcribe.js`` posts to ``transcribe`` and polls ``transcription`` every
1.5 s. Starting answers 202 with the job, 400 with ``{"error": …}`` for a refusal (no OpenAI,
budget used up, nothing to hear…) and 409 when one is already running for the project (with
its ``status_url``, so the page follows it). Another workspace's project or job is a 404;
viewers may poll, only editors start (403).
"""

from http import HTTPStatus

from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.http import require_GET

from accounts.decorators import member_required
from accounts.models import Membership
from creatives.editor import selectors, transcribe
from creatives.editor.errors import EditorError


@member_required("edits.view", post="edits.change")
def transcribe_start(
    request: HttpRequest, membership: Membership, pk: int
) -> JsonResponse | HttpResponseNotAllowed:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    project = selectors.get_project_for_member(membership, pk)
    slug = membership.workspace.slug
    try:
        job = transcribe.start_transcription(membership, project)
    except transcribe.TranscriptionRunning as running:
        return JsonResponse(
            {
                "error": running.message,
                "id": running.transcription.pk,
                "status_url": transcribe.status_url(running.transcription, slug),
            },
            status=HTTPStatus.CONFLICT,
        )
    except EditorError as error:
        return JsonResponse({"error": error.message}, status=HTTPStatus.BAD_REQUEST)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "message": job.message,
            "status_url": transcribe.status_url(job, slug),
        },
        status=HTTPStatus.ACCEPTED,
    )


@member_required("edits.view")
@require_GET
def transcription_status(
    request: HttpRequest, membership: Membership, pk: int, job_pk: int
) -> JsonResponse:
    project = selectors.get_project_for_member(membership, pk)
    job = transcribe.get_transcription_for_member(membership, project, job_pk)
    response = JsonResponse(transcribe.status_of(job))
    response["Cache-Control"] = "no-store"
    return response
