"""Signed, expiring media URLs for Meta and browsers (ARCHITECTURE §5 "Media").

Owns:
    - the media token: a ``TimestampSigner`` (salt ``prosocial.media``) signature over the
      storage name, Content-Type, download filename and an explicit expiry;
    - :func:`signed_media_url`, which hands out an S3 presigned GET when media lives in S3 and
      ``PUBLIC_BASE_URL`` + ``/media/s/<token>`` otherwise;
    - :func:`serve_signed_media`, the view behind that path, which streams the file from
      ``default_storage`` with HTTP Range support;
    - :func:`can_meta_fetch`, which says whether Meta's servers could download from the base
      those URLs use, without ever connecting to it. Addresses are judged by the fetcher's own
      policy (:func:`prosocial.safe_http.non_public_kind`), never by a second copy of it.

Invariants:
    - The token is the only credential: the view reads no session or cookie, so Meta's
      fetcher (which has neither) gets the same answer as a logged-in browser, and nothing
      varies on Cookie.
    - A token never outlives its expiry, and the signature covers every field, so a token
      can't be re-pointed at another file or relabelled with another Content-Type.
    - Files are read in fixed-size chunks; memory stays constant for a 4 GB video.

Callers: creatives views (previews), publishing (media URLs handed to Meta) and preflight
(``can_meta_fetch``). The URL is wired as ``signed_media`` in ``prosocial/urls.py``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseForbidden,
    HttpResponseNotFound,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from prosocial import safe_http, storage

if TYPE_CHECKING:
    from creatives.library.models import MediaAsset

SALT = "prosocial.media"
CHUNK_BYTES = 64 * 1024
_signer = signing.TimestampSigner(salt=SALT)


# --- Tokens -----------------------------------------------------------------------------------


class InvalidMediaToken(Exception):
    """The token is forged, tampered with, malformed or expired; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MediaToken:
    storage_name: str
    content_type: str
    filename: str
    expires_at: int  # Unix seconds

    def remaining_seconds(self, now: float | None = None) -> int:
        return max(0, int(self.expires_at - (time.time() if now is None else now)))


def sign_media_token(
    *, storage_name: str, content_type: str, filename: str, ttl_seconds: int
) -> str:
    """Return a compact, URL-safe token granting read access to ``storage_name`` for a while.

    ``ttl_seconds=0`` yields a token that is already expired (tests use it to exercise expiry).
    """
    if ttl_seconds < 0:
        raise ValueError("ttl_seconds must not be negative")
    payload = {
        "p": storage_name,
        "t": content_type,
        "f": filename,
        "e": int(time.time()) + ttl_seconds,
    }
    # sign_object: URL-safe base64 payload (zlib-compressed when that is shorter), ':', the
    # timestamp, ':', the HMAC. ':' is a legal path character (RFC 3986 pchar).
    return _signer.sign_object(payload, compress=True)


def read_media_token(token: str, *, now: float | None = None) -> MediaToken:
    """Return the token's contents, or raise :class:`InvalidMediaToken` if it can't be used."""
    try:
        payload = _signer.unsign_object(token)
    except signing.BadSignature:
        raise InvalidMediaToken("invalid") from None
    except ValueError:  # a valid signature over something that isn't our JSON
        raise InvalidMediaToken("invalid") from None
    if not isinstance(payload, dict):
        raise InvalidMediaToken("invalid")
    name, content_type, filename, expires_at = (payload.get(k) for k in ("p", "t", "f", "e"))
    if not (
        isinstance(name, str)
        and name
        and isinstance(content_type, str)
        and isinstance(filename, str)
        and isinstance(expires_at, int)
    ):
        raise InvalidMediaToken("invalid")
    if (time.time() if now is None else now) >= expires_at:
        raise InvalidMediaToken("expired")
    return MediaToken(name, content_type, filename, expires_at)


