"""Moderating comments from the inbox: hide, unhide and delete, on Meta first, then here.

One short Graph call each, made in the request (the client's timeouts bound it) with no
transaction open; the ``Message`` row changes only once Meta said yes, so what the inbox shows
is what the customer's friends see. Meta's refusals become ``ModerationRefused`` with the error
catalogue's words; the view shows them, never a 500.

Rules (GRAPH_NOTES §9.1 and Meta's comment references):

- Only comments can be moderated, not direct messages, and not a comment already removed.
- Instagram: the account's own comments are always shown and can't be hidden; a comment can be
  deleted only on the account's own media (all the inbox holds).
- Facebook: Meta's ``can_hide``/``can_remove`` say the Page can't hide its own comments (it
  deletes them), and that a Page may hide or remove comments on its own posts. ProSocial offers
  *Hide* only for other people's comments, *Delete* for any comment on the account's posts.
- Hiding is for editors (``inbox.reply``), deleting for owners and admins (``inbox.delete``);
  a delete is confirmed first (``prosocial.deletion``).

A comment Meta no longer has (100/33) is gone either way: a delete then marks it deleted here
too, a hide says so.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership
from inbox import ingest
from inbox.errors import InboxError
from inbox.models import Channel, Message, Thread
from meta_integration import graph
from meta_integration import services as meta_services
from meta_integration.error_catalogue import explain
from meta_integration.errors import MetaConnectionError
from meta_integration.graph import GraphError, Platform

logger = logging.getLogger(__name__)


class ModerationRefused(InboxError):
    """Hiding or deleting a comment was refused, by ProSocial's rules or by Meta."""


def get_comment_for_member(membership: Membership, thread: Thread, message_id: int) -> Message:
    """Return the comment ``message_id`` of ``thread`` (already the member's); 404 otherwise."""
    message = (
        Message.objects.filter(workspace_id=membership.workspace_id, thread=thread)
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise Http404("No such comment")
    return message


def _require(actor: Membership, action: str) -> None:
    if not actor.can(action):
        raise PermissionDenied


def _check_comment(thread: Thread, message: Message) -> None:
    if thread.kind == Thread.Kind.DM or not message.external_id:
        raise ModerationRefused(_("Only comments can be hidden or deleted, not direct messages."))
    if message.is_deleted:
        raise ModerationRefused(_("This comment was already deleted."))


def can_hide(thread: Thread, message: Message) -> bool:
    """Whether *Hide* applies: someone else's comment, still there."""
    return (
        thread.kind != Thread.Kind.DM
        and bool(message.external_id)
        and not message.is_deleted
        and message.direction == Message.Direction.INBOUND
    )


def _token(thread: Thread) -> str:
    page = (
        thread.instagram_account.page
        if thread.channel == Channel.INSTAGRAM and thread.instagram_account
        else thread.page
    )
    if page is None:
        raise ModerationRefused(
            _("The account this comment came through is no longer connected; reconnect it.")
        )
    try:
        return meta_services.page_token_for(page=page)
    except MetaConnectionError as error:
        raise ModerationRefused(error.message) from error


def _platform(thread: Thread) -> Platform:
    return Platform.INSTAGRAM if thread.channel == Channel.INSTAGRAM else Platform.FACEBOOK


def _refusal(error: GraphError) -> ModerationRefused:
    explanation = explain(error, about="comment")
    return ModerationRefused(f"{explanation.cause} {explanation.fix}".strip())


def _is_gone(error: GraphError) -> bool:
    return (error.code, error.subcode) == (100, 33)


def set_comment_hidden(
    *, actor: Membership, thread: Thread, message: Message, hidden: bool
) -> Message:
    """Hide or unhide a customer's comment on Meta, then here; ``ModerationRefused`` if not."""
    _require(actor, "inbox.reply")
    _check_comment(thread, message)
    if message.direction == Message.Direction.OUTBOUND:
        raise ModerationRefused(
            _(
                "Your own comments are always shown: %(channel)s doesn't let an account hide "
                "them. Delete it instead."
            )
            % {"channel": thread.get_channel_display()}
        )
    if message.is_hidden == hidden:
        return message
    token = _token(thread)
    try:
        graph.hide_comment(
            access_token=token,
            comment_id=message.external_id,
            platform=_platform(thread),
            hidden=hidden,
        )
    except GraphError as error:
        logger.info("hide comment %s refused: %s", message.pk, str(error))
        raise _refusal(error) from error
    with transaction.atomic():
        now = timezone.now()
        updated = Message.objects.filter(pk=message.pk).update(
            is_hidden=hidden, hidden_changed_at=now, updated_at=now
        )
        record_audit_event(
            actor=actor.user,
            action="inbox.comment_hidden" if hidden else "inbox.comment_unhidden",
            workspace=actor.workspace,
            target=message,
        )
    if updated:
        message.is_hidden, message.hidden_changed_at = hidden, now
    return message


def delete_comment(*, actor: Membership, thread: Thread, message: Message) -> Message:
    """Delete a comment on Meta, then mark it deleted here (its text goes, the row stays)."""
    _require(actor, "inbox.delete")
    _check_comment(thread, message)
    token = _token(thread)
    try:
        graph.delete_comment(access_token=token, comment_id=message.external_id)
    except GraphError as error:
        if not _is_gone(error):
            logger.info("delete comment %s refused: %s", message.pk, str(error))
            raise _refusal(error) from error
        # Already gone at Meta (its author or another moderator deleted it): so it is here.
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        ingest._remove(locked, timezone.now())
        record_audit_event(
            actor=actor.user,
            action="inbox.comment_deleted",
            workspace=actor.workspace,
            target=locked,
        )
    return locked
