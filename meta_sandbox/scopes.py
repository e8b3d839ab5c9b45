"""Permissions the sandbox knows, and which kind of asset each one is granted on.

`debug_token`'s `granular_scopes[].target_ids` lists, per scope, the Pages, Instagram
accounts or ad accounts the person ticked in the dialog (GRAPH_NOTES §1.5, §1.11).
Scopes without an asset kind (`public_profile`, `email`, `business_management`) carry
no `target_ids`.
"""

from meta_sandbox.models import Authorization

PAGE = "page"
INSTAGRAM = "instagram"
AD_ACCOUNT = "ad_account"

ASSET_KIND: dict[str, str | None] = {
    "public_profile": None,
    "email": None,
    "business_management": None,
    "pages_show_list": PAGE,
    "pages_read_engagement": PAGE,
    "pages_read_user_content": PAGE,  # reading comments (endpoints/comments.py)
    "pages_manage_posts": PAGE,
    "pages_manage_metadata": PAGE,
    "pages_manage_engagement": PAGE,
    "pages_manage_ads": PAGE,
    "pages_messaging": PAGE,
    "read_insights": PAGE,
    "instagram_basic": INSTAGRAM,
    "instagram_content_publish": INSTAGRAM,
    "instagram_manage_comments": INSTAGRAM,
    "instagram_manage_messages": INSTAGRAM,
    "instagram_manage_insights": INSTAGRAM,
    "ads_read": AD_ACCOUNT,
    "ads_management": AD_ACCOUNT,
}

ADS_SCOPES = ("ads_read", "ads_management")


def parse_scope_param(raw: str) -> list[str]:
    """Split a dialog `scope` parameter (comma or space separated), keeping order."""
    seen: list[str] = []
    for part in raw.replace(" ", ",").split(","):
        scope = part.strip()
        if scope and scope not in seen:
            seen.append(scope)
    return seen


def target_ids(auth: Authorization, scope: str) -> list[str]:
    kind = ASSET_KIND.get(scope)
    if kind == PAGE:
        return list(auth.page_ids)
    if kind == INSTAGRAM:
        return list(auth.ig_user_ids)
    if kind == AD_ACCOUNT:
        return list(auth.ad_account_ids)
    return []


def granular_scopes(auth: Authorization) -> list[dict[str, object]]:
    """Return debug_token's `granular_scopes` for one authorization."""
    entries: list[dict[str, object]] = []
    for scope in auth.granted:
        if ASSET_KIND.get(scope) is None:
            entries.append({"scope": scope})
        else:
            entries.append({"scope": scope, "target_ids": target_ids(auth, scope)})
    return entries