def signed_media_url(
    *,
    storage_name: str,
    content_type: str,
    filename: str,
    ttl_seconds: int | None = None,
    for_browser: bool = False,
) -> str:
    """Return a URL from which anyone holding it can GET the file until it expires.

    With S3 this is a presigned GET (S3 serves Range itself); on the filesystem it is
    ``PUBLIC_BASE_URL`` + the ``signed_media`` view. ``for_browser`` returns our own URL as a
    path, so pages work whatever host name they were opened with (Meta needs it absolute).
    ``ttl_seconds`` defaults to ``MEDIA_SIGNED_URL_TTL_SECONDS``.
    """
    ttl = settings.MEDIA_SIGNED_URL_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    if settings.MEDIA_USES_S3:
        return storage.presign_download(
            key=storage_name, expires_in=ttl, filename=filename, content_type=content_type
        )
    token = sign_media_token(
        storage_name=storage_name, content_type=content_type, filename=filename, ttl_seconds=ttl
    )
    path = reverse("signed_media", args=[token])
    return path if for_browser else settings.PUBLIC_BASE_URL + path


# --- The view ---------------------------------------------------------------------------------

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
_UNSATISFIABLE = "unsatisfiable"


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """Return (first, last) byte positions, ``None`` for the whole file, or ``_UNSATISFIABLE``.

    Deliberate simplifications, all allowed by RFC 9110 §14.2 ("a server MAY ignore the Range
    header"): several ranges are answered with the whole file (200) rather than a
    multipart/byteranges body, which no media fetcher needs; a malformed header is ignored.
    """
    spec = header.strip().replace(" ", "")
    if not spec or "," in spec:
        return None
    match = _RANGE_RE.match(spec)
    if not match or match.group(1) == match.group(2) == "":
        return None
    first_s, last_s = match.groups()
    if first_s == "":  # suffix: the last N bytes
        suffix = int(last_s)
        if suffix == 0 or size == 0:
            return _UNSATISFIABLE
        return max(0, size - suffix), size - 1
    first = int(first_s)
    if last_s and int(last_s) < first:
        return None  # syntactically invalid: ignore
    if first >= size:
        return _UNSATISFIABLE
    return first, min(int(last_s), size - 1) if last_s else size - 1


