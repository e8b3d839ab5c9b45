"""The permissions ProSocial asks Meta for, per feature (GRAPH_NOTES §1.11).

The connect flow requests the union (and the page before Meta's dialog shows each permission
with its reason, from this one table); the health page compares each feature's list with what
the person granted, for the whole connection and per Page / Instagram account / ad account.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Permission:
    """One Meta permission a feature asks for, and why, in one line the connect page shows."""

    scope: str
    reason: str | Promise
    # Which asset's per-asset grant (granular_scopes.target_ids) it refers to: page,
    # instagram or ad_account.
    asset_kind: str


@dataclass(frozen=True)
class Feature:
    key: str
    label: str | Promise
    permissions: tuple[Permission, ...]
    asset_kind: str  # which asset's per-asset grant matters: page, instagram or ad_account

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(permission.scope for permission in self.permissions)


# Only features ProSocial has: the connect flow asks for exactly these permissions, and the
# page before Meta's dialog lists each with its reason. The inbox's scopes are checked against
# GRAPH_NOTES §1.11, §7.3 and §9: webhooks need pages_manage_metadata; Page comments
# pages_read_engagement (read) and pages_manage_engagement (reply, hide, delete); Messenger and
# private replies pages_messaging; Instagram comments and mentions instagram_manage_comments;
# Instagram DMs instagram_manage_messages. Results (#18, insights.collect) read Page and post insights with
# read_insights + pages_read_engagement (GRAPH_NOTES §10.2), Instagram media and account
# insights with instagram_basic + instagram_manage_insights + pages_read_engagement (§10.1),
# and ads insights with ads_read (§4.7).
FEATURES = (
    Feature(
        "publishing",
        _("Publishing to Pages and Instagram"),
        (
            Permission(
                "pages_show_list",
                _("List the Facebook Pages you manage, so you can choose where to publish."),
                "page",
            ),
            Permission(
                "pages_read_engagement",
                _("Read your Pages' posts, to confirm what was published and link to it."),
                "page",
            ),
            Permission(
                "pages_manage_posts",
                _("Publish the posts, photos and videos you schedule to your Pages."),
                "page",
            ),
            Permission(
                "instagram_basic",
                _("Find the Instagram account linked to each Page and read its posts."),
                "instagram",
            ),
            Permission(
                "instagram_content_publish",
                _("Publish the posts, reels and stories you schedule to Instagram."),
                "instagram",
            ),
        ),
        "page",
    ),
    Feature(
        "inbox",
        _("Inbox: comments and direct messages"),
        (
            Permission(
                "pages_manage_metadata",
                _(
                    "Subscribe your Pages to Meta's webhooks, so new comments and messages arrive live."
                ),
                "page",
            ),
            Permission(
                "pages_read_engagement",
                _("Read the comments under your Pages' posts and who wrote them."),
                "page",
            ),
            Permission(
                "pages_manage_engagement",
                _(
                    "Reply to, hide and delete comments on your Pages' posts when you do so in the inbox."
                ),
                "page",
            ),
            Permission(
                "pages_messaging",
                _(
                    "Read and answer your Pages' Messenger conversations, and reply privately to comments."
                ),
                "page",
            ),
            Permission(
                "instagram_manage_comments",
                _("Read, answer, hide and delete comments and mentions on your Instagram posts."),
                "instagram",
            ),
            Permission(
                "instagram_manage_messages",
                _("Read and answer your Instagram direct messages from the inbox."),
                "instagram",
            ),
        ),
        "page",
    ),
    Feature(
        "ads",
        _("Meta ads"),
        (
            Permission(
                "ads_management",
                _("Create the ads you set up in ProSocial in your ad accounts (paused or live)."),
                "ad_account",
            ),
            Permission(
                "ads_read",
                _("List your ad accounts and follow Meta's review of the ads ProSocial created."),
                "ad_account",
            ),
        ),
        "ad_account",
    ),
    Feature(
        "insights",
        _("Results: reach, views, interactions and ad spend"),
        (
            Permission(
                "read_insights",
                _("Read your Pages' and posts' results (views, reach, clicks, follows)."),
                "page",
            ),
            Permission(
                "pages_read_engagement",
                _("Read your Pages' posts and followers, which their results are about."),
                "page",
            ),
            Permission(
                "instagram_basic",
                _("Find the Instagram posts whose results ProSocial collects."),
                "instagram",
            ),
            Permission(
                "instagram_manage_insights",
                _("Read your Instagram posts' and account's results (views, reach, interactions)."),
                "instagram",
            ),
            Permission(
                "ads_read",
                _("Read the results of your ads: spend, reach, impressions, clicks and actions."),
                "ad_account",
            ),
        ),
        "page",
    ),
)

# Which asset kind each scope's per-asset grant (granular_scopes.target_ids) refers to.
SCOPE_ASSET_KIND = {
    permission.scope: permission.asset_kind
    for feature in FEATURES
    for permission in feature.permissions
}


def requested_permissions() -> list[Permission]:
    """Return every permission any feature needs, in a stable order, once per scope."""
    seen: dict[str, Permission] = {}
    for feature in FEATURES:
        for permission in feature.permissions:
            seen.setdefault(permission.scope, permission)
    return list(seen.values())


def requested_scopes() -> list[str]:
    """Return every scope any feature needs, in a stable order, without duplicates."""
    return [permission.scope for permission in requested_permissions()]
