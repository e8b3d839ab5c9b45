"""Meta's privacy callbacks, sent to the app as Meta sends them (GRAPH_NOTES §8).

    signed = sign_signed_request({"algorithm": "HMAC-SHA256", ...}, app_secret)
    result = send_callback(kind="data_deletion", url="http://127.0.0.1:8000/privacy/meta/data-deletion/",
                           user_id="10161234567890123", app_secret=app_secret)
    result.ok, result.problems, result.confirmation_code, result.status_url

The request is a form post of one field, `signed_request` (§8.2). A data-deletion
reply is checked like Meta checks it (§8.4): HTTP 200, `Content-Type:
application/json`, a strict JSON object `{"url": <absolute http(s) URL>,
"confirmation_code": <non-empty alphanumeric>}`; every deviation is listed in
`problems`. A deauthorize reply only needs a 2xx status (§8.5).

Only loopback targets are allowed (127.0.0.0/8, ::1, `localhost`): anything else
raises `CallbackRefused` before any connection is made. Redirects are not followed and
environment proxies are ignored, so the request cannot leave the machine either.

`issued_at` is wall-clock time, not the sandbox clock: the app checks freshness
against its own clock, as it does with Meta's real callbacks.

Standard library only (the sandbox package depends on werkzeug and nothing else).
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlencode, urlsplit

DATA_DELETION = "data_deletion"
DEAUTHORIZE = "deauthorize"
KINDS = (DATA_DELETION, DEAUTHORIZE)

# Meta's sample payload has `expires` one hour after `issued_at` (§8.2).
SIGNED_REQUEST_TTL_SECONDS = 3600
BODY_EXCERPT_CHARS = 500
_MAX_BODY_BYTES = 64 * 1024
_CODE = re.compile(r"[A-Za-z0-9]+")


class CallbackRefused(ValueError):
    """The callback cannot be sent (bad kind, or a URL that is not a loopback http(s) URL)."""


@dataclass
class CallbackResult:
    """What happened when the sandbox sent one callback, and what was wrong with the reply."""

    kind: str
    url: str
    status_code: int | None  # None = no HTTP answer (connection failed, timed out)
    ok: bool
    body_excerpt: str
    problems: list[str] = field(default_factory=list)
    confirmation_code: str | None = None
    status_url: str | None = None
    user_id: str = ""
    sent_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "status_code": self.status_code,
            "ok": self.ok,
            "body_excerpt": self.body_excerpt,
            "problems": list(self.problems),
            "confirmation_code": self.confirmation_code,
            "status_url": self.status_url,
            "user_id": self.user_id,
            "sent_at": self.sent_at,
        }


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_signed_request(payload: dict[str, Any] | str, app_secret: str) -> str:
    """Return Meta's `signed_request`: `<sig>.<payload>`, both base64url without padding.

    `payload` is a dict (serialized as compact JSON, keys in their insertion order) or an
    already serialized JSON string. `<sig>` is the raw HMAC-SHA256 of the encoded
    payload segment, keyed with the app secret (§8.2).
    """
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    segment = _b64url(text.encode("utf-8"))
    digest = hmac.new(app_secret.encode("utf-8"), segment.encode("ascii"), hashlib.sha256).digest()
    return f"{_b64url(digest)}.{segment}"


def callback_payload(kind: str, user_id: str, now: float | None = None) -> dict[str, Any]:
    """Return the payload Meta signs for `kind`; `expires` only for data deletion."""
    issued_at = int(time.time() if now is None else now)
    if kind == DATA_DELETION:
        return {
            "algorithm": "HMAC-SHA256",
            "expires": issued_at + SIGNED_REQUEST_TTL_SECONDS,
            "issued_at": issued_at,
            "user_id": user_id,
        }
    return {"algorithm": "HMAC-SHA256", "issued_at": issued_at, "user_id": user_id}


def is_loopback_host(host: str) -> bool:
    """Return True for `localhost` and literal 127.0.0.0/8 or ::1 addresses (no DNS lookup)."""
    host = host.rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def check_callback(kind: str, url: str) -> None:
    """Raise CallbackRefused unless `kind` is known and `url` is a loopback http(s) URL."""
    if kind not in KINDS:
        raise CallbackRefused(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    check_loopback_url(url)


def check_loopback_url(url: str) -> None:
    """Raise CallbackRefused unless `url` is an absolute http(s) URL on a loopback host.

    The one guard for every request the sandbox makes to the app (privacy callbacks here,
    webhooks in webhooks.py).
    """
    if not url:
        raise CallbackRefused("url is required")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise CallbackRefused(f"invalid url {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise CallbackRefused(f"url must be an absolute http(s) URL, not {url!r}")
    if not is_loopback_host(host):
        raise CallbackRefused(
            f"url host {host!r} is not a loopback address; the sandbox only calls "
            "127.0.0.0/8, ::1 or localhost"
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a 3xx as the answer instead of following it (it could leave loopback)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No environment proxies, no redirects: with check_loopback_url, requests stay on this machine.
LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _post(url: str, body: bytes, timeout: float) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(  # noqa: S310 - scheme and host checked by check_callback
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "facebookexternalua (meta_sandbox)",
        },
    )
    try:
        with LOOPBACK_OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read(_MAX_BODY_BYTES)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read(_MAX_BODY_BYTES)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_data_deletion_reply(
    status: int, content_type: str, body: bytes
) -> tuple[list[str], str | None, str | None]:
    """Check a data-deletion reply against §8.4; return (problems, confirmation_code, url)."""
    problems: list[str] = []
    if status != 200:
        problems.append(f"HTTP status {status}, expected 200")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json":
        problems.append(f"Content-Type is {content_type or 'missing'!r}, expected application/json")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        problems.append(f"body is not strict JSON ({exc})")
        return problems, None, None
    if not isinstance(data, dict):
        problems.append(f"body is JSON {type(data).__name__}, expected an object")
        return problems, None, None
    extra = sorted(set(data) - {"url", "confirmation_code"})
    if extra:
        problems.append(f"unexpected keys {extra}; expected exactly url and confirmation_code")
    status_url = _check_status_url(data, problems)
    code = _check_code(data, problems)
    return problems, code, status_url


def _check_status_url(data: dict[str, Any], problems: list[str]) -> str | None:
    if "url" not in data:
        problems.append("missing url")
        return None
    value = data["url"]
    if not isinstance(value, str):
        problems.append(f"url must be a string, got {type(value).__name__}")
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"url {value!r} is not an absolute http(s) URL")
        return None
    return value


def _check_code(data: dict[str, Any], problems: list[str]) -> str | None:
    if "confirmation_code" not in data:
        problems.append("missing confirmation_code")
        return None
    value = data["confirmation_code"]
    if not isinstance(value, str):
        problems.append(f"confirmation_code must be a string, got {type(value).__name__}")
        return None
    if not _CODE.fullmatch(value):
        problems.append(f"confirmation_code {value!r} must be non-empty and alphanumeric")
        return None
    return value


def send_callback(
    *,
    kind: str,
    url: str,
    user_id: str,
    app_secret: str,
    timeout: float = 10,
    now: float | None = None,
) -> CallbackResult:
    """POST a signed privacy callback to the app and check its reply.

    Raises CallbackRefused for an unknown kind or a non-loopback URL, before any
    connection. Network failures are not raised: they come back as `problems` with
    `status_code` None.
    """
    check_callback(kind, url)
    signed = sign_signed_request(callback_payload(kind, user_id, now), app_secret)
    sent_at = time.time()
    result = CallbackResult(
        kind=kind,
        url=url,
        status_code=None,
        ok=False,
        body_excerpt="",
        user_id=user_id,
        sent_at=sent_at,
    )
    try:
        status, headers, body = _post(url, urlencode({"signed_request": signed}).encode(), timeout)
    except (OSError, ValueError) as exc:  # URLError, refused, timeout, bad status line
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        result.problems.append(f"no HTTP answer: {reason}")
        return result
    result.status_code = status
    result.body_excerpt = body[:BODY_EXCERPT_CHARS].decode("utf-8", errors="replace")
    if kind == DATA_DELETION:
        problems, code, status_url = check_data_deletion_reply(
            status, headers.get("Content-Type", ""), body
        )
        result.problems.extend(problems)
        result.confirmation_code, result.status_url = code, status_url
    elif not 200 <= status < 300:
        result.problems.append(f"HTTP status {status}, expected 2xx")
    result.ok = not result.problems
    return result
