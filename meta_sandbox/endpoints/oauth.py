"""Token endpoints: code exchange, long-lived exchange, app token, `debug_token` (§1.2-§1.5).

`/oauth/access_token` checks the client id (101) and secret (1, "Error validating
client secret.") before anything else. With `code` it redeems a dialog code (single
use: 100/36009 on reuse; 100/36007 once expired; 100/36008 on a different
redirect_uri); with `grant_type=fb_exchange_token` it trades a valid user token for a
60-day one; with `grant_type=client_credentials` it returns the app token.
"""

import hmac
from typing import Any

from meta_sandbox import config, errors
from meta_sandbox.auth import authenticate_app_or_user, is_app_token
from meta_sandbox.models import Token
from meta_sandbox.routing import Call, route
from meta_sandbox.scopes import granular_scopes


def _required(call: Call, name: str) -> str:
    value = call.param(name)
    if not value:
        if name == "client_id":
            raise errors.GraphError("Missing client_id parameter.", code=101)
        raise errors.missing_parameter(name)
    return value


def _check_client(call: Call) -> str:
    state = call.state
    if _required(call, "client_id") != state.app_id:
        raise errors.bad_client_id()
    secret = _required(call, "client_secret")
    if not hmac.compare_digest(secret.encode(), state.app_secret.encode()):
        raise errors.bad_client_secret()
    return secret


def _token_body(call: Call, token: Token) -> dict[str, Any]:
    expires_in = max(0, token.expires_at - int(call.state.now()))
    return {"access_token": token.value, "token_type": "bearer", "expires_in": expires_in}


@route("GET", "/oauth/access_token", auth="none")
@route("POST", "/oauth/access_token", auth="none")
def access_token(call: Call) -> dict[str, Any]:
    secret = _check_client(call)
    grant_type = call.param("grant_type") or "authorization_code"
    auth = call.state.auth
    if grant_type == "fb_exchange_token":
        return _token_body(call, auth.exchange_long_lived(_required(call, "fb_exchange_token")))
    if grant_type == "client_credentials":
        return {"access_token": f"{call.state.app_id}|{secret}", "token_type": "bearer"}
    if grant_type != "authorization_code":
        raise errors.invalid_parameter(f"(#100) Unsupported grant_type: {grant_type}")
    token = auth.redeem_code(
        code=_required(call, "code"),
        client_id=call.state.app_id,
        redirect_uri=_required(call, "redirect_uri"),
    )
    return _token_body(call, token)


def describe_token(call: Call, token: Token) -> dict[str, Any]:
    """Return debug_token's `data` for a token the sandbox issued."""
    store = call.state.auth
    auth = store.active_authorization(token.user_id)
    problem = store.problem(token)
    known = store.authorizations.get(token.user_id)
    data: dict[str, Any] = {
        "app_id": call.state.app_id,
        "type": token.kind,
        "application": config.APP_NAME,
        "data_access_expires_at": known.data_access_expires_at if known else 0,
        "expires_at": token.expires_at,
        "is_valid": problem is None,
        "issued_at": token.issued_at,
    }
    if token.page_id is not None:
        data["profile_id"] = token.page_id
    if problem is not None:
        data["error"] = {
            "code": problem.code,
            "message": problem.message,
            "subcode": problem.subcode,
        }
    data["scopes"] = list(auth.granted) if auth and not token.revoked else []
    data["granular_scopes"] = granular_scopes(auth) if auth and not token.revoked else []
    data["user_id"] = token.user_id
    return data


@route("GET", "/debug_token", auth="none")
def debug_token(call: Call) -> dict[str, Any]:
    authenticate_app_or_user(call)
    value = _required(call, "input_token")
    if is_app_token(call.state, value):
        app = {"app_id": call.state.app_id, "type": "APP", "application": config.APP_NAME}
        return {"data": {**app, "is_valid": True, "scopes": []}}
    token = call.state.auth.tokens.get(value)
    if token is None:
        invalid = {"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"}
        return {"data": {"error": invalid, "is_valid": False, "scopes": []}}
    return {"data": describe_token(call, token)}
