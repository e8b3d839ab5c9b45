"""The permissions ProSocial asks Meta for, per feature (GRAPH_NOTES §1.11).

The connect flow requests the union; the health page compares each feature's list with what
the person granted, for the whole connection and per Page / Instagram account / ad account.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Feature:
    key: str
    label: str | Promise
    scopes: tuple[str, ...]
    asset_kind: str  # which asset's per-asset grant matters: page, instagram or ad_account


FEATURES = (
    Feature(
        "publishing",
        _("Publishing to Pages and Instagram"),
        (
            "pages_show_list",
            "pages_read_engagement",
            "pages_manage_posts",
            "instagram_basic",
            "instagram_content_publish",
        ),
        "page",
    ),
    Feature(
        "ads", _("Meta ads"), ("ads_management", "ads_read", "business_management"), "ad_account"
    ),
    Feature(
        "comments",
        _("Instagram comments"),
        ("instagram_basic", "instagram_manage_comments", "pages_manage_metadata"),
        "instagram",
    ),
    Feature(
        "messages",
        _("Instagram direct messages"),
        (
            "instagram_basic",
            "instagram_manage_messages",
            "pages_messaging",
            "pages_manage_metadata",
        ),
        "instagram",
    ),
    Feature(
        "insights",
        _("Insights"),
        ("read_insights", "instagram_manage_insights", "pages_read_engagement"),
        "instagram",
    ),
)

# Which asset kind each scope's per-asset grant (granular_scopes.target_ids) refers to.
SCOPE_ASSET_KIND = {
    "pages_show_list": "page",
    "pages_read_engagement": "page",
    "pages_manage_posts": "page",
    "pages_manage_metadata": "page",
    "pages_messaging": "page",
    "read_insights": "page",
    "instagram_basic": "instagram",
    "instagram_content_publish": "instagram",
    "instagram_manage_comments": "instagram",
    "instagram_manage_messages": "instagram",
    "instagram_manage_insights": "instagram",
    "ads_management": "ad_account",
    "ads_read": "ad_account",
}


def requested_scopes() -> list[str]:
    """Return every scope any feature needs, in a stable order, without duplicates."""
    return list(dict.fromkeys(scope for feature in FEATURES for scope in feature.scopes))