def _read_span(handle: IO[bytes], first: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(first)
        left = length
        while left > 0:
            chunk = handle.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _forbidden(reason: str) -> HttpResponse:
    text = {
        "expired": "This media link has expired. Ask for a new link.",
        "invalid": "This media link is not valid.",
    }[reason]
    response = HttpResponseForbidden(text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # no side effects, and the 405 below must not turn into a CSRF 403
@require_http_methods(["GET", "HEAD"])
def serve_signed_media(request: HttpRequest, token: str) -> HttpResponseBase:
    """Stream the file a media token names, honouring a single ``Range: bytes=…`` request.

    200 (whole file), 206 (one range, with Content-Range), 416 (range past the end, with
    ``Content-Range: bytes */size``), 403 for a bad or expired token, 404 for a missing file,
    405 for anything but GET/HEAD. ``If-Range`` is answered with the whole file: the view
    emits no validators, so no If-Range value can match (RFC 9110 §13.1.5).
    """
    try:
        media = read_media_token(token)
    except InvalidMediaToken as exc:
        return _forbidden(exc.reason)
    try:
        handle: Any = default_storage.open(media.storage_name, "rb")
        size = int(handle.size)
    except (FileNotFoundError, SuspiciousFileOperation):
        return HttpResponseNotFound(
            "This media file no longer exists.", content_type="text/plain; charset=utf-8"
        )

    wanted: tuple[int, int] | str | None = None
    if "Range" in request.headers and "If-Range" not in request.headers:
        wanted = _parse_range(request.headers["Range"], size)

    response: HttpResponseBase
    if wanted == _UNSATISFIABLE:
        handle.close()
        response = HttpResponse(
            "Requested range not satisfiable.",
            status=416,
            content_type="text/plain; charset=utf-8",
        )
        response["Content-Range"] = f"bytes */{size}"
    else:
        first, last = wanted if isinstance(wanted, tuple) else (0, size - 1)
        length = last - first + 1
        if request.method == "HEAD":
            handle.close()
            response = HttpResponse(content_type=media.content_type)
        elif last == size - 1:
            # To the end of the file: FileResponse lets the WSGI server use sendfile.
            handle.seek(first)
            response = FileResponse(handle, content_type=media.content_type)
        else:
            response = StreamingHttpResponse(
                _read_span(handle, first, length), content_type=media.content_type
            )
        response["Content-Length"] = str(length)
        response["Content-Disposition"] = storage.inline_content_disposition(media.filename)
        if isinstance(wanted, tuple):
            response.status_code = 206
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = f"private, max-age={media.remaining_seconds()}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Can Meta fetch this? ---------------------------------------------------------------------

FALLBACK_NOTE = (
    "Until then, publishing uploads Facebook photos and videos, Instagram videos and ad videos "
    "to Meta directly instead of giving Meta a URL (slower; videos use resumable upload); "
    "Instagram takes images only by URL, so Instagram posts with an image can't be published."
)
# Names that public DNS never answers (RFC 6761, RFC 6762, RFC 8375, ICANN .internal).
_SPECIAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".internal",
    ".home.arpa",
    ".test",
    ".invalid",
    ".example",
)


@dataclass(frozen=True)
class FetchabilityVerdict:
    ok: bool
    problems: list[str]
    fix: str


def _host_problems(host: str, port: int) -> list[str]:
    """Return why Meta couldn't reach ``host``; addresses are judged by safe_http's policy."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        kind = safe_http.non_public_kind(literal)
        return [] if kind is None else [f"{host} is {kind}."]
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(_SPECIAL_SUFFIXES):
        return [f"{host} is a local-only name that public DNS never resolves."]
    if "." not in name:
        return [f"{host} is a bare host name that only resolves inside your network."]
    try:
        # Resolution only (no connection), as Meta would resolve it, minus Meta's resolver.
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return [f"{host} does not resolve in DNS."]
    addresses = sorted({str(info[4][0]).split("%", 1)[0] for info in infos})
    return [
        f"{host} resolves to {address}, {kind}."
        for address in addresses
        if (kind := safe_http.non_public_kind(ipaddress.ip_address(address))) is not None
    ]


def _media_base() -> str | None:
    """Return the base Meta downloads from, or ``None`` for AWS S3's own public endpoint."""
    if settings.MEDIA_USES_S3:
        endpoint = getattr(settings, "AWS_S3_ENDPOINT_URL", None)
        return str(endpoint).rstrip("/") if endpoint else None
    return str(settings.PUBLIC_BASE_URL).rstrip("/")


def can_meta_fetch(url_base: str | None = None) -> FetchabilityVerdict:
    """Return whether Meta's servers could download media from ``url_base``.

    ``url_base`` defaults to where signed media URLs point: ``AWS_S3_ENDPOINT_URL`` when media
    lives in S3 (AWS's own endpoint, when none is set, is ok without a lookup), else
    ``PUBLIC_BASE_URL``. Host names
    are resolved with ``getaddrinfo`` but nothing is ever connected to. When the verdict is
    not ok, publishing falls back to direct upload; ``fix`` says so and what to change.
    """
    base = url_base or _media_base()
    if base is None:
        # AWS's own endpoint (no AWS_S3_ENDPOINT_URL) is public https by construction.
        return FetchabilityVerdict(ok=True, problems=[], fix="")
    base = base.rstrip("/")
    parts = urlsplit(base)
    problems: list[str] = []
    if parts.scheme.lower() != "https":
        scheme = parts.scheme or "no scheme"
        problems.append(f"{base} uses {scheme}; Meta only downloads media over https.")
    host = parts.hostname or ""
    if not host:
        problems.append(f"{base} has no host name.")
    else:
        try:
            port = parts.port or 443
        except ValueError:
            port = 443
            problems.append(f"{base} has an invalid port.")
        problems.extend(_host_problems(host, port))
    if not problems:
        return FetchabilityVerdict(ok=True, problems=[], fix="")
    fix = (
        f"Meta's servers can't download from {base} — set PUBLIC_BASE_URL to a public https "
        "address (or AWS_S3_ENDPOINT_URL to a public bucket endpoint). " + FALLBACK_NOTE
    )
    return FetchabilityVerdict(ok=False, problems=problems, fix=fix)


def meta_downloads_media() -> bool:
    """Return whether publishing can hand Meta media URLs, rather than upload the files.

    The sandbox runs beside us and downloads from wherever media is served, so it always can
    (preflight's ``media_fetchable`` probes the URL itself there); real Meta only when media is
    served from a public https address (``can_meta_fetch``).
    """
    return settings.META_USES_SANDBOX or can_meta_fetch().ok


def browser_url(asset: MediaAsset, key: str, content_type: str) -> str:
    """Return a signed URL for showing ``key`` of ``asset`` in the browser ("" without a key)."""
    if not key:
        return ""
    return signed_media_url(
        storage_name=key,
        content_type=content_type,
        filename=asset.original_filename,
        for_browser=True,
    )
