"""Meta's ``signed_request``: parse and verify (GRAPH_NOTES §8.2-8.3).

``<base64url(HMAC-SHA256(payload_segment, app_secret))>.<base64url(json)>``, both without
padding. The HMAC is computed over the payload segment exactly as received and compared in
constant time. Anything else — no dot, bad base64, bad JSON, another algorithm, a wrong
signature — raises ``SignedRequestError`` with a short reason that reveals nothing useful.

A valid signature is not enough for a callback: ``check_fresh`` refuses a request issued too
long ago or in the future (a captured callback can't be replayed later), and
``meta_user_id`` accepts only an ASCII-digit app-scoped user id. The deauthorize callback also
comes for a Page that removed the app (``profile_id``, no ``user_id``): ``deauthorized_subject``.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any

# Real signed requests are a few hundred bytes; anything far larger is refused unread.
MAX_SIGNED_REQUEST_LENGTH = 8192
# Meta's sample data-deletion payload expires an hour after it was issued (GRAPH_NOTES §8.2):
# a callback older than that is a replay. A few minutes ahead allows for clocks that disagree.
MAX_AGE_SECONDS = 3600
CLOCK_SKEW_SECONDS = 300
_USER_ID = re.compile(r"[0-9]{1,32}")


class SignedRequestError(ValueError):
    """The signed_request is malformed or not signed with our app secret."""


def _b64url_decode(segment: str) -> bytes:
    try:
        # validate=True: stray characters are an error, not silently dropped.
        return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignedRequestError("malformed encoding") from exc


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(payload: dict[str, Any], secret: str) -> str:
    """Return a signed_request for ``payload`` (what Meta sends; used by tests and the sandbox)."""
    segment = b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    digest = hmac.new(secret.encode(), segment.encode("ascii"), hashlib.sha256).digest()
    return f"{b64url_encode(digest)}.{segment}"


def parse_signed_request(signed_request: str, secret: str) -> dict[str, Any]:
    """Return the verified payload of ``signed_request``; raise SignedRequestError otherwise."""
    if not signed_request or len(signed_request) > MAX_SIGNED_REQUEST_LENGTH:
        raise SignedRequestError("missing or oversized")
    encoded_sig, dot, segment = signed_request.partition(".")
    if not dot or not encoded_sig or not segment:
        raise SignedRequestError("malformed")
    if not segment.isascii():
        raise SignedRequestError("malformed encoding")
    signature = _b64url_decode(encoded_sig)
    raw = _b64url_decode(segment)
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignedRequestError("malformed payload") from exc
    if not isinstance(payload, dict):
        raise SignedRequestError("malformed payload")
    algorithm = payload.get("algorithm")
    if not isinstance(algorithm, str) or algorithm.upper() != "HMAC-SHA256":
        raise SignedRequestError("unsupported algorithm")
    expected = hmac.new(secret.encode(), segment.encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise SignedRequestError("bad signature")
    return payload


def check_fresh(payload: dict[str, Any], *, now: float) -> None:
    """Refuse a payload issued more than MAX_AGE_SECONDS ago, in the future, or already expired."""
    issued_at = payload.get("issued_at")
    if not isinstance(issued_at, int) or isinstance(issued_at, bool):
        raise SignedRequestError("no issued_at")
    if issued_at > now + CLOCK_SKEW_SECONDS:
        raise SignedRequestError("issued in the future")
    if issued_at < now - MAX_AGE_SECONDS:
        raise SignedRequestError("too old")
    expires = payload.get("expires")
    if isinstance(expires, int) and not isinstance(expires, bool) and expires < now:
        raise SignedRequestError("expired")


def _ascii_id(value: Any) -> str | None:
    """Return ``value`` as a Meta id (ASCII digits only: "²³" is not a number here), else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if _USER_ID.fullmatch(text) else None


def meta_user_id(payload: dict[str, Any]) -> str:
    """Return the payload's app-scoped user id: ASCII digits only ("²³" is not a number here)."""
    user_id = _ascii_id(payload.get("user_id"))
    if user_id is None:
        raise SignedRequestError("no user_id")
    return user_id


def deauthorized_subject(payload: dict[str, Any]) -> tuple[str, str]:
    """Return who removed ProSocial: ``("user", user_id)`` or ``("page", page_id)``.

    A person removing the app sends ``user_id``; a Page removing it sends ``profile_id``, the
    Page's id, and no ``user_id`` (or ``"user_id": null``; GRAPH_NOTES §8.5). Both must be ASCII
    digits.
    """
    if payload.get("user_id") is not None:
        return "user", meta_user_id(payload)
    page_id = _ascii_id(payload.get("profile_id"))
    if page_id is None:
        raise SignedRequestError("no user_id or profile_id")
    return "page", page_id
