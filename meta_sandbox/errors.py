"""Graph API errors exactly as Meta sends them (GRAPH_NOTES §5).

`GraphError` carries everything the envelope needs; handlers raise it and the
dispatcher turns it into `{"error": {...}}` with a fresh `fbtrace_id`, the HTTP status
Meta uses for that code, and a `WWW-Authenticate` header for OAuth errors. The
constructors below hold Meta's real messages so that every endpoint words the same
failure the same way.
"""

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OAUTH = "OAuthException"
METHOD = "GraphMethodException"

# Codes whose failures Meta marks as worth retrying (§5.2, §5.3).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80000, 80001, 80002, 80003, 80004, 80014})
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80000, 80001, 80002, 80003, 80004, 80014})

DEFAULT_MESSAGES: dict[int, str] = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    100: "(#100) Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    200: "(#200) Permissions error",
    341: "(#341) Application limit reached",
    368: "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
    506: "(#506) Duplicate status message",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80000: "(#80000) There have been too many calls from this ad-account. Wait a bit and try again.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
    80003: "(#80003) There have been too many calls to this ad-account. Wait a bit and try again.",
    80004: "(#80004) There have been too many calls to this ad-account. Wait a bit and try again.",
    80014: "(#80014) There have been too many calls to this ad-account. Wait a bit and try again.",
}


def new_fbtrace_id() -> str:
    """Return a random trace id shaped like Meta's (e.g. `A9xnjd1iwrUx8qFJt1sld_Q`)."""
    return "A" + secrets.token_urlsafe(16)[:22]


def http_status_for(code: int) -> int:
    """Return the HTTP status Graph uses for an error code (§5.1)."""
    if code in (1, 2):
        return 500
    if code == 10 or 200 <= code <= 299:
        return 403
    return 400


def _auth_kind(code: int) -> str:
    if code == 190:
        return "invalid_token"
    if code == 10 or 200 <= code <= 299:
        return "insufficient_scope"
    return "invalid_request"


@dataclass(eq=False)
class GraphError(Exception):
    """One Graph error; `payload()` renders the envelope with a fresh fbtrace_id."""

    message: str
    code: int
    subcode: int | None = None
    type: str = OAUTH
    is_transient: bool | None = None
    user_title: str | None = None
    user_msg: str | None = None
    http_status: int | None = None
    auth_kind: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return self.http_status or http_status_for(self.code)

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            body["error_subcode"] = self.subcode
        transient = self.is_transient
        body["is_transient"] = self.code in TRANSIENT_CODES if transient is None else transient
        if self.user_title is not None:
            body["error_user_title"] = self.user_title
        if self.user_msg is not None:
            body["error_user_msg"] = self.user_msg
        body["fbtrace_id"] = new_fbtrace_id()
        return {"error": body}

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.type == OAUTH:
            kind = self.auth_kind or _auth_kind(self.code)
            quoted = " ".join(self.message.replace('"', "'").split())  # one header line
            # Header values are Latin-1 on the wire; a message quoting the caller's input
            # (an unknown metric name, say) may hold any character.
            quoted = quoted.encode("latin-1", "replace").decode("latin-1")
            headers.setdefault("WWW-Authenticate", f'OAuth "Facebook Platform" "{kind}" "{quoted}"')
        return headers


def from_spec(spec: dict[str, Any], *, http_status: int | None = None) -> GraphError:
    """Build an error from a partial spec such as a fault's `error` object."""
    code = int(spec.get("code", 1 if (http_status or 500) >= 500 else 100))
    return GraphError(
        message=spec.get("message") or DEFAULT_MESSAGES.get(code, f"(#{code}) Sandbox fault"),
        code=code,
        subcode=spec.get("error_subcode"),
        type=spec.get("type") or OAUTH,
        is_transient=spec.get("is_transient"),
        user_title=spec.get("error_user_title"),
        user_msg=spec.get("error_user_msg"),
        http_status=http_status,
    )


def error_for_status(http_status: int) -> GraphError:
    """Return the body Graph sends with a bare 5xx (or other) status."""
    if http_status == 503:
        return GraphError(DEFAULT_MESSAGES[2], code=2, http_status=503)
    if http_status >= 500:
        return GraphError(DEFAULT_MESSAGES[1], code=1, http_status=http_status)
    return GraphError(DEFAULT_MESSAGES[100], code=100, http_status=http_status)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def default_usage_headers(code: int, object_id: str) -> dict[str, str]:
    """Return the usage header Meta sends along with a throttling error (§5.4)."""
    app_usage = {"call_count": 100, "total_cputime": 42, "total_time": 87}
    if code in (4, 17):
        return {"X-App-Usage": _compact(app_usage)}
    if code == 32:
        return {"X-Page-Usage": _compact(app_usage)}
    if code == 613:
        account_usage = {
            "acc_id_util_pct": 100.0,
            "reset_time_duration": 300,
            "ads_api_access_tier": "standard_access",
        }
        return {"X-Ad-Account-Usage": _compact(account_usage)}
    entry = {
        "type": {80001: "pages", 80002: "instagram"}.get(code, "ads_management"),
        "call_count": 100,
        "total_cputime": 35,
        "total_time": 64,
        "estimated_time_to_regain_access": 5,
    }
    return {"X-Business-Use-Case-Usage": _compact({object_id: [entry]})}


# --- Meta's messages for the failures the sandbox produces itself -------------------------


def unsupported_request(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation. "
        "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        code=100,
        subcode=33,
        type=METHOD,
    )


