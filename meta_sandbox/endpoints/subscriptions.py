"""Webhook subscriptions (GRAPH_NOTES §7.3): the app's and each Page's.

    POST   /{app-id}/subscriptions   app token; object (page|instagram|user|permissions),
                                     callback_url, fields, verify_token, include_values
                                     -> {"success": true} once the callback passed the
                                     verification handshake (GET ?hub.mode=subscribe&
                                     hub.challenge=<int>&hub.verify_token=…, answered 200 with
                                     exactly the challenge), else 2200 (no 200) or 2201 (another
                                     body). Fields are added to the object's existing ones.
    GET    /{app-id}/subscriptions   app token -> {"data": [{"object", "callback_url",
                                     "active", "fields": [{"name", "version"}]}]}
    DELETE /{app-id}/subscriptions   app token; object and fields optional: removes those
                                     fields, that object, or everything -> {"success": true}
    POST   /{page-id}/subscribed_apps  Page token; subscribed_fields (replaces the Page's list)
                                     -> {"success": true}; needs pages_manage_metadata, and
                                     pages_messaging for message fields (200 per field), and
                                     a person with the MODERATE, CREATE_CONTENT or MANAGE task
    GET    /{page-id}/subscribed_apps  Page token -> {"data": [{"category", "link", "name",
                                     "id", "subscribed_fields"}]} or {"data": []}
    DELETE /{page-id}/subscribed_apps  Page token, pages_manage_metadata -> {"success": true}

A user token where a Page token is needed answers 210; any token but the app token on the app
edge answers 15. Only loopback callback URLs are accepted (the sandbox never calls out).
"""

import json
from typing import Any

from meta_sandbox import config, errors
from meta_sandbox.auth import authenticate_app_or_user, token_value
from meta_sandbox.callbacks import CallbackRefused
from meta_sandbox.errors import GraphError
from meta_sandbox.models import Page
from meta_sandbox.routing import Call, route
from meta_sandbox.webhooks import (
    OBJECT_FIELDS,
    PAGE_MESSAGING_FIELDS,
    VerificationFailed,
    check_fields,
    verify_callback,
)

MODERATE_TASKS = {"MODERATE", "CREATE_CONTENT", "MANAGE"}
METADATA = "pages_manage_metadata"
MESSAGING = "pages_messaging"


def _required(call: Call, name: str) -> str:
    value = (call.param(name) or "").strip()
    if not value:
        raise GraphError(f"(#100) The parameter {name} is required", code=100)
    return value


def names_param(raw: str) -> list[str]:
    """Read a list parameter given as `a,b`, as a JSON array, or (from a JSON body) a list."""
    text = raw.strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
        except ValueError as exc:
            raise GraphError(f"(#100) Invalid JSON list: {text[:80]}", code=100) from exc
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise GraphError("(#100) Expected a list of strings", code=100)
        return [value.strip() for value in values if value.strip()]
    return [part.strip() for part in text.split(",") if part.strip()]


def _flag(raw: str | None, default: bool) -> bool:
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in ("true", "1", "yes")


# --- app level --------------------------------------------------------------------------


def _require_app_token(call: Call) -> None:
    """Accept only this app's token (`app_id|app_secret`) on `/{app-id}/subscriptions`."""
    app_id = call.args["app_id"]
    if app_id != call.state.app_id:
        raise errors.unsupported_request(call.request.method, app_id)
    if not token_value(call.request):
        raise errors.missing_token(app_id)
    if authenticate_app_or_user(call) is not None:  # a valid user or Page token
        raise GraphError("(#15) This method must be called with an app access_token.", code=15)


def _object_param(call: Call) -> str | None:
    value = (call.param("object") or "").strip()
    if not value:
        return None
    if value not in OBJECT_FIELDS:
        raise GraphError(
            f"(#100) Param object must be one of {{{', '.join(OBJECT_FIELDS)}}}", code=100
        )
    return value


