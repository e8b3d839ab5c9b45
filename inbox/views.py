"""Inbox pages: the thread list with its filters, one thread with its context, and actions.

Each view resolves (``member_required`` and ``selectors.get_thread_for_member``: another
workspace's thread is a 404), validates a form, calls one action and responds: a redirect
back on success, the thread page again with the message and HTTP 422 when input or the
action refuses. The list and the conversation each have a small partial that the page polls
every 10 s; it answers 204 (htmx swaps nothing) while nothing changed.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.models import Membership
from inbox import actions, selectors
from inbox.errors import InboxError
from inbox.forms import AssignForm, InboxFilterForm, NoteForm
from inbox.models import Thread

POLL_SECONDS = 10


def _base(membership: Membership) -> dict[str, Any]:
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "poll_seconds": POLL_SECONDS,
    }


def _filter_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in ("page", "v"):
        query.pop(key, None)
    return query.urlencode()


def _list_rows(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    form = InboxFilterForm(request.GET or None)
    filters = form.filters()
    threads = selectors.list_threads_for_member(membership, filters)
    page = Paginator(threads, selectors.PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page)
    nav_count = getattr(membership, "nav_inbox_unread", None)
    return {
        **_base(membership),
        "form": form,
        "filters": filters,
        "page": page,
        "threads": rows,
        "filter_query": _filter_query(request),
        "page_query": request.GET.get("page", ""),
        "fingerprint": selectors.page_fingerprint(rows, page.paginator.count) + f"-{nav_count}",
        "nav_inbox_unread": nav_count,
    }


@member_required("inbox.view")
@require_GET
def thread_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    context = _list_rows(request, membership)
    context["form"].with_choices(
        accounts=selectors.account_filter_choices(membership),
        members=selectors.list_assignable_members(membership),
    )
    if settings.META_USES_SANDBOX:  # make run: where to play the customer (docs/inbox.md)
        context["sandbox_console"] = f"{settings.META_GRAPH_URL}/_sandbox/#customer"
    return render(request, "inbox/thread_list.html", context)


@member_required("inbox.view")
@require_GET
def thread_rows(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Render the list's rows alone (polled): 204 while they are what the page shows."""
    context = _list_rows(request, membership)
    if request.GET.get("v") == context["fingerprint"]:
        return HttpResponse(status=HTTPStatus.NO_CONTENT)
    return render(request, "inbox/thread_list.html#rows", context | {"oob": True})


def _thread_page(
    request: HttpRequest,
    membership: Membership,
    thread: Thread,
    *,
    note_form: NoteForm | None = None,
    assign_form: AssignForm | None = None,
    action_error: str = "",
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    filters = InboxFilterForm(request.GET or None).filters()
    newer, older = selectors.neighbours(membership, thread, filters)
    context = {
        **_base(membership),
        "ctx": selectors.thread_context(membership, thread),
        "thread": thread,
        "newer": newer,
        "older": older,
        "filter_query": _filter_query(request),
        "note_form": note_form or NoteForm(),
        "assign_form": assign_form,
        "action_error": action_error,
        # Where the side panel's forms come back to (the thread, with the list's filters).
        "here": reverse("inbox:thread", args=[membership.workspace.slug, thread.pk])
        + (f"?{query}" if (query := _filter_query(request)) else ""),
    }
    return render(request, "inbox/thread_detail.html", context, status=status)


@member_required("inbox.view")
@require_GET
def thread_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    thread = selectors.get_thread_for_member(membership, pk)
    if membership.can("inbox.reply"):
        # Opening a conversation reads it for the team; a viewer's glance does not.
        actions.mark_thread_read(thread=thread)
    return _thread_page(request, membership, thread)


@member_required("inbox.view")
@require_GET
def thread_messages(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """Render the conversation alone (polled): 204 while it is what the page shows."""
    thread = selectors.get_thread_for_member(membership, pk)
    ctx = selectors.thread_context(membership, thread, full=False)
    if request.GET.get("v") == ctx.fingerprint:
        return HttpResponse(status=HTTPStatus.NO_CONTENT)
    if membership.can("inbox.reply"):
        actions.mark_thread_read(thread=thread)  # what arrived is on the reader's screen
    context = {**_base(membership), "ctx": ctx, "thread": thread, "oob": True}
    return render(request, "inbox/thread_detail.html#conversation", context)


def _back(
    request: HttpRequest, membership: Membership, thread: Thread, *, default: str = ""
) -> HttpResponse:
    """Redirect to the page the form came from (``next``, same site only), else the thread."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default or reverse("inbox:thread", args=[membership.workspace.slug, thread.pk]))


def _refused(
    request: HttpRequest, membership: Membership, thread: Thread, message: str, **forms: Any
) -> HttpResponse:
    return _thread_page(
        request,
        membership,
        thread,
        action_error=message,
        status=HTTPStatus.UNPROCESSABLE_ENTITY,
        **forms,
    )


def _set_state(
    request: HttpRequest,
    membership: Membership,
    pk: int,
    action: Callable[..., Thread],
    done: str,
    *,
    default: str = "",
) -> HttpResponse:
    """Run ``action`` (done, reopen, unread) on the member's thread; say ``done`` and go back."""
    thread = selectors.get_thread_for_member(membership, pk)
    action(actor=membership, thread=thread)
    messages.success(request, done)
    return _back(request, membership, thread, default=default)


@member_required("inbox.reply")
@require_POST
def thread_done(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _set_state(request, membership, pk, actions.mark_thread_done, _("Marked done."))


@member_required("inbox.reply")
@require_POST
def thread_reopen(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _set_state(request, membership, pk, actions.reopen_thread, _("Reopened."))


@member_required("inbox.reply")
@require_POST
def thread_unread(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    # Back to the list (``next``): staying on the thread would read it again.
    back = reverse("inbox:list", args=[membership.workspace.slug])
    return _set_state(
        request, membership, pk, actions.mark_thread_unread, _("Marked unread."), default=back
    )


@member_required("inbox.reply")
@require_POST
def thread_assign(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    thread = selectors.get_thread_for_member(membership, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, membership, thread, _("Choose a member to assign."), assign_form=form
        )
    try:
        thread = actions.assign_thread(
            actor=membership, thread=thread, assignee_id=form.cleaned_data["assignee"]
        )
    except InboxError as error:
        return _refused(request, membership, thread, error.message, assign_form=form)
    messages.success(
        request,
        _("Assigned to %(name)s.") % {"name": thread.assignee.display_name}
        if thread.assignee
        else _("Nobody is assigned now."),
    )
    return _back(request, membership, thread)


@member_required("inbox.reply")
@require_POST
def thread_note(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    thread = selectors.get_thread_for_member(membership, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, membership, thread, _("The note was not saved."), note_form=form)
    try:
        actions.add_note(actor=membership, thread=thread, text=form.cleaned_data["text"])
    except InboxError as error:
        form.add_error("text", error.message)
        return _refused(request, membership, thread, error.message, note_form=form)
    messages.success(request, _("Note added."))
    return _back(request, membership, thread)
