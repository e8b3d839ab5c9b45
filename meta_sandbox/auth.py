"""Who is calling: access-token extraction, validation and `appsecret_proof`.

A token may come as the `access_token` query/form parameter or as an
`Authorization: Bearer|OAuth <token>` header. User and Page tokens are checked against
the sandbox clock and revocations (190 with subcode 463/458/492, GRAPH_NOTES §5.2),
then `appsecret_proof` = hex HMAC-SHA256(app_secret, token) (§1.6): a wrong proof is
always refused, a missing one only while the `require_appsecret_proof` setting is on
(Meta's "Require App Secret" switch). App tokens (`app_id|app_secret`) need no proof.
"""

import hashlib
import hmac

from meta_sandbox import errors
from meta_sandbox.errors import GraphError
from meta_sandbox.models import Token
from meta_sandbox.routing import Call, GraphRequest
from meta_sandbox.state import SandboxState


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """Return Meta's appsecret_proof for a token."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def token_value(request: GraphRequest) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return request.param("access_token") or None


def is_app_token(state: SandboxState, value: str) -> bool:
    return value == f"{state.app_id}|{state.app_secret}"


def _check_app_token_shape(state: SandboxState, value: str) -> None:
    if "|" in value and not is_app_token(state, value):
        raise GraphError("Invalid OAuth access token signature.", code=190)


def check_proof(state: SandboxState, request: GraphRequest, value: str) -> None:
    proof = request.param("appsecret_proof")
    if proof is None:
        if state.settings.require_appsecret_proof:
            raise errors.proof_required()
        return
    if not hmac.compare_digest(proof.lower(), appsecret_proof(state.app_secret, value)):
        raise errors.invalid_proof()


def authenticate(call: Call) -> Token:
    """Return the caller's valid user or Page token, or raise Meta's error for it."""
    request = call.request
    object_id = request.segments[0] if request.segments else ""
    value = token_value(request)
    if not value:
        raise errors.missing_token(object_id)
    _check_app_token_shape(call.state, value)
    if is_app_token(call.state, value):
        # An app token acts for no person: it cannot see /me or anyone's granted assets.
        if object_id == "me":
            raise errors.missing_token("me")
        raise errors.unsupported_request(request.method, object_id)
    token = call.state.auth.require_valid(value)
    check_proof(call.state, request, value)
    return token


def authenticate_app_or_user(call: Call) -> Token | None:
    """Accept an app token (returns None) or a valid user token of this app."""
    value = token_value(call.request)
    if not value:
        raise errors.debug_token_forbidden()
    _check_app_token_shape(call.state, value)
    if is_app_token(call.state, value):
        return None
    token = call.state.auth.require_valid(value)
    check_proof(call.state, call.request, value)
    return token
