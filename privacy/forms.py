from django import forms
from django.utils.translation import gettext_lazy as _


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Email address"), max_length=254)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Enter your password again to confirm it's you."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my personal data will be erased for good."),
    )


class DeleteWorkspaceForm(forms.Form):
    confirm_name = forms.CharField(label=_("Type the workspace's name to confirm"), max_length=100)


class RetentionForm(forms.Form):
    unused_generated_media_days = forms.IntegerField(
        label=_("Unused AI-generated media"), min_value=1, max_value=3650, help_text=_("days")
    )
    publish_trace_days = forms.IntegerField(
        label=_("Publish traces (Graph calls of each publication)"),
        min_value=1,
        max_value=3650,
        help_text=_("days"),
    )
    webhook_event_days = forms.IntegerField(
        label=_("Meta webhook events"), min_value=1, max_value=3650, help_text=_("days")
    )
    inbox_thread_days = forms.IntegerField(
        label=_("Inbox conversations marked done (after their last message)"),
        min_value=1,
        max_value=3650,
        help_text=_("days"),
    )
    deletion_receipt_years = forms.IntegerField(
        label=_("Deletion receipts"), min_value=1, max_value=10, help_text=_("years")
    )


class DeletionRequestForm(forms.Form):
    """The public deletion request form (anyone; confirmed through an emailed link)."""

    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("The address you sign in to ProSocial with; the confirmation link goes there."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    scope = forms.ChoiceField(
        label=_("What should we delete?"),
        choices=[
            ("account", _("My whole ProSocial account and my personal data")),
            (
                "meta_data",
                _(
                    "Only my Meta-connected data: the Facebook connections I made, with their "
                    "tokens, Pages, Instagram and ad accounts (my ProSocial account stays)"
                ),
            ),
        ],
        initial="account",
        widget=forms.RadioSelect,
    )


class StartErasureForm(forms.Form):
    """Django admin: start an erasure for a request that came by email or the contact form."""

    subject = forms.ChoiceField(
        label=_("Erase"),
        choices=[
            ("account", _("An account, with its personal data (give its email address)")),
            ("meta_data", _("Only an account's Meta-connected data (give its email address)")),
            ("workspace", _("A workspace, with everything in it (give its slug)")),
            ("meta_user", _("Everything tied to a Meta user id (give the app-scoped id)")),
        ],
    )
    identifier = forms.CharField(label=_("Email address, slug or Meta user id"), max_length=254)
    notify_email = forms.EmailField(
        label=_("Email the confirmation to"),
        required=False,
        max_length=254,
        help_text=_(
            "The address the request came from. Empty: the account's own address (accounts) or "
            "the workspace's owners (workspaces); for a Meta user id, nobody is emailed."
        ),
    )
