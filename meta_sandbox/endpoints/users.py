"""The person behind a user token: `/me`, `/{user-id}` and the permissions edge (§1.7).

`DELETE /me/permissions` removes the app from the person's account: every token of
theirs fails afterwards with 190/458. `DELETE /me/permissions/{name}` takes back one
permission, which then reads as `declined`.
"""

from typing import Any

from meta_sandbox.fields import NodeType, attr
from meta_sandbox.models import MetaUser
from meta_sandbox.nodes import register_node
from meta_sandbox.routing import Call, converter, route


def _email(user: MetaUser, call: Call, _children: Any) -> str | None:
    auth = call.authorization
    return user.email if auth and auth.grants("email") else None


USER = NodeType(
    "User",
    {
        "id": attr("id"),
        "name": attr("name"),
        "first_name": attr("first_name"),
        "last_name": attr("last_name"),
        "short_name": attr("first_name"),
        "email": _email,
    },
    default_fields=("name", "id"),
)


@converter("user")
def visible_user(call: Call, raw: str) -> MetaUser | None:
    """Resolve `me` or the caller's own id; other people are invisible to a user token."""
    token = call.token
    if token is None or token.kind != "USER" or raw not in ("me", token.user_id):
        return None
    return call.state.world.users.get(token.user_id)


register_node("user", USER)


@route("GET", "/{user:user}/permissions")
def list_permissions(call: Call) -> dict[str, Any]:
    auth = call.authorization
    if auth is None:
        return {"data": []}
    granted = [{"permission": scope, "status": "granted"} for scope in auth.granted]
    declined = [{"permission": scope, "status": "declined"} for scope in auth.declined]
    return {"data": granted + declined}


@route("DELETE", "/{user:user}/permissions")
def revoke_app(call: Call) -> dict[str, bool]:
    call.state.auth.deauthorize(call.args["user"].id)
    return {"success": True}


@route("DELETE", "/{user:user}/permissions/{permission}")
def revoke_permission(call: Call) -> dict[str, bool]:
    call.state.auth.revoke_scope(call.args["user"].id, call.args["permission"])
    return {"success": True}
