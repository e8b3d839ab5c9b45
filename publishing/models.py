"""Publications: what goes to Meta, where, when, and everything that happened on the way.

A Publication is a job row (ARCHITECTURE §5 "Jobs"): the row is the truth, a worker claims it
with a lease, does one step, stores every remote id it created in ``remote`` before the next
step, and moves on. ``PublicationEvent`` rows are its timeline: state changes, steps and every
Graph call (redacted request, response excerpt, status, duration, fbtrace_id) — the "publish
traces" that retention removes after the workspace's period.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, WorkspaceScopedQuerySet
from campaigns.meta_vocabulary import AD_OBJECTIVE_CHOICES, CallToAction
from creatives.library.models import MediaAsset
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from prosocial.jobs import Job


class Target(models.TextChoices):
    FB_POST = "fb_post", _("Facebook Page post")
    FB_REEL = "fb_reel", _("Facebook reel")
    IG_FEED = "ig_feed", _("Instagram feed post")
    IG_CAROUSEL = "ig_carousel", _("Instagram carousel")
    IG_REEL = "ig_reel", _("Instagram reel")
    IG_STORY = "ig_story", _("Instagram story")
    META_AD = "meta_ad", _("Meta ad")
    META_AD_PROMOTE = "meta_ad_promote", _("Promoted post (ad)")


# What each target needs, and the Instagram / Facebook target groups: publishing.targets.


# Objectives, calls to action and special ad categories: campaigns.meta_vocabulary.


class Publication(Job):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        READY = "ready", _("Ready")
        QUEUED = "queued", _("Queued")
        SCHEDULED = "scheduled", _("Scheduled")
        UPLOADING = "uploading", _("Uploading")
        PROCESSING = "processing", _("Processing")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Approval(models.TextChoices):
        NOT_REQUIRED = "not_required", _("Not required")
        NEEDED = "needed", _("Needs approval")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Sent back")

    class BudgetType(models.TextChoices):
        DAILY = "daily", _("Daily")
        LIFETIME = "lifetime", _("Lifetime")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="publications")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("name"), max_length=200)
    target = models.CharField(_("where"), max_length=16, choices=Target.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)

    # What to publish.
    caption = models.TextField(_("caption / message"), max_length=5000, blank=True)
    link_url = models.URLField(_("link / product URL"), max_length=2000, blank=True)
    cta_type = models.CharField(
        _("call to action"), max_length=20, choices=CallToAction.choices, blank=True
    )
    cover_asset = models.ForeignKey(
        MediaAsset,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="publication_covers",
        verbose_name=_("reel cover image"),
    )
    # Files it sent that were deleted from the media library since (publishing.deletion): one
    # entry each, {"name", "sha256", "part": "item" or "cover", "position"}, so the page still
    # says what was sent. Their PublicationAsset rows (or cover_asset) are gone.
    deleted_files = models.JSONField(default=list, blank=True)
    thumb_offset_ms = models.PositiveIntegerField(_("cover frame (ms into the video)"), default=0)
    # A promoted post (``Target.META_AD_PROMOTE``): the published organic publication whose
    # post the ad runs as it is (``publishing.promotion``). Deleting that publication here
    # leaves the ad's record; preflight then refuses a draft that lost its post.
    promoted = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promotions",
        verbose_name=_("post to promote"),
    )

    # Where to publish.
    page = models.ForeignKey(
        MetaPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instagram_account = models.ForeignKey(
        InstagramAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ad_account = models.ForeignKey(
        MetaAdAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the accounts above were when chosen: disconnecting Meta deletes the account rows
    # (the FKs become NULL), but history keeps saying where a post went, and reconnecting
    # the same Meta ids points the FKs at the new rows again (``snapshot_accounts``).
    page_name = models.CharField(_("Page (as chosen)"), max_length=255, blank=True)
    page_meta_id = models.CharField(_("Page id"), max_length=64, blank=True)
    instagram_name = models.CharField(
        _("Instagram account (as chosen)"), max_length=255, blank=True
    )
    instagram_meta_id = models.CharField(_("Instagram user id"), max_length=64, blank=True)
    ad_account_name = models.CharField(_("ad account (as chosen)"), max_length=255, blank=True)
    ad_account_meta_id = models.CharField(_("ad account id"), max_length=64, blank=True)

    # Ads only.
    objective = models.CharField(max_length=24, choices=AD_OBJECTIVE_CHOICES, blank=True)
    budget_type = models.CharField(max_length=8, choices=BudgetType.choices, blank=True)
    budget_minor = models.PositiveBigIntegerField(_("budget (minor units)"), null=True, blank=True)
    special_ad_categories = models.JSONField(default=list, blank=True)
    # Countries, age range and genders: see publishing.targeting.build_targeting_spec.
    targeting = models.JSONField(default=dict, blank=True)
    # [] = Advantage+ (automatic) placements, else e.g. ["facebook:feed", "instagram:stream"]
    placements = models.JSONField(default=list, blank=True)
    ad_starts_at = models.DateTimeField(null=True, blank=True)
    ad_ends_at = models.DateTimeField(null=True, blank=True)
    ad_active = models.BooleanField(
        _("start delivering at once"),
        default=False,
        help_text=_("Off: the ad is created PAUSED and you start it in Ads Manager."),
    )

    # When.
    scheduled_at = models.DateTimeField(null=True, blank=True)

    # Approval (when the workspace asks for it).
    approval_status = models.CharField(
        max_length=20, choices=Approval.choices, default=Approval.NOT_REQUIRED
    )
    approval_comment = models.TextField(blank=True, max_length=2000)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Preflight: the last run's results, and a fingerprint of the inputs it checked.
    preflight = models.JSONField(default=list, blank=True)
    preflight_inputs = models.CharField(max_length=72, blank=True)
    preflight_checked_at = models.DateTimeField(null=True, blank=True)
    # "url": Meta downloads signed URLs; "upload": we send the bytes (set by preflight).
    delivery = models.CharField(max_length=8, default="url")

    # Execution (the job; progress, message, attempts (one claim per step), the lease and
    # next_attempt_at come from Job).
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    remote = models.JSONField(default=dict, blank=True)
    step = models.CharField(max_length=40, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)  # transient failures in a row
    paused_reason = models.CharField(max_length=300, blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    error_subcode = models.IntegerField(null=True, blank=True)
    error_title = models.CharField(max_length=200, blank=True)
    error_detail = models.TextField(blank=True)
    error_fix = models.TextField(blank=True)
    failed_item = models.CharField(max_length=200, blank=True)
    # A failure's explanation is error_detail (with title, fix and item), not Job.error.
    error = None  # type: ignore[assignment]
    job_error_field = "error_detail"

    # One draft posted to Facebook and Instagram at once: the publications made together share
    # this id (each has its own target, account, checks and job; none waits for the other).
    sibling_group = models.UUIDField(null=True, blank=True, db_index=True, editable=False)

    # Outcome.
    remote_id = models.CharField(max_length=100, blank=True)
    permalink = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"], name="publication_idempotency_key"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "status"]),
            models.Index(fields=["status", "scheduled_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.READY, self.Status.FAILED)

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def preflight_failed(self) -> bool:
        return any(check.get("status") == "fail" for check in self.preflight)

    def snapshot_accounts(self) -> list[str]:
        """Copy the chosen accounts' names and Meta ids onto the row; return the fields set.

        An account that is gone (its FK NULL) keeps its snapshot only while the row was not
        saved with a different choice: callers run this whenever the accounts are chosen.
        """
        page, instagram, ad = self.page, self.instagram_account, self.ad_account
        self.page_name = page.name if page else ""
        self.page_meta_id = page.page_id if page else ""
        self.instagram_name = str(instagram) if instagram else ""
        self.instagram_meta_id = instagram.ig_user_id if instagram else ""
        self.ad_account_name = ad.name if ad else ""
        self.ad_account_meta_id = ad.ad_account_id if ad else ""
        return list(ACCOUNT_SNAPSHOT_FIELDS)

    # What pages show: the live account, else the snapshot of the one it went to.
    @property
    def page_label(self) -> str:
        return self.page.name if self.page else self.page_name

    @property
    def instagram_label(self) -> str:
        return str(self.instagram_account) if self.instagram_account else self.instagram_name

    @property
    def ad_account_label(self) -> str:
        return self.ad_account.name if self.ad_account else self.ad_account_name

    @property
    def has_lost_account(self) -> bool:
        """Return whether an account it was made for no longer exists (Meta disconnected)."""
        return (
            (self.page_id is None and bool(self.page_meta_id))
            or (self.instagram_account_id is None and bool(self.instagram_meta_id))
            or (self.ad_account_id is None and bool(self.ad_account_meta_id))
        )


# The inputs of a publication people edit, defined once: services save them, the editor shows
# them, admin groups them. The groups follow the editor's sections.
CONTENT_FIELDS = ("caption", "link_url", "cta_type", "cover_asset", "thumb_offset_ms", "promoted")
ACCOUNT_FIELDS = ("page", "instagram_account", "ad_account")
ACCOUNT_SNAPSHOT_FIELDS = (
    "page_name",
    "page_meta_id",
    "instagram_name",
    "instagram_meta_id",
    "ad_account_name",
    "ad_account_meta_id",
)
AD_FIELDS = (
    "objective",
    "budget_type",
    "budget_minor",
    "special_ad_categories",
    "targeting",
    "placements",
    "ad_starts_at",
    "ad_ends_at",
    "ad_active",
)
EDITABLE_FIELDS = ("title", "target", *CONTENT_FIELDS, *ACCOUNT_FIELDS, *AD_FIELDS, "scheduled_at")

RUNNING_STATUSES = frozenset(
    {
        Publication.Status.QUEUED,
        Publication.Status.UPLOADING,
        Publication.Status.PROCESSING,
        Publication.Status.PUBLISHING,
    }
)


class PublicationAsset(models.Model):
    """One media file of a publication, in order (carousels have 2 to 10)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(
        MediaAsset, on_delete=models.PROTECT, related_name="publication_items"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.publication} #{self.position}: {self.asset}"


