"""Every stored file (MediaAsset) and its technical facts.

A MediaAsset is the row for one file in the workspace's media library: uploaded, generated,
rendered, or transcoded from another asset (a rendition, linked through ``parent``). Renditions
are also the transcode job's row: status, progress and lease live on them, so the database is
the truth and a killed worker delays a transcode by at most one lease.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, WorkspaceScopedQuerySet
from prosocial.jobs import Job


class MediaAsset(Job):
    """A stored file; a rendition is also its transcode job's row (status, progress, lease)."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")

    class Source(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        GENERATED = "generated", _("Generated")
        RENDERED = "rendered", _("Rendered")
        TRANSCODED = "transcoded", _("Transcoded")

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.UPLOADED)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    original_filename = models.CharField(max_length=255)
    # Server-generated; never derived from the uploaded name.
    storage_key = models.CharField(max_length=255, blank=True)
    poster_key = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    container = models.CharField(max_length=32, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    video_codec = models.CharField(max_length=32, blank=True)
    audio_codec = models.CharField(max_length=32, blank=True)
    pixel_format = models.CharField(max_length=32, blank=True)
    bitrate = models.BigIntegerField(null=True, blank=True)
    rotation = models.SmallIntegerField(default=0)
    has_audio = models.BooleanField(default=False)
    audio_channels = models.PositiveSmallIntegerField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    # MP4/MOV: whether the index (moov) precedes the media data, as Meta requires.
    faststart = models.BooleanField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="renditions"
    )
    # For renditions: the placement it was made for and how the frame was filled.
    placement_key = models.CharField(max_length=32, blank=True)
    fill = models.CharField(max_length=8, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when a publication or a composed video uses the asset; retention of unused
    # generated media counts from here (or from created_at when never used).
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
        ]

    def __str__(self) -> str:
        return self.original_filename

    @property
    def aspect_label(self) -> str:
        from math import gcd

        if not self.width or not self.height:
            return ""
        w, h = (
            (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)
        )
        d = gcd(w, h)
        return f"{w // d}:{h // d}"
