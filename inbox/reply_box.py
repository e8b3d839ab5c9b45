"""What the reply box of one thread shows: the window, the replies on their way, saved replies.

Reads only (``templates/inbox/_reply_box.html`` through the ``reply_box_for`` tag, and the
reply views after a POST). The window is worded by ``inbox.windows`` in the workspace's time
zone; a comment's private reply is "available until …", "sent" (used) or "no longer possible".
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership
from creatives.library.models import MediaAsset
from inbox import replies, saved_replies, windows
from inbox.models import Reply, Thread
from inbox.reply_forms import ReplyForm
from inbox.selectors import WindowView, workspace_zone

Status = Reply.Status
# The replies the box lists: everything not sent yet, and what went wrong.
SHOWN = (
    Status.AWAITING_APPROVAL,
    Status.QUEUED,
    Status.SENDING,
    Status.FAILED,
    Status.UNKNOWN,
    Status.DECLINED,
)
SHOWN_MAX = 10
IMAGES_MAX = 30


@dataclass(frozen=True)
class SavedChoice:
    pk: int
    title: str
    text: str  # personalised for this thread's customer


@dataclass
class ReplyBox:
    thread: Thread
    can_reply: bool
    can_approve: bool
    needs_approval: bool
    window: WindowView | None
    # Why nothing can be sent now (a closed window, a mention, a lost connection); "" if it can.
    closed_reason: str = ""
    # Comment threads: whether a private reply is possible, used, or not any more, in words.
    private_state: str = ""  # available / used / unavailable / ""
    private_text: str = ""
    replies: list[Reply] = field(default_factory=list)
    saved: list[SavedChoice] = field(default_factory=list)
    images: list[MediaAsset] = field(default_factory=list)
    form: Any = None

    @property
    def polling(self) -> bool:
        """Whether a reply is on its way (the status list refreshes itself meanwhile)."""
        return any(r.status in (Status.QUEUED, Status.SENDING) for r in self.replies)


def _dm(box: ReplyBox, thread: Thread, zone: Any) -> None:
    now = timezone.now()
    window = replies.dm_window(thread, now=now)
    box.window = WindowView(state=str(window.state), text=window.describe(zone, now=now))
    if window.state is windows.WindowState.CLOSED:
        box.closed_reason = window.describe(zone, now=now)


def _comment(box: ReplyBox, thread: Thread, zone: Any) -> None:
    now = timezone.now()
    private = replies.private_reply_window(thread, now=now)
    if private is None:
        box.private_state = "unavailable"
        box.private_text = "A private reply is not possible: the comment is not known here."
    else:
        box.private_state = (
            "used" if private.already_sent else "available" if private.available else "unavailable"
        )
        box.private_text = private.describe(zone, now=now)
    box.window = WindowView(state="private", text=box.private_text)


def build_reply_box(
    membership: Membership,
    thread: Thread,
    *,
    form: ReplyForm | None = None,
    saved_id: str | None = None,
) -> ReplyBox:
    """Return what the reply box of ``thread`` shows to ``membership``.

    ``saved_id`` (the picker's choice without JavaScript) fills the text with that saved
    reply, personalised.
    """
    zone = workspace_zone(membership)
    box = ReplyBox(
        thread=thread,
        can_reply=membership.can("inbox.reply"),
        can_approve=membership.can("publish.approve"),
        needs_approval=bool(membership.workspace.requires_publish_approval)
        and not membership.can("publish.approve"),
        window=None,
    )
    if thread.kind == Thread.Kind.DM:
        _dm(box, thread, zone)
    elif thread.kind == Thread.Kind.COMMENT:
        _comment(box, thread, zone)
    else:
        box.closed_reason = "A mention can't be answered from ProSocial; open it on Instagram."
    if not box.closed_reason and replies.account_page(thread) is None:
        box.closed_reason = (
            "The account this conversation came through is no longer connected; reconnect it."
        )
    box.replies = list(
        Reply.objects.filter(thread=thread, workspace_id=membership.workspace_id)
        .filter(status__in=SHOWN)
        .select_related("author", "image")
        .order_by("-created_at", "-id")[:SHOWN_MAX]
    )
    if box.can_reply:
        box.saved = [
            SavedChoice(s.pk, s.title, saved_replies.personalise(s.text, thread.contact))
            for s in saved_replies.list_saved_replies_for_workspace(membership)[:200]
        ]
        if thread.kind == Thread.Kind.DM:
            box.images = list(
                MediaAsset.objects.filter(
                    workspace_id=membership.workspace_id,
                    kind=MediaAsset.Kind.IMAGE,
                    status=MediaAsset.Status.READY,
                    parent__isnull=True,
                    content_type__in=sorted(replies.IMAGE_TYPES),
                    size_bytes__lte=replies.IMAGE_MAX_BYTES,
                )
                .filter(~Q(storage_key=""))
                .order_by("-created_at", "-id")[:IMAGES_MAX]
            )
    if form is None:
        initial: dict[str, str] = {
            "kind": Reply.Kind.DM if thread.kind == Thread.Kind.DM else Reply.Kind.PUBLIC
        }
        chosen = next((s for s in box.saved if str(s.pk) == (saved_id or "")), None)
        if chosen is not None:
            initial["text"] = chosen.text
        form = ReplyForm(initial=initial)
    box.form = form
    return box
