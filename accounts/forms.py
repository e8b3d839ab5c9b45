"""Forms for accounts and workspaces. Validation of shape lives here; rules live in services."""

import re
import unicodedata
from typing import cast

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from accounts.audit import action_filter_choices
from accounts.choices import CURRENCIES, timezone_choices
from accounts.models import WORKSPACE_CONTACT_FIELDS, AuditEvent, Membership, User
from accounts.permissions import ROLE_DESCRIPTIONS, Role


def _clean_text(value: str, *, field: str) -> str:
    value = value.strip()
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in value):
        raise forms.ValidationError(
            _("%(field)s can't contain control or invisible characters."),
            params={"field": field},
        )
    return value


# The terms' minimum age for agreeing to them yourself (templates/privacy/terms.html).
MINIMUM_AGE = 16


class SignupExtraForm(forms.Form):
    """Extra signup fields (allauth ACCOUNT_SIGNUP_FORM_CLASS), with the terms' age gate."""

    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": _("Jane Doe")}),
    )
    old_enough = forms.BooleanField(
        label=_("I am %(age)d or older") % {"age": MINIMUM_AGE},
        error_messages={
            "required": _(
                "ProSocial is for people aged %(age)d and over (or older, where the law sets a "
                "higher age for agreeing to online services yourself), so we can't create an "
                "account for you."
            )
            % {"age": MINIMUM_AGE}
        },
    )

    def clean_contact_name(self) -> str:
        return _clean_text(self.cleaned_data["contact_name"], field=str(_("Your name")))

    def signup(self, request: object, user: User) -> None:
        user.contact_name = self.cleaned_data["contact_name"]
        user.save(update_fields=["contact_name"])


class WorkspaceForm(forms.Form):
    name = forms.CharField(
        label=_("Workspace name"),
        max_length=100,
        help_text=_("Usually your brand or team, e.g. “Acme Marketing”."),
    )
    company_name = forms.CharField(label=_("Company name"), max_length=150, required=False)
    store_name = forms.CharField(label=_("Store name"), max_length=150, required=False)
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=timezone_choices,
        initial="UTC",
        help_text=_("Schedules and reports are shown in this time zone."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="USD")
    requires_publish_approval = forms.BooleanField(
        label=_("Publications need approval"),
        required=False,
        help_text=_("Editors submit; an owner or admin approves or sends back with a comment."),
    )

    def clean_name(self) -> str:
        name = _clean_text(self.cleaned_data["name"], field=str(_("Workspace name")))
        if not name:
            raise forms.ValidationError(_("Give the workspace a name."))
        return name

    def clean_company_name(self) -> str:
        return _clean_text(self.cleaned_data["company_name"], field=str(_("Company name")))

    def clean_store_name(self) -> str:
        return _clean_text(self.cleaned_data["store_name"], field=str(_("Store name")))


# Digits with the usual separators and an optional leading "+"; 6 to 20 digits in all.
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]*$")
PHONE_DIGITS = (6, 20)
CONTACT_FIELDS = WORKSPACE_CONTACT_FIELDS


class WorkspaceSettingsForm(WorkspaceForm):
    """Workspace settings: the creation form's fields plus the business's contact details."""

    contact_email = forms.EmailField(
        label=_("Contact email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("With the country code for callers abroad, e.g. +44 20 7946 0958."),
    )
    website = forms.URLField(
        label=_("Website"),
        max_length=200,
        required=False,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        error_messages={"invalid": _("Enter a web address starting with http:// or https://.")},
        widget=forms.URLInput(attrs={"autocomplete": "url", "placeholder": "https://"}),
    )
    postal_address = forms.CharField(
        label=_("Postal address"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )

    def general_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in CONTACT_FIELDS]

    def contact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CONTACT_FIELDS]

    def clean_website(self) -> str:
        value = self.cleaned_data["website"]
        if value and not value.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(self.fields["website"].error_messages["invalid"])
        return value

    def clean_contact_phone(self) -> str:
        value = _clean_text(self.cleaned_data["contact_phone"], field=str(_("Phone")))
        digits = sum(ch.isdigit() for ch in value)
        if value and (
            not PHONE_PATTERN.match(value) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]
        ):
            raise forms.ValidationError(
                _("Enter a phone number: digits, spaces, ( ) - . / and an optional + first.")
            )
        return value

    def clean_postal_address(self) -> str:
        lines = self.cleaned_data["postal_address"].replace("\r\n", "\n").replace("\r", "\n")
        cleaned = [_clean_text(line, field=str(_("Postal address"))) for line in lines.split("\n")]
        return "\n".join(cleaned).strip()


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": "teammate@company.com"}),
    )
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: object, roles: list[Role], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        role_field = cast(forms.ChoiceField, self.fields["role"])
        role_field.choices = [(r.value, r.label) for r in roles]
        role_field.initial = Role.EDITOR if Role.EDITOR in roles else None
        self.role_help = [(r.label, ROLE_DESCRIPTIONS[r]) for r in roles]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Membership) -> str:  # type: ignore[override]
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class TransferOwnershipForm(forms.Form):
    new_owner = MemberChoiceField(
        label=_("New owner"),
        queryset=Membership.objects.none(),
        empty_label=_("Choose a member"),
    )
    confirm = forms.BooleanField(
        label=_("I understand I will become an admin of this workspace."), required=True
    )

    def __init__(self, *args: object, membership: Membership, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = cast(MemberChoiceField, self.fields["new_owner"])
        field.queryset = (
            Membership.objects.for_workspace(membership.workspace)
            .exclude(pk=membership.pk)
            .select_related("user")
            .order_by("user__email")
        )


class AuditFilterForm(forms.Form):
    actor = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(label=_("What"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, membership: Membership, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        emails = (
            AuditEvent.objects.for_workspace(membership.workspace)
            .exclude(actor_email="")
            .order_by("actor_email")
            .values_list("actor_email", flat=True)
            .distinct()
        )
        cast(forms.ChoiceField, self.fields["actor"]).choices = [
            ("", _("Anyone")),
            *((email, email) for email in emails),
        ]
        cast(forms.ChoiceField, self.fields["action"]).choices = action_filter_choices()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("“From” must be on or before “To”."))
        return data


class ProfileForm(forms.Form):
    contact_name = forms.CharField(label=_("Your name"), max_length=150, required=False)

    def clean_contact_name(self) -> str:
        return _clean_text(self.cleaned_data["contact_name"], field=str(_("Your name")))
