"""The thread page's AI panel: the summary, reply drafts, and asking for either.

The panel is loaded by the thread page after it renders (``templates/inbox/_assist.html``
without a ``panel`` asks for it with htmx), so the page's own queries stay as they are, and
polls itself every 2 s while a job it shows runs. Asking answers the panel again: 200 with
the job queued (or the one already running), 422 with the reason when ``inbox.assist``
refuses (budget used up, nothing to read, summary up to date). Without htmx a request
redirects back to the thread with the outcome as a message.
"""

from http import HTTPStatus

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.models import Membership
from inbox import assist, selectors
from inbox.errors import InboxError
from inbox.models import Thread

POLL_SECONDS = 2


def _panel(
    request: HttpRequest,
    membership: Membership,
    thread: Thread,
    *,
    error: str = "",
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    context = {
        "panel": assist.assist_panel(membership, thread),
        "thread": thread,
        "workspace": membership.workspace,
        "membership": membership,
        "assist_error": error,
        "assist_poll_seconds": POLL_SECONDS,
    }
    return render(request, "inbox/_assist.html", context, status=status)


@member_required("inbox.view")
@require_GET
def assist_panel(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    thread = selectors.get_thread_for_member(membership, pk)
    return _panel(request, membership, thread)


def _ask(request: HttpRequest, membership: Membership, pk: int, kind: str) -> HttpResponse:
    thread = selectors.get_thread_for_member(membership, pk)
    ask = assist.request_summary if kind == "summary" else assist.request_suggestions
    try:
        ask(actor=membership, thread=thread)
    except InboxError as error:
        if not request.htmx:  # type: ignore[attr-defined]
            messages.error(request, error.message)
            return _back(membership, thread)
        return _panel(
            request, membership, thread, error=error.message, status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(
            request,
            _("Summarising the conversation…") if kind == "summary" else _("Writing drafts…"),
        )
        return _back(membership, thread)
    return _panel(request, membership, thread)


def _back(membership: Membership, thread: Thread) -> HttpResponse:
    url = reverse("inbox:thread", args=[membership.workspace.slug, thread.pk])
    return redirect(f"{url}#assist-panel")


@member_required("inbox.reply")
@require_POST
def request_summary(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _ask(request, membership, pk, "summary")


@member_required("inbox.reply")
@require_POST
def request_suggestions(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _ask(request, membership, pk, "suggestions")
