"""The test API under `/_sandbox/` (unversioned, no token, never hit by faults).

JSON in, JSON out; the same endpoints also accept an HTML form post from the console
and then answer 303 back to `/_sandbox/`.

    POST   /_sandbox/reset                 reseed, clear faults/tokens/log, reset clock
    GET    /_sandbox/state                 everything, tokens included
    GET    /_sandbox/faults                active faults
    POST   /_sandbox/faults                {"method","path","times","error","http_status",
                                            "latency_ms","drop","headers","after_write"}
                                            -> {"id"}; after_write: handle the request
                                            first, then fail/stall/drop its answer
    DELETE /_sandbox/faults                clear all   (form: POST /_sandbox/faults/clear)
    DELETE /_sandbox/faults/<id>           clear one
    GET    /_sandbox/clock                 {"now","offset_seconds"}
    POST   /_sandbox/clock                 {"advance_seconds": N}
    POST   /_sandbox/tokens/expire         {"access_token"} or {"user_id"} -> {"expired": n}
    POST   /_sandbox/tokens                {"user_id","scopes",["page_ids","ig_user_ids",
                                            "ad_account_ids","long_lived"]} -> token body
    POST   /_sandbox/codes                 same grant + {"redirect_uri"} -> {"code"}
    POST   /_sandbox/settings              {"require_appsecret_proof": false,
                                            "ig_publish_quota": 25,
                                            "ig_image_processing_seconds": 2,
                                            "ig_video_processing_seconds": 20,
                                            "video_processing_seconds": 20,
                                            "ad_review_seconds": 60, ...}
    POST   /_sandbox/callbacks             {"kind": "data_deletion"|"deauthorize", "url",
                                            "user_id"} -> the CallbackResult: removes the
                                            app for that person (tokens 190/458), then
                                            sends Meta's signed_request to `url` (loopback
                                            only) and checks the reply (GRAPH_NOTES §8)
    GET    /_sandbox/callbacks             {"data": [recent CallbackResults, oldest first]}
    GET    /_sandbox/webhooks              subscriptions, queued updates, deliveries (attempts,
                                            status, body), knobs, emitted updates (webhooks.py)
    POST   /_sandbox/webhooks/faults       {"never": N, "duplicate": N, "late": N,
                                            "late_seconds": S, "out_of_order": N} -> the knobs
    DELETE /_sandbox/webhooks/faults       clear them (form: POST /_sandbox/webhooks/faults/clear)
    POST   /_sandbox/webhooks/pause        the sender thread stops sending (flush still sends)
    POST   /_sandbox/webhooks/resume
    POST   /_sandbox/webhooks/flush        send what is due now -> {"data": [deliveries]}
    POST   /_sandbox/webhooks/subscribe    {"object","callback_url","fields","verify_token",
                                            "include_values"}: the App Dashboard's form, with
                                            the verification handshake (Graph: endpoints/
                                            subscriptions.py)

Publishing objects, the ad review switch and world tweaks: endpoints/sandbox_objects.py.
"""

import json
from dataclasses import asdict
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from meta_sandbox import errors
from meta_sandbox.callbacks import CallbackRefused
from meta_sandbox.errors import GraphError
from meta_sandbox.routing import Call, route
from meta_sandbox.scopes import parse_scope_param
from meta_sandbox.webhooks import VerificationFailed, check_fields, verify_callback


def _bad(message: str) -> GraphError:
    return GraphError(message, code=100, type="SandboxException")


