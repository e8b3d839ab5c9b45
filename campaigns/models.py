"""Campaigns (the brief) and their audience cohorts.

A Campaign is what a marketer wants to say and sell; each AudienceCohort is a group of people
to say it to, with the facts Meta's targeting needs (``targeting_spec``). AI generation (#7)
writes scripts, storyboards and videos per cohort from these.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, WorkspaceScopedQuerySet
from campaigns.meta_vocabulary import CallToAction, Objective
from campaigns.targeting import build_targeting_spec
from prosocial.money import format_amount


class Tone(models.TextChoices):
    FRIENDLY = "friendly", _("Friendly")
    PLAYFUL = "playful", _("Playful")
    PREMIUM = "premium", _("Premium")
    URGENT = "urgent", _("Urgent")
    PROFESSIONAL = "professional", _("Professional")


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("campaign name"), max_length=150)
    product_name = models.CharField(_("product name"), max_length=150)
    product_url = models.URLField(_("product URL"), max_length=2000, blank=True)
    objective = models.CharField(
        _("objective"), max_length=24, choices=Objective.choices, default=Objective.TRAFFIC
    )
    key_message = models.TextField(_("key message"), max_length=1000)
    offer = models.CharField(_("offer"), max_length=300, blank=True)
    tone = models.CharField(_("tone"), max_length=16, choices=Tone.choices, default=Tone.FRIENDLY)
    call_to_action = models.CharField(
        _("call to action"),
        max_length=20,
        choices=CallToAction.choices,
        default=CallToAction.LEARN_MORE,
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)  # ["en", "es"]
    brand_colors = models.JSONField(_("brand colours"), default=list, blank=True)  # ["#1f6feb"]
    logo = models.ForeignKey(
        "creatives.MediaAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logo"),
    )
    product_image = models.ForeignKey(
        "creatives.MediaAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("product image"),
    )
    budget_minor = models.PositiveBigIntegerField(_("budget (minor units)"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # What the product page said when the brief was prefilled from it (data, never instructions).
    page_title = models.CharField(max_length=300, blank=True)
    page_description = models.TextField(max_length=2000, blank=True)
    page_image_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def budget_display(self) -> str:
        """The budget as people read it ("500.00 GBP"), or "" when none is set."""
        if self.budget_minor is None:
            return ""
        return format_amount(self.budget_minor, self.currency)


class AudienceCohort(models.Model):
    """A group of people a campaign speaks to, and how Meta should find them."""

    class Gender(models.IntegerChoices):
        MEN = 1, _("Men")
        WOMEN = 2, _("Women")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("who they are"), max_length=1000, blank=True)
    age_min = models.PositiveSmallIntegerField(_("youngest"), default=18)
    age_max = models.PositiveSmallIntegerField(_("oldest"), default=65)
    genders = models.JSONField(_("genders"), default=list, blank=True)  # [] = everyone
    countries = models.JSONField(_("countries"), default=list)  # ISO codes, at least one
    interests = models.JSONField(_("interests"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="cohort_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.campaign})"

    def targeting_spec(self) -> dict[str, object]:
        """Return Meta's targeting spec for this cohort (raises TargetingError when invalid)."""
        return build_targeting_spec(
            countries=self.countries,
            age_min=self.age_min,
            age_max=self.age_max,
            genders=self.genders,
            interests=self.interests,
        )
