"""The inbox: customers, threads, their messages and the team's internal notes.

A thread is a comment with its replies, a direct-message conversation or a mention. Everything here is other people's personal data (names, ids, what they wrote). It is built
from Meta's webhook events by ``inbox.ingest``, removed when the account it came through is
disconnected or its owner's data is erased, exported with the workspace and kept after a thread
is done for the retention period (``inbox.privacy``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, WorkspaceScopedQuerySet
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage
from prosocial.jobs import Job
from publishing.models import Publication


class Channel(models.TextChoices):
    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")


class Contact(models.Model):
    """A customer as Meta identifies them on one channel, within one workspace.

    ``meta_id`` is what Meta sends: a Page-scoped id (PSID) in Messenger, an Instagram-scoped
    id (IGSID) in Instagram messages and comments, the commenter's id on Facebook comments. The
    same person can therefore appear as two contacts (a Facebook commenter and a Messenger PSID).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    meta_id = models.CharField(_("Meta id"), max_length=64)
    name = models.CharField(max_length=200, blank=True)
    username = models.CharField(max_length=100, blank=True)
    avatar_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "username", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "channel", "meta_id"], name="inbox_contact_unique"
            )
        ]

    def __str__(self) -> str:
        # Neutral on purpose: admin pages and logs show this to staff who may not see names.
        return f"{self.get_channel_display()} contact {self.pk}"

    @property
    def display_name(self) -> str:
        """Return what the inbox calls the customer: @username, name, or Meta's id."""
        if self.username:
            return f"@{self.username}"
        return self.name or self.meta_id


class Thread(models.Model):
    """One conversation in the inbox: a top-level comment with its replies, a DM, a mention.

    ``external_key`` names it on Meta's side: the top-level comment's id for a comment thread,
    the customer's id (PSID / IGSID) for a DM, the comment or media id for a mention. Threads are
    listed newest first (``last_message_at``); a new inbound message makes one unread and open.
    """

    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        DM = "dm", _("Direct message")
        MENTION = "mention", _("Mention")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # The connection the events came through: erasing it (Meta's deletion request for its
    # owner) erases its threads; disconnecting it removes its accounts, and their threads with
    # them (inbox.privacy).
    connection = models.ForeignKey(
        MetaConnection, on_delete=models.CASCADE, related_name="inbox_threads"
    )
    page = models.ForeignKey(
        MetaPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instagram_account = models.ForeignKey(
        InstagramAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The Page id or Instagram user id, which outlives the rows above (found by it on removal).
    account_meta_id = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    external_key = models.CharField(max_length=255)

    # What it is about (comments and mentions): the Facebook post id ("<page>_<post>") or the
    # Instagram media id, and what we know of it.
    post_id = models.CharField(max_length=255, blank=True)
    post_permalink = models.URLField(max_length=500, blank=True)
    post_caption = models.CharField(_("post caption (start)"), max_length=300, blank=True)
    publication = models.ForeignKey(
        Publication, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_ad_comment = models.BooleanField(default=False)
    ad_name = models.CharField(max_length=255, blank=True)

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_message_at = models.DateTimeField(default=timezone.now)
    is_unread = models.BooleanField(default=False)
    snippet = models.CharField(_("last message (start)"), max_length=200, blank=True)
    # When the customer last read the conversation (messaging_seen), for "Seen" on replies.
    customer_read_at = models.DateTimeField(null=True, blank=True)
    # The AI summary (inbox.assist) and how many messages it covered: a thread that has grown
    # well past that is summarised again when asked.
    summary = models.TextField(blank=True)
    summary_message_count = models.PositiveIntegerField(default=0)
    summary_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "channel", "kind", "external_key"],
                name="inbox_thread_unique",
            )
        ]
        # The inbox lists a workspace's threads newest first, filtered by one of these.
        indexes = [
            models.Index(
                fields=["workspace", "-last_message_at", "-id"], name="inbox_thread_recent"
            ),
            models.Index(
                fields=["workspace", "status", "-last_message_at"], name="inbox_thread_status"
            ),
            models.Index(
                fields=["workspace", "account_meta_id", "-last_message_at"],
                name="inbox_thread_account",
            ),
            models.Index(
                fields=["workspace", "channel", "kind", "-last_message_at"],
                name="inbox_thread_channel_kind",
            ),
            models.Index(
                fields=["workspace", "assignee", "-last_message_at"], name="inbox_thread_assignee"
            ),
            models.Index(
                fields=["workspace", "-last_message_at"],
                condition=Q(is_unread=True),
                name="inbox_thread_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_kind_display()} {self.external_key}"


class Message(models.Model):
    """One comment, reply or direct message, as Meta last described it.

    ``external_id`` is Meta's comment id or message id (mid). A message known only from a change
    that reached us before its creation (a removal, hide or reaction that overtook the comment)
    is a *placeholder*: no thread, never shown, there to stop the late creation from undoing the
    change. Removed messages keep their row (``is_deleted``) without their text or attachments.
    """

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("From the customer")
        OUTBOUND = "outbound", _("From the business")

    class SendStatus(models.TextChoices):
        NONE = "", _("Received")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # The Page id or Instagram user id it came through (what finds a placeholder on removal).
    account_meta_id = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    parent_external_id = models.CharField(max_length=255, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    author_meta_id = models.CharField(max_length=64, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    # [{"type": "image", "url": "https://…"}, …] as Meta sent them (types and URLs only).
    attachments = models.JSONField(default=list, blank=True)
    # Who reacted how: {"<meta id>": {"reaction": "love", "emoji": "❤", "at": "<iso time>"}};
    # an unreact keeps the entry with an empty reaction so a late "react" cannot revive it.
    reactions = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("Meta's time."))
    is_hidden = models.BooleanField(default=False)
    hidden_changed_at = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Outbound: whether Meta's echo of a message ProSocial sent has come back and been matched.
    is_echo_matched = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=8, choices=SendStatus.choices, default=SendStatus.NONE, blank=True
    )
    error = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id=""),
                name="inbox_message_external_id",
            )
        ]
        indexes = [models.Index(fields=["thread", "sent_at"], name="inbox_message_thread")]

    def __str__(self) -> str:
        return self.external_id or f"message {self.pk}"

    @property
    def is_placeholder(self) -> bool:
        return self.thread_id is None


