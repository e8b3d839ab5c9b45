"""The video editor's records: edit projects, their versions, templates and renders.

An EditProject's edit document (``creatives/editor/document.py``, contract in
``docs/editor.md``) is never edited in place: every save is a new immutable
EditVersion (numbered 1, 2, 3… per project) and the project's ``current_version`` points at the
one shown. Undo moves the pointer to the version the current one was based on (``parent``), redo
to the newest version based on the current one; a save after an undo starts from the pointer and
gets the next number, so the undone versions stay in the history (restorable), never deleted.

A Render is one job row (``prosocial.jobs.Job``) rendering one version at one aspect ratio into
a new MediaAsset (``output``); its job kind and service live in ``jobs.py`` / ``render.py``.
A Transcription is one job row making captions from a version's speech (``transcribe.py``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, WorkspaceScopedQuerySet
from creatives.library.models import MediaAsset
from prosocial.jobs import Job

RATIOS = ("9:16", "1:1", "4:5", "16:9")
RATIO_CHOICES = [
    ("9:16", _("9:16 (Reels, Stories)")),
    ("1:1", _("1:1 (feed)")),
    ("4:5", _("4:5 (feed)")),
    ("16:9", _("16:9 (landscape)")),
]


class EditProject(models.Model):
    """An edit of media-library footage, targeting one or more aspect ratios."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="edit_projects")
    name = models.CharField(_("name"), max_length=120)
    # A subset of RATIOS, in the order the user chose them.
    ratios = models.JSONField(_("aspect ratios"), default=list)
    # Set when the project was opened from a generated (studio) video.
    source_creative = models.ForeignKey(
        "studio.Creative", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_version = models.ForeignKey(
        "EditVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-updated_at"])]

    def __str__(self) -> str:
        return self.name


class EditVersion(models.Model):
    """One saved state of a project's edit document (immutable once written)."""

    project = models.ForeignKey(EditProject, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # The version this one was made from (None for the first): what undo goes back to.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    document = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="edit_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.number}"


class EditTemplate(models.Model):
    """A saved look (text styles, caption style, end card, music) to apply to other projects."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="edit_templates"
    )
    name = models.CharField(_("name"), max_length=120)
    # {"text_styles": {...}, "caption_style": {...}, "end_card": {...} | null,
    #  "music": {"volume":, "fade_in":, "fade_out":, "duck":} | null} — see services.apply_template.
    look = models.JSONField(default=dict)
    music = models.ForeignKey(
        MediaAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Render(Job):
    """One render job: a project's version at one aspect ratio into a new media asset."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Rendering")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="renders")
    project = models.ForeignKey(EditProject, on_delete=models.CASCADE, related_name="renders")
    version = models.ForeignKey(EditVersion, on_delete=models.CASCADE, related_name="renders")
    ratio = models.CharField(max_length=5, choices=RATIO_CHOICES)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Set only when the render succeeded: a failed or cancelled render leaves no asset.
    output = models.ForeignKey(
        MediaAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The placement checks of the output ({"placement": ..., "checks": [...]}), for the history.
    preflight = models.JSONField(default=dict, blank=True)
    # A proxy is the editor's low-resolution preview (540p, fast preset): its file is kept at
    # ``preview_key`` in storage (not in the library), one per project and ratio.
    proxy = models.BooleanField(default=False)
    preview_key = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"Render #{self.pk} of {self.project} at {self.ratio}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class Transcription(Job):
    """Captions from speech: one job hearing a version's sound and saving its words as captions.

    ``version`` is the version whose sound was heard; ``result_version`` the version saved with
    the captions (based on the project's current version at that moment). Service and job kind:
    ``transcribe.py``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Listening")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="edit_transcriptions"
    )
    project = models.ForeignKey(
        EditProject, on_delete=models.CASCADE, related_name="transcriptions"
    )
    version = models.ForeignKey(EditVersion, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    result_version = models.ForeignKey(
        EditVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the provider reported: the language it heard and how many cues were made.
    language = models.CharField(max_length=40, blank=True)
    cue_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"Captions from speech #{self.pk} of {self.project}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
