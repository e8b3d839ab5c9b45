import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import CURRENCIES
from campaigns.meta_vocabulary import CallToAction, Objective
from campaigns.models import AudienceCohort, Campaign, Tone
from campaigns.targeting import MAX_AGE, MIN_AGE, unknown_country_problem
from creatives.library.models import MediaAsset
from prosocial.money import currency_decimals, to_major_units, to_minor_units

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_BRAND_COLOURS = 6
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("de", _("German")), ("fr", _("French"))]


def _decimals(amount: Decimal) -> int:
    """How many decimals ``amount`` was written with (12.50 → 2, 12 → 0)."""
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", value or "") if part.strip()]


class BrandColoursInput(forms.TextInput):
    """Brand colours as hex text, with a colour picker per colour and one to add a colour.

    ``static/js/colour.js`` keeps the text and the ``<input type="color">`` pickers in sync.
    The text stays the value the server reads, so the field works without JavaScript too.
    """

    template_name = "campaigns/widgets/brand_colours.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        text = ", ".join(value) if isinstance(value, list | tuple) else str(value or "")
        parts = _split(text)
        context["widget"]["swatches"] = [
            (index + 1, part.lower()) for index, part in enumerate(parts) if HEX_COLOUR.match(part)
        ]
        context["widget"]["can_add"] = len(parts) < MAX_BRAND_COLOURS
        context["widget"]["max_colours"] = MAX_BRAND_COLOURS
        return context


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=150)
    product_name = forms.CharField(label=_("Product"), max_length=150)
    product_url = forms.URLField(label=_("Product URL"), max_length=2000, required=False)
    objective = forms.ChoiceField(label=_("Objective"), choices=Objective.choices)
    key_message = forms.CharField(
        label=_("Key message"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    offer = forms.CharField(label=_("Offer"), max_length=300, required=False)
    tone = forms.ChoiceField(label=_("Tone"), choices=Tone.choices)
    call_to_action = forms.ChoiceField(label=_("Call to action"), choices=CallToAction.choices)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        initial=["en"],
        help_text=_("Scripts are written in an audience's language, else the first one ticked."),
    )
    brand_colors = forms.CharField(
        label=_("Brand colours"),
        required=False,
        help_text=_("Hex codes separated by commas, e.g. #1F6FEB, #FFB000, or pick them."),
        widget=BrandColoursInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    logo = forms.ModelChoiceField(
        label=_("Logo"), queryset=MediaAsset.objects.none(), required=False
    )
    product_image = forms.ModelChoiceField(
        label=_("Product image"),
        queryset=MediaAsset.objects.none(),
        required=False,
        help_text=_("Shown in the designed scene pictures. Filled in from the product page."),
    )
    budget = forms.DecimalField(
        label=_("Budget"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, required=False)
    starts_on = forms.DateField(
        label=_("Starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, logos: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if logos is not None:
            self.fields["logo"].queryset = logos  # type: ignore[attr-defined]
            self.fields["product_image"].queryset = logos  # type: ignore[attr-defined]

    def clean_brand_colors(self) -> list[str]:
        colours = _split(self.cleaned_data["brand_colors"])
        bad = [c for c in colours if not HEX_COLOUR.match(c)]
        if bad:
            raise forms.ValidationError(
                _("Not a colour: %(bad)s. Use #RRGGBB.") % {"bad": ", ".join(bad)}
            )
        if len(colours) > MAX_BRAND_COLOURS:
            raise forms.ValidationError(
                _("At most %(max)d brand colours; remove %(extra)d.")
                % {"max": MAX_BRAND_COLOURS, "extra": len(colours) - MAX_BRAND_COLOURS}
            )
        return [c.upper() for c in colours]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The campaign ends before it starts."))
        budget, currency = data.get("budget"), str(data.get("currency") or "")
        if budget is not None and not currency:
            self.add_error("currency", _("Say which currency the budget is in."))
        elif budget is not None and _decimals(budget) > currency_decimals(currency):
            self.add_error(
                "budget",
                _("%(currency)s amounts have no cents; use a whole number.")
                % {"currency": currency},
            )
        return data

    def to_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        budget = data.pop("budget", None)
        currency = data.get("currency") or ""
        data["budget_minor"] = to_minor_units(budget, currency) if budget is not None else None
        return data

    @staticmethod
    def initial_from(campaign: Campaign) -> dict[str, Any]:
        return {
            **{
                name: getattr(campaign, name)
                for name in (
                    "name",
                    "product_name",
                    "product_url",
                    "objective",
                    "key_message",
                    "offer",
                    "tone",
                    "call_to_action",
                    "languages",
                    "logo",
                    "product_image",
                    "currency",
                    "starts_on",
                    "ends_on",
                )
            },
            "brand_colors": ", ".join(campaign.brand_colors),
            "budget": to_major_units(campaign.budget_minor, campaign.currency)
            if campaign.budget_minor is not None
            else None,
        }


class PrefillForm(forms.Form):
    prefix = "prefill"  # the brief form on the same page has its own product_url
    product_url = forms.URLField(label=_("Product URL"), max_length=2000)


class CohortForm(forms.Form):
    name = forms.CharField(label=_("Cohort name"), max_length=100)
    description = forms.CharField(
        label=_("Who they are"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    age_min = forms.IntegerField(
        label=_("Youngest"), min_value=MIN_AGE, max_value=MAX_AGE, initial=18
    )
    age_max = forms.IntegerField(
        label=_("Oldest"), min_value=MIN_AGE, max_value=MAX_AGE, initial=65
    )
    genders = forms.TypedMultipleChoiceField(
        label=_("Genders"),
        choices=[(1, _("Men")), (2, _("Women"))],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none for everyone."),
    )
    countries = forms.CharField(
        label=_("Countries"), help_text=_("Two-letter codes separated by commas, e.g. US, CA")
    )
    interests = forms.CharField(
        label=_("Interests"), required=False, help_text=_("Comma-separated, e.g. coffee, hiking")
    )

    def clean_countries(self) -> list[str]:
        codes = [c.upper() for c in _split(self.cleaned_data["countries"])]
        if not codes:
            raise forms.ValidationError(_("Choose at least one country."))
        if problem := unknown_country_problem(codes):
            raise forms.ValidationError(problem)
        return list(dict.fromkeys(codes))

    def clean_interests(self) -> list[str]:
        return _split(self.cleaned_data["interests"])[:25]

    @staticmethod
    def initial_from(cohort: AudienceCohort) -> dict[str, Any]:
        return {
            "name": cohort.name,
            "description": cohort.description,
            "age_min": cohort.age_min,
            "age_max": cohort.age_max,
            "genders": cohort.genders,
            "countries": ", ".join(cohort.countries),
            "interests": ", ".join(cohort.interests),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("age_min") and data.get("age_max") and data["age_min"] > data["age_max"]:
            self.add_error("age_max", _("The oldest age must not be below the youngest."))
        return data
