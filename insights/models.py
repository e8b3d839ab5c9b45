"""Results collected from Meta: what is measured, its numbers over time, and the refresh jobs.

- ``InsightObject``: one thing ProSocial measures in a workspace (a published post, a Page,
  an Instagram account, an ad account, a campaign, ad set or ad), with its refresh state: when
  it is due next, when its numbers last changed, how many fetches in a row changed nothing,
  and the last problem in words.
- ``InsightSnapshot``: its numbers, one row per (object, metric set, day). A post's
  *lifetime* totals are kept as of each day they were read (the latest read of the day wins);
  Pages, Instagram accounts and ads have *daily* values, one row per day Meta reports. Counts
  are integers, money is Decimal in the ad account's currency, and a number Meta did not give
  is NULL, never 0: ``availability`` says why a row has no numbers.
- ``RefreshRun``: a refresh job (``insights.collect``) over a workspace's due objects (beat)
  or all of them that can still change (*Refresh now*).
- ``AdReport``: an async ads report Meta is preparing for a large query, kept across runs.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, WorkspaceScopedQuerySet
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from prosocial.jobs import Job
from publishing.models import Publication


class ObjectKind(models.TextChoices):
    IG_MEDIA = "ig_media", _("Instagram post")
    FB_POST = "fb_post", _("Facebook Page post")
    PAGE = "page", _("Facebook Page")
    IG_ACCOUNT = "ig_account", _("Instagram account")
    AD_ACCOUNT = "ad_account", _("Ad account")
    CAMPAIGN = "campaign", _("Ad campaign")
    ADSET = "adset", _("Ad set")
    AD = "ad", _("Ad")


POST_KINDS = frozenset({ObjectKind.IG_MEDIA, ObjectKind.FB_POST})
ACCOUNT_KINDS = frozenset({ObjectKind.PAGE, ObjectKind.IG_ACCOUNT, ObjectKind.AD_ACCOUNT})
AD_KINDS = frozenset({ObjectKind.AD_ACCOUNT, ObjectKind.CAMPAIGN, ObjectKind.ADSET, ObjectKind.AD})
# Objects made by one publication (posts, and a Meta ad's campaign, ad set and ad).
PUBLICATION_KINDS = frozenset(
    {ObjectKind.IG_MEDIA, ObjectKind.FB_POST, ObjectKind.CAMPAIGN, ObjectKind.ADSET, ObjectKind.AD}
)


class Availability(models.TextChoices):
    """Whether Meta gave numbers, and if not, why (never shown as zeros)."""

    OK = "ok", _("Available")
    NO_DATA = "no_data", _("No numbers from Meta yet")
    NOT_ENOUGH_VIEWERS = "not_enough_viewers", _("Too few viewers for Meta to show numbers")
    BEFORE_CONVERSION = (
        "before_conversion",
        _("Posted before the account became a professional account"),
    )
    PERMISSION_MISSING = "permission_missing", _("A Meta permission is missing")
    DISCONNECTED = "disconnected", _("Meta is not connected for this account")
    DELETED = "deleted", _("Deleted on Facebook or Instagram")
    EXPIRED = "expired", _("Meta no longer keeps its numbers")
    NOT_SUPPORTED = "not_supported", _("Meta gives no insights for it")
    NOT_TRACKED = "not_tracked", _("No longer in ProSocial")


class InsightObject(models.Model):
    """One thing ProSocial measures in a workspace, and where its refreshing stands."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Refreshing")
        SETTLED = "settled", _("Settled")
        UNAVAILABLE = "unavailable", _("Unavailable for now")
        FAILING = "failing", _("Failing")
        GONE = "gone", _("No longer measured")

    # Objects the beat refreshes when due, and *Refresh now* reads again.
    REFRESHED = (State.ACTIVE, State.UNAVAILABLE, State.FAILING)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ObjectKind.choices)
    # The id ProSocial knows it by (a publication's remote id, a Page id, act_…).
    meta_id = models.CharField(max_length=100)
    # The id insights are read from when it differs (a Facebook video's post); else meta_id.
    graph_id = models.CharField(max_length=100, blank=True)
    # The Page, Instagram account or ad account (act_…) it belongs to: whose token and call
    # budget it uses, and what a disconnect or an erasure finds it by.
    account_meta_id = models.CharField(max_length=64)
    publication = models.ForeignKey(
        Publication, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    page = models.ForeignKey(
        MetaPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instagram_account = models.ForeignKey(
        InstagramAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ad_account = models.ForeignKey(
        MetaAdAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # FEED, REELS or STORY for Instagram media (which metrics Meta has for it).
    media_product_type = models.CharField(max_length=8, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # When the post or ad went out (the schedule follows its age); None for accounts.
    published_at = models.DateTimeField(null=True, blank=True)

    state = models.CharField(max_length=12, choices=State.choices, default=State.ACTIVE)
    availability = models.CharField(
        max_length=20, choices=Availability.choices, default=Availability.NO_DATA
    )
    next_refresh_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_changed_at = models.DateTimeField(null=True, blank=True)
    unchanged_fetches = models.PositiveSmallIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0)  # failed fetches in a row
    # A digest of the numbers last read, to tell "changed" without reading the snapshots.
    last_digest = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    error_subcode = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "meta_id"], name="insights_object_unique"
            )
        ]
        indexes = [
            # The planner: refreshable rows whose time came.
            models.Index(fields=["state", "next_refresh_at"], name="insights_object_due"),
            # A run's batches: one account's objects at a time.
            models.Index(
                fields=["workspace", "account_meta_id", "kind"], name="insights_object_account"
            ),
            models.Index(fields=["publication"], name="insights_object_publication"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.meta_id}"

    @property
    def insights_id(self) -> str:
        return self.graph_id or self.meta_id


class InsightSnapshot(models.Model):
    """The numbers of one object for one day (a post's totals as of that day, or a day's values)."""

    class MetricSet(models.TextChoices):
        LIFETIME = "lifetime", _("Totals so far")
        DAILY = "daily", _("Daily values")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(InsightObject, on_delete=models.CASCADE, related_name="snapshots")
    metric_set = models.CharField(max_length=8, choices=MetricSet.choices)
    # The day it covers (daily), or the day it was read (lifetime totals as of that day).
    day = models.DateField()
    # As Meta gave them (ads insights rows); None where Meta gives no dates.
    date_start = models.DateField(null=True, blank=True)
    date_stop = models.DateField(null=True, blank=True)
    fetched_at = models.DateTimeField()
    availability = models.CharField(
        max_length=20, choices=Availability.choices, default=Availability.OK
    )
    # Counts: NULL when Meta gave no number (unavailable, or not a metric of this object).
    views = models.BigIntegerField(null=True, blank=True)
    reach = models.BigIntegerField(null=True, blank=True)
    impressions = models.BigIntegerField(null=True, blank=True)
    engagement = models.BigIntegerField(null=True, blank=True)
    likes = models.BigIntegerField(null=True, blank=True)
    comments = models.BigIntegerField(null=True, blank=True)
    shares = models.BigIntegerField(null=True, blank=True)
    saves = models.BigIntegerField(null=True, blank=True)
    clicks = models.BigIntegerField(null=True, blank=True)
    link_clicks = models.BigIntegerField(null=True, blank=True)
    follows = models.BigIntegerField(null=True, blank=True)  # new followers that day / from it
    followers = models.BigIntegerField(null=True, blank=True)  # followers at the day's end
    # Money in the ad account's currency (major units, as Meta sends them); ratios as Meta
    # computes them (ctr in percent).
    spend = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    cpc = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    cpm = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    ctr = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    frequency = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # The rest as Meta sent it: actions and costs per action type, reactions by type…
    extra = models.JSONField(default=dict, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["source_id", "metric_set", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "metric_set", "day"], name="insights_snapshot_unique"
            )
        ]
        indexes = [
            # "A workspace's results over a range": one index range scan, whatever the data.
            models.Index(fields=["workspace", "day"], name="insights_snapshot_range"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.metric_set} {self.day}"


# Snapshot columns holding counts, money and ratios, in the order pages show them.
COUNT_FIELDS = (
    "views",
    "reach",
    "impressions",
    "engagement",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "link_clicks",
    "follows",
    "followers",
)
DECIMAL_FIELDS = ("spend", "cpc", "cpm", "ctr", "frequency")
METRIC_FIELDS = (*COUNT_FIELDS, *DECIMAL_FIELDS)


class RefreshRun(Job):
    """One refresh of a workspace's results from Meta (a job on ``prosocial.jobs``).

    ``full`` runs (*Refresh now*) read every object that can still change; the others only
    those due when the run was queued. Which objects are left is read from the objects
    themselves (not tried since ``created_at``), so a run resumes wherever it stopped.
    """

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        MANUAL = "manual", _("Refresh now")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    full = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    objects_total = models.PositiveIntegerField(default=0)
    objects_done = models.PositiveIntegerField(default=0)
    snapshots_written = models.PositiveIntegerField(default=0)
    unavailable = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    postponed = models.PositiveIntegerField(default=0)
    calls_made = models.PositiveIntegerField(default=0)
    # Accounts whose Meta call budget is spent or nearly so: account id -> ISO time to resume.
    paused_accounts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(status__in=["queued", "running"]),
                name="insights_run_one_active",
            )
        ]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="insights_run_runnable"),
            models.Index(fields=["workspace", "-created_at"], name="insights_run_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of workspace {self.workspace_id}"


class AdReport(models.Model):
    """An async ads insights report Meta is preparing for one ad account and level.

    Kept across refresh runs: a run that stops while Meta works picks it up next time, and a
    report Meta failed is dropped so the next step starts a new one.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    ad_account_meta_id = models.CharField(max_length=64)
    level = models.CharField(max_length=10)
    report_run_id = models.CharField(max_length=64, blank=True)
    since = models.DateField()
    until = models.DateField()
    started_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "ad_account_meta_id", "level"], name="insights_adreport_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.level} report of {self.ad_account_meta_id}"
