"""Forms of the AI generation pages: variants to write, script and scene edits, videos, settings."""

import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from creatives.library.models import MediaAsset
from creatives.studio import generation
from creatives.studio.ai.base import MAX_MORE_LIKE
from creatives.studio.errors import GenerationError
from creatives.studio.generation import MAX_VARIANTS_PER_RUN
from creatives.studio.models import ASPECT_CHOICES, AISettings, ScriptVersion

MODEL_NAME = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
    _("A model name is letters, digits, dots, dashes, colons or underscores (e.g. gpt-4.1-mini)."),
)


class VariantsForm(forms.Form):
    variants = forms.TypedChoiceField(
        label=_("Variants"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, MAX_VARIANTS_PER_RUN + 1)],
        initial=3,
    )


class MoreLikeForm(forms.Form):
    """*Make more like this*: how many variants, and how the winner did (the results page posts it).

    Every figure is optional, but at least one is needed; the service checks them again
    (``generation.parse_results``), so a caller that skips this form can't sneak one past.
    """

    variants = forms.TypedChoiceField(
        label=_("Variants"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, MAX_MORE_LIKE + 1)],
        initial=MAX_MORE_LIKE,
        required=False,
    )
    ctr = forms.DecimalField(
        label=_("CTR (%)"),
        min_value=Decimal(0),
        max_value=generation.MAX_PERCENT,
        max_digits=3 + generation.MAX_DECIMALS,
        decimal_places=generation.MAX_DECIMALS,
        required=False,
    )
    cost_per_result = forms.DecimalField(
        label=_("Cost per result"),
        min_value=Decimal(0),
        max_value=generation.MAX_COST,
        max_digits=7 + generation.MAX_DECIMALS,
        decimal_places=generation.MAX_DECIMALS,
        required=False,
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        validators=[RegexValidator(r"^[A-Za-z]{3}$", _("A three-letter code, such as USD."))],
    )
    reach = forms.IntegerField(
        label=_("Reach"), min_value=0, max_value=generation.MAX_REACH, required=False
    )
    engagement_rate = forms.DecimalField(
        label=_("Engagement rate (%)"),
        min_value=Decimal(0),
        max_value=generation.MAX_PERCENT,
        max_digits=3 + generation.MAX_DECIMALS,
        decimal_places=generation.MAX_DECIMALS,
        required=False,
    )
    range = forms.CharField(label=_("Period"), max_length=23, required=False)

    def clean_variants(self) -> int:
        return int(self.cleaned_data.get("variants") or MAX_MORE_LIKE)

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency") or "").upper()

    def clean_range(self) -> str:
        try:
            return generation.parse_period(str(self.cleaned_data.get("range") or "").strip())
        except GenerationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and all(data.get(name) is None for name in generation.RESULT_METRICS):
            raise forms.ValidationError(
                _("Give at least one result: CTR, cost per result, reach or engagement rate.")
            )
        return data

    def results(self) -> dict[str, Any]:
        """Return the figures given, as ``generation.generate_more_like`` takes them."""
        return {
            name: self.cleaned_data[name]
            for name in generation.RESULT_KEYS
            if self.cleaned_data.get(name) not in (None, "")
        }


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class ScriptEditForm(forms.Form):
    hook = forms.CharField(
        label=_("Hook"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(
        label=_("Body"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    cta = forms.CharField(
        label=_("Call to action"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    voiceover = forms.CharField(
        label=_("Voice-over"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    on_screen_text = forms.CharField(
        label=_("On-screen text"),
        max_length=1200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per title card."),
    )
    caption = forms.CharField(
        label=_("Caption"), max_length=2200, widget=forms.Textarea(attrs={"rows": 4})
    )
    hashtags = forms.CharField(
        label=_("Hashtags"),
        max_length=500,
        required=False,
        help_text=_("Separated by spaces, e.g. #coffee #spring."),
    )

    @classmethod
    def initial_from(cls, version: ScriptVersion | None) -> dict[str, Any]:
        if version is None:
            return {}
        return {
            "hook": version.hook,
            "body": version.body,
            "cta": version.cta,
            "voiceover": version.voiceover,
            "on_screen_text": "\n".join(version.on_screen_text),
            "caption": version.caption,
            "hashtags": " ".join(version.hashtags),
        }

    def clean_on_screen_text(self) -> list[str]:
        lines = _lines(self.cleaned_data["on_screen_text"])
        if any(len(line) > 200 for line in lines):
            raise forms.ValidationError(_("Keep each on-screen line under 200 characters."))
        return lines

    def clean_hashtags(self) -> list[str]:
        tags = []
        for word in self.cleaned_data["hashtags"].replace(",", " ").split():
            tag = "#" + word.lstrip("#")
            if not re.fullmatch(r"#\w{1,99}", tag):
                raise forms.ValidationError(
                    _("“%(tag)s” isn't a hashtag: letters, digits and _ only.") % {"tag": word}
                )
            tags.append(tag)
        if len(tags) > 30:
            raise forms.ValidationError(_("Instagram allows at most 30 hashtags."))
        return tags


class SceneForm(forms.Form):
    duration_s = forms.FloatField(
        label=_("Seconds"),
        min_value=1.5,
        max_value=15,
        widget=forms.NumberInput(attrs={"step": 0.5}),
    )
    visual = forms.CharField(
        label=_("What we see"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    on_screen_text = forms.CharField(label=_("On-screen text"), max_length=200, required=False)
    voiceover_line = forms.CharField(
        label=_("Voice-over line"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VideoForm(forms.Form):
    aspects = forms.MultipleChoiceField(
        label=_("Aspect ratios"),
        choices=ASPECT_CHOICES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        initial=["9:16"],
        error_messages={"required": _("Pick at least one aspect ratio.")},
    )
    music = forms.ModelChoiceField(
        label=_("Music"),
        queryset=MediaAsset.objects.none(),
        required=False,
        empty_label=_("No music"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        help_text=_("An audio file from the media library; it is lowered under the voice."),
    )
    voiceover = forms.BooleanField(
        label=_("Voice-over"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=_("Needs a provider with a voice (OpenAI); captions are always burned in."),
    )

    def __init__(self, *args: Any, music: QuerySet[MediaAsset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["music"]).queryset = music  # type: ignore[type-arg]


class AISettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = AISettings
        fields = [
            "provider",
            "text_model",
            "image_model",
            "speech_model",
            "voice",
            "monthly_cap_usd",
        ]
        widgets = {"provider": forms.RadioSelect}
        help_texts = {
            "text_model": _("Empty: the server's default."),
            "image_model": _("Empty: the server's default."),
            "speech_model": _("Empty: the server's default."),
            "monthly_cap_usd": _("Empty: the server's default. AI calls stop once it is reached."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("text_model", "image_model", "speech_model"):
            self.fields[name].validators.append(MODEL_NAME)
        self.fields["voice"].validators.append(
            RegexValidator(r"^[a-z]{2,32}$", _("A voice is a lowercase name, e.g. alloy."))
        )
        self.fields["monthly_cap_usd"].validators += [
            MinValueValidator(Decimal(0)),
            MaxValueValidator(Decimal(100_000)),
        ]
