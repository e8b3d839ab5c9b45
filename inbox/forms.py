"""The inbox's forms: the list's filter bar, assigning a thread and writing a note."""

from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from inbox import selectors
from inbox.actions import NOTE_MAX_LENGTH
from inbox.models import Channel, Thread


class InboxFilterForm(forms.Form):
    """The list's query string. Reading it costs no query; ``with_choices`` fills the selects.

    The account and assignee fields accept any well-formed value (an account removed since,
    a member who left) so a bookmarked filter keeps working; the selects list what exists.
    """

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Name, @username or words")}),
    )
    account = forms.CharField(
        label=_("Account"),
        required=False,
        validators=[RegexValidator(r"^(facebook|instagram):[0-9A-Za-z_]{1,64}$")],
        widget=forms.Select(),
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (selectors.STATUS_OPEN, _("Open")),
            (selectors.STATUS_DONE, _("Done")),
            (selectors.STATUS_ALL, _("Open and done")),
        ],
    )
    assignee = forms.CharField(
        label=_("Assignee"),
        required=False,
        validators=[RegexValidator(r"^(me|none|[0-9]{1,12})$")],
        widget=forms.Select(),
    )
    unread = forms.BooleanField(label=_("Unread only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel = cast(forms.ChoiceField, self.fields["channel"])
        kind = cast(forms.ChoiceField, self.fields["kind"])
        channel.choices = [("", _("Any channel")), *Channel.choices]
        kind.choices = [
            ("", _("Any kind")),
            (Thread.Kind.COMMENT, _("Comments")),
            (Thread.Kind.DM, _("Direct messages")),
            (Thread.Kind.MENTION, _("Mentions")),
        ]

    def with_choices(self, *, accounts: list[tuple[str, str]], members: list[User]) -> None:
        """Fill the account and assignee selects (what the list page renders)."""
        self.fields["account"].widget.choices = [("", _("Any account")), *accounts]  # type: ignore[attr-defined]
        self.fields["assignee"].widget.choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            (selectors.ASSIGNEE_ME, _("Me")),
            (selectors.ASSIGNEE_NOBODY, _("Nobody")),
            *[(str(user.pk), user.display_name) for user in members],
        ]

    def filters(self) -> selectors.InboxFilters:
        """Return the valid filters (an invalid field counts as not given)."""
        if not self.is_bound:
            return selectors.InboxFilters()
        self.is_valid()  # cleaned_data keeps the fields that passed, whatever the others did
        data = self.cleaned_data
        return selectors.InboxFilters(
            account=data.get("account") or "",
            channel=data.get("channel") or "",
            kind=data.get("kind") or "",
            status=data.get("status") or selectors.STATUS_OPEN,
            assignee=data.get("assignee") or "",
            unread=bool(data.get("unread")),
            q=(data.get("q") or "").strip(),
        )


class AssignForm(forms.Form):
    """``assignee``: a user's pk, or empty for nobody. Membership is the service's to check."""

    assignee = forms.IntegerField(label=_("Assignee"), required=False, min_value=1)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Add a note"),
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your team sees notes; they are never sent to the customer."),
        error_messages={"required": _("Write something in the note first.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: the reply box on the same page has a "text" field too.
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)
