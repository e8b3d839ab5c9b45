"""Privacy records: deletion requests (receipts), data exports, retention settings, contact.

A deletion request keeps only what compliance needs once it is done: its confirmation code,
source, status, timestamps and per-kind counts of what was erased. The subject it was about (a
Meta user id, a user or a workspace) is held while the erasure runs and cleared when it
completes; a keyed hash remains so a repeated request can be matched to the open one. The
receipt itself is removed by the retention run after ``keep_until``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prosocial.jobs import Job
from prosocial.vault import EncryptedTextField


class DataDeletionRequest(Job):
    # What is erased. (``meta_callback`` names everything tied to one Facebook account, whoever
    # asked: Meta's callback or an operator.)
    class Source(models.TextChoices):
        META_CALLBACK = "meta_callback", _("Facebook account data deletion")
        ACCOUNT = "account", _("Account deletion")
        META_DATA = "meta_data", _("Meta-connected data deletion")
        WORKSPACE = "workspace", _("Workspace deletion")

    # How it was asked for; empty on receipts written before this was recorded.
    class Channel(models.TextChoices):
        IN_APP = "in_app", _("in ProSocial")
        META = "meta", _("through Facebook")
        OPERATOR = "operator", _("by email to us")
        FORM = "form", _("through the deletion request form")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    confirmation_code = models.CharField(max_length=32, unique=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    subject_hash = models.CharField(max_length=64, db_index=True)
    meta_user_id = EncryptedTextField(blank=True, editable=False)
    # The user or workspace being erased (account, Meta-data and workspace deletions); cleared
    # on completion.
    subject_pk = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    counts = models.JSONField(default=dict, blank=True)
    kept_reason = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Years to keep the receipt when the workspace chose its own period (workspace deletions).
    receipt_years = models.PositiveSmallIntegerField(null=True, blank=True)
    # When the retention run removes this receipt (set on completion).
    keep_until = models.DateTimeField(null=True, blank=True)
    # Hash of the single-use id of the emailed confirmation link that started this request.
    link_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.confirmation_code} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.PROCESSING)

    @property
    def count_items(self) -> list[tuple[str, int]]:
        """The erased counts with readable labels (``meta_integration.pages`` → "Pages")."""
        return [
            (str(COUNT_LABELS.get(kind, kind.rsplit(".", 1)[-1].replace("_", " "))), count)
            for kind, count in sorted(self.counts.items())
        ]


COUNT_LABELS = {
    "accounts.users": _("Account"),
    "accounts.workspaces": _("Workspace"),
    "accounts.memberships": _("Workspace memberships"),
    "accounts.invitations": _("Invitations"),
    "accounts.audit_events": _("Activity-log entries"),
    "accounts.audit_events_scrubbed": _("Activity-log entries made anonymous"),
    "creatives.media_assets": _("Media files"),
    "creatives.media_unlinked": _("Media files no longer linked to the person"),
    "meta_integration.connections": _("Meta connections (with their tokens)"),
    "meta_integration.revoked_on_meta": _("Meta permissions withdrawn at Meta"),
    "meta_integration.pages": _("Facebook Pages"),
    "meta_integration.instagram_accounts": _("Instagram accounts"),
    "meta_integration.ad_accounts": _("Ad accounts"),
    "meta_integration.webhook_events": _("Meta webhook events"),
    "meta_integration.audit_events_scrubbed": _("Activity-log entries made anonymous"),
    "privacy.contact_messages": _("Contact messages"),
    "privacy.data_exports": _("Data exports"),
    "privacy.retention_settings": _("Retention settings"),
}


class ContactMessage(models.Model):
    """A message sent through the contact form (signed in or not)."""

    name = models.CharField(max_length=150)
    email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=200)
    message = models.TextField(max_length=5000)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    is_handled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.email})"


class DataExport(Job):
    """A zip of someone's (or a workspace's) records and media, built by a job.

    The archive is downloadable by the person who asked, through a link that expires after
    EXPORT_LINK_TTL_HOURS; the sweeper then deletes the file and marks the row expired.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        READY = "ready", _("Ready to download")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    # Empty: the requester's own data; set: that whole workspace (owners only).
    workspace = models.ForeignKey(
        "accounts.Workspace",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="data_exports",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    storage_key = models.CharField(max_length=255, blank=True, editable=False)
    size_bytes = models.BigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        scope = self.workspace.name if self.workspace else _("personal data")
        return f"Export of {scope} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


def _default(name: str) -> int:
    return int(getattr(settings, name))


def default_unused_generated_media_days() -> int:
    return _default("RETENTION_UNUSED_GENERATED_MEDIA_DAYS")


def default_publish_trace_days() -> int:
    return _default("RETENTION_PUBLISH_TRACE_DAYS")


def default_webhook_event_days() -> int:
    return _default("RETENTION_WEBHOOK_EVENT_DAYS")


def default_inbox_thread_days() -> int:
    return _default("RETENTION_INBOX_THREAD_DAYS")


def default_deletion_receipt_years() -> int:
    return _default("RETENTION_DELETION_RECEIPT_YEARS")


class RetentionSettings(models.Model):
    """How long one workspace keeps each kind of time-limited data (ARCHITECTURE §5 Privacy)."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="retention"
    )
    unused_generated_media_days = models.PositiveIntegerField(
        _("unused AI-generated media (days)"),
        default=default_unused_generated_media_days,
        help_text=_("Generated images and videos not used in any publication for this long."),
    )
    publish_trace_days = models.PositiveIntegerField(
        _("publish traces (days)"),
        default=default_publish_trace_days,
        help_text=_("The recorded Graph calls of each publication (its timeline)."),
    )
    webhook_event_days = models.PositiveIntegerField(
        _("Meta webhook events (days)"),
        default=default_webhook_event_days,
        help_text=_("Notifications Meta sent about your Pages and Instagram accounts."),
    )
    inbox_thread_days = models.PositiveIntegerField(
        _("inbox conversations marked done (days)"),
        default=default_inbox_thread_days,
        help_text=_(
            "Customers' comments and messages, with the replies and notes, counted from the "
            "conversation's last message."
        ),
    )
    deletion_receipt_years = models.PositiveSmallIntegerField(
        _("deletion receipts (years)"),
        default=default_deletion_receipt_years,
        help_text=_("Receipts of this workspace's deletion (codes and counts, no content)."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "retention settings"

    def __str__(self) -> str:
        return f"Retention for {self.workspace}"
