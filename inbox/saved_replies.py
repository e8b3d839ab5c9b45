"""Saved replies: a workspace's canned answers, personalised with the customer's name.

Editors (``inbox.reply``) create, change and delete them; anyone who may reply inserts them in
the reply box. ``{first_name}`` and ``{name}`` become the customer's first name and name; when
Meta gave no name (an Instagram account shows only a username), a neutral word that reads well
in a greeting ("Hi there") stands in. Other braces are left as they are.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership
from inbox.errors import InboxError
from inbox.models import Contact, SavedReply

TITLE_MAX = 100
TEXT_MAX = 2000


class SavedReplyError(InboxError):
    """A saved reply refused; ``field`` is the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def list_saved_replies_for_workspace(membership: Membership) -> QuerySet[SavedReply]:
    return SavedReply.objects.filter(workspace_id=membership.workspace_id).order_by("title", "id")


def get_saved_reply_for_member(membership: Membership, pk: int) -> SavedReply:
    saved = SavedReply.objects.filter(workspace_id=membership.workspace_id).filter(pk=pk).first()
    if saved is None:
        raise Http404("No such saved reply")
    return saved


def _require(actor: Membership) -> None:
    if not actor.can("inbox.reply"):
        raise PermissionDenied


def _clean(title: str, text: str) -> tuple[str, str]:
    title, text = title.strip(), text.strip()
    if not title:
        raise SavedReplyError(_("Give the saved reply a title."), field="title")
    if len(title) > TITLE_MAX:
        raise SavedReplyError(
            _("A title can be at most %(n)d characters.") % {"n": TITLE_MAX}, field="title"
        )
    if not text:
        raise SavedReplyError(_("Write the reply's text."), field="text")
    if len(text) > TEXT_MAX:
        raise SavedReplyError(
            _("A saved reply can be at most %(n)d characters.") % {"n": TEXT_MAX}, field="text"
        )
    return title, text


def _unique_title(write: Callable[[], object]) -> None:
    """Run ``write``; a title another saved reply has becomes a form error."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as error:
        raise SavedReplyError(
            _("Another saved reply already has this title."), field="title"
        ) from error


@transaction.atomic
def create_saved_reply(*, actor: Membership, title: str, text: str) -> SavedReply:
    _require(actor)
    title, text = _clean(title, text)
    created: list[SavedReply] = []
    _unique_title(
        lambda: created.append(
            SavedReply.objects.create(
                workspace_id=actor.workspace_id, title=title, text=text, created_by=actor.user
            )
        )
    )
    saved = created[0]
    record_audit_event(
        actor=actor.user,
        action="inbox.saved_reply_created",
        workspace=actor.workspace,
        target=saved,
    )
    return saved


@transaction.atomic
def update_saved_reply(
    *, actor: Membership, saved: SavedReply, title: str, text: str
) -> SavedReply:
    _require(actor)
    saved.title, saved.text = _clean(title, text)
    _unique_title(lambda: saved.save(update_fields=["title", "text", "updated_at"]))
    return saved


@transaction.atomic
def delete_saved_reply(*, actor: Membership, saved: SavedReply) -> None:
    _require(actor)
    record_audit_event(
        actor=actor.user,
        action="inbox.saved_reply_deleted",
        workspace=actor.workspace,
        target=saved,
    )
    SavedReply.objects.filter(pk=saved.pk, workspace_id=actor.workspace_id).delete()


NEUTRAL = "there"  # "Hi {first_name}!" -> "Hi there!" when Meta gave no name


def personalise(text: str, contact: Contact | None) -> str:
    """Return ``text`` with ``{first_name}`` and ``{name}`` filled in for ``contact``."""
    name = (contact.name.strip() if contact is not None else "") or ""
    first = name.split()[0] if name else ""
    return text.replace("{first_name}", first or _(NEUTRAL)).replace("{name}", name or _(NEUTRAL))