class Note(models.Model):
    """An internal note a member left on a thread (never sent to Meta)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="notes")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note {self.pk} on {self.thread_id}"


class Reply(Job):
    """An answer a member wrote in the inbox, from the moment they press Send until Meta has it.

    A reply is a job on the one runner (``prosocial.jobs``): Meta's Send API and comment
    replies are network calls, retried only where a retry cannot send twice. Three kinds:
    a public reply under a comment, a private reply to a comment (one DM per comment, within
    7 days) and a message in a DM thread. ``text`` is kept until Meta confirms, so nothing typed
    is lost when Meta refuses; the outbound ``Message`` it produced is ``sent_message``.

    When the workspace requires approvals, an editor's reply waits (``AWAITING_APPROVAL``) for
    an owner or admin (``approved_by``) before it is queued. ``written_by_person`` is false for
    an AI suggestion sent unchanged: such a reply never carries Meta's HUMAN_AGENT tag.
    """

    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        PRIVATE = "private", _("Private reply")
        DM = "dm", _("Direct message")

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "approval", _("Waiting for approval")
        DECLINED = "declined", _("Declined")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Meta's answer was lost and no echo came: it may or may not have gone (inbox.replies).
        UNKNOWN = "unknown", _("Not confirmed")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="replies")
    # The comment a public or private reply answers (its Meta id); empty for a DM.
    in_reply_to = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    text = models.TextField(max_length=2000, blank=True)
    # An image from the media library, sent by its signed URL (DMs only).
    image = models.ForeignKey(
        "creatives.MediaAsset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_by_person = models.BooleanField(default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    # How the Send API call was made (RESPONSE, or MESSAGE_TAG with HUMAN_AGENT).
    messaging_type = models.CharField(max_length=16, blank=True)
    tag = models.CharField(max_length=32, blank=True)
    # The outbound message it became (``Job.message`` is the runner's human status line).
    sent_message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="reply"
    )
    # Set in a committed write just before the Graph call: a run that finds it set must not
    # send again (a lost answer), it looks for the message instead (inbox.replies).
    send_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="inbox_reply_runnable"),
            models.Index(fields=["workspace", "status"], name="inbox_reply_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} on thread {self.thread_id}"


class SavedReply(models.Model):
    """A workspace's canned answer; ``{first_name}`` and ``{name}`` become the customer's."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=100)
    text = models.TextField(max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "saved replies"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "title"], name="inbox_savedreply_title")
        ]

    def __str__(self) -> str:
        return self.title


class AssistJob(Job):
    """An AI request on a thread: its summary, or reply suggestions for the member who asked.

    Every provider call is recorded as a ``creatives.studio`` AICall with its cost and held to
    the workspace's AI budget. A summary is kept on the thread (``Thread.summary``) with the
    number of messages it covered, so a thread that grew can be summarised again; suggestions
    stay in ``result`` for the member who asked and are never sent by themselves.
    """

    class Kind(models.TextChoices):
        SUMMARY = "summary", _("Summary")
        SUGGESTIONS = "suggestions", _("Suggested replies")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="assist_jobs")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Suggestions: {"suggestions": ["…", …]}; a summary is written to the thread instead.
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="inbox_assist_runnable")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for thread {self.thread_id}"


class SyncRun(Job):
    """One pass over a Page's or an Instagram account's comments and conversations on Meta.

    What webhooks missed (``inbox.reconcile``): a *backfill* when the account is first selected
    (the last ``INBOX_BACKFILL_DAYS`` days), a *reconcile* every 15 minutes (threads active in
    the last 48 hours, posts of the last 7 days). It reads through the Graph API and writes
    through the same rules as webhook processing (``inbox.ingest``), so either may come first.
    At most one run per workspace and account is queued or running at a time.
    """

    class Kind(models.TextChoices):
        BACKFILL = "backfill", _("Backfill")
        RECONCILE = "reconcile", _("Reconcile")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(MetaConnection, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey(
        MetaPage, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    instagram_account = models.ForeignKey(
        InstagramAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    account_meta_id = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Posts and conversations older than this are not looked at.
    since = models.DateTimeField()
    # Comments and messages Meta returned, and what they changed here.
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account_meta_id"],
                condition=Q(status__in=["queued", "running"]),
                name="inbox_syncrun_one_active",
            )
        ]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="inbox_syncrun_runnable"),
            models.Index(
                fields=["workspace", "account_meta_id", "-created_at"], name="inbox_syncrun_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.account_meta_id}"
