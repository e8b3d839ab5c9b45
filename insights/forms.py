"""The results pages' range picker: a preset (the last 7, 28, 90 or 365 days) or two dates."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from insights.reports import Period

PRESETS = {"last_7d": 7, "last_28d": 28, "last_90d": 90, "last_365d": 365}
DEFAULT_PRESET = "last_28d"
CUSTOM = "custom"
# Results are kept two years (docs/results.md): a range can't reach further back.
MAX_DAYS_BACK = 731


class RangeForm(forms.Form):
    range = forms.ChoiceField(
        label=_("Range"),
        choices=[
            ("last_7d", _("Last 7 days")),
            ("last_28d", _("Last 28 days")),
            ("last_90d", _("Last 90 days")),
            ("last_365d", _("Last 365 days")),
            (CUSTOM, _("Dates…")),
        ],
        required=False,
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: Any = None, *, today: date) -> None:
        super().__init__(data)
        self.today = today
        oldest = today - timedelta(days=MAX_DAYS_BACK)
        for name in ("since", "until"):
            self.fields[name].widget.attrs.update(min=oldest.isoformat(), max=today.isoformat())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        preset = data.get("range") or ""
        since, until = data.get("since"), data.get("until")
        if preset != CUSTOM and not (preset == "" and (since or until)):
            return data
        if since is None or until is None:
            raise forms.ValidationError(_("Give both dates, or choose a preset range."))
        if since > until:
            raise forms.ValidationError(_("The first date must not be after the second."))
        if until > self.today:
            raise forms.ValidationError(_("The range can't end after today."))
        if since < self.today - timedelta(days=MAX_DAYS_BACK):
            raise forms.ValidationError(
                _("Results are kept two years: choose a range from %(day)s on.")
                % {"day": (self.today - timedelta(days=MAX_DAYS_BACK)).isoformat()}
            )
        return data

    def period(self) -> Period:
        """Return the chosen period (the default one when the form is unbound or invalid)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        preset = data.get("range") or ""
        if data.get("since") and data.get("until") and preset in (CUSTOM, ""):
            return Period(data["since"], data["until"], CUSTOM)
        preset = preset if preset in PRESETS else DEFAULT_PRESET
        return Period(self.today - timedelta(days=PRESETS[preset] - 1), self.today, preset)

    def query(self) -> str:
        """Return the chosen period as a query string, for links that keep it."""
        period = self.period()
        if period.preset == CUSTOM:
            return (
                f"range={CUSTOM}&since={period.since.isoformat()}&until={period.until.isoformat()}"
            )
        return f"range={period.preset}"
