from django import forms
from django.utils.translation import gettext_lazy as _

from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage


class AssetSelectionForm(forms.Form):
    """Which of a connection's assets the workspace uses (only available ones can be ticked)."""

    pages = forms.ModelMultipleChoiceField(
        queryset=MetaPage.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    instagram_accounts = forms.ModelMultipleChoiceField(
        queryset=InstagramAccount.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    ad_accounts = forms.ModelMultipleChoiceField(
        queryset=MetaAdAccount.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, connection: MetaConnection, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, model in (
            ("pages", MetaPage),
            ("instagram_accounts", InstagramAccount),
            ("ad_accounts", MetaAdAccount),
        ):
            field = self.fields[name]
            field.queryset = model.objects.filter(connection=connection, is_available=True)  # type: ignore[attr-defined]
            field.error_messages["invalid_choice"] = _(
                "One of the chosen assets isn't available on this connection any more."
            )
