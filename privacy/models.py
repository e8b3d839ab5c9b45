"""Deletion requests: Meta's data-deletion callback and (later) people's own requests.

A request keeps only what compliance needs once it is done: its confirmation code, source,
status, timestamps and per-kind counts of what was erased. The Meta user id it was about is
held encrypted while the erasure runs and cleared when it completes; a keyed hash of it
remains so a repeated callback can be matched to the open request.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from prosocial.vault import EncryptedTextField


class DataDeletionRequest(models.Model):
    class Source(models.TextChoices):
        META_CALLBACK = "meta_callback", _("Meta data-deletion callback")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    confirmation_code = models.CharField(max_length=32, unique=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    subject_hash = models.CharField(max_length=64, db_index=True)
    meta_user_id = EncryptedTextField(blank=True, editable=False)
    counts = models.JSONField(default=dict, blank=True)
    kept_reason = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.confirmation_code} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.PROCESSING)


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
