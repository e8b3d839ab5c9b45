"""Forms of the reply box, the approval decision and saved replies.

They check shape only (a known kind, a number for the image, lengths that keep requests
small); Meta's rules are ``inbox.replies``' and come back as ``ReplyRejected`` on the form.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.models import Reply
from inbox.saved_replies import TEXT_MAX, TITLE_MAX

# Far above every Meta limit (8,000 characters): longer input is refused before any check.
TEXT_HARD_MAX = 20000


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Reply.Kind.choices,
        error_messages={
            "invalid_choice": _("Choose how to reply."),
            "required": _("Choose how to reply."),
        },
    )
    text = forms.CharField(
        label=_("Your reply"),
        required=False,
        strip=False,
        max_length=TEXT_HARD_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    image = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("Choose an image from this workspace's media library."),
            "min_value": _("Choose an image from this workspace's media library."),
        },
    )
    # The AI suggestion the box was filled with (set by the suggestions panel): sent unchanged,
    # the reply counts as automated.
    suggestion = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("What should change"), max_length=500, required=False)


class ResubmitForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"), required=False, strip=False, max_length=TEXT_HARD_MAX
    )


class SavedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    text = forms.CharField(
        label=_("Text"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("{first_name} and {name} become the customer's name (“there” when unknown)."),
    )
