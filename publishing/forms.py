"""Forms for the publishing pages: the publication editor, scheduling and review.

Times are typed in the workspace's time zone and come out as aware datetimes (stored in UTC);
budgets are typed in major units and come out in the ad account currency's minor units.
"""

import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from campaigns.meta_vocabulary import (
    AD_OBJECTIVE_CHOICES,
    NO_SPECIAL_AD_CATEGORY,
    CallToAction,
    SpecialAdCategory,
)
from campaigns.targeting import unknown_country_problem
from creatives.library.models import MediaAsset
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from prosocial import safe_http
from prosocial.money import currency_decimals, to_major_units, to_minor_units
from publishing import promotion, selectors
from publishing.models import (
    EDITABLE_FIELDS,
    Publication,
    Target,
)
from publishing.targeting import MAX_AGE, MIN_AGE
from publishing.targets import (
    ACCOUNT_PROMPTS,
    FACEBOOK_TARGETS,
    INSTAGRAM_TARGETS,
    MAX_ITEMS,
    TARGETS,
    TargetSpec,
    caption_limits,
    caption_problems,
    item_problems,
    link_problems,
    target_spec,
)

PLACEMENT_CHOICES = [
    ("facebook:feed", _("Facebook feed")),
    ("facebook:story", _("Facebook stories")),
    ("facebook:facebook_reels", _("Facebook reels")),
    ("instagram:stream", _("Instagram feed")),
    ("instagram:story", _("Instagram stories")),
    ("instagram:reels", _("Instagram reels")),
]
CAPTION_COUNTER_ID = "caption-counter"  # the template's live count, read by screen readers
GENDER_CHOICES = [("", _("Everyone")), ("1", _("Men")), ("2", _("Women"))]
# Inputs no target requires (the rest are required by the targets that use them).
OPTIONAL_INPUTS = frozenset(
    {"caption", "cta_type", "cover_asset", "thumb_offset_ms", "genders", "placements"}
    | {"also_target"}
    | {"ad_starts_at", "ad_ends_at", "scheduled_at"}
)


def _targets_where(test: Callable[[TargetSpec], bool]) -> str:
    """Space-separated targets whose spec passes ``test`` (the template's ``data-targets``)."""
    return " ".join(key for key, spec in TARGETS.items() if test(spec))


# Which targets each group of inputs is shown for (publishing.js hides the others).
SHOWN_FOR = {
    "page": _targets_where(lambda s: "page" in s.accounts),
    "instagram_account": _targets_where(lambda s: "instagram_account" in s.accounts),
    "ad_account": _targets_where(lambda s: "ad_account" in s.accounts),
    "more_items": _targets_where(lambda s: s.max_items > 1),
    "cover": _targets_where(lambda s: s.takes_cover),
    "link": _targets_where(lambda s: s.takes_link or s.takes_cta),
    # Files and text: every target but a promoted post (the post carries its own).
    "content": _targets_where(lambda s: s.max_items > 0),
    "promoted": Target.META_AD_PROMOTE.value,
}


# "Also post to": a Facebook target goes with an Instagram one and the other way round (ads
# are made apart). The second publication shares the text and files (``sibling_group``).
ALSO_TARGET_CHOICES = [
    ("", _("Nowhere else")),
    *[(key, label) for key, label in Target.choices if key in FACEBOOK_TARGETS | INSTAGRAM_TARGETS],
]


def other_network(target: str, also: str) -> bool:
    """Return whether ``also`` is on the other network than ``target`` (Facebook/Instagram)."""
    return (target in FACEBOOK_TARGETS and also in INSTAGRAM_TARGETS) or (
        target in INSTAGRAM_TARGETS and also in FACEBOOK_TARGETS
    )


class ZonedDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown in ``zone`` (the workspace's time zone)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    zone: tzinfo = ZoneInfo("UTC")

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(self.zone):
            return cast(datetime | None, super().to_python(value))

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(self.zone):
            return super().prepare_value(value)


class AssetChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: MediaAsset) -> str:  # type: ignore[override]
        shape = f" · {obj.width}\u00d7{obj.height}" if obj.width and obj.height else ""
        copy = f" · copy for {obj.placement_key}" if obj.parent_id else ""
        return f"{obj.original_filename} ({obj.get_kind_display().lower()}{shape}{copy})"


class PromotedChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Publication) -> str:  # type: ignore[override]
        when = f" · {obj.published_at:%b %d, %Y}" if obj.published_at else ""
        account = obj.instagram_label if obj.target in INSTAGRAM_TARGETS else obj.page_label
        return f"{obj.title} ({obj.get_target_display()} · {account}{when})"


class PublicationForm(forms.Form):
    """Every input of a publication; ``clean`` knows which ones each target needs."""

    title = forms.CharField(label=_("Name"), max_length=200, help_text=_("For you; not published."))
    target = forms.ChoiceField(label=_("Where"), choices=Target.choices)
    also_target = forms.ChoiceField(
        label=_("Also post to"),
        choices=ALSO_TARGET_CHOICES,
        required=False,
        help_text=_(
            "Makes a second, linked publication with the same text and files on the other "
            "network (Facebook or Instagram), with its own account and checks. Each publishes "
            "on its own: one failing doesn't stop the other."
        ),
    )
    page = forms.ModelChoiceField(
        label=_("Facebook Page"), queryset=MetaPage.objects.none(), required=False
    )
    instagram_account = forms.ModelChoiceField(
        label=_("Instagram account"), queryset=InstagramAccount.objects.none(), required=False
    )
    ad_account = forms.ModelChoiceField(
        label=_("Ad account"), queryset=MetaAdAccount.objects.none(), required=False
    )
    # No max_length: the browser would cut a pasted message at it without a word (issue #13,
    # bug 13). ``clean`` refuses what is over the chosen target's limit, saying by how much.
    caption = forms.CharField(
        label=_("Caption / message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Facebook takes up to 5,000 characters; Instagram 2,200, with at most 30 hashtags "
            "and 20 @-mentions."
        ),
    )
    link_url = forms.URLField(
        label=_("Link / product URL"), max_length=2000, required=False, assume_scheme="https"
    )
    cta_type = forms.ChoiceField(
        label=_("Call to action"),
        choices=[("", _("No button")), *CallToAction.choices],
        required=False,
    )
    cover_asset = AssetChoiceField(
        label=_("Reel cover image"),
        queryset=MediaAsset.objects.none(),
        required=False,
        empty_label=_("Use a frame of the video"),
        help_text=_("A JPEG of at most 8 MB."),
    )
    thumb_offset_ms = forms.IntegerField(
        label=_("Cover frame (milliseconds into the video)"), min_value=0, initial=0, required=False
    )
    promoted = PromotedChoiceField(
        label=_("Post to promote"),
        queryset=Publication.objects.none(),
        required=False,
        empty_label=_("Choose a published post"),
        help_text=_(
            "Published Facebook and Instagram posts of this workspace. The ad runs as the "
            "account that published it."
        ),
    )
    # Ads.
    objective = forms.ChoiceField(
        label=_("Objective"),
        choices=[("", "—"), *AD_OBJECTIVE_CHOICES],
        required=False,
    )
    budget_type = forms.ChoiceField(
        label=_("Budget"),
        choices=Publication.BudgetType.choices,
        initial=Publication.BudgetType.DAILY,
        required=False,
    )
    budget = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("In the ad account's currency."),
    )
    special_ad_categories = forms.MultipleChoiceField(
        label=_("Special ad categories"),
        choices=[(NO_SPECIAL_AD_CATEGORY, _("None of these")), *SpecialAdCategory.choices],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Meta requires a declaration: tick “None of these” or every one that applies."),
    )
    countries = forms.CharField(
        label=_("Countries"),
        max_length=500,
        required=False,
        help_text=_("Two-letter codes separated by commas, e.g. US, CA, GB."),
    )
    age_min = forms.IntegerField(
        label=_("Youngest"), min_value=MIN_AGE, max_value=MAX_AGE, initial=18, required=False
    )
    age_max = forms.IntegerField(
        label=_("Oldest"),
        min_value=MIN_AGE,
        max_value=MAX_AGE,
        initial=MAX_AGE,
        required=False,
        help_text=_("65 means 65 and older."),
    )
    genders = forms.ChoiceField(label=_("Gender"), choices=GENDER_CHOICES, required=False)
    placements = forms.MultipleChoiceField(
        label=_("Placements"),
        choices=PLACEMENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick none for automatic placements (Meta chooses)."),
    )
    ad_starts_at = ZonedDateTimeField(label=_("Starts"), required=False)
    ad_ends_at = ZonedDateTimeField(label=_("Ends"), required=False)
    ad_active = forms.BooleanField(
        label=_("Start delivering at once"),
        required=False,
        help_text=_("Off: the ad is created paused and you start it in Ads Manager."),
    )
    scheduled_at = ZonedDateTimeField(label=_("Publish at"), required=False)

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        publication: Publication | None = None,
        items: list[MediaAsset] | None = None,
        **kwargs: Any,
    ) -> None:
        if publication is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(publication, items or [])
        super().__init__(*args, **kwargs)
        if publication is not None:
            del self.fields["also_target"]  # chosen when the draft is made, not later
        self.zone = selectors.workspace_zone(membership)
        self.shown_for = SHOWN_FOR
        self.target_help = [(key, spec.help) for key, spec in TARGETS.items()]
        media = selectors.list_media_for_publishing(membership)
        for position in range(1, MAX_ITEMS + 1):
            self.fields[f"item_{position}"] = AssetChoiceField(
                label=_("File %(n)s") % {"n": position} if position > 1 else _("Media file"),
                queryset=media,
                required=False,
                empty_label=_("— none —") if position > 1 else _("Choose a file"),
            )
        cast(forms.ModelChoiceField, self.fields["page"]).queryset = (  # type: ignore[type-arg]
            selectors.list_pages_for_publishing(membership)
        )
        cast(forms.ModelChoiceField, self.fields["instagram_account"]).queryset = (  # type: ignore[type-arg]
            selectors.list_instagram_accounts_for_publishing(membership)
        )
        cast(forms.ModelChoiceField, self.fields["ad_account"]).queryset = (  # type: ignore[type-arg]
            selectors.list_ad_accounts_for_publishing(membership)
        )
        cast(AssetChoiceField, self.fields["cover_asset"]).queryset = media.filter(
            kind=MediaAsset.Kind.IMAGE
        )
        promotable = selectors.list_promotable_for_member(membership)
        cast(PromotedChoiceField, self.fields["promoted"]).queryset = promotable
        if publication is None and not self.is_bound:
            # One selected Page / Instagram account / ad account: that is the one meant.
            for name in ("page", "instagram_account", "ad_account"):
                account_field = cast(forms.ModelChoiceField, self.fields[name])  # type: ignore[type-arg]
                queryset = account_field.queryset
                choices = list(queryset[:2]) if queryset is not None else []
                if len(choices) == 1:
                    self.initial.setdefault(name, choices[0].pk)
        # The live counter (publishing.js) counts against the chosen target's limits.
        self.fields["caption"].widget.attrs.update(
            {
                "data-limits": json.dumps(caption_limits()),
                "aria-describedby": f"id_caption_helptext {CAPTION_COUNTER_ID}",
            }
        )
        self._name_budget_currency()
        for name in ("ad_starts_at", "ad_ends_at", "scheduled_at"):
            field = cast(ZonedDateTimeField, self.fields[name])
            field.zone = self.zone
            field.help_text = _("In the workspace's time zone (%(zone)s).") % {"zone": self.zone}
        for name, input_field in self.fields.items():
            input_field.template_name = "publishing/_field.html"  # type: ignore[attr-defined]
            input_field.optional_hint = name in OPTIONAL_INPUTS or (  # type: ignore[attr-defined]
                name.startswith("item_") and name != "item_1"
            )
        self.fields["scheduled_at"].help_text = _(
            "Optional, in %(zone)s. Empty: publish when you press Publish."
        ) % {"zone": self.zone}

    def _name_budget_currency(self) -> None:
        """Name the ad account's currency beside the budget (publishing.js follows a change)."""
        queryset = cast(forms.ModelChoiceField, self.fields["ad_account"]).queryset  # type: ignore[type-arg]
        currencies = {
            str(pk): currency or "USD"
            for pk, currency in (queryset.values_list("pk", "currency") if queryset else [])
        }
        value = self["ad_account"].value()  # a pk, or the account itself when editing
        chosen = str(getattr(value, "pk", value) or "")
        currency = currencies.get(chosen) or (
            next(iter(currencies.values())) if len(currencies) == 1 else ""
        )
        budget = self.fields["budget"]
        budget.widget.attrs["data-currencies"] = json.dumps(currencies)
        budget.help_text = (
            _("In %(currency)s, the ad account's currency.") % {"currency": currency}
            if currency
            else _("In the ad account's currency.")
        )

    @staticmethod
    def initial_from(publication: Publication, items: list[MediaAsset]) -> dict[str, Any]:
        targeting = publication.targeting or {}
        currency = publication.ad_account.currency if publication.ad_account else "USD"
        # Every editable field as it is, except the two this form shows in other units.
        initial: dict[str, Any] = {
            name: getattr(publication, name)
            for name in EDITABLE_FIELDS
            if name not in ("budget_minor", "targeting")
        }
        initial.update(
            budget=(
                to_major_units(publication.budget_minor, currency)
                if publication.budget_minor
                else None
            ),
            **PublicationForm.initial_from_targeting(targeting),
        )
        for position, asset in enumerate(items, start=1):
            initial[f"item_{position}"] = asset
        return initial

    @staticmethod
    def initial_from_targeting(targeting: dict[str, Any]) -> dict[str, Any]:
        """Return the audience inputs for a stored ``targeting`` (``publishing.targeting``)."""
        genders = targeting.get("genders") or []
        return {
            "countries": ", ".join(targeting.get("countries") or []),
            "age_min": targeting.get("age_min", 18),
            "age_max": targeting.get("age_max", MAX_AGE),
            # One gender is a choice; both (or none) is everyone.
            "genders": str(genders[0]) if len(genders) == 1 else "",
        }

    # --- validation ----------------------------------------------------------------------------

    def clean_caption(self) -> str:
        # Browsers send a textarea's line breaks as CRLF; count and store each as one
        # character, as the live counter (publishing.js) and Meta count them.
        return str(self.cleaned_data.get("caption") or "").replace("\r\n", "\n")

    def clean_countries(self) -> list[str]:
        raw = self.cleaned_data.get("countries") or ""
        codes = [code.strip().upper() for code in raw.replace(";", ",").split(",") if code.strip()]
        if problem := unknown_country_problem(codes):
            raise forms.ValidationError(problem)
        return list(dict.fromkeys(codes))

    def clean_special_ad_categories(self) -> list[str]:
        chosen: list[str] = self.cleaned_data.get("special_ad_categories") or []
        if NO_SPECIAL_AD_CATEGORY in chosen and len(chosen) > 1:
            raise forms.ValidationError(
                _("Tick “None of these” or the categories that apply, not both.")
            )
        return chosen

    def items(self) -> list[MediaAsset]:
        """Return the chosen files in order, skipping empty slots."""
        data = getattr(self, "cleaned_data", {})
        chosen = [data.get(f"item_{n}") for n in range(1, MAX_ITEMS + 1)]
        return [asset for asset in chosen if asset is not None]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = data.get("target")
        if not target:
            return data
        spec = target_spec(target)
        items = self.items()
        kinds = [asset.kind for asset in items]
        for name in spec.accounts:
            if not data.get(name):
                self.add_error(name, ACCOUNT_PROMPTS[name])
        if len({asset.pk for asset in items}) != len(items):
            self.add_error("item_1", _("Each file can be used once."))
        link = data.get("link_url") or ""
        caption = data.get("caption") or ""
        problems = caption_problems(spec, caption)
        problems += item_problems(spec, kinds, has_text=bool(caption or link))
        problems += link_problems(spec, link=link, cta=data.get("cta_type") or "", kinds=kinds)
        for problem in problems:
            if problem.draft_ok:
                continue  # preflight blocks publishing it; the files may still change
            if problem.field == "link_url" and "link_url" in self.errors:
                continue  # not a URL: that is what it says
            self.add_error(problem.field, problem.message)
        if "ad_account" in spec.accounts:
            self._check_ad(data)
        if target == Target.META_AD_PROMOTE:
            self._check_promoted(data, link=link)
        if data.get("also_target"):
            self._check_also(data, target, data["also_target"], caption, kinds)
        local = bool(link) and safe_http.is_allowlisted(link)  # development's own pages
        if spec.takes_link and link and not link.startswith("https://") and not local:
            self.add_error("link_url", _("Use the https:// address of the page."))
        return data

    def _check_also(
        self, data: dict[str, Any], target: str, also: str, caption: str, kinds: list[str]
    ) -> None:
        """Check the second publication's own needs (its account, caption and files).

        It gets the text and files; a link or button goes only where the target takes them.
        """
        if not other_network(target, also):
            self.add_error(
                "also_target",
                _("Choose an Instagram target to go with a Facebook one, or the other way round."),
            )
            return
        spec = target_spec(also)
        for name in spec.accounts:
            if not data.get(name):
                self.add_error(name, ACCOUNT_PROMPTS[name])
        link = (data.get("link_url") or "") if spec.takes_link else ""
        problems = caption_problems(spec, caption)
        problems += item_problems(spec, kinds, has_text=bool(caption or link))
        for problem in problems:
            if not problem.draft_ok:
                self.add_error(problem.field, problem.message)

    def _check_promoted(self, data: dict[str, Any], *, link: str) -> None:
        """Check a promotion names a post, and a Page post gets no link or button of its own."""
        source = cast(Publication | None, data.get("promoted"))
        if source is None:
            if "promoted" not in self.errors:
                self.add_error("promoted", _("Choose the published post to promote."))
            return
        if source.target not in INSTAGRAM_TARGETS and (link or data.get("cta_type")):
            self.add_error(
                "link_url",
                _(
                    "A promoted Facebook post keeps its own link and button: clear these (an "
                    "Instagram post's ad can add them)."
                ),
            )

    def _check_ad(self, data: dict[str, Any]) -> None:
        if not data.get("objective"):
            self.add_error("objective", _("Choose what the ad should achieve."))
        if not data.get("budget_type"):
            self.add_error("budget_type", _("Choose a daily or a lifetime budget."))
        if data.get("budget") is None and "budget" not in self.errors:
            self.add_error("budget", _("Enter the budget."))
        if not data.get("special_ad_categories") and "special_ad_categories" not in self.errors:
            self.add_error(
                "special_ad_categories",
                _("Meta requires a declaration: tick “None of these” or the categories."),
            )
        if not data.get("countries") and "countries" not in self.errors:
            self.add_error("countries", _("Enter at least one country."))
        age_min, age_max = data.get("age_min"), data.get("age_max")
        if age_min is not None and age_max is not None and age_min > age_max:
            self.add_error("age_max", _("The oldest age must be at least the youngest."))
        starts, ends = data.get("ad_starts_at"), data.get("ad_ends_at")
        if data.get("budget_type") == Publication.BudgetType.LIFETIME and not (starts and ends):
            self.add_error("ad_ends_at", _("A lifetime budget needs a start and an end."))
        if starts and ends and ends <= starts:
            self.add_error("ad_ends_at", _("The end must come after the start."))
        account = data.get("ad_account")
        budget = data.get("budget")
        if account is not None and budget is not None:
            decimals = currency_decimals(account.currency or "USD")
            if budget != budget.quantize(Decimal(1).scaleb(-decimals)):
                self.add_error(
                    "budget",
                    _("%(currency)s has no smaller unit; enter a whole amount.")
                    % {"currency": account.currency}
                    if decimals == 0
                    else _("Use at most two decimals."),
                )

    @staticmethod
    def _page_for(spec: TargetSpec, data: dict[str, Any]) -> MetaPage | None:
        """Return the Page: chosen for Facebook and ads, the account's own for Instagram."""
        if "page" in spec.accounts:
            return cast(MetaPage | None, data.get("page"))
        account = cast(InstagramAccount | None, data.get("instagram_account"))
        # The Page linked to the Instagram account: its grants are what Meta checks.
        return account.page if account is not None else None

    # --- output ---------------------------------------------------------------------------------

    def preview_inputs(self) -> dict[str, Any]:
        """Return what the previews show, read leniently from the inputs as they stand.

        For the live preview (``publishing.previews``): an input that doesn't validate (yet)
        is left out instead of failing; files are the chosen ones in order.
        """

        def value(name: str) -> Any:
            if name not in self.fields:
                return None
            try:
                return self.fields[name].clean(self[name].value())
            except forms.ValidationError:
                return None

        items = [value(f"item_{n}") for n in range(1, MAX_ITEMS + 1)]
        target, also = value("target") or "", value("also_target") or ""
        page, instagram = value("page"), value("instagram_account")
        return {
            "targets": [t for t in (target, also if other_network(target, also) else "") if t],
            "caption": str(self["caption"].value() or "").replace("\r\n", "\n"),
            "link_url": str(self["link_url"].value() or ""),
            "cta_type": value("cta_type") or "",
            "assets": [asset for asset in items if asset is not None],
            "page_name": page.name if page else "",
            "instagram_name": str(instagram) if instagram else "",
        }

    def sibling_fields(self) -> dict[str, Any] | None:
        """Return the second publication's fields ("Also post to"), or None."""
        also = self.cleaned_data.get("also_target")
        return self.publication_fields(target=also) if also else None

    def publication_fields(self, target: str | None = None) -> dict[str, Any]:
        """Return the cleaned data as ``Publication`` field values for the services.

        ``target``: for the second publication ("Also post to"), instead of the chosen one.
        """
        data = self.cleaned_data
        target = target or data["target"]
        spec = target_spec(target)
        # What the target doesn't take is cleared (a link or a button it can't send is refused
        # by ``clean`` instead).
        fields: dict[str, Any] = {
            "title": data["title"],
            "target": target,
            "caption": data.get("caption") or "",
            "link_url": (data.get("link_url") or "") if spec.takes_link else "",
            "cta_type": (data.get("cta_type") or "") if spec.takes_cta else "",
            "scheduled_at": data.get("scheduled_at"),
            "page": self._page_for(spec, data),
            "instagram_account": data.get("instagram_account")
            if "instagram_account" in spec.accounts
            else None,
            "cover_asset": data.get("cover_asset") if spec.takes_cover else None,
            "thumb_offset_ms": (data.get("thumb_offset_ms") or 0) if spec.takes_cover else 0,
            "promoted": None,
        }
        if target == Target.META_AD_PROMOTE:
            # The post's text and account: it runs as the Page or Instagram account that
            # published it (``publishing.promotion.accounts_of``).
            source = cast(Publication, data["promoted"])
            page, instagram = promotion.accounts_of(source)
            fields.update(caption="", promoted=source, page=page, instagram_account=instagram)
        if "ad_account" in spec.accounts:
            account = data["ad_account"]
            targeting: dict[str, Any] = {
                "countries": data["countries"],
                "age_min": data.get("age_min") or 18,
                "age_max": data.get("age_max") or MAX_AGE,
            }
            if data.get("genders"):
                targeting["genders"] = [int(data["genders"])]
            fields.update(
                ad_account=account,
                objective=data["objective"],
                budget_type=data["budget_type"],
                budget_minor=to_minor_units(data["budget"], account.currency or "USD"),
                special_ad_categories=data["special_ad_categories"],
                targeting=targeting,
                placements=data.get("placements") or [],
                ad_starts_at=data.get("ad_starts_at"),
                ad_ends_at=data.get("ad_ends_at"),
                ad_active=bool(data.get("ad_active")),
            )
        else:
            fields.update(
                ad_account=None,
                objective="",
                budget_type="",
                budget_minor=None,
                special_ad_categories=[],
                targeting={},
                placements=[],
                ad_starts_at=None,
                ad_ends_at=None,
                ad_active=False,
            )
        return fields


