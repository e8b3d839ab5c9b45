"""The one module that talks to S3 (ARCHITECTURE §5 "Media", STYLE §3.7).

Owns:
    the boto3 client (built once from the ``AWS_*`` settings, rebuilt when a test changes
    them), presigned POST uploads and presigned GET downloads, object facts, streaming
    downloads to a local file, deletion, and bucket creation for first starts and tests.

Invariants:
    - Keys are Django storage names: ``AWS_LOCATION`` is empty, so the name a ``FileField``
      stores is the object key in ``AWS_STORAGE_BUCKET_NAME``.
    - Every presigned URL expires (``expires_in`` is required for downloads) and uses SigV4.
    - Downloads stream in fixed-size chunks and stop at ``max_bytes``: memory stays constant
      whatever the object size, and a file larger than promised never fills the disk.
    - Failures surface as :class:`StorageError` (or its subclass :class:`ObjectTooLarge`),
      raised ``from`` the botocore exception; a missing object is ``None`` from
      :func:`head_object`, not an error.

Callers:
    ``creatives`` services (browser uploads, probing, renditions), ``creatives.library.media_urls``
    (signed URLs for Meta), the docker-compose bootstrap and tests (:func:`ensure_bucket`).
    Nothing else imports boto3 (tests/test_architecture.py enforces it).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

CHUNK_BYTES = 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 60
_MISSING_CODES = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_session_lock = threading.Lock()


class StorageError(Exception):
    """An S3 call failed; ``code`` is S3's error code (e.g. ``AccessDenied``) when it sent one."""

    def __init__(self, message: str, *, code: str = "", key: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.key = key


class ObjectTooLarge(StorageError):
    """The object is larger than the caller allowed; nothing was kept on disk."""

    def __init__(self, *, key: str, max_bytes: int, size: int | None) -> None:
        shown = "more than" if size is None else f"{size} bytes,"
        super().__init__(
            f"{key} is {shown} {max_bytes} bytes allowed", code="ObjectTooLarge", key=key
        )
        self.max_bytes = max_bytes
        self.size = size


@dataclass(frozen=True)
class PresignedPost:
    """A browser form upload: POST ``fields`` plus a ``file`` part to ``url`` before ``expires_at``."""

    url: str
    fields: dict[str, str]
    key: str
    expires_at: datetime


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str
    etag: str


# --- Client -----------------------------------------------------------------------------------


def _setting(name: str, default: Any = None) -> Any:
    # The AWS_* names exist in settings only when a bucket is configured.
    return getattr(settings, name, default)


def _bucket() -> str:
    bucket = _setting("AWS_STORAGE_BUCKET_NAME") or ""
    if not bucket:
        raise ImproperlyConfigured("S3 is not configured: set AWS_STORAGE_BUCKET_NAME")
    return str(bucket)


@cache
def _session() -> boto3.session.Session:
    # One session keeps botocore's parsed service models: a client rebuilt after a settings
    # change costs milliseconds instead of re-reading the S3 model.
    return boto3.session.Session()


@cache
def s3_client() -> Any:
    """Return the boto3 S3 client for the configured endpoint, built once per settings.

    Clients are thread-safe; sessions are not, so building one is serialised.
    """
    _bucket()
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": _setting("AWS_S3_ADDRESSING_STYLE") or "path"},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    with _session_lock:
        return _session().client(
            "s3",
            endpoint_url=_setting("AWS_S3_ENDPOINT_URL") or None,
            region_name=_setting("AWS_S3_REGION_NAME") or "us-east-1",
            aws_access_key_id=_setting("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=_setting("AWS_SECRET_ACCESS_KEY") or None,
            config=config,
        )


@receiver(setting_changed)
def _reset_client(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("AWS_") or setting in {"MEDIA_USES_S3", "STORAGES"}:
        s3_client.cache_clear()


def _error(exc: ClientError | BotoCoreError, action: str, key: str = "") -> StorageError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        detail = err.get("Message") or code
        return StorageError(f"S3 {action} {key} failed: {detail}", code=code, key=key)
    return StorageError(f"S3 {action} {key} failed: {exc}", key=key)


# --- Headers ----------------------------------------------------------------------------------


def inline_content_disposition(filename: str) -> str:
    """Return ``inline`` Content-Disposition naming ``filename`` (RFC 6266, RFC 8187).

    An ASCII ``filename=`` fallback comes first for old clients, then ``filename*=UTF-8''``
    with the exact name percent-encoded; control characters, quotes and path separators
    never reach the header.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "download"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in ascii_name)
    fallback = fallback.strip() or "download"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- Operations -------------------------------------------------------------------------------


def presign_upload(
    *, key: str, content_type: str, max_bytes: int, expires_in: int = 900
) -> PresignedPost:
    """Return a presigned POST that accepts exactly one object at ``key``.

    The policy pins the key, the Content-Type and a size of 1..``max_bytes`` bytes, so the
    browser cannot write elsewhere, relabel the file or exceed the limit; S3 answers 403
    (``AccessDenied``/``EntityTooLarge``) otherwise.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    expires_at = timezone.now() + timedelta(seconds=expires_in)
    try:
        post = s3_client().generate_presigned_post(
            Bucket=_bucket(),
            Key=key,  # botocore adds the exact {"key": key} condition
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in,
        )
    except (ClientError, BotoCoreError) as exc:
        raise _error(exc, "presign upload", key) from exc
    fields = {str(name): str(value) for name, value in post["fields"].items()}
    return PresignedPost(url=str(post["url"]), fields=fields, key=key, expires_at=expires_at)


def head_object(key: str) -> StoredObject | None:
    """Return the object's size, type and ETag, or ``None`` when there is no such object."""
    try:
        head = s3_client().head_object(Bucket=_bucket(), Key=key)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in _MISSING_CODES:
            return None
        raise _error(exc, "head", key) from exc
    except BotoCoreError as exc:
        raise _error(exc, "head", key) from exc
    return StoredObject(
        key=key,
        size=int(head["ContentLength"]),
        content_type=str(head.get("ContentType") or "application/octet-stream"),
        etag=str(head.get("ETag", "")).strip('"'),
    )


def presign_download(
    *, key: str, expires_in: int, filename: str | None = None, content_type: str | None = None
) -> str:
    """Return a presigned GET URL for ``key``, valid for ``expires_in`` seconds.

    ``filename`` and ``content_type`` become S3's response-header overrides, so the download
    is labelled correctly whatever metadata the object was stored with. S3 serves Range
    requests on these URLs natively. No request is made: the object may not exist.
    """
    if expires_in < 1:
        raise ValueError("expires_in must be at least 1 second")
    params: dict[str, str] = {"Bucket": _bucket(), "Key": key}
    if filename:
        params["ResponseContentDisposition"] = inline_content_disposition(filename)
    if content_type:
        params["ResponseContentType"] = content_type
    try:
        url = s3_client().generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in, HttpMethod="GET"
        )
    except (ClientError, BotoCoreError) as exc:
        raise _error(exc, "presign download", key) from exc
    return str(url)


def download_to(key: str, dst: Path, *, max_bytes: int) -> int:
    """Stream ``key`` into ``dst`` in chunks and return the number of bytes written.

    Raises :class:`ObjectTooLarge` when the object is (or turns out to be) larger than
    ``max_bytes``, and :class:`StorageError` for a missing object or a failed transfer; in
    both cases ``dst`` is removed, so a caller never sees a partial file.
    """
    try:
        obj = s3_client().get_object(Bucket=_bucket(), Key=key)
    except (ClientError, BotoCoreError) as exc:
        raise _error(exc, "get", key) from exc
    body = obj["Body"]
    written = 0
    try:
        announced = int(obj.get("ContentLength", 0))
        if announced > max_bytes:
            raise ObjectTooLarge(key=key, max_bytes=max_bytes, size=announced)
        with dst.open("wb") as out:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                written += len(chunk)
                # Content-Length can lie (or change mid-flight); the count cannot.
                if written > max_bytes:
                    raise ObjectTooLarge(key=key, max_bytes=max_bytes, size=None)
                out.write(chunk)
    except BaseException as exc:
        dst.unlink(missing_ok=True)
        if isinstance(exc, (ClientError, BotoCoreError)):
            raise _error(exc, "get", key) from exc
        raise
    finally:
        body.close()
    return written


def delete_object(key: str) -> None:
    """Delete ``key``; deleting a missing object succeeds (S3 semantics), so retries are safe."""
    try:
        s3_client().delete_object(Bucket=_bucket(), Key=key)
    except (ClientError, BotoCoreError) as exc:
        raise _error(exc, "delete", key) from exc


def ensure_bucket() -> None:
    """Create the configured bucket if it does not exist yet (idempotent)."""
    client = s3_client()
    bucket = _bucket()
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) not in _MISSING_CODES:
            raise _error(exc, "head bucket", bucket) from exc
    except BotoCoreError as exc:
        raise _error(exc, "head bucket", bucket) from exc
    else:
        return
    region = _setting("AWS_S3_REGION_NAME") or "us-east-1"
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        # us-east-1 rejects an explicit LocationConstraint; every other region requires one.
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**kwargs)
    except ClientError as exc:
        # Another process (web and worker both start) may have won the race.
        if str(exc.response.get("Error", {}).get("Code")) != "BucketAlreadyOwnedByYou":
            raise _error(exc, "create bucket", bucket) from exc
    except BotoCoreError as exc:
        raise _error(exc, "create bucket", bucket) from exc
