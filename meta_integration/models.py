"""Meta connections and the Pages, Instagram accounts and ad accounts they give access to.

Tokens (the user token and each Page token) are encrypted at rest with the vault and wiped on
disconnect; the connection row stays as a minimal record of who connected what and when.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, WorkspaceScopedQuerySet
from prosocial.jobs import Job
from prosocial.vault import EncryptedTextField


class MetaConnection(models.Model):
    """One Meta (Facebook) login connected to a workspace."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRING = "expiring", _("Expiring soon")
        NEEDS_REAUTH = "needs_reauth", _("Needs reconnecting")
        REVOKED = "revoked", _("Revoked on Meta")
        DISCONNECTED = "disconnected", _("Disconnected")

    class TokenType(models.TextChoices):
        SHORT_LIVED = "short_lived", _("Short-lived user token")
        LONG_LIVED = "long_lived", _("Long-lived user token (about 60 days)")
        NEVER_EXPIRES = "never_expires", _("User token without expiry")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="meta_connections"
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    meta_user_id = models.CharField(_("Meta user id"), max_length=64, db_index=True)
    display_name = models.CharField(max_length=200, blank=True)
    access_token = EncryptedTextField(blank=True, editable=False)
    token_type = models.CharField(max_length=16, choices=TokenType.choices, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: never expires."))
    data_access_expires_at = models.DateTimeField(null=True, blank=True)
    requested_scopes = models.JSONField(default=list, blank=True)
    granted_scopes = models.JSONField(default=list, blank=True)
    declined_scopes = models.JSONField(default=list, blank=True)
    # scope -> list of asset ids the grant is limited to, or null when it covers every asset.
    granular_scopes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # The status admins were last told about, so each change is announced once.
    notified_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "meta_user_id"], name="metaconnection_unique_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.meta_user_id} ({self.get_status_display()})"

    @property
    def is_usable(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.EXPIRING)


class MetaAsset(models.Model):
    """Fields every asset a connection reaches shares."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(MetaConnection, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255, blank=True)
    is_selected = models.BooleanField(
        _("used by this workspace"), default=False, help_text=_("Chosen by a workspace admin.")
    )
    # False when the latest refresh no longer saw it (unticked on Meta, role removed…).
    is_available = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MetaPage(MetaAsset):
    connection = models.ForeignKey(MetaConnection, on_delete=models.CASCADE, related_name="pages")
    page_id = models.CharField(max_length=64)
    category = models.CharField(max_length=200, blank=True)
    tasks = models.JSONField(default=list, blank=True)
    access_token = EncryptedTextField(blank=True, editable=False)

    class Meta(MetaAsset.Meta):
        constraints = [
            models.UniqueConstraint(fields=["connection", "page_id"], name="metapage_unique")
        ]


class InstagramAccount(MetaAsset):
    connection = models.ForeignKey(
        MetaConnection, on_delete=models.CASCADE, related_name="instagram_accounts"
    )
    page = models.ForeignKey(
        MetaPage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instagram_accounts",
    )
    ig_user_id = models.CharField(_("Instagram user id"), max_length=64)
    username = models.CharField(max_length=100, blank=True)
    account_type = models.CharField(max_length=32, blank=True)
    profile_picture_url = models.URLField(max_length=2000, blank=True)
    followers_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta(MetaAsset.Meta):
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "ig_user_id"], name="instagram_unique")
        ]

    def __str__(self) -> str:
        return f"@{self.username}" if self.username else self.name


class MetaAdAccount(MetaAsset):
    connection = models.ForeignKey(
        MetaConnection, on_delete=models.CASCADE, related_name="ad_accounts"
    )
    ad_account_id = models.CharField(max_length=64, help_text=_("With the act_ prefix."))
    account_id = models.CharField(max_length=64)
    currency = models.CharField(max_length=3, blank=True)
    timezone_name = models.CharField(max_length=64, blank=True)
    account_status = models.PositiveIntegerField(null=True, blank=True)
    disable_reason = models.PositiveIntegerField(null=True, blank=True)
    business_name = models.CharField(max_length=255, blank=True)

    class Meta(MetaAsset.Meta):
        constraints = [
            models.UniqueConstraint(fields=["connection", "ad_account_id"], name="adaccount_unique")
        ]

    @property
    def is_active(self) -> bool:
        return self.account_status == 1


class MetaPageSubscription(Job):
    """Whether a Page sends ProSocial its webhooks (``/{page-id}/subscribed_apps``, §7.3).

    One per MetaPage. ``is_wanted`` is what the workspace needs (the Page, or an Instagram
    account linked to it, is selected); the job (``services.sync_page_subscription``) makes
    Meta match it and records what Meta reports. A job row of ``prosocial.jobs``: status,
    message, error, attempts and the lease come from ``Job``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be subscribed")
        RUNNING = "running", _("Talking to Meta")
        SUBSCRIBED = "subscribed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Not subscribed")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    page = models.OneToOneField(MetaPage, on_delete=models.CASCADE, related_name="subscription")
    is_wanted = models.BooleanField(default=False)
    # The fields Meta reported for ProSocial's app at the last check (empty: not installed).
    subscribed_fields = models.JSONField(default=list, blank=True)
    # Webhook objects ("page", "instagram") whose app-level subscription was missing at the
    # last check: their events reach nobody, whatever the Page's own subscription says.
    missing_app_objects = models.JSONField(default=list, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # ``attempts`` when the latest (re)subscription was asked for: attempts count from here.
    attempts_base = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.page} webhooks: {self.get_status_display()}"