class ScheduleForm(forms.Form):
    when = ZonedDateTimeField(label=_("Publish at"))

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(ZonedDateTimeField, self.fields["when"])
        field.zone = selectors.workspace_zone(membership)
        field.help_text = _("In the workspace's time zone (%(zone)s).") % {"zone": field.zone}

    def clean_when(self) -> datetime:
        when: datetime = self.cleaned_data["when"]
        if when <= timezone.now():
            raise forms.ValidationError(_("Pick a time in the future."))
        return when


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("send_back", _("Send back"))],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when sending it back: say what needs to change."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "send_back" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say what needs to change when sending it back."))
        return data


class PublicationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Publication.Status.choices],
        required=False,
    )
    target = forms.ChoiceField(
        label=_("Where"), choices=[("", _("Anywhere")), *Target.choices], required=False
    )
    account = forms.ChoiceField(label=_("Account"), required=False)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["account"]).choices = [
            ("", _("Any account")),
            *selectors.account_filter_choices(membership),
        ]


class CalendarForm(forms.Form):
    """The calendar's query: ``?month=YYYY-MM``, or ``?view=week&week=YYYY-MM-DD`` (any day)."""

    month = forms.DateField(input_formats=["%Y-%m"], required=False)
    view = forms.ChoiceField(choices=[("month", "month"), ("week", "week")], required=False)
    week = forms.DateField(input_formats=["%Y-%m-%d"], required=False)


class UseCopyForm(forms.Form):
    original = forms.IntegerField(min_value=1)
    copy = forms.IntegerField(min_value=1)


class ConvertForm(forms.Form):
    asset = forms.IntegerField(min_value=1)
    placement = forms.CharField(max_length=32)
    fill = forms.ChoiceField(
        choices=[("blur", _("Pad with a blurred background")), ("crop", _("Crop to fill"))],
        initial="blur",
    )