@route("POST", "/{app_id}/subscriptions", auth="none", locked=False)
def subscribe_app(call: Call) -> dict[str, Any]:
    """Verify the callback (network I/O, outside the lock), then store the subscription."""
    state = call.state
    with state.lock:
        _require_app_token(call)
    object_type = _object_param(call)
    if object_type is None:
        raise GraphError("(#100) The parameter object is required", code=100)
    callback_url = _required(call, "callback_url")
    verify_token = _required(call, "verify_token")
    try:
        fields = check_fields(object_type, names_param(_required(call, "fields")))
    except ValueError as exc:
        raise GraphError(f"(#100) {exc}", code=100) from exc
    include_values = _flag(call.param("include_values"), True)
    try:
        verify_callback(callback_url, verify_token)
    except CallbackRefused as exc:
        raise GraphError(
            f"(#2200) Callback verification failed with the following errors: {exc}", code=2200
        ) from exc
    except VerificationFailed as exc:
        raise GraphError(exc.message, code=exc.code) from exc
    state.webhooks.subscribe_app(
        object_type=object_type,
        callback_url=callback_url,
        fields=fields,
        verify_token=verify_token,
        include_values=include_values,
        version=call.request.version or config.DEFAULT_API_VERSION,
    )
    return {"success": True}


@route("GET", "/{app_id}/subscriptions", auth="none")
def list_app_subscriptions(call: Call) -> dict[str, Any]:
    _require_app_token(call)
    subscriptions = call.state.webhooks.app_subscriptions.values()
    return {"data": [subscription.as_graph() for subscription in subscriptions]}


@route("DELETE", "/{app_id}/subscriptions", auth="none")
def delete_app_subscriptions(call: Call) -> dict[str, Any]:
    _require_app_token(call)
    object_type = _object_param(call)
    fields = names_param(call.param("fields") or "")
    if fields and object_type is None:
        raise GraphError("(#100) The parameter object is required to remove fields", code=100)
    call.state.webhooks.unsubscribe_app(object_type=object_type, fields=fields or None)
    return {"success": True}


# --- Page level -------------------------------------------------------------------------


def _require_page_token(call: Call, page: Page) -> None:
    token = call.token
    if token is None or token.kind != "PAGE" or token.page_id != page.id:
        raise GraphError(
            "(#210) A page access token is required to request this resource.", code=210
        )
    if not MODERATE_TASKS & set(page.tasks):
        raise GraphError(
            "(#200) The user must be an administrator, editor, or moderator of the page in "
            "order to impersonate it.",
            code=200,
        )


def _missing_permissions(call: Call, fields: list[str]) -> list[str]:
    """One line per field and permission the Page token lacks, as Meta words them."""
    has_metadata = call.has_any_scope((METADATA,))
    has_messaging = call.has_any_scope((MESSAGING,))
    lines = []
    for name in fields:
        if not has_metadata:
            lines.append(
                f"To subscribe to the {name} field, one of these permissions is needed: {METADATA}"
            )
        if name in PAGE_MESSAGING_FIELDS and not has_messaging:
            lines.append(
                f"To subscribe to the {name} field, one of these permissions is needed: {MESSAGING}"
            )
    return lines


@route("POST", "/{page:page}/subscribed_apps")
def subscribe_page(call: Call) -> dict[str, Any]:
    page: Page = call.args["page"]
    _require_page_token(call, page)
    fields = names_param(_required(call, "subscribed_fields"))
    known = OBJECT_FIELDS["page"] or frozenset()
    for index, name in enumerate(fields):
        if name not in known:
            raise GraphError(
                f"(#100) Param subscribed_fields[{index}] must be one of "
                f"{{{', '.join(sorted(known))}}}",
                code=100,
            )
    missing = _missing_permissions(call, fields)
    if missing:
        raise GraphError("(#200) " + "\n".join(missing), code=200)
    call.state.webhooks.subscribe_page(page_id=page.id, fields=fields)
    return {"success": True}


@route("GET", "/{page:page}/subscribed_apps")
def list_page_subscriptions(call: Call) -> dict[str, Any]:
    page: Page = call.args["page"]
    _require_page_token(call, page)
    fields = call.state.webhooks.page_fields.get(page.id)
    if fields is None:
        return {"data": []}
    app_id = call.state.app_id
    return {
        "data": [
            {
                "category": "Business",
                "link": f"https://www.facebook.com/games/?app_id={app_id}",
                "name": config.APP_NAME,
                "id": app_id,
                "subscribed_fields": list(fields),
            }
        ]
    }


@route("DELETE", "/{page:page}/subscribed_apps")
def unsubscribe_page(call: Call) -> dict[str, Any]:
    page: Page = call.args["page"]
    _require_page_token(call, page)
    if not call.has_any_scope((METADATA,)):
        raise errors.missing_permission((METADATA,))
    call.state.webhooks.unsubscribe_page(page_id=page.id)
    return {"success": True}
