"""Forms of the editor's plain pages (the editor itself posts JSON: see views.py)."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from creatives.editor.models import RATIO_CHOICES
from creatives.library.models import MediaAsset

# The newest files offered when starting a project (more can be added in the editor).
NEW_PROJECT_FILES = 60


def footage_for(membership: Membership) -> QuerySet[MediaAsset]:
    """Return the workspace's ready videos and images, newest first (what a project starts from)."""
    return MediaAsset.objects.for_workspace(membership.workspace).filter(
        status=MediaAsset.Status.READY,
        kind__in=[MediaAsset.Kind.VIDEO, MediaAsset.Kind.IMAGE],
    )


class NewProjectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    ratios = forms.MultipleChoiceField(
        label=_("Render for"),
        choices=RATIO_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["9:16", "1:1"],
        error_messages={"required": _("Choose at least one aspect ratio.")},
    )
    assets = forms.ModelMultipleChoiceField(
        label=_("Footage"),
        queryset=MediaAsset.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The clips start in the order shown; rearrange them in the editor."),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        footage = footage_for(membership)
        self.fields["assets"].queryset = footage  # type: ignore[attr-defined]
        self.choices_shown = list(footage[:NEW_PROJECT_FILES])

    def clean_assets(self) -> list[MediaAsset]:
        chosen = self.cleaned_data.get("assets") or []
        # Keep the order the files are listed in (newest first), not the database's.
        order = {asset.pk: i for i, asset in enumerate(self.choices_shown)}
        return sorted(chosen, key=lambda asset: (order.get(asset.pk, len(order)), asset.pk))


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)


class TemplateForm(forms.Form):
    name = forms.CharField(
        label=_("Template name"),
        max_length=120,
        help_text=_("Saves the texts, caption style, end card, logo and music of this edit."),
    )
