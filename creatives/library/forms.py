from django import forms
from django.utils.translation import gettext_lazy as _

from creatives.library.media.specs import PLACEMENTS
from creatives.library.models import MediaAsset


def _placement_choices() -> list[tuple[str, str]]:
    return [(key, str(spec.label)) for key, spec in PLACEMENTS.items()]


class LibraryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *MediaAsset.Kind.choices], required=False
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[("", _("All sources")), *MediaAsset.Source.choices],
        required=False,
    )
    placement = forms.ChoiceField(
        label=_("Fits"),
        choices=lambda: [("", _("Any placement")), *_placement_choices()],
        required=False,
    )


class TranscodeForm(forms.Form):
    placement = forms.ChoiceField(choices=_placement_choices)
    fill = forms.ChoiceField(
        choices=[("blur", _("Pad with a blurred background")), ("crop", _("Crop to fill"))],
        initial="blur",
    )