class WebhookEvent(Job):
    """One change Meta announced on /meta/webhooks/ (GRAPH_NOTES §7.2), stored for later work.

    A POST holds entries (one per Page / IG account / Meta user), each with changes or messaging
    items; each item becomes one row per workspace that uses that account. The payload is the
    item as Meta sent it and is personal data (commenters' names, ids, message text): it is
    erased with the Meta user whose connection brought it in (privacy.erase_meta_user) and
    removed by the retention rule "meta_integration.webhook_events".

    ``workspace`` is empty when no workspace uses the account; such rows keep only the
    metadata (``payload`` is ``{}``), nobody processes them (status ``unrouted``), and the
    retention job removes them (privacy.expired_unassigned_webhook_events).

    Each row is also a job (prosocial.jobs): the inbox (``inbox.ingest``) claims a pending
    Page or Instagram event, turns it into threads and messages, and finishes it as
    ``processed`` (``is_processed``) or ``ignored`` (nothing for the inbox: a post, a like),
    or as ``flagged`` with ``error`` saying what was wrong with a payload it cannot read.
    ``is_processed`` is true only for rows the inbox really handled.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be processed")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Nothing to do")
        FLAGGED = "flagged", _("Unreadable payload (flagged)")
        FAILED = "failed", _("Failed")
        UNROUTED = "unrouted", _("No workspace uses this account")

    object = models.CharField(max_length=32, help_text=_("page, instagram, user, permissions…"))
    field = models.CharField(max_length=64, blank=True, help_text=_("feed, comments, messages…"))
    entry_id = models.CharField(
        _("entry id"),
        max_length=64,
        db_index=True,
        help_text=_("The Page id, Instagram user id or Meta user id the entry is about."),
    )
    # The entry's "time" (seconds or, for messaging, milliseconds in Meta's payloads): when the
    # change happened, which orders an edit or a removal against the comment it changes.
    entry_time = models.DateTimeField(null=True, blank=True)
    workspace = models.ForeignKey(
        Workspace,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="meta_webhook_events",
    )
    # The connection that made this account the workspace's; erasing it erases the event.
    connection = models.ForeignKey(
        MetaConnection,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_events",
    )
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    is_processed = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Due at once; set on arrival so the sweeper leaves a fresh row to the task sent for it.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # sha256 of the workspace and the item's content, so Meta's retries (GRAPH_NOTES §7.2)
    # store nothing new, whether they come byte for byte or batched differently.
    dedupe_key = models.CharField(max_length=64, unique=True, editable=False)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["workspace", "received_at"], name="webhookevent_ws_received"),
            # The sweeper's and the job's look-up of what is still to do.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhookevent_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object}/{self.field or '-'} {self.entry_id}"