class PublicationEvent(models.Model):
    """One line of a publication's timeline: a state change, a step, or one Graph call."""

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        STEP = "step", _("Step")
        GRAPH = "graph", _("Graph call")
        ERROR = "error", _("Error")

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    message = models.CharField(max_length=500, blank=True)
    # Graph calls (redacted: no token ever reaches these columns).
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    fbtrace_id = models.CharField(max_length=64, blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    error_subcode = models.IntegerField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message or self.path}"


class PublicationTombstone(models.Model):
    """What is left of a deleted publication that reached Meta: what went where, and when.

    Deleting a published publication here does not delete the post on Meta, so the workspace
    keeps this record (publishing.deletion): the target, the account it went to, Meta's id
    and link, the time, a caption excerpt and the files' names and checksums. Everything
    else (the full caption, the timeline, the files themselves) is gone.
    """

    class RemoteStatus(models.TextChoices):
        NOT_TRIED = "", _("Still on Meta")
        REQUESTED = "requested", _("Deletion on Meta requested")
        DELETED = "deleted", _("Deleted on Meta")
        FAILED = "failed", _("Meta refused to delete it")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="publication_tombstones"
    )
    publication_pk = models.PositiveBigIntegerField()
    title = models.CharField(max_length=200)
    target = models.CharField(max_length=16, choices=Target.choices)
    page_name = models.CharField(max_length=255, blank=True)
    page_meta_id = models.CharField(max_length=64, blank=True)
    instagram_name = models.CharField(max_length=255, blank=True)
    instagram_meta_id = models.CharField(max_length=64, blank=True)
    ad_account_name = models.CharField(max_length=255, blank=True)
    ad_account_meta_id = models.CharField(max_length=64, blank=True)
    remote_id = models.CharField(max_length=100, blank=True)
    permalink = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    caption_excerpt = models.CharField(max_length=300, blank=True)
    # One entry per file: its name, its sha256 and its part ("item" or "cover").
    media = models.JSONField(default=list, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(auto_now_add=True)
    remote_status = models.CharField(
        max_length=10, choices=RemoteStatus.choices, default=RemoteStatus.NOT_TRIED, blank=True
    )
    remote_message = models.CharField(max_length=500, blank=True)
    remote_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} (deleted)"

    @property
    def account_label(self) -> str:
        """The account it went to, as chosen: "Name (id)"."""
        if self.target.startswith("ig_"):
            name, meta_id = self.instagram_name, self.instagram_meta_id
        elif self.target.startswith("fb_"):
            name, meta_id = self.page_name, self.page_meta_id
        else:
            name, meta_id = self.ad_account_name, self.ad_account_meta_id
        return f"{name} ({meta_id})" if name and meta_id else name or meta_id


# The one-create-in-flight slots live beside the code that takes them; imported here so the
# model is registered with the app, whatever imports first.
from publishing.locks import CreateSlot  # noqa: E402, F401
