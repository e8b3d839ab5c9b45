"""Reply box, approval, moderation and saved-reply pages of the inbox.

Each view resolves (``member_required``, then ``selectors.get_thread_for_member``: another
workspace's thread is a 404, as is a reply or a comment of another thread), validates a form,
calls one service and responds. The reply box works with htmx (the box is swapped in place,
422 with the reason when refused) and without (POST-redirect-GET on success; on refusal a page
with the reason and the text kept, 422).
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import member_required
from accounts.models import Membership
from inbox import moderation, replies, saved_replies, selectors
from inbox.errors import InboxError
from inbox.models import Reply, Thread
from inbox.reply_box import build_reply_box
from inbox.reply_forms import DecisionForm, ReplyForm, ResubmitForm, SavedReplyForm
from prosocial.deletion import DeletionPlan, confirm_then_delete


def _thread_url(membership: Membership, thread: Thread) -> str:
    return reverse("inbox:thread", args=[membership.workspace.slug, thread.pk])


def _box(
    request: HttpRequest,
    membership: Membership,
    thread: Thread,
    *,
    form: ReplyForm | None = None,
    error: str = "",
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    """Answer with the reply box (htmx), or go back to the thread / show the refusal page."""
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "thread": thread,
            "membership": membership,
            "workspace": membership.workspace,
            "box": build_reply_box(membership, thread, form=form),
            "reply_error": error,
        }
        return render(request, "inbox/_reply_box.html", context, status=status)
    if status == HTTPStatus.OK:
        return redirect(_thread_url(membership, thread))
    context = {
        "thread": thread,
        "membership": membership,
        "workspace": membership.workspace,
        "box": build_reply_box(membership, thread, form=form),
        "reply_error": error,
        "thread_url": _thread_url(membership, thread),
    }
    return render(request, "inbox/reply_refused.html", context, status=status)


def _say(request: HttpRequest, text: str, *, info: bool = False) -> None:
    """Flash ``text`` for the next page (a full page only: htmx swaps the box, which shows it)."""
    if request.htmx:  # type: ignore[attr-defined]
        return
    (messages.info if info else messages.success)(request, text)


def _refused(
    request: HttpRequest, membership: Membership, thread: Thread, message: str, form: Any = None
) -> HttpResponse:
    return _box(
        request,
        membership,
        thread,
        form=form,
        error=message,
        status=HTTPStatus.UNPROCESSABLE_ENTITY,
    )


@member_required("inbox.reply")
@require_POST
def send_reply(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    thread = selectors.get_thread_for_member(membership, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return _refused(request, membership, thread, str(first), form)
    data = form.cleaned_data
    try:
        reply = replies.start_reply(
            actor=membership,
            thread=thread,
            kind=data["kind"],
            text=data["text"] or "",
            image_id=data["image"],
            suggested_text=data["suggestion"] or None,
        )
    except replies.ReplyRejected as rejected:
        form.add_error(rejected.field if rejected.field in form.fields else None, rejected.message)
        return _refused(request, membership, thread, rejected.message, form)
    if reply.status == Reply.Status.AWAITING_APPROVAL:
        _say(request, _("Your reply waits for an admin's approval before it is sent."), info=True)
    else:
        _say(request, _("Sending your reply…"))
    return _box(request, membership, thread)


@member_required("inbox.view")
@require_GET
def reply_status(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """Render the replies on their way (polled every 2 s while one is being sent)."""
    thread = selectors.get_thread_for_member(membership, pk)
    context = {
        "thread": thread,
        "membership": membership,
        "workspace": membership.workspace,
        "box": build_reply_box(membership, thread),
    }
    return render(request, "inbox/_reply_status.html", context)


def _act_on_reply(
    request: HttpRequest,
    membership: Membership,
    pk: int,
    reply_pk: int,
    act: Callable[[Reply], str],
) -> HttpResponse:
    """Resolve the thread's reply and run ``act`` on it (one service call, returning what to say).

    An ``InboxError`` from ``act`` is a refusal: the box again with the reason, 422.
    """
    thread = selectors.get_thread_for_member(membership, pk)
    reply = replies.get_reply_for_member(membership, thread, reply_pk)
    try:
        said = act(reply)
    except InboxError as error:
        return _refused(request, membership, thread, error.message)
    _say(request, said)
    return _box(request, membership, thread)


@member_required("inbox.reply")
@require_POST
def retry(request: HttpRequest, membership: Membership, pk: int, reply_pk: int) -> HttpResponse:
    def act(reply: Reply) -> str:
        replies.retry_reply(actor=membership, reply=reply)
        return _("Sending your reply again…")

    return _act_on_reply(request, membership, pk, reply_pk, act)


@member_required("publish.approve")
@require_POST
def approve(request: HttpRequest, membership: Membership, pk: int, reply_pk: int) -> HttpResponse:
    def act(reply: Reply) -> str:
        replies.approve_reply(actor=membership, reply=reply)
        return _("Approved: the reply is being sent.")

    return _act_on_reply(request, membership, pk, reply_pk, act)


@member_required("publish.approve")
@require_POST
def decline(request: HttpRequest, membership: Membership, pk: int, reply_pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)

    def act(reply: Reply) -> str:
        if not form.is_valid():
            raise InboxError(_("The note can be at most 500 characters."))
        replies.decline_reply(actor=membership, reply=reply, note=form.cleaned_data["note"])
        return _("Declined: the author was told what to change.")

    return _act_on_reply(request, membership, pk, reply_pk, act)


@member_required("inbox.reply")
@require_POST
def resubmit(request: HttpRequest, membership: Membership, pk: int, reply_pk: int) -> HttpResponse:
    form = ResubmitForm(request.POST)

    def act(reply: Reply) -> str:
        if not form.is_valid():
            raise InboxError(str(next(iter(form.errors.values()))[0]))
        reply = replies.resubmit_reply(
            actor=membership, reply=reply, text=form.cleaned_data["text"] or ""
        )
        if reply.status == Reply.Status.AWAITING_APPROVAL:
            return _("Submitted again for approval.")
        return _("Sending your reply…")

    return _act_on_reply(request, membership, pk, reply_pk, act)


# --- moderation ---------------------------------------------------------------------------------


def _moderate(
    request: HttpRequest, membership: Membership, pk: int, message_pk: int, *, hidden: bool
) -> HttpResponse:
    thread = selectors.get_thread_for_member(membership, pk)
    comment = moderation.get_comment_for_member(membership, thread, message_pk)
    try:
        moderation.set_comment_hidden(
            actor=membership, thread=thread, message=comment, hidden=hidden
        )
    except moderation.ModerationRefused as refused:
        return _refused(request, membership, thread, refused.message)
    messages.success(request, _("Comment hidden.") if hidden else _("Comment shown again."))
    return redirect(_thread_url(membership, thread))


@member_required("inbox.reply")
@require_POST
def hide(request: HttpRequest, membership: Membership, pk: int, message_pk: int) -> HttpResponse:
    return _moderate(request, membership, pk, message_pk, hidden=True)


@member_required("inbox.reply")
@require_POST
def unhide(request: HttpRequest, membership: Membership, pk: int, message_pk: int) -> HttpResponse:
    return _moderate(request, membership, pk, message_pk, hidden=False)


@member_required("inbox.delete")
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, membership: Membership, pk: int, message_pk: int) -> HttpResponse:
    thread = selectors.get_thread_for_member(membership, pk)
    comment = moderation.get_comment_for_member(membership, thread, message_pk)
    back = _thread_url(membership, thread)
    blockers = []
    if comment.is_deleted:
        blockers.append(_("This comment was already deleted."))
    elif thread.kind == Thread.Kind.DM:
        blockers.append(_("Only comments can be deleted, not direct messages."))

    def delete_it() -> None:
        moderation.delete_comment(actor=membership, thread=thread, message=comment)

    return confirm_then_delete(
        request,
        context={
            "membership": membership,
            "workspace": membership.workspace,
            "section": _("Inbox"),
            "section_url": reverse("inbox:list", args=[membership.workspace.slug]),
            "subject": thread.contact.display_name if thread.contact else _("Conversation"),
        },
        title=_("Delete this comment on %(channel)s?") % {"channel": thread.get_channel_display()},
        plan=DeletionPlan(
            goes=[
                _(
                    "The comment, on %(channel)s: nobody sees it any more, and Meta can't bring it back."
                )
                % {"channel": thread.get_channel_display()},
                _("Its text in ProSocial's inbox."),
            ],
            stays=[
                _("A line in the conversation saying a comment was deleted."),
                _("The rest of the conversation, and the replies under it."),
            ],
            blockers=blockers,
        ),
        back=back,
        delete=delete_it,
        done=back,
        deleted=_("Comment deleted."),
    )


# --- saved replies --------------------------------------------------------------------------------


def _saved_page(
    request: HttpRequest,
    membership: Membership,
    *,
    form: SavedReplyForm | None = None,
    editing: Any = None,
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "saved_replies": list(saved_replies.list_saved_replies_for_workspace(membership)),
        "form": form or SavedReplyForm(),
        "editing": editing,
    }
    return render(request, "inbox/saved_replies.html", context, status=status)


@member_required("inbox.view", post="inbox.reply")
@require_http_methods(["GET", "POST"])
def saved_reply_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method != "POST":
        return _saved_page(request, membership)
    form = SavedReplyForm(request.POST)
    if form.is_valid():
        try:
            saved_replies.create_saved_reply(actor=membership, **form.cleaned_data)
        except saved_replies.SavedReplyError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("Saved reply added."))
            return redirect("inbox:saved_replies", slug=membership.workspace.slug)
    return _saved_page(request, membership, form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)


@member_required("inbox.reply")
@require_http_methods(["GET", "POST"])
def saved_reply_edit(request: HttpRequest, membership: Membership, saved_pk: int) -> HttpResponse:
    saved = saved_replies.get_saved_reply_for_member(membership, saved_pk)
    if request.method != "POST":
        form = SavedReplyForm(initial={"title": saved.title, "text": saved.text})
        return _saved_page(request, membership, form=form, editing=saved)
    form = SavedReplyForm(request.POST)
    if form.is_valid():
        try:
            saved_replies.update_saved_reply(actor=membership, saved=saved, **form.cleaned_data)
        except saved_replies.SavedReplyError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("Saved reply changed."))
            return redirect("inbox:saved_replies", slug=membership.workspace.slug)
    return _saved_page(
        request, membership, form=form, editing=saved, status=HTTPStatus.UNPROCESSABLE_ENTITY
    )


@member_required("inbox.reply")
@require_http_methods(["GET", "POST"])
def saved_reply_delete(request: HttpRequest, membership: Membership, saved_pk: int) -> HttpResponse:
    saved = saved_replies.get_saved_reply_for_member(membership, saved_pk)
    back = reverse("inbox:saved_replies", args=[membership.workspace.slug])
    return confirm_then_delete(
        request,
        context={
            "membership": membership,
            "workspace": membership.workspace,
            "section": _("Saved replies"),
            "section_url": back,
            "subject": saved.title,
        },
        title=_("Delete the saved reply “%(title)s”?") % {"title": saved.title},
        plan=DeletionPlan(
            goes=[_("The saved reply, for everyone in the workspace.")],
            stays=[_("Replies already sent with it.")],
        ),
        back=back,
        delete=lambda: saved_replies.delete_saved_reply(actor=membership, saved=saved),
        done=back,
        deleted=_("Saved reply deleted."),
    )