def unknown_path(path: str) -> GraphError:
    return GraphError(f"Unknown path components: {path}", code=2500)


def missing_token(object_id: str) -> GraphError:
    if object_id == "me":
        return GraphError(
            "An active access token must be used to query information about the current user.",
            code=2500,
        )
    return GraphError("(#104) An access token is required to request this resource.", code=104)


def cannot_parse_token() -> GraphError:
    return GraphError("Invalid OAuth access token - Cannot parse access token", code=190)


def _meta_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")


def expired_token(expired_at: float, now: float) -> GraphError:
    return GraphError(
        f"Error validating access token: Session has expired on {_meta_time(expired_at)}. "
        f"The current time is {_meta_time(now)}.",
        code=190,
        subcode=463,
    )


def app_not_authorized(app_id: str) -> GraphError:
    return GraphError(
        f"Error validating access token: The user has not authorized application {app_id}.",
        code=190,
        subcode=458,
    )


def session_invalid() -> GraphError:
    return GraphError(
        "Error validating access token: The session is invalid because the user no longer "
        "grants this app access to the Page.",
        code=190,
        subcode=492,
    )


def invalid_proof() -> GraphError:
    return GraphError("Invalid appsecret_proof provided in the API argument", code=100, type=METHOD)


def proof_required() -> GraphError:
    return GraphError(
        "API calls from the server require an appsecret_proof argument", code=100, type=METHOD
    )


def missing_permission(any_of: tuple[str, ...]) -> GraphError:
    if any(scope.startswith("ads_") for scope in any_of):
        return GraphError(
            "(#200) Ad account owner has NOT grant ads_management or ads_read permission",
            code=200,
        )
    return GraphError(DEFAULT_MESSAGES[10], code=10)


def invalid_parameter(message: str, *, subcode: int | None = None) -> GraphError:
    return GraphError(message, code=100, subcode=subcode)


def nonexisting_field(field_name: str, node_type: str) -> GraphError:
    return GraphError(
        f"(#100) Tried accessing nonexisting field ({field_name}) on node type ({node_type})",
        code=100,
    )


def bad_client_id() -> GraphError:
    return GraphError("Error validating application. Invalid application ID.", code=101)


def bad_client_secret() -> GraphError:
    return GraphError(
        "Error validating client secret.", code=1, is_transient=False, http_status=400
    )


def code_used() -> GraphError:
    return GraphError(
        "This authorization code has been used.", code=100, subcode=36009, auth_kind="invalid_code"
    )


def code_expired() -> GraphError:
    return GraphError(
        "This authorization code has expired.", code=100, subcode=36007, auth_kind="invalid_code"
    )


def code_invalid() -> GraphError:
    return GraphError("Invalid verification code format.", code=100, auth_kind="invalid_code")


def redirect_mismatch() -> GraphError:
    return GraphError(
        "Error validating verification code. Please make sure your redirect_uri is identical "
        "to the one you used in the OAuth dialog request",
        code=100,
        subcode=36008,
        auth_kind="invalid_code",
    )


def missing_parameter(name: str) -> GraphError:
    return GraphError(f"Missing {name} parameter.", code=100)


def debug_token_forbidden() -> GraphError:
    return GraphError(
        "(#100) You must provide an app access token, or a user access token that is an owner "
        "or developer of the app",
        code=100,
    )


def batch_too_large(limit: int) -> GraphError:
    return GraphError(
        f"(#100) Too many requests in batch message. Maximum batch size is {limit}", code=100
    )


def deprecated_version(version: str, latest: str) -> GraphError:
    return GraphError(
        f"(#2635) You are calling a deprecated version of the Graph API ({version}). "
        f"Please update to the latest version: {latest}.",
        code=2635,
    )


# --- comments and messaging (GRAPH_NOTES §9; labels in meta_sandbox/messaging.py) --------


def page_token_required() -> GraphError:
    return GraphError("(#210) A page access token is required to request this resource.", code=210)


def engagement_not_allowed() -> GraphError:
    """Refuse a comment write without the Page's token, its task or pages_manage_engagement."""
    return GraphError(
        "(#200) The user hasn't authorized the application to perform this action", code=200
    )


def messaging_permission(scope: str) -> GraphError:
    return GraphError(f"(#230) Requires {scope} permission to manage the object", code=230)


def outside_messaging_window() -> GraphError:
    """Sent outside the 24-hour (or 7-day human-agent) window, §9.3 [secondary: 10/2018278]."""
    return GraphError(
        "(#10) This message is sent outside of allowed window. Learn more about the new policy "
        "here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
        code=10,
        subcode=2018278,
        http_status=400,
    )


def person_unavailable() -> GraphError:
    """Refuse a person who blocked the Page / account or left [secondary: 551/1545041]."""
    return GraphError(
        "(#551) This person isn't available right now.", code=551, subcode=1545041, http_status=400
    )


def no_matching_user() -> GraphError:
    """Refuse a recipient id that names nobody on this Page / account (100/2018001)."""
    return GraphError("(#100) No matching user found", code=100, subcode=2018001)


def private_reply_used() -> GraphError:
    """Refuse a second private reply to one comment [secondary: 10900, many clients]."""
    return GraphError("(#10900) Activity already replied to", code=10900)


def cannot_reply_privately() -> GraphError:
    """Refuse a private reply to the Page's / account's own comment [secondary: 10903]."""
    return GraphError("(#10903) This user cant reply to this activity", code=10903)
