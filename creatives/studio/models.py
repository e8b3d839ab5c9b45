"""The AI studio's records: scripts, storyboards, pictures, creatives, jobs and AI calls.

Scripts and their versions, storyboards, scene pictures, finished creatives, generation jobs,
provider calls and a workspace's AI settings.

The tables keep the names they had when the studio and the media library were one app
(``creatives_*``): moving the models to this app changed Django's state, not the database.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, WorkspaceScopedQuerySet
from creatives.library.models import MediaAsset
from prosocial.jobs import Job

ASPECTS = ("9:16", "1:1", "4:5")
ASPECT_CHOICES = [
    ("9:16", _("9:16 (Reels, Stories)")),
    ("1:1", _("1:1 (feed)")),
    ("4:5", _("4:5 (feed)")),
]


class AISettings(models.Model):
    """A workspace's choice of AI provider and models, and its monthly spending cap."""

    class Provider(models.TextChoices):
        AUTO = "auto", _("Automatic (OpenAI when the server has a key, else built-in)")
        OFFLINE = "offline", _("Built-in (offline, free)")
        OPENAI = "openai", _("OpenAI")

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="ai_settings"
    )
    provider = models.CharField(
        _("provider"), max_length=10, choices=Provider.choices, default=Provider.AUTO
    )
    text_model = models.CharField(_("text model"), max_length=64, blank=True)
    image_model = models.CharField(_("image model"), max_length=64, blank=True)
    speech_model = models.CharField(_("speech model"), max_length=64, blank=True)
    voice = models.CharField(_("voice"), max_length=32, default="alloy")
    # None: the server's default (AI_MONTHLY_COST_CAP_USD).
    monthly_cap_usd = models.DecimalField(
        _("monthly cap (USD)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "creatives_aisettings"

    def __str__(self) -> str:
        return f"AI settings of {self.workspace}"


class GenerationJob(Job):
    """One generation run (a row per job, STYLE §3.6): what to make, how far it got, why it stopped."""

    class Kind(models.TextChoices):
        SCRIPTS = "scripts", _("Script variants")
        SCRIPT = "script", _("New version of a script")
        STORYBOARD = "storyboard", _("Storyboard")
        IMAGE = "image", _("Scene image")
        VOICEOVER = "voiceover", _("Voice-over")
        VIDEO = "video", _("Videos")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="generation_jobs"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="generation_jobs"
    )
    cohort = models.ForeignKey(
        "campaigns.AudienceCohort",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    script = models.ForeignKey(
        "Script", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    scene = models.ForeignKey(
        "StoryboardScene", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        db_table = "creatives_generationjob"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class AICall(models.Model):
    """One call to an AI provider: who asked, which model, what was sent, what it cost."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ai_calls")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        GenerationJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=64)
    operation = models.CharField(max_length=32)
    prompt = models.TextField(blank=True)
    unit = models.CharField(max_length=16)
    input_units = models.PositiveIntegerField(default=0)
    output_units = models.PositiveIntegerField(default=0)
    cost_micro_usd = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        db_table = "creatives_aicall"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "created_at"])]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} {self.operation}"


class Script(models.Model):
    """One script variant for a cohort; its text lives in versions (AI-written and human-edited)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="scripts"
    )
    cohort = models.ForeignKey(
        "campaigns.AudienceCohort", on_delete=models.CASCADE, related_name="scripts"
    )
    number = models.PositiveSmallIntegerField()
    current = models.ForeignKey(
        "ScriptVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # *Make more like this* (``generation.generate_more_like``): the variant this one was
    # modelled on, its number (kept should that variant be deleted) and the results summary
    # the generation was given, as it was then (``ai.base.Results.as_data``).
    modelled_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    modelled_on_number = models.PositiveSmallIntegerField(null=True, blank=True)
    modelled_on_results = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "creatives_script"
        ordering = ["cohort_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "number"], name="script_number_unique")
        ]

    def __str__(self) -> str:
        return f"Variant {self.number} for {self.cohort.name}"


class ScriptVersion(models.Model):
    class Origin(models.TextChoices):
        AI = "ai", _("AI")
        HUMAN = "human", _("Edited")

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    origin = models.CharField(max_length=8, choices=Origin.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=20, blank=True)
    model = models.CharField(max_length=64, blank=True)
    hook = models.TextField(_("hook"), max_length=500)
    body = models.TextField(_("body"), max_length=2000)
    cta = models.TextField(_("call to action"), max_length=500)
    voiceover = models.TextField(_("voice-over"), max_length=4000)
    on_screen_text = models.JSONField(_("on-screen text"), default=list)
    caption = models.TextField(_("caption"), max_length=2200)
    hashtags = models.JSONField(_("hashtags"), default=list)
    language = models.CharField(max_length=8, default="en")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "creatives_scriptversion"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["script", "number"], name="script_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.script} v{self.number}"


class Storyboard(models.Model):
    """Scenes for a script (the newest storyboard of a script is the one in use)."""

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="storyboards")
    script_version = models.ForeignKey(
        ScriptVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(
        max_length=8, choices=ScriptVersion.Origin.choices, default=ScriptVersion.Origin.AI
    )
    voiceover = models.ForeignKey(
        MediaAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "creatives_storyboard"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Storyboard #{self.pk} of {self.script}"


class StoryboardScene(models.Model):
    storyboard = models.ForeignKey(Storyboard, on_delete=models.CASCADE, related_name="scenes")
    position = models.PositiveSmallIntegerField()
    duration_s = models.FloatField(_("seconds"))
    visual = models.TextField(_("what we see"), max_length=1000)
    on_screen_text = models.CharField(_("on-screen text"), max_length=200, blank=True)
    voiceover_line = models.TextField(_("voice-over line"), max_length=1000, blank=True)

    class Meta:
        db_table = "creatives_storyboardscene"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"Scene {self.position}"


class SceneImage(models.Model):
    """The picture of one scene at one aspect ratio (deleting the file drops it; it is remade)."""

    scene = models.ForeignKey(StoryboardScene, on_delete=models.CASCADE, related_name="images")
    aspect = models.CharField(max_length=5, choices=ASPECT_CHOICES)
    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "creatives_sceneimage"
        constraints = [
            models.UniqueConstraint(fields=["scene", "aspect"], name="scene_image_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scene} at {self.aspect}"


class Creative(models.Model):
    """A finished video of a script at one aspect ratio, ready to approve and publish."""

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="creatives")
    storyboard = models.ForeignKey(
        Storyboard, null=True, blank=True, on_delete=models.SET_NULL, related_name="creatives"
    )
    aspect = models.CharField(max_length=5, choices=ASPECT_CHOICES)
    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="creatives")
    music = models.ForeignKey(
        MediaAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "creatives_creative"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.script} {self.aspect}"
