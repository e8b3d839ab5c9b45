"""Facebook Pages: the Page node and `/{user}/accounts` (GRAPH_NOTES §1.8, §1.9).

`/me/accounts` lists only the Pages the person ticked in the dialog, each with a Page
access token made from the caller's user token (never-expiring when that token is
long-lived). `instagram_business_account` is absent for a Page with no IG account.
"""

from typing import Any

from meta_sandbox.endpoints.instagram import render_linked_ig
from meta_sandbox.fields import NodeType, attr, parse_fields
from meta_sandbox.models import Page
from meta_sandbox.nodes import register_node
from meta_sandbox.paging import paginate
from meta_sandbox.routing import Call, converter, route


def _page_token(page: Page, call: Call, _children: Any) -> str | None:
    token = call.token
    if token is None:
        return None
    if token.kind == "PAGE":
        return token.value if token.page_id == page.id else None
    return call.state.auth.page_token(token, page.id).value


def _linked_ig(page: Page, call: Call, children: Any) -> dict[str, Any] | None:
    return render_linked_ig(call, page.ig_user_id, children)


PAGE = NodeType(
    "Page",
    {
        "id": attr("id"),
        "name": attr("name"),
        "category": attr("category"),
        "category_list": lambda page, _call, _c: [{"id": page.category_id, "name": page.category}],
        "tasks": attr("tasks"),
        "username": attr("username"),
        "link": lambda page, _call, _c: f"https://www.facebook.com/{page.username}",
        "fan_count": attr("fan_count"),
        "followers_count": attr("followers_count"),
        "access_token": _page_token,
        "instagram_business_account": _linked_ig,
        "connected_instagram_account": _linked_ig,
    },
    default_fields=("name", "id"),
)

ACCOUNTS_DEFAULT_FIELDS = ("access_token", "category", "category_list", "name", "id", "tasks")


@converter("page")
def visible_page(call: Call, raw: str) -> Page | None:
    token = call.token
    if token is None:
        return None
    if token.kind == "PAGE":
        if raw not in ("me", token.page_id):
            return None
        return call.state.world.pages.get(token.page_id or "")
    auth = call.authorization
    if auth is None or raw not in auth.page_ids:
        return None
    return call.state.world.pages.get(raw)


register_node("page", PAGE)


@route("GET", "/{user:user}/accounts", scopes_any=("pages_show_list",))
def list_pages(call: Call) -> dict[str, Any]:
    auth = call.authorization
    granted = auth.page_ids if auth else []
    pages = [call.state.world.pages[pid] for pid in call.args["user"].page_ids if pid in granted]
    specs = parse_fields(call.param("fields"))
    return paginate(
        call,
        pages,
        key=lambda page: page.id,
        render=lambda page: PAGE.render(page, call, specs, ACCOUNTS_DEFAULT_FIELDS),
    )