def _is_form(call: Call) -> bool:
    content_type = call.request.headers.get("Content-Type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _payload(call: Call) -> dict[str, Any]:
    if isinstance(call.request.json, dict):
        return call.request.json
    if call.request.json is not None:
        raise _bad("the body must be a JSON object")
    return {name: value for name, value in call.request.form.items() if value != ""}


def _done(call: Call, body: dict[str, Any]) -> Response | dict[str, Any]:
    return redirect("/_sandbox/", code=303) if _is_form(call) else body


def _id_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return parse_scope_param(value)
    return [str(item) for item in value]


@route("POST", "/_sandbox/reset", auth="none")
def reset(call: Call) -> Response | dict[str, Any]:
    call.state.reset()
    return _done(call, {"success": True})


@route("GET", "/_sandbox/state", auth="none")
def state_dump(call: Call) -> dict[str, Any]:
    return call.state.snapshot()


@route("GET", "/_sandbox/faults", auth="none")
def list_faults(call: Call) -> dict[str, Any]:
    return {"data": [fault.as_dict() for fault in call.state.faults.active()]}


def _fault_from_form(data: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        key: data[key] for key in ("method", "path", "http_status", "latency_ms") if key in data
    }
    spec["times"] = data.get("times") or None
    spec["drop"] = data.get("drop") in ("1", "on", "true")
    spec["after_write"] = data.get("after_write") in ("1", "on", "true")
    if data.get("code"):
        spec["error"] = {"code": int(data["code"])}
        if data.get("error_subcode"):
            spec["error"]["error_subcode"] = int(data["error_subcode"])
    return spec


@route("POST", "/_sandbox/faults", auth="none")
def add_fault(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    spec = _fault_from_form(data) if _is_form(call) else data
    try:
        fault = call.state.faults.add(**spec)
    except (TypeError, ValueError) as exc:
        raise _bad(f"invalid fault: {exc}") from exc
    return _done(call, {"id": fault.id})


@route("DELETE", "/_sandbox/faults", auth="none")
@route("POST", "/_sandbox/faults/clear", auth="none")
def clear_faults(call: Call) -> Response | dict[str, Any]:
    call.state.faults.clear()
    return _done(call, {"success": True})


@route("DELETE", "/_sandbox/faults/{fault_id}", auth="none")
def remove_fault(call: Call) -> dict[str, Any]:
    if not call.state.faults.remove(call.args["fault_id"]):
        raise _bad(f"no fault with id {call.args['fault_id']}")
    return {"success": True}


def _clock_body(call: Call) -> dict[str, Any]:
    return {"now": int(call.state.now()), "offset_seconds": call.state.clock.offset}


@route("GET", "/_sandbox/clock", auth="none")
def read_clock(call: Call) -> dict[str, Any]:
    return _clock_body(call)


@route("POST", "/_sandbox/clock", auth="none")
def advance_clock(call: Call) -> Response | dict[str, Any]:
    try:
        call.state.advance_clock(float(_payload(call)["advance_seconds"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad("advance_seconds must be a number >= 0") from exc
    return _done(call, _clock_body(call))


@route("POST", "/_sandbox/tokens/expire", auth="none")
def expire_tokens(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    if not data.get("access_token") and not data.get("user_id"):
        raise _bad("give access_token or user_id")
    count = call.state.expire_tokens(
        access_token=data.get("access_token"), user_id=data.get("user_id")
    )
    return _done(call, {"expired": count})


def _authorize(call: Call, data: dict[str, Any]) -> str:
    user_id = str(data.get("user_id", ""))
    if user_id not in call.state.world.users:
        raise _bad(f"unknown user_id {user_id!r}")
    call.state.authorize_user(
        user_id=user_id,
        scopes=_id_list(data.get("scopes")) or [],
        page_ids=_id_list(data.get("page_ids")),
        ig_user_ids=_id_list(data.get("ig_user_ids")),
        ad_account_ids=_id_list(data.get("ad_account_ids")),
    )
    return user_id


@route("POST", "/_sandbox/tokens", auth="none")
def issue_token(call: Call) -> dict[str, Any]:
    data = _payload(call)
    user_id = _authorize(call, data)
    token = call.state.auth.issue_user_token(user_id, long_lived=bool(data.get("long_lived", True)))
    expires_in = token.expires_at - int(call.state.now())
    return {"access_token": token.value, "token_type": "bearer", "expires_in": expires_in}


@route("POST", "/_sandbox/codes", auth="none")
def issue_code(call: Call) -> dict[str, Any]:
    data = _payload(call)
    if not data.get("redirect_uri"):
        raise errors.missing_parameter("redirect_uri")
    user_id = _authorize(call, data)
    code = call.state.auth.issue_code(
        user_id=user_id, client_id=call.state.app_id, redirect_uri=data["redirect_uri"]
    )
    return {"code": code.code}


def _form_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@route("POST", "/_sandbox/settings", auth="none")
def update_settings(call: Call) -> Response | dict[str, Any]:
    data = _payload(call)
    if _is_form(call):
        data = {key: _form_value(value) for key, value in data.items()}
    try:
        settings = call.state.update_settings(**data)
    except (TypeError, ValueError) as exc:
        raise _bad(str(exc)) from exc
    return _done(call, asdict(settings))


@route("GET", "/_sandbox/callbacks", auth="none")
def list_callbacks(call: Call) -> dict[str, Any]:
    return {"data": [result.as_dict() for result in call.state.callbacks]}


@route("POST", "/_sandbox/callbacks", auth="none", locked=False)
def send_callback(call: Call) -> Response | dict[str, Any]:
    """Send a privacy callback; runs unlocked (network I/O), the state locks itself."""
    data = _payload(call)
    kind, url, user_id = (str(data.get(key) or "") for key in ("kind", "url", "user_id"))
    if not kind:
        raise errors.missing_parameter("kind")
    if not url:
        raise errors.missing_parameter("url")
    if not user_id:
        raise errors.missing_parameter("user_id")
    try:
        result = call.state.send_callback(kind=kind, url=url, user_id=user_id)
    except CallbackRefused as exc:
        raise _bad(str(exc)) from exc
    except KeyError as exc:
        raise _bad(f"unknown user_id {user_id!r}") from exc
    return _done(call, result.as_dict())


# --- webhooks -----------------------------------------------------------------------------


@route("GET", "/_sandbox/webhooks", auth="none")
def webhooks_state(call: Call) -> dict[str, Any]:
    return call.state.webhooks.snapshot()


@route("POST", "/_sandbox/webhooks/faults", auth="none")
def webhook_faults(call: Call) -> Response | dict[str, Any]:
    try:
        faults = call.state.webhooks.set_faults(**_payload(call))
    except (TypeError, ValueError) as exc:
        raise _bad(f"invalid webhook faults: {exc}") from exc
    return _done(call, faults.as_dict())


@route("DELETE", "/_sandbox/webhooks/faults", auth="none")
@route("POST", "/_sandbox/webhooks/faults/clear", auth="none")
def clear_webhook_faults(call: Call) -> Response | dict[str, Any]:
    call.state.webhooks.clear_faults()
    return _done(call, {"success": True})


@route("POST", "/_sandbox/webhooks/pause", auth="none")
def pause_webhooks(call: Call) -> Response | dict[str, Any]:
    call.state.webhooks.pause()
    return _done(call, {"paused": True})


@route("POST", "/_sandbox/webhooks/resume", auth="none")
def resume_webhooks(call: Call) -> Response | dict[str, Any]:
    call.state.webhooks.resume()
    return _done(call, {"paused": False})


@route("POST", "/_sandbox/webhooks/flush", auth="none", locked=False)
def flush_webhooks(call: Call) -> Response | dict[str, Any]:
    """Deliver what is due; runs unlocked (network I/O), the outbox locks itself."""
    sent = call.state.webhooks.flush()
    with call.state.lock:
        data = [delivery.as_dict() for delivery in sent]
    return _done(call, {"data": data})


@route("POST", "/_sandbox/webhooks/subscribe", auth="none", locked=False)
def subscribe_webhooks(call: Call) -> Response | dict[str, Any]:
    """Subscribe the app as in the App Dashboard: handshake first, outside the lock."""
    data = _payload(call)
    object_type, url, verify_token = (
        str(data.get(key) or "") for key in ("object", "callback_url", "verify_token")
    )
    raw_fields = data.get("fields") or ""
    names = raw_fields.split(",") if isinstance(raw_fields, str) else [str(f) for f in raw_fields]
    include_values = str(data.get("include_values", True)).lower() not in ("false", "0", "no")
    if not url:
        raise errors.missing_parameter("callback_url")
    try:
        fields = check_fields(object_type, names)
        if not fields:
            raise ValueError("give at least one field")
        verify_callback(url, verify_token)
        call.state.webhooks.subscribe_app(
            object_type=object_type,
            callback_url=url,
            fields=fields,
            verify_token=verify_token,
            include_values=include_values,
        )
    except CallbackRefused as exc:
        raise _bad(str(exc)) from exc
    except VerificationFailed as exc:
        raise _bad(exc.message) from exc
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    return _done(call, {"success": True})
