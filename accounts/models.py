"""Users, workspaces, memberships, invitations and the audit log."""

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import CURRENCIES
from accounts.permissions import Role, has_permission


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get(self, *args: Any, **kwargs: Any) -> "User":
        """``get(pk=…)``, which the sign-in backends run on every request, skips query building.

        Its SQL is written once per process (``accounts.selectors.get_user_by_pk``); the row,
        the instance and ``DoesNotExist`` are what the ORM gives. Any other lookup is the ORM's.
        """
        if args or set(kwargs) != {"pk"}:
            return super().get(*args, **kwargs)
        from accounts.selectors import get_user_by_pk

        return get_user_by_pk(self.db, kwargs["pk"])

    def _create(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an email address; belongs to workspaces through memberships."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.contact_name or self.email


class WorkspaceScopedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """Query vocabulary for rows that belong to a workspace (STYLE §3.4)."""

    def for_workspace(self, workspace: "Workspace") -> "WorkspaceScopedQuerySet":
        return self.filter(workspace=workspace)


# The workspace's public contact details (Workspace fields), set together in its settings.
WORKSPACE_CONTACT_FIELDS = ("contact_email", "contact_phone", "website", "postal_address")


class Workspace(models.Model):
    """A team's space: every domain row belongs to exactly one workspace."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    company_name = models.CharField(_("company name"), max_length=150, blank=True)
    store_name = models.CharField(_("store name"), max_length=150, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="USD")
    # The business's public contact details (workspace settings; in the workspace export).
    contact_email = models.EmailField(_("contact email"), max_length=254, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    postal_address = models.TextField(_("postal address"), max_length=500, blank=True)
    requires_publish_approval = models.BooleanField(
        _("publications need approval"),
        default=False,
        help_text=_(
            "Editors submit publications; an owner or admin approves them before they go out."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
        ]
        indexes = [models.Index(fields=["workspace", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    def can(self, action: str) -> bool:
        return has_permission(self.role, action)


class Invitation(models.Model):
    """An emailed offer to join a workspace with a role.

    Only the SHA-256 of the token is stored, so a database leak cannot be turned into
    memberships; the raw token exists only in the emailed link.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"), max_length=254)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    last_sent_at = models.DateTimeField()
    send_count = models.PositiveIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "workspace",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


# How each audit action reads in the activity log ("<actor> <label> · <object>").
ACTION_LABELS = {
    "workspace.created": _("created the workspace"),
    "workspace.updated": _("changed workspace settings"),
    "workspace.ownership_transferred": _("transferred ownership to"),
    "invitation.created": _("invited"),
    "invitation.resent": _("resent the invitation to"),
    "invitation.revoked": _("revoked the invitation to"),
    "invitation.accepted": _("joined through an invitation as"),
    "invitation.accepted_existing_member": _("accepted an invitation (already a member) as"),
    "member.role_changed": _("changed the role of"),
    "member.removed": _("removed"),
    "member.left": _("left the workspace"),
    "auth.logged_in": _("signed in"),
    "auth.password_changed": _("changed their password"),
    "auth.email_changed": _("changed their email address"),
    "auth.mfa_added": _("turned on two-factor authentication"),
    "auth.mfa_removed": _("removed a two-factor method"),
    "account.deletion_requested": _("deleted their account"),
    "workspace.deletion_requested": _("asked to delete the workspace"),
    "privacy.export_requested": _("requested a data export of"),
    "privacy.export_downloaded": _("downloaded a data export of"),
    "retention.updated": _("changed the retention periods"),
    "retention.removed": _("removed expired data (retention)"),
    "campaign.created": _("created the campaign"),
    "campaign.deleted": _("deleted the campaign"),
    "cohort.deleted": _("deleted the audience"),
    "script.deleted": _("deleted the script"),
    "script_version.deleted": _("deleted a script version of"),
    "storyboard.deleted": _("deleted the storyboard"),
    "creative.deleted": _("deleted the video"),
    "media.deleted": _("deleted the file"),
    "publication.deleted": _("deleted the publication"),
    "publication.meta_delete_requested": _("asked Meta to delete the post of"),
    "publication.deleted_on_meta": _("deleted on Meta the post of"),
    "publication.queued": _("started publishing"),
    "publication.scheduled": _("scheduled"),
    "publication.approved": _("approved the publication"),
    "publication.sent_back": _("sent back the publication"),
    "meta.connected": _("connected a Meta account"),
    "meta.refreshed": _("reconnected or refreshed a Meta account"),
    "meta.assets_selected": _("chose the Pages and accounts Meta shares, for"),
    "meta.disconnected": _("disconnected a Meta account"),
    "meta.deauthorized": _("— Meta access was revoked: the Facebook account removed ProSocial"),
    "meta.page_deauthorized": _("— a Facebook Page removed ProSocial:"),
    "inbox.thread_done": _("marked an inbox conversation done"),
    "inbox.thread_reopened": _("reopened an inbox conversation"),
    "inbox.thread_assigned": _("assigned an inbox conversation"),
    "inbox.note_added": _("left a note on an inbox conversation"),
}


class AuditEvent(models.Model):
    """A record of a sensitive action: who did what to which object, when and from where."""

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept so the log still says who acted after the account is gone.
    actor_email = models.EmailField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_email or 'system'}"

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))


class Notification(models.Model):
    """Something a member should know about, shown under the bell and emailed once.

    ``recipient`` empty means every member of the workspace; ``notify_workspace`` writes one
    row per recipient, so each person reads (and marks as read) their own copy.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # ``<app>.<event>``, e.g. ``meta.disconnected``: lets code and tests find a kind.
    kind = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=2000)
    link = models.CharField(max_length=500, blank=True, help_text=_("A path inside ProSocial."))
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "recipient", "read_at"], name="notification_unread")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
