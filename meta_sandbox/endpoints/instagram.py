"""Instagram professional accounts linked to Pages: the IG User node (§1.9).

A user token sees the IG accounts the person ticked in the dialog; a Page token sees
the account linked to its Page. Reading one needs `instagram_basic`.
`profile_picture_url` points at a placeholder image the sandbox serves itself.
"""

from typing import Any

from meta_sandbox.fields import NodeType, attr
from meta_sandbox.models import IgAccount
from meta_sandbox.nodes import register_node
from meta_sandbox.routing import Call, converter


def profile_picture_url(call: Call, ig: IgAccount) -> str:
    return f"{call.request.base_url}/_sandbox/media/profile/{ig.id}.png"


IG_USER = NodeType(
    "IGUser",
    {
        "id": attr("id"),
        "ig_id": attr("ig_id"),
        "username": attr("username"),
        "name": attr("name"),
        "account_type": attr("account_type"),
        "biography": attr("biography"),
        "website": attr("website"),
        "followers_count": attr("followers_count"),
        "follows_count": attr("follows_count"),
        "media_count": attr("media_count"),
        "profile_picture_url": lambda ig, call, _children: profile_picture_url(call, ig),
    },
    scopes_any=("instagram_basic",),
)


def can_see_ig(call: Call, ig: IgAccount) -> bool:
    token = call.token
    if token is None:
        return False
    if token.kind == "PAGE":
        return ig.page_id == token.page_id
    auth = call.authorization
    return auth is not None and ig.id in auth.ig_user_ids


@converter("ig_user")
def visible_ig_user(call: Call, raw: str) -> IgAccount | None:
    ig = call.state.world.ig_accounts.get(raw)
    return ig if ig is not None and can_see_ig(call, ig) else None


def render_linked_ig(call: Call, ig_user_id: str | None, children: Any) -> dict[str, Any] | None:
    """Render a Page's linked IG account: only its id unless the caller may read it."""
    ig = call.state.world.ig_accounts.get(ig_user_id or "")
    if ig is None:
        return None
    if not can_see_ig(call, ig):
        return {"id": ig.id}
    return IG_USER.render(ig, call, children)


register_node("ig_user", IG_USER)
