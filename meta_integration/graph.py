"""The Graph API client: every HTTP call ProSocial makes to Meta goes through this module.

What it owns (ARCHITECTURE §5 "Graph client", STYLE §3.7):

- one `requests.Session` per process, built once, with (connect, read) timeouts on every
  call and no proxy/netrc lookup from the environment (settings.py is the only env reader);
- the base URL and API version (`META_GRAPH_URL`/`META_API_VERSION`: real Meta or the
  local `meta_sandbox`), and `appsecret_proof` on every call that carries a token;
- retries: exponential backoff with full jitter for transient failures, and for rate
  limits a wait read from Meta's usage headers (GRAPH_NOTES §5.3, §5.4);
- cursor pagination with a page cap, and batch requests split into chunks of 50;
- `GraphError`, the one error type, and `classify()`, the one place that decides what a
  Graph error code means (transient, throttled, quota, auth, permission, invalid);
- the typed helpers the OAuth connect flow uses (code exchange, debug_token, pages, IG
  and ad accounts), which return frozen dataclasses instead of raw dicts.

Invariants:

- No token, app secret, OAuth code or appsecret_proof ever reaches a log line, a
  `GraphCallRecord` or an exception's text: everything textual goes through
  `prosocial.redaction.redact`, and secret parameters are replaced by name. Network
  exceptions are re-raised `from` a redacted copy of the `requests` exception.
- Every HTTP attempt produces exactly one `GraphCallRecord` for the `on_call` hook,
  written from a `finally` block, so failures and retries are traced too.
- A request whose outcome is unknown (sent, but the connection dropped or the read timed
  out) is retried only when it is idempotent (GET/DELETE, or a batch of those): a
  create may already have happened at Meta (GRAPH_NOTES §5.3 "Idempotency hazard"). The
  error then carries `outcome_unknown=True` so the caller checks before repeating.
- 190/102 (auth), permission errors and invalid requests are never retried.

Who may call it: services and tasks of `meta_integration`, `publishing`, `privacy`,
`engagement` and `inbox` (comments, conversations, the Send API and Page webhook
subscriptions: GRAPH_NOTES §7.3, §9; Page tokens come from the vault, through
`services.page_token_for`, straight into the call). Nothing else in the product imports `requests` for Meta (an architecture
test enforces it), and nothing here touches the database: callers turn records into
GraphCall rows through `on_call`.

    client = GraphClient(token, on_call=trace.record)
    page = client.get(f"/{page_id}", {"fields": "id,name"})
    for post in client.paginate(f"/{page_id}/feed", {"limit": 25}, max_pages=4): ...
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
import urllib3.exceptions
from django.conf import settings
from requests.adapters import HTTPAdapter

from prosocial.redaction import REDACTED, redact

logger = logging.getLogger(__name__)

# Tests replace these two to make waits instant and deterministic.
sleep: Callable[[float], None] = time.sleep


def jitter(upper: float) -> float:
    """Return a random wait in [0, upper] ("full jitter" backoff)."""
    return random.uniform(0.0, upper)  # noqa: S311 - timing jitter, not cryptography


MAX_BATCH_SIZE = 50  # GRAPH_NOTES §6.1
EXCERPT_LIMIT = 2000
DEFAULT_BACKOFF_BASE_SECONDS = 0.5
DEFAULT_MAX_BACKOFF_SECONDS = 8.0
# Longest wait a call may spend inside the client before it gives up and raises
# THROTTLED with `retry_after`, so that a job can reschedule itself instead.
DEFAULT_MAX_THROTTLE_WAIT_SECONDS = 60.0
# X-App-Usage / X-Page-Usage at 100% give no reset time: the window is a rolling hour
# (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so come back
# in a few minutes rather than hammer.
SATURATED_USAGE_RETRY_AFTER_SECONDS = 300.0

# Parameters whose values are secrets; records and logs show them as "[redacted]".
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "appsecret_proof",
        "client_secret",
        "code",
        "fb_exchange_token",
        "input_token",
        "refresh_token",
        "signed_request",
    }
)

_VERSION_PREFIX = re.compile(r"^/v\d+\.\d+(?=/|$)")
_VERSIONED_PATH = re.compile(r"/v\d+\.\d+(/.*)?$")
_TRAILING_WORD = re.compile(r"[A-Za-z0-9_.~+/=-]+$")


# --- errors -------------------------------------------------------------------------------


class ErrorKind(StrEnum):
    TRANSIENT = "transient"  # Meta or the network hiccuped: retry with backoff
    THROTTLED = "throttled"  # a rate limit: wait (see retry_after), then retry
    QUOTA = "quota"  # a daily quota (IG's 24-hour publishing limit): wait for the window
    AUTH = "auth"  # the token is invalid/expired/revoked: the user must reconnect
    PERMISSION = "permission"  # a permission is missing or was removed: re-ask or fix roles
    INVALID = "invalid"  # the request can't succeed as sent: fix it; never retried


# GRAPH_NOTES §5.2/§5.3.
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613})
BUC_THROTTLE_CODES = range(80000, 80015)  # 80000-80014, Business Use Case limits
QUOTA_CODES = frozenset({9})  # IG daily publishing limit (9/2207042): wait for the window
AUTH_CODES = frozenset({102, 190})
AUTH_SUBCODES = frozenset({458, 459, 460, 463, 464, 467, 492})
PERMISSION_CODES = frozenset({3, 10})
PERMISSION_CODE_RANGE = range(200, 300)
TRANSIENT_CODES = frozenset({1, 2})
# IG publishing subcodes decide by themselves, whatever their code (§2.9).
IG_TRANSIENT_SUBCODES = frozenset({2207001, 2207003, 2207008, 2207027, 2207032})
IG_QUOTA_SUBCODES = frozenset({2207042})
IG_SUBCODE_RANGE = range(2207000, 2208000)
# A spam/restriction block (4/2207051) must not be looped on, despite code 4.
BLOCK_SUBCODES = frozenset({2207051})


def classify(
    *,
    code: int | None,
    subcode: int | None,
    http_status: int | None,
    is_transient: bool | None = None,
) -> ErrorKind:
    """Return what a Graph failure means; the one place that maps codes to kinds.

    `code` None means no Graph error code: a network failure (`http_status` None), a body
    that is not JSON, or an envelope without one. `is_transient` is Meta's own flag from the
    envelope; for codes 1 and 2 it decides.
    """
    if code is None:
        return (
            ErrorKind.TRANSIENT if http_status is None or http_status >= 500 else ErrorKind.INVALID
        )
    if code in AUTH_CODES or subcode in AUTH_SUBCODES:
        return ErrorKind.AUTH
    if code in PERMISSION_CODES or code in PERMISSION_CODE_RANGE:
        return ErrorKind.PERMISSION
    if subcode in BLOCK_SUBCODES:
        return ErrorKind.INVALID
    if subcode is not None and subcode in IG_SUBCODE_RANGE:
        if subcode in IG_TRANSIENT_SUBCODES:
            return ErrorKind.TRANSIENT
        if subcode in IG_QUOTA_SUBCODES:
            return ErrorKind.QUOTA
        return ErrorKind.INVALID
    if code in QUOTA_CODES:
        return ErrorKind.QUOTA
    if code in THROTTLE_CODES or code in BUC_THROTTLE_CODES:
        return ErrorKind.THROTTLED
    if code in TRANSIENT_CODES:
        # Codes 1 and 2 are usually outages, but Meta's own flag decides when it is there:
        # "Error validating client secret." is code 1 with is_transient false (a configuration
        # mistake), whatever the HTTP status. GRAPH_NOTES §5.1: `true` means retrying may work.
        if is_transient is not None:
            return ErrorKind.TRANSIENT if is_transient else ErrorKind.INVALID
        return ErrorKind.TRANSIENT
    if is_transient or (http_status is not None and http_status >= 500):
        return ErrorKind.TRANSIENT
    return ErrorKind.INVALID


class GraphError(Exception):
    """A failed Graph call: Meta's error envelope, a bad body, or a network failure.

    Callers branch on `kind` and the `is_*` properties, never on `message`. `retry_after`
    (seconds) is set when Meta said how long to wait. `outcome_unknown` is True when the
    request was sent but no answer came back (it may have been applied). `str()` and
    every text field are redacted.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        type: str = "",
        user_title: str = "",
        user_message: str = "",
        fbtrace_id: str = "",
        http_status: int | None = None,
        kind: ErrorKind | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
        meta_is_transient: bool | None = None,
        has_envelope: bool = False,
    ) -> None:
        self.message = redact(message)
        self.code = code
        self.subcode = subcode
        self.type = type
        self.user_title = redact(user_title)
        self.user_message = redact(user_message)
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.meta_is_transient = meta_is_transient
        # True when Meta answered with an error envelope, even one without a code.
        self.has_envelope = has_envelope
        self.kind = kind or classify(
            code=code, subcode=subcode, http_status=http_status, is_transient=meta_is_transient
        )
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"#{self.code}" if self.code is not None else "no Graph code"
        if self.subcode is not None:
            where += f"/{self.subcode}"
        details = [f"kind={self.kind.value}"]
        if self.http_status is not None:
            details.append(f"HTTP {self.http_status}")
        if self.fbtrace_id:
            details.append(f"fbtrace_id={self.fbtrace_id}")
        if self.retry_after is not None:
            details.append(f"retry_after={self.retry_after:g}s")
        prefix = f"{self.type}: " if self.type else ""
        return f"({where}) {prefix}{self.message} [{', '.join(details)}]"

    def __repr__(self) -> str:
        return f"GraphError({self._render()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        state = {
            "code": self.code,
            "subcode": self.subcode,
            "type": self.type,
            "user_title": self.user_title,
            "user_message": self.user_message,
            "fbtrace_id": self.fbtrace_id,
            "http_status": self.http_status,
            "kind": self.kind,
            "retry_after": self.retry_after,
            "outcome_unknown": self.outcome_unknown,
            "meta_is_transient": self.meta_is_transient,
            "has_envelope": self.has_envelope,
        }
        return (_rebuild_graph_error, (self.message, state))

    @property
    def is_transient(self) -> bool:
        return self.kind is ErrorKind.TRANSIENT

    @property
    def is_throttled(self) -> bool:
        """True for a rate limit (4, 17, 32, 341, 613, 80000-80014): wait `retry_after`."""
        return self.kind is ErrorKind.THROTTLED

    @property
    def is_quota(self) -> bool:
        """True for a daily quota (9, or IG subcode 2207042): only the window's end helps."""
        return self.kind is ErrorKind.QUOTA

    @property
    def is_auth(self) -> bool:
        """True when the token is no longer usable: the connection needs re-authorisation."""
        return self.kind is ErrorKind.AUTH

    @property
    def is_permission(self) -> bool:
        return self.kind is ErrorKind.PERMISSION

    @property
    def is_retryable(self) -> bool:
        """True when the same request may succeed later without anyone changing anything."""
        return self.kind in (ErrorKind.TRANSIENT, ErrorKind.THROTTLED, ErrorKind.QUOTA)


def _rebuild_graph_error(message: str, state: dict[str, Any]) -> GraphError:
    return GraphError(message, **state)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _error_from_envelope(
    envelope: Mapping[str, Any], *, http_status: int | None, fallback_trace: str = ""
) -> GraphError:
    """Build a GraphError from `{"error": {...}}` (or the legacy error_type/error_message shape)."""
    raw = envelope.get("error")
    if isinstance(raw, Mapping):
        data: Mapping[str, Any] = raw
        message = str(data.get("message") or "")
        type_ = str(data.get("type") or "")
    else:  # legacy: {"error_type", "code", "error_message"} (GRAPH_NOTES §1.2, §1.12)
        data = envelope
        message = str(envelope.get("error_message") or envelope.get("error_description") or "")
        type_ = str(envelope.get("error_type") or "")
    transient = data.get("is_transient")
    return GraphError(
        message or "Meta returned an error without a message",
        code=_as_int(data.get("code")),
        subcode=_as_int(data.get("error_subcode")),
        type=type_,
        user_title=str(data.get("error_user_title") or ""),
        user_message=str(data.get("error_user_msg") or ""),
        fbtrace_id=str(data.get("fbtrace_id") or fallback_trace),
        http_status=http_status,
        meta_is_transient=transient if isinstance(transient, bool) else None,
        has_envelope=True,
    )


def _looks_like_error(body: Any) -> bool:
    if not isinstance(body, Mapping):
        return False
    if isinstance(body.get("error"), Mapping):
        return True
    return "error_type" in body and "error_message" in body


# --- usage headers ------------------------------------------------------------------------


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


USAGE_KEYS = ("call_count", "total_cputime", "total_time")


@dataclass(frozen=True)
class UsageReading:
    """One utilisation figure from Meta's usage headers (GRAPH_NOTES §5.4).

    `scope` says whose budget it is: "app" (`X-App-Usage`, or the insights app figure of
    `X-FB-Ads-Insights-Throttle`), "page" (`X-Page-Usage`), "ad_account"
    (`X-Ad-Account-Usage`, or the insights account figure) or "business_use_case"
    (`X-Business-Use-Case-Usage`: `use_case` is its type, e.g. "ads_insights", "pages",
    "instagram", and `object_id` the business object). `percent` is the highest of its
    percentages (0-100); `regain_seconds` is set when Meta said how long until access
    returns (BUC `estimated_time_to_regain_access` is in minutes; `reset_time_duration` in
    seconds).
    """

    header: str  # lower-case header name
    scope: str
    percent: float
    use_case: str = ""
    object_id: str = ""
    regain_seconds: float | None = None
    access_tier: str = ""


@dataclass(frozen=True)
class Usage:
    """Everything Meta's usage headers said about one answer, for waits and schedulers."""

    readings: tuple[UsageReading, ...] = ()
    retry_after: float | None = None  # a `Retry-After` header, in seconds

    @property
    def max_percent(self) -> float:
        """The most used budget, in percent (0 when Meta sent no usage header)."""
        return max((reading.percent for reading in self.readings), default=0.0)

    @property
    def is_saturated(self) -> bool:
        return self.max_percent >= 100

    def percent(self, *, scope: str | None = None, use_case: str | None = None) -> float | None:
        """Return the highest percentage among readings of that scope / use case (or None)."""
        found = [
            reading.percent
            for reading in self.readings
            if (scope is None or reading.scope == scope)
            and (use_case is None or reading.use_case == use_case)
        ]
        return max(found) if found else None

    @property
    def wait_seconds(self) -> float | None:
        """How long to wait before calling again, or None when the headers don't say.

        The longest explicit wait wins (`estimated_time_to_regain_access`,
        `reset_time_duration`, `Retry-After`); a budget at 100% without a time means
        SATURATED_USAGE_RETRY_AFTER_SECONDS.
        """
        waits = [r.regain_seconds for r in self.readings if r.regain_seconds]
        if self.retry_after is not None:
            waits.append(self.retry_after)
        if waits:
            return max(waits)
        return SATURATED_USAGE_RETRY_AFTER_SECONDS if self.is_saturated else None


def _percent_of(usage: Mapping[str, Any], keys: Sequence[str]) -> float:
    return max((_number(usage.get(key)) or 0.0 for key in keys), default=0.0)


def parse_usage(headers: Mapping[str, str]) -> Usage:
    """Read Meta's usage headers (any letter case) into a `Usage`; bad values are skipped.

    - `X-App-Usage` / `X-Page-Usage`: call_count, total_cputime, total_time in percent;
    - `X-Business-Use-Case-Usage`: per business object, entries with a `type`, the same
      percentages and `estimated_time_to_regain_access` in **minutes**;
    - `X-Ad-Account-Usage`: `acc_id_util_pct` and `reset_time_duration` in seconds;
    - `X-FB-Ads-Insights-Throttle`: `app_id_util_pct` and `acc_id_util_pct` (§4.7);
    - `Retry-After` (seconds), should a proxy or Meta send it.
    """
    lower = {str(name).lower(): value for name, value in headers.items()}
    readings: list[UsageReading] = []

    for name, scope in (("x-app-usage", "app"), ("x-page-usage", "page")):
        usage = _json_header(lower, name)
        if isinstance(usage, Mapping):
            readings.append(UsageReading(name, scope, _percent_of(usage, USAGE_KEYS)))

    buc = _json_header(lower, "x-business-use-case-usage")
    if isinstance(buc, Mapping):
        for object_id, entries in buc.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, Mapping):
                    continue
                minutes = _number(entry.get("estimated_time_to_regain_access"))
                readings.append(
                    UsageReading(
                        "x-business-use-case-usage",
                        "business_use_case",
                        _percent_of(entry, USAGE_KEYS),
                        use_case=str(entry.get("type") or ""),
                        object_id=str(object_id),
                        regain_seconds=minutes * 60 if minutes and minutes > 0 else None,
                        access_tier=str(entry.get("ads_api_access_tier") or ""),
                    )
                )

    account = _json_header(lower, "x-ad-account-usage")
    if isinstance(account, Mapping):
        reset = _number(account.get("reset_time_duration"))
        readings.append(
            UsageReading(
                "x-ad-account-usage",
                "ad_account",
                _percent_of(account, ("acc_id_util_pct",)),
                regain_seconds=reset if reset and reset > 0 else None,
                access_tier=str(account.get("ads_api_access_tier") or ""),
            )
        )

    throttle = _json_header(lower, "x-fb-ads-insights-throttle")
    if isinstance(throttle, Mapping):
        tier = str(throttle.get("ads_api_access_tier") or "")
        for key, scope in (("app_id_util_pct", "app"), ("acc_id_util_pct", "ad_account")):
            if key in throttle:
                percent = _percent_of(throttle, (key,))
                readings.append(
                    UsageReading(
                        "x-fb-ads-insights-throttle",
                        scope,
                        percent,
                        use_case="ads_insights",
                        access_tier=tier,
                    )
                )

    return Usage(readings=tuple(readings), retry_after=_retry_after_header(lower))


def throttle_wait(headers: Mapping[str, str]) -> float | None:
    """Return the seconds Meta's usage headers say to wait, or None when they don't say.

    See `parse_usage` for the headers and `Usage.wait_seconds` for the rule (GRAPH_NOTES §5.4).
    """
    return parse_usage(headers).wait_seconds


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphCallRecord:
    """One HTTP attempt, for the trace hook. Nothing in it is secret."""

    method: str
    path: str  # after the version, no query string
    params: dict[str, str]  # redacted
    status_code: int | None  # None: no HTTP answer (network failure)
    duration_ms: float
    fbtrace_id: str
    error_code: int | None
    error_subcode: int | None
    attempt: int  # 1 for the first try
    response_excerpt: str  # redacted, at most EXCERPT_LIMIT characters


CallHook = Callable[[GraphCallRecord], None]


def redact_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Return `params` as strings with secret values replaced and the rest redacted."""
    clean: dict[str, str] = {}
    for name, value in params.items():
        if name in SECRET_PARAMS:
            clean[name] = REDACTED
        else:
            clean[name] = redact(str(value))[:EXCERPT_LIMIT]
    return clean


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Return hex HMAC-SHA256(key=app_secret, msg=access_token).

    https://developers.facebook.com/docs/graph-api/securing-requests
    """
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


# --- the shared session -------------------------------------------------------------------

_session: requests.Session | None = None
_session_lock = threading.Lock()


def shared_session() -> requests.Session:
    """Return the process-wide session, building it on first use."""
    global _session  # one pool per process, built lazily
    if _session is None:
        with _session_lock:
            if _session is None:
                session = requests.Session()
                # No proxies or .netrc from the environment: settings.py reads the env.
                session.trust_env = False
                # Retries are ours (they need Graph's error codes), so urllib3 makes none.
                adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                session.headers.update(
                    {"User-Agent": "ProSocial-GraphClient/1", "Accept": "application/json"}
                )
                _session = session
    return _session


def _was_not_sent(exc: requests.RequestException) -> bool:
    """Return True when the request provably never reached the server (safe to repeat)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, urllib3.exceptions.MaxRetryError):
            reason = reason.reason
        return isinstance(
            reason,
            urllib3.exceptions.NewConnectionError
            | urllib3.exceptions.ConnectTimeoutError
            | urllib3.exceptions.NameResolutionError,
        )
    return False


def _sanitized(exc: requests.RequestException) -> BaseException:
    """Return a copy of `exc` whose text is redacted (the original may hold the URL)."""
    text = redact(f"{type(exc).__name__}: {exc}")
    try:
        clean: BaseException = type(exc)(text)
    except Exception:  # an exception type with an unusual constructor
        clean = requests.RequestException(text)
    return clean.with_traceback(exc.__traceback__)


# --- batch types --------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRequest:
    """One item of a batch; `relative_url` is relative to the version ("me?fields=id")."""

    method: str
    relative_url: str
    body: Mapping[str, Any] | None = None
    name: str | None = None
    depends_on: str | None = None
    omit_response_on_success: bool | None = None

    def as_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "method": self.method.upper(),
            "relative_url": self.relative_url.lstrip("/"),
        }
        if self.body:
            item["body"] = urlencode({k: _wire_value(v) for k, v in self.body.items()})
        if self.name is not None:
            item["name"] = self.name
        if self.depends_on is not None:
            item["depends_on"] = self.depends_on
        if self.omit_response_on_success is not None:
            item["omit_response_on_success"] = self.omit_response_on_success
        return item


@dataclass(frozen=True)
class BatchResponse:
    """One answer of a batch, in request order.

    `code` is None when Meta answered `null` for the item: its dependency failed, or its
    response was omitted on success. `error` is set for a failed item (code >= 400 or an
    error envelope); items are never retried one by one.
    """

    code: int | None
    headers: dict[str, str]
    body: dict[str, Any] | None
    error: GraphError | None


def _wire_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# --- the client ---------------------------------------------------------------------------


RUPLOAD_HOST = "rupload.facebook.com"


@dataclass(frozen=True)
class Upload:
    """A file sent as multipart: its name, an open binary handle and its content type."""

    filename: str
    handle: IO[bytes]
    content_type: str

    def as_tuple(self) -> tuple[str, IO[bytes], str]:
        return (self.filename, self.handle, self.content_type)


class GraphClient:
    """A Graph API client acting with one access token (or none, for the OAuth endpoints).

    Cheap to build: make one per unit of work. Settings are read when it is built; the
    keyword arguments override them (tests use them to keep waits and timeouts small).
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        on_call: CallHook | None = None,
        timeout: tuple[float, float] | None = None,
        max_retries: int | None = None,
        backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS,
        max_backoff_seconds: float = DEFAULT_MAX_BACKOFF_SECONDS,
        max_throttle_wait_seconds: float = DEFAULT_MAX_THROTTLE_WAIT_SECONDS,
    ) -> None:
        self._token = access_token or None
        self._proof = (
            appsecret_proof(self._token, settings.META_APP_SECRET) if self._token else None
        )
        self.on_call = on_call
        self.base_url = f"{settings.META_GRAPH_URL.rstrip('/')}/{settings.META_API_VERSION}"
        self.timeout: tuple[float, float] = timeout or (
            float(settings.META_CONNECT_TIMEOUT),
            float(settings.META_READ_TIMEOUT),
        )
        self.max_retries = settings.META_MAX_RETRIES if max_retries is None else max_retries
        self.backoff_base_seconds = backoff_base_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.max_throttle_wait_seconds = max_throttle_wait_seconds
        # What the usage headers of the last answer said (None before any answer), so that a
        # scheduler can slow down before Meta throttles it (GRAPH_NOTES §5.4).
        self.last_usage: Usage | None = None

    def __repr__(self) -> str:
        token = "yes" if self._token else "no"
        return f"<GraphClient {self.base_url} token={token}>"

    # --- public calls -------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a node or edge; return its JSON object. Raises GraphError."""
        return self._object(self._call("GET", path, params, idempotent=True))

    def post(self, path: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST form fields; return the JSON object. Raises GraphError.

        Not retried when the outcome is unknown (dropped connection, read timeout): the
        error then has `outcome_unknown=True` and the caller must check before repeating.
        """
        return self._object(self._call("POST", path, data, idempotent=False))

    def post_file(
        self, path: str, data: Mapping[str, Any], *, field: str, file: Upload
    ) -> dict[str, Any]:
        """POST form fields plus one file as multipart (``source`` for Page photos/videos).

        Like ``post``: not retried when the outcome is unknown.
        """
        return self._object(
            self._call("POST", path, data, idempotent=False, files={field: file.as_tuple()})
        )

    def upload(
        self,
        uri: str,
        *,
        file: IO[bytes] | None = None,
        size: int = 0,
        file_url: str | None = None,
    ) -> dict[str, Any]:
        """Send a file to an upload URI Meta gave us (rupload, GRAPH_NOTES §2.3 and §4.2).

        Either a file (``file`` of ``size`` bytes, streamed from offset 0) or a ``file_url``
        Meta fetches. The
        token goes in the Authorization header, and only to Meta's upload host or the
        configured Graph host. Retried like an idempotent call: a re-sent offset-0 upload
        replaces the first.
        """
        parts = urlsplit(uri)
        graph = urlsplit(settings.META_GRAPH_URL)
        same_host = (parts.scheme, parts.netloc) == (graph.scheme, graph.netloc)
        if not same_host and (parts.scheme, parts.hostname) != ("https", RUPLOAD_HOST):
            raise GraphError(
                "Meta gave an upload address on an unexpected host; nothing was sent",
                kind=ErrorKind.INVALID,
            )
        headers = {"Authorization": f"OAuth {self._token}", "offset": "0"}
        if file_url is not None:
            headers["file_url"] = file_url
        else:
            headers["file_size"] = str(size)
        return self._object(
            self._call(
                "POST",
                parts.path,
                {},
                idempotent=True,
                url=uri,
                headers=headers,
                body=file,
            )
        )

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """DELETE a node or edge; return the JSON object (`{"success": true}`)."""
        return self._object(self._call("DELETE", path, params, idempotent=True))

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, max_pages: int = 50
    ) -> Iterator[dict[str, Any]]:
        """Yield the items of `data` page by page, following `paging.next`, at most `max_pages`.

        Empty pages that still have `next` are followed (GRAPH_NOTES §6.2). The next link
        is only used for its query (cursor); requests always go to our own base URL.
        """
        page_path, page_params = self._split(path, params)
        for page_number in range(1, max_pages + 1):
            body = self._call("GET", page_path, page_params, idempotent=True)
            data = body.get("data") if isinstance(body, Mapping) else None
            if not isinstance(data, list):
                raise GraphError(
                    f"Expected a paged list from GET {page_path}, got no `data` list",
                    http_status=200,
                    kind=ErrorKind.INVALID,
                )
            for item in data:
                if isinstance(item, dict):
                    yield item
            paging = body.get("paging")
            next_url = paging.get("next") if isinstance(paging, Mapping) else None
            if not next_url:
                return
            page_path, page_params = self._next_page(str(next_url))
            if page_number == max_pages:
                logger.warning(
                    "Graph paging of %s stopped at the cap of %d pages; more items exist",
                    page_path,
                    max_pages,
                )

    def batch(self, requests: Sequence[BatchRequest]) -> list[BatchResponse]:
        """Run requests as Graph batches of at most 50; return one response per request, in order.

        The batch call itself is retried like any call (a batch of only GET/DELETE items
        counts as idempotent); failed items come back with `error` set and are not retried.
        """
        responses: list[BatchResponse] = []
        for start in range(0, len(requests), MAX_BATCH_SIZE):
            chunk = list(requests[start : start + MAX_BATCH_SIZE])
            idempotent = all(item.method.upper() in ("GET", "DELETE") for item in chunk)
            items = [item.as_item() for item in chunk]
            payload = {"batch": json.dumps(items, separators=(",", ":")), "include_headers": "true"}
            result = self._call("POST", "/", payload, idempotent=idempotent)
            if not isinstance(result, list) or len(result) != len(chunk):
                raise GraphError(
                    "Meta answered a batch with something other than one result per request",
                    http_status=200,
                    kind=ErrorKind.INVALID,
                )
            responses.extend(_batch_response(entry) for entry in result)
        return responses

    # --- internals ----------------------------------------------------------------------

    @staticmethod
    def _object(body: Any) -> dict[str, Any]:
        if isinstance(body, dict):
            return body
        if isinstance(body, bool):  # older endpoints answer a bare `true`
            return {"success": body}
        raise GraphError(
            f"Expected a JSON object from Meta, got {type(body).__name__}",
            http_status=200,
            kind=ErrorKind.INVALID,
        )

    @staticmethod
    def _split(path: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
        """Return a clean path ("/me/accounts") and params, moving any query into params."""
        if "://" in path:
            raise ValueError("GraphClient takes paths relative to the API version, not URLs")
        raw_path, _, query = path.partition("?")
        merged: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        merged.update(params or {})
        clean = "/" + raw_path.strip("/")
        return _VERSION_PREFIX.sub("", clean) or "/", merged

    def _next_page(self, next_url: str) -> tuple[str, dict[str, Any]]:
        parts = urlsplit(next_url)
        path = "/" + parts.path.strip("/")
        # Keep what follows the version, whatever prefix the link's host put before it.
        if (versioned := _VERSIONED_PATH.search(path)) is not None:
            path = versioned.group(1) or "/"
        params = {
            name: value
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name not in ("access_token", "appsecret_proof")
        }
        return path, params

    def _wire(self, params: Mapping[str, Any]) -> dict[str, str]:
        wire = {name: _wire_value(value) for name, value in params.items() if value is not None}
        if self._token:
            wire["access_token"] = self._token
            wire["appsecret_proof"] = self._proof or ""
        return wire

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        *,
        idempotent: bool,
        files: Mapping[str, Any] | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: IO[bytes] | None = None,
    ) -> Any:
        if url is None:
            clean_path, clean_params = self._split(path, params)
            wire = self._wire(clean_params)
        else:  # an upload URI: the token travels in the Authorization header
            clean_path, wire = path, {}
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(
                    method,
                    clean_path,
                    wire,
                    attempt,
                    files=files,
                    url=url,
                    headers=headers,
                    body=body,
                )
            except GraphError as error:
                wait = self._retry_wait(error, attempt, idempotent=idempotent)
                if wait is None:
                    logger.info(
                        "Graph %s %s failed after %d attempt(s): %s",
                        method,
                        clean_path,
                        attempt,
                        str(error),
                    )
                    raise
                logger.warning(
                    "Graph %s %s attempt %d failed, retrying in %.2f s: %s",
                    method,
                    clean_path,
                    attempt,
                    wait,
                    str(error),
                )
                sleep(wait)

    def _retry_wait(self, error: GraphError, attempt: int, *, idempotent: bool) -> float | None:
        """Return how long to wait before the next attempt, or None to raise `error` now."""
        if attempt > self.max_retries or not error.is_retryable:
            return None
        if error.outcome_unknown and not idempotent:
            return None
        if error.is_quota:
            return None  # a daily quota: retrying within seconds cannot help
        if error.retry_after is not None:
            return (
                error.retry_after if error.retry_after <= self.max_throttle_wait_seconds else None
            )
        ceiling = min(self.max_backoff_seconds, self.backoff_base_seconds * 2 ** (attempt - 1))
        return jitter(ceiling)

    def _attempt(
        self,
        method: str,
        path: str,
        wire: dict[str, str],
        attempt: int,
        *,
        files: Mapping[str, Any] | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: IO[bytes] | None = None,
    ) -> Any:
        url = url or self.base_url + path
        query, form = (None, wire) if method == "POST" else (wire, None)
        for _name, handle, _type in (files or {}).values():
            handle.seek(0)  # a retry sends the whole file again
        if body is not None:
            body.seek(0)
        started = time.perf_counter()
        status: int | None = None
        excerpt = ""
        trace = ""
        error: GraphError | None = None
        try:
            failure: requests.RequestException | None = None
            try:
                response = shared_session().request(
                    method,
                    url,
                    params=query,
                    data=body if body is not None else form,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                failure = exc
            if failure is not None:
                sent = not _was_not_sent(failure)
                error = GraphError(
                    redact(f"Could not reach Meta ({type(failure).__name__}): {failure}"),
                    kind=ErrorKind.TRANSIENT,
                    outcome_unknown=sent,
                )
                excerpt = error.message
                # Raised outside the except block, from a redacted copy: the original's
                # text holds the request URL, and a GET URL holds the token.
                raise error from _sanitized(failure)
            status = response.status_code
            self.last_usage = parse_usage(response.headers)
            text = response.text
            excerpt = text
            trace = response.headers.get("x-fb-trace-id", "")
            body, error = _interpret(response, text, trace)
            if error is not None:
                trace = error.fbtrace_id
                raise error
            return body
        finally:
            if self.on_call is not None:
                _deliver(
                    self.on_call,
                    GraphCallRecord(
                        method=method,
                        path=path,
                        params=redact_params(wire),
                        status_code=status,
                        duration_ms=(time.perf_counter() - started) * 1000,
                        fbtrace_id=trace,
                        error_code=error.code if error else None,
                        error_subcode=error.subcode if error else None,
                        attempt=attempt,
                        response_excerpt=_excerpt(excerpt),
                    ),
                )


def _excerpt(text: str) -> str:
    """Return at most EXCERPT_LIMIT redacted characters of a response body."""
    head = text[: EXCERPT_LIMIT * 2]
    clean = redact(head)
    if len(head) < len(text):
        # The cut may have split a token so that redact() no longer recognises the rest.
        clean = _TRAILING_WORD.sub("", clean)
    return clean[:EXCERPT_LIMIT]


def _deliver(hook: CallHook, record: GraphCallRecord) -> None:
    try:
        hook(record)
    except Exception:
        # A failing trace hook must not turn a call Meta already applied into an error.
        logger.exception("Graph call hook failed for %s %s", record.method, record.path)


def _interpret(response: requests.Response, text: str, trace: str) -> tuple[Any, GraphError | None]:
    """Return (body, None) for a good answer, or (None, the GraphError it means)."""
    status = response.status_code
    try:
        body = json.loads(text) if text.strip() else _NO_BODY
    except ValueError:
        body = _NO_BODY
    if body is _NO_BODY:
        content_type = response.headers.get("Content-Type", "no content type")
        what = "an empty body" if not text.strip() else f"a non-JSON body ({content_type})"
        error = GraphError(
            f"Meta answered HTTP {status} with {what}: {text.strip()[:200]}",
            http_status=status,
            fbtrace_id=trace,
            # A gateway's 5xx page may hide a request that Meta did apply.
            outcome_unknown=status >= 500,
        )
        return None, error
    if _looks_like_error(body) or status >= 400:
        if not _looks_like_error(body):
            error = GraphError(
                f"Meta answered HTTP {status} without an error envelope",
                http_status=status,
                fbtrace_id=trace,
            )
        else:
            error = _error_from_envelope(body, http_status=status, fallback_trace=trace)
        _attach_wait(error, response.headers)
        return None, error
    return body, None


_NO_BODY: Any = object()


def _attach_wait(error: GraphError, headers: Mapping[str, str]) -> None:
    """Set `retry_after` from the response headers: usage headers for throttling, else Retry-After."""
    if error.is_throttled:  # not a quota: that is read from content_publishing_limit
        wait = throttle_wait(headers)
    elif error.is_transient:
        wait = _retry_after_header(headers)
    else:
        return
    if wait is not None:
        error.retry_after = wait
        error.args = (error._render(),)


def _retry_after_header(headers: Mapping[str, str]) -> float | None:
    seconds = _number(headers.get("Retry-After") or headers.get("retry-after"))
    return seconds if seconds is not None and seconds > 0 else None


def _batch_response(entry: Any) -> BatchResponse:
    if entry is None:
        return BatchResponse(code=None, headers={}, body=None, error=None)
    if not isinstance(entry, Mapping):
        shape = GraphError("Meta answered a batch item with an unexpected shape", http_status=200)
        return BatchResponse(code=None, headers={}, body=None, error=shape)
    code = _as_int(entry.get("code"))
    headers = {
        str(h.get("name")): str(h.get("value"))
        for h in entry.get("headers") or []
        if isinstance(h, Mapping)
    }
    raw = entry.get("body")
    try:
        body: Any = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw
    except ValueError:
        not_json = GraphError(
            f"Meta answered a batch item (HTTP {code}) with a non-JSON body", http_status=code
        )
        return BatchResponse(code=code, headers=headers, body=None, error=not_json)
    if isinstance(body, bool):
        body = {"success": body}
    error: GraphError | None = None
    if isinstance(body, Mapping) and _looks_like_error(body):
        error = _error_from_envelope(body, http_status=code)
    elif code is not None and code >= 400:
        error = GraphError(f"Batch item failed with HTTP {code}", http_status=code)
    if error is not None:
        _attach_wait(error, headers)
    return BatchResponse(
        code=code, headers=headers, body=body if isinstance(body, dict) else None, error=error
    )


# --- typed helpers for the OAuth connect flow (GRAPH_NOTES §1) ----------------------------

AD_ACCOUNT_STATUS_LABELS: dict[int, str] = {
    1: "Active",
    2: "Disabled",
    3: "Unsettled",
    7: "Pending risk review",
    8: "Pending settlement",
    9: "In grace period",
    100: "Pending closure",
    101: "Closed",
    201: "Any active",  # a filter value, not a state an account is in
    202: "Any closed",  # a filter value
}
# Only the first values are documented, and only by secondary sources (§1.10).
AD_ACCOUNT_DISABLE_REASON_LABELS: dict[int, str] = {
    0: "None",
    1: "Ads integrity policy",
    2: "Ads IP review",
    3: "Risk payment",
    4: "Gray account shut down",
}

LOGIN_DIALOG_PATH = "dialog/oauth"
PAGE_FIELDS = "id,name,category,tasks,access_token,instagram_business_account"
IG_FIELDS = "id,username,name,profile_picture_url,followers_count"
AD_ACCOUNT_FIELDS = (
    "id,account_id,name,account_status,currency,timezone_name,disable_reason,business"
)
LIST_PAGE_SIZE = 100


@dataclass(frozen=True)
class AccessToken:
    token: str = field(repr=False)
    expires_in: int | None  # seconds; None when Meta gives no lifetime


@dataclass(frozen=True)
class TokenInfo:
    is_valid: bool
    app_id: str
    user_id: str
    type: str  # USER, PAGE, APP, SYSTEM_USER
    scopes: tuple[str, ...]
    # scope -> the Page/IG/ad-account ids it was granted on; None = not asset-scoped.
    granular_scopes: dict[str, tuple[str, ...] | None]
    expires_at: datetime | None  # None = never expires
    data_access_expires_at: datetime | None
    issued_at: datetime | None
    error_code: int | None
    error_subcode: int | None
    error_message: str


@dataclass(frozen=True)
class MetaUser:
    id: str
    name: str


@dataclass(frozen=True)
class PermissionStatus:
    permission: str
    status: str  # granted, declined, expired


@dataclass(frozen=True)
class PageInfo:
    id: str
    name: str
    category: str
    tasks: tuple[str, ...]
    access_token: str = field(repr=False)
    instagram_business_account_id: str | None


@dataclass(frozen=True)
class InstagramInfo:
    id: str
    username: str
    name: str
    profile_picture_url: str
    followers_count: int | None


@dataclass(frozen=True)
class AdAccountInfo:
    id: str  # "act_<account_id>"
    account_id: str
    name: str
    account_status: int
    currency: str
    timezone_name: str
    disable_reason: int | None
    business_name: str

    @property
    def status_label(self) -> str:
        return AD_ACCOUNT_STATUS_LABELS.get(self.account_status, f"Status {self.account_status}")

    @property
    def is_active(self) -> bool:
        """True when ads can be created and run (only status 1, GRAPH_NOTES §1.10)."""
        return self.account_status == 1


def build_login_url(
    *, redirect_uri: str, state: str, scopes: Sequence[str], rerequest: bool = False
) -> str:
    """Return the Facebook Login dialog URL for the server-side code flow (§1.1)."""
    params = {
        "client_id": settings.META_APP_ID,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": ",".join(scopes),
        "response_type": "code",
    }
    if rerequest:
        params["auth_type"] = "rerequest"
    base = settings.META_DIALOG_URL.rstrip("/")
    return f"{base}/{settings.META_API_VERSION}/{LOGIN_DIALOG_PATH}?{urlencode(params)}"


def _app_credentials() -> dict[str, str]:
    return {"client_id": settings.META_APP_ID, "client_secret": settings.META_APP_SECRET}


def _access_token(body: Mapping[str, Any]) -> AccessToken:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise GraphError(
            "Meta's token endpoint answered without an access_token",
            http_status=200,
            kind=ErrorKind.INVALID,
        )
    return AccessToken(token=token, expires_in=_as_int(body.get("expires_in")))


def exchange_code(*, code: str, redirect_uri: str, on_call: CallHook | None = None) -> AccessToken:
    """Redeem a login-dialog code for a short-lived user token (§1.2).

    `redirect_uri` must be exactly the one sent to the dialog. A reused code is 100/36009,
    an expired one 100/36007 (both INVALID).
    """
    params = {**_app_credentials(), "redirect_uri": redirect_uri, "code": code}
    return _access_token(GraphClient(on_call=on_call).get("/oauth/access_token", params))


def exchange_long_lived(*, access_token: str, on_call: CallHook | None = None) -> AccessToken:
    """Trade a valid user token for a ~60-day one (§1.3). Store the new string."""
    params = {
        **_app_credentials(),
        "grant_type": "fb_exchange_token",
        "fb_exchange_token": access_token,
    }
    return _access_token(GraphClient(on_call=on_call).get("/oauth/access_token", params))


def _timestamp(value: Any) -> datetime | None:
    seconds = _as_int(value)
    if not seconds:  # absent or 0 ("never")
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def debug_token(*, input_token: str, on_call: CallHook | None = None) -> TokenInfo:
    """Inspect a user or Page token with the app token (§1.5)."""
    app_token = f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"
    body = GraphClient(app_token, on_call=on_call).get("/debug_token", {"input_token": input_token})
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise GraphError(
            "debug_token answered without `data`", http_status=200, kind=ErrorKind.INVALID
        )
    granular: dict[str, tuple[str, ...] | None] = {}
    for entry in data.get("granular_scopes") or []:
        if isinstance(entry, Mapping) and entry.get("scope"):
            targets = entry.get("target_ids")
            granular[str(entry["scope"])] = (
                tuple(str(t) for t in targets) if isinstance(targets, list) else None
            )
    problem = data.get("error")
    problem = problem if isinstance(problem, Mapping) else {}
    return TokenInfo(
        is_valid=bool(data.get("is_valid")),
        app_id=str(data.get("app_id") or ""),
        user_id=str(data.get("user_id") or ""),
        type=str(data.get("type") or ""),
        scopes=tuple(str(scope) for scope in data.get("scopes") or []),
        granular_scopes=granular,
        expires_at=_timestamp(data.get("expires_at")),
        data_access_expires_at=_timestamp(data.get("data_access_expires_at")),
        issued_at=_timestamp(data.get("issued_at")),
        error_code=_as_int(problem.get("code")),
        error_subcode=_as_int(problem.get("subcode")),
        error_message=redact(str(problem.get("message") or "")),
    )


def get_me(*, access_token: str, on_call: CallHook | None = None) -> MetaUser:
    """Return the person behind a user token."""
    body = GraphClient(access_token, on_call=on_call).get("/me", {"fields": "id,name"})
    return MetaUser(id=str(body.get("id") or ""), name=str(body.get("name") or ""))


def get_permissions(
    *, access_token: str, on_call: CallHook | None = None
) -> list[PermissionStatus]:
    """Return every permission the person granted or declined to the app (§1.7)."""
    items = GraphClient(access_token, on_call=on_call).paginate("/me/permissions")
    return [
        PermissionStatus(permission=str(item.get("permission")), status=str(item.get("status")))
        for item in items
    ]


def list_pages(*, access_token: str, on_call: CallHook | None = None) -> list[PageInfo]:
    """Return the Pages the person granted, each with its Page token and linked IG id (§1.8-§1.9)."""
    client = GraphClient(access_token, on_call=on_call)
    pages = []
    for item in client.paginate("/me/accounts", {"fields": PAGE_FIELDS, "limit": LIST_PAGE_SIZE}):
        ig = item.get("instagram_business_account")
        pages.append(
            PageInfo(
                id=str(item.get("id") or ""),
                name=str(item.get("name") or ""),
                category=str(item.get("category") or ""),
                tasks=tuple(str(task) for task in item.get("tasks") or []),
                access_token=str(item.get("access_token") or ""),
                instagram_business_account_id=(
                    str(ig["id"]) if isinstance(ig, Mapping) and ig.get("id") else None
                ),
            )
        )
    return pages


def get_instagram_account(
    *, access_token: str, ig_user_id: str, on_call: CallHook | None = None
) -> InstagramInfo:
    """Return an Instagram professional account's profile (§1.9)."""
    body = GraphClient(access_token, on_call=on_call).get(f"/{ig_user_id}", {"fields": IG_FIELDS})
    return InstagramInfo(
        id=str(body.get("id") or ""),
        username=str(body.get("username") or ""),
        name=str(body.get("name") or ""),
        profile_picture_url=str(body.get("profile_picture_url") or ""),
        followers_count=_as_int(body.get("followers_count")),
    )


def list_ad_accounts(*, access_token: str, on_call: CallHook | None = None) -> list[AdAccountInfo]:
    """Return the ad accounts the person granted (§1.10)."""
    client = GraphClient(access_token, on_call=on_call)
    params = {"fields": AD_ACCOUNT_FIELDS, "limit": LIST_PAGE_SIZE}
    accounts = []
    for item in client.paginate("/me/adaccounts", params):
        business = item.get("business")
        accounts.append(
            AdAccountInfo(
                id=str(item.get("id") or ""),
                account_id=str(item.get("account_id") or ""),
                name=str(item.get("name") or ""),
                account_status=_as_int(item.get("account_status")) or 0,
                currency=str(item.get("currency") or ""),
                timezone_name=str(item.get("timezone_name") or ""),
                disable_reason=_as_int(item.get("disable_reason")),
                business_name=(
                    str(business.get("name") or "") if isinstance(business, Mapping) else ""
                ),
            )
        )
    return accounts


def revoke_permissions(*, access_token: str, on_call: CallHook | None = None) -> None:
    """Remove the app from the person's account (`DELETE /me/permissions`); the token dies."""
    GraphClient(access_token, on_call=on_call).delete("/me/permissions")


# --- webhook subscriptions (GRAPH_NOTES §7.3) ---------------------------------------------

# What ProSocial's inbox needs from each Page (`/{page-id}/subscribed_apps`): Page posts and
# comments (`feed`), Messenger and Instagram DMs and their echoes, reactions and postbacks.
# Instagram's `comments`/`mentions` come through the *app-level* `instagram` subscription, and
# reach the app only while the linked Page is subscribed (§7.3), so they are not listed here.
PAGE_SUBSCRIBED_FIELDS: tuple[str, ...] = (
    "feed",
    "messages",
    "message_echoes",
    "message_reactions",
    "messaging_postbacks",
)
# The app-level subscriptions the inbox needs, per object (§7.3: "only fields subscribed at both
# app and Page level are delivered").
APP_SUBSCRIBED_FIELDS: dict[str, tuple[str, ...]] = {
    "page": PAGE_SUBSCRIBED_FIELDS,
    "instagram": ("comments", "mentions", "messages", "message_reactions", "messaging_postbacks"),
}


@dataclass(frozen=True)
class SubscribedApp:
    """One app installed on a Page, with the webhook fields it gets (`GET subscribed_apps`)."""

    id: str
    name: str
    subscribed_fields: tuple[str, ...]


@dataclass(frozen=True)
class AppSubscription:
    """One object's app-level webhook subscription (`GET /{app-id}/subscriptions`)."""

    object: str
    callback_url: str
    active: bool
    fields: tuple[str, ...]


def _succeeded(body: Mapping[str, Any], what: str) -> bool:
    """Return True for `{"success": true}` (or `"true"`, §7.3); raise for an explicit failure."""
    success = body.get("success")
    if success is True or (isinstance(success, str) and success.lower() == "true"):
        return True
    raise GraphError(
        f"Meta did not confirm {what} (success={success!r})",
        http_status=200,
        kind=ErrorKind.INVALID,
    )


def subscribe_page(
    *,
    access_token: str,
    page_id: str,
    fields: Sequence[str] = PAGE_SUBSCRIBED_FIELDS,
    on_call: CallHook | None = None,
) -> bool:
    """Install the app on a Page for `fields` (`POST /{page-id}/subscribed_apps`), with its token.

    Idempotent at Meta: the call replaces the app's field list. Needs `pages_manage_metadata`
    (and `pages_messaging` for the message fields). Returns True, or raises GraphError.
    """
    body = GraphClient(access_token, on_call=on_call).post(
        f"/{page_id}/subscribed_apps", {"subscribed_fields": ",".join(fields)}
    )
    return _succeeded(body, "the Page subscription")


def list_page_subscriptions(
    *, access_token: str, page_id: str, on_call: CallHook | None = None
) -> list[SubscribedApp]:
    """Return the apps installed on a Page and their fields (`GET /{page-id}/subscribed_apps`)."""
    client = GraphClient(access_token, on_call=on_call)
    return [
        SubscribedApp(
            id=str(item.get("id") or ""),
            name=str(item.get("name") or ""),
            subscribed_fields=_strings(item.get("subscribed_fields")),
        )
        for item in client.paginate(f"/{page_id}/subscribed_apps", max_pages=5)
    ]


def unsubscribe_page(*, access_token: str, page_id: str, on_call: CallHook | None = None) -> bool:
    """Remove the app from a Page's webhooks (`DELETE /{page-id}/subscribed_apps`)."""
    body = GraphClient(access_token, on_call=on_call).delete(f"/{page_id}/subscribed_apps")
    return _succeeded(body, "the Page unsubscription")


def _app_token() -> str:
    return f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"


def list_app_subscriptions(*, on_call: CallHook | None = None) -> list[AppSubscription]:
    """Return the app's webhook subscriptions per object (`GET /{app-id}/subscriptions`)."""
    client = GraphClient(_app_token(), on_call=on_call)
    subscriptions = []
    for item in client.paginate(f"/{settings.META_APP_ID}/subscriptions", max_pages=5):
        names = []
        for entry in item.get("fields") or []:
            # Meta answers [{"name": "feed", "version": "v25.0"}]; older shapes are bare names.
            name = entry.get("name") if isinstance(entry, Mapping) else entry
            if name:
                names.append(str(name))
        subscriptions.append(
            AppSubscription(
                object=str(item.get("object") or ""),
                callback_url=str(item.get("callback_url") or ""),
                active=bool(item.get("active", True)),
                fields=tuple(names),
            )
        )
    return subscriptions


def subscribe_app(
    *,
    object: str,
    callback_url: str,
    fields: Sequence[str],
    verify_token: str,
    on_call: CallHook | None = None,
) -> bool:
    """Subscribe the app to `object`'s `fields` at `callback_url` (`POST /{app-id}/subscriptions`).

    Meta first verifies the callback (a GET with `hub.challenge`, GRAPH_NOTES §7.1), so our
    webhook endpoint must answer; `verify_token` is sent as a secret parameter would be.
    """
    body = GraphClient(_app_token(), on_call=on_call).post(
        f"/{settings.META_APP_ID}/subscriptions",
        {
            "object": object,
            "callback_url": callback_url,
            "fields": ",".join(fields),
            "verify_token": verify_token,
            "include_values": "true",
        },
    )
    return _succeeded(body, f"the app's {object} subscription")


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part for part in value.split(",") if part)
    if isinstance(value, list):
        return tuple(str(item) for item in value if item is not None)
    return ()


# --- comments (GRAPH_NOTES §9.1; Page comments: the Page Comment reference) -----------------


class Platform(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


# Fields asked for on each platform's comment node. Facebook's `from` needs a Page token with
# pages_read_engagement; Instagram's `username`/`from` need instagram_manage_comments (§9.1).
FB_COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},is_hidden,like_count,comment_count,"
    "can_reply_privately,permalink_url"
)
IG_COMMENT_FIELDS = (
    "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id,media{id}"
)
COMMENT_PAGE_SIZE = 50
MAX_COMMENT_PAGES = 20  # 1,000 comments per listing; a reconcile that needs more pages again


@dataclass(frozen=True)
class Comment:
    """A comment on a Facebook Page post or an Instagram media, the same shape for both."""

    id: str
    platform: Platform
    text: str
    created_at: datetime | None
    author_id: str  # Facebook: the person's Page-scoped id; Instagram: the IGSID
    author_name: str  # Facebook: the name; Instagram: the username
    parent_id: str | None  # the comment this one answers; None for a top-level comment
    is_hidden: bool
    like_count: int | None
    reply_count: int | None
    can_reply_privately: bool | None  # Facebook only; None when Meta did not say
    media_id: str | None  # Instagram media the comment is on (when Meta says)
    permalink_url: str  # Facebook only


def _parse_time(value: Any) -> datetime | None:
    """Parse Graph's ISO time ("2017-08-31T18:10:30+0000") or unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"  # +0000 -> +00:00 for fromisoformat
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _id_of(value: Any) -> str | None:
    if isinstance(value, Mapping) and value.get("id"):
        return str(value["id"])
    return None


def _comment(item: Mapping[str, Any], platform: Platform) -> Comment:
    author = _mapping(item.get("from"))
    if platform is Platform.INSTAGRAM:
        replies = item.get("replies")
        reply_data = replies.get("data") if isinstance(replies, Mapping) else None
        return Comment(
            id=str(item.get("id") or ""),
            platform=platform,
            text=str(item.get("text") or ""),
            created_at=_parse_time(item.get("timestamp")),
            author_id=str(author.get("id") or ""),
            author_name=str(item.get("username") or author.get("username") or ""),
            parent_id=str(item["parent_id"]) if item.get("parent_id") else None,
            is_hidden=bool(item.get("hidden")),
            like_count=_as_int(item.get("like_count")),
            reply_count=len(reply_data) if isinstance(reply_data, list) else None,
            can_reply_privately=None,
            media_id=_id_of(item.get("media")),
            permalink_url="",
        )
    private = item.get("can_reply_privately")
    return Comment(
        id=str(item.get("id") or ""),
        platform=platform,
        text=str(item.get("message") or ""),
        created_at=_parse_time(item.get("created_time")),
        author_id=str(author.get("id") or ""),
        author_name=str(author.get("name") or ""),
        parent_id=_id_of(item.get("parent")),
        is_hidden=bool(item.get("is_hidden")),
        like_count=_as_int(item.get("like_count")),
        reply_count=_as_int(item.get("comment_count")),
        can_reply_privately=private if isinstance(private, bool) else None,
        media_id=None,
        permalink_url=str(item.get("permalink_url") or ""),
    )


def _comment_fields(platform: Platform) -> str:
    return IG_COMMENT_FIELDS if platform is Platform.INSTAGRAM else FB_COMMENT_FIELDS


def list_comments(
    *,
    access_token: str,
    object_id: str,
    platform: Platform,
    since: datetime | None = None,
    max_pages: int = MAX_COMMENT_PAGES,
    on_call: CallHook | None = None,
) -> list[Comment]:
    """Return the comments on a Page post or an Instagram media, following every page.

    Facebook: `GET /{post-id}/comments?filter=stream` (top-level comments and replies, oldest
    first). Instagram: `GET /{ig-media-id}/comments`, top-level comments only (§9.1); their
    replies come from `list_comment_replies`. `since` keeps only newer comments (Facebook
    filters at Meta; Instagram's edge has no filter, so the client filters).
    """
    params: dict[str, Any] = {"fields": _comment_fields(platform), "limit": COMMENT_PAGE_SIZE}
    if platform is Platform.FACEBOOK:
        params.update(filter="stream", order="chronological")
        if since is not None:
            params["since"] = int(since.timestamp())
    client = GraphClient(access_token, on_call=on_call)
    comments = [
        _comment(item, platform)
        for item in client.paginate(f"/{object_id}/comments", params, max_pages=max_pages)
    ]
    if since is not None:
        comments = [c for c in comments if c.created_at is None or c.created_at >= since]
    return comments


def list_comment_replies(
    *,
    access_token: str,
    comment_id: str,
    platform: Platform,
    max_pages: int = MAX_COMMENT_PAGES,
    on_call: CallHook | None = None,
) -> list[Comment]:
    """Return the replies to one comment (Facebook `/{id}/comments`, Instagram `/{id}/replies`)."""
    edge = "replies" if platform is Platform.INSTAGRAM else "comments"
    params = {"fields": _comment_fields(platform), "limit": COMMENT_PAGE_SIZE}
    client = GraphClient(access_token, on_call=on_call)
    return [
        _comment(item, platform)
        for item in client.paginate(f"/{comment_id}/{edge}", params, max_pages=max_pages)
    ]


def get_comment(
    *, access_token: str, comment_id: str, platform: Platform, on_call: CallHook | None = None
) -> Comment:
    """Return one comment. A deleted or invisible comment raises GraphError 100/33."""
    body = GraphClient(access_token, on_call=on_call).get(
        f"/{comment_id}", {"fields": _comment_fields(platform)}
    )
    return _comment(body, platform)


def reply_to_comment(
    *,
    access_token: str,
    comment_id: str,
    platform: Platform,
    message: str,
    on_call: CallHook | None = None,
) -> str:
    """Publish a public reply under a comment; return the new comment's id.

    Facebook: `POST /{comment-id}/comments`; Instagram: `POST /{ig-comment-id}/replies`
    (top-level, visible comments only, §9.1). Not retried when the outcome is unknown.
    """
    edge = "replies" if platform is Platform.INSTAGRAM else "comments"
    body = GraphClient(access_token, on_call=on_call).post(
        f"/{comment_id}/{edge}", {"message": message}
    )
    new_id = body.get("id")
    if not new_id:
        raise GraphError(
            "Meta accepted the reply but returned no comment id",
            http_status=200,
            kind=ErrorKind.INVALID,
            outcome_unknown=True,
        )
    return str(new_id)


def hide_comment(
    *,
    access_token: str,
    comment_id: str,
    platform: Platform,
    hidden: bool,
    on_call: CallHook | None = None,
) -> bool:
    """Hide or unhide a comment (Facebook `is_hidden`, Instagram `hide`); return True."""
    param = "hide" if platform is Platform.INSTAGRAM else "is_hidden"
    body = GraphClient(access_token, on_call=on_call).post(f"/{comment_id}", {param: hidden})
    return _succeeded(body, "hiding the comment" if hidden else "unhiding the comment")


def delete_comment(*, access_token: str, comment_id: str, on_call: CallHook | None = None) -> bool:
    """Delete a comment (`DELETE /{comment-id}`); return True.

    Retried like any DELETE: a repeat of a delete that went through answers 100/33, which the
    caller may treat as done.
    """
    body = GraphClient(access_token, on_call=on_call).delete(f"/{comment_id}")
    return _succeeded(body, "deleting the comment")


# --- conversations and the Send API (GRAPH_NOTES §9.2, §9.3) -------------------------------

CONVERSATION_FIELDS = "id,updated_time,participants,message_count,unread_count"
MESSAGE_FIELDS = "id,created_time,from,to,message,attachments,story,is_unsupported"
CONVERSATION_PAGE_SIZE = 25
MAX_CONVERSATION_PAGES = 20
MAX_MESSAGE_PAGES = 10
MAX_MESSAGE_CHARS = 1000  # §9.3: 1,000 characters (and UTF-8 bytes ≤ 1,000 on Instagram)
HUMAN_AGENT_TAG = "HUMAN_AGENT"  # the only tag left (§9.3, §12 #13)


@dataclass(frozen=True)
class Participant:
    id: str
    name: str  # Messenger: the name; Instagram: the username


@dataclass(frozen=True)
class Conversation:
    id: str
    platform: Platform
    updated_at: datetime | None
    participants: tuple[Participant, ...]
    message_count: int | None
    unread_count: int | None


@dataclass(frozen=True)
class Attachment:
    type: str  # image, video, audio, file, share, story_mention, ig_reel, …
    url: str


@dataclass(frozen=True)
class ConversationMessage:
    id: str  # the message id ("mid")
    created_at: datetime | None
    sender: Participant
    recipients: tuple[Participant, ...]
    text: str
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True)
class SentMessage:
    recipient_id: str
    message_id: str


def _participant(item: Mapping[str, Any]) -> Participant:
    return Participant(
        id=str(item.get("id") or ""), name=str(item.get("name") or item.get("username") or "")
    )


def _participants(value: Any) -> tuple[Participant, ...]:
    data = value.get("data") if isinstance(value, Mapping) else value
    if not isinstance(data, list):
        return ()
    return tuple(_participant(item) for item in data if isinstance(item, Mapping))


def _attachments(value: Any) -> tuple[Attachment, ...]:
    data = value.get("data") if isinstance(value, Mapping) else value
    if not isinstance(data, list):
        return ()
    found = []
    for item in data:
        if not isinstance(item, Mapping):
            continue
        payload = _mapping(item.get("payload"))
        image = _mapping(item.get("image_data"))
        video = _mapping(item.get("video_data"))
        url = (
            payload.get("url")
            or image.get("url")
            or video.get("url")
            or item.get("file_url")
            or item.get("url")
            or ""
        )
        kind = item.get("type") or (
            "image" if image else "video" if video else item.get("mime_type") or "file"
        )
        found.append(Attachment(type=str(kind), url=str(url)))
    return tuple(found)


def list_conversations(
    *,
    access_token: str,
    page_id: str,
    platform: Platform,
    user_id: str | None = None,
    max_pages: int = MAX_CONVERSATION_PAGES,
    on_call: CallHook | None = None,
) -> list[Conversation]:
    """Return a Page's Messenger or Instagram conversations, newest first (§9.2).

    `GET /{page-id}/conversations?platform=messenger|instagram` with the Page token;
    `user_id` (a PSID or IGSID) keeps only the conversation with that person.
    """
    params: dict[str, Any] = {
        "platform": "instagram" if platform is Platform.INSTAGRAM else "messenger",
        "fields": CONVERSATION_FIELDS,
        "limit": CONVERSATION_PAGE_SIZE,
    }
    if user_id:
        params["user_id"] = user_id
    client = GraphClient(access_token, on_call=on_call)
    return [
        Conversation(
            id=str(item.get("id") or ""),
            platform=platform,
            updated_at=_parse_time(item.get("updated_time")),
            participants=_participants(item.get("participants")),
            message_count=_as_int(item.get("message_count")),
            unread_count=_as_int(item.get("unread_count")),
        )
        for item in client.paginate(f"/{page_id}/conversations", params, max_pages=max_pages)
    ]


def list_conversation_messages(
    *,
    access_token: str,
    conversation_id: str,
    max_pages: int = MAX_MESSAGE_PAGES,
    on_call: CallHook | None = None,
) -> list[ConversationMessage]:
    """Return a conversation's messages, newest first (`GET /{conversation-id}/messages`).

    Meta gives details only for about the 20 most recent messages (§9.2).
    """
    params = {"fields": MESSAGE_FIELDS, "limit": CONVERSATION_PAGE_SIZE}
    client = GraphClient(access_token, on_call=on_call)
    return [
        ConversationMessage(
            id=str(item.get("id") or ""),
            created_at=_parse_time(item.get("created_time")),
            sender=_participant(_mapping(item.get("from"))),
            recipients=_participants(item.get("to")),
            text=str(item.get("message") or ""),
            attachments=_attachments(item.get("attachments")),
        )
        for item in client.paginate(f"/{conversation_id}/messages", params, max_pages=max_pages)
    ]


def send_message(
    *,
    access_token: str,
    page_id: str,
    recipient_id: str | None = None,
    comment_id: str | None = None,
    text: str | None = None,
    image_url: str | None = None,
    human_agent: bool = False,
    on_call: CallHook | None = None,
) -> SentMessage:
    """Send one Messenger or Instagram message as the Page (`POST /{page-id}/messages`, §9.3).

    The recipient is a person (`recipient_id`, a PSID or IGSID) or, for a private reply, a
    comment (`comment_id`: one message per comment, within 7 days). The message is `text` or
    one image by URL (Meta fetches it). `human_agent` sends `messaging_type=MESSAGE_TAG` with
    `tag=HUMAN_AGENT` (a person's reply 24 h-7 days after the customer's last message); else
    `messaging_type=RESPONSE`. Deciding which one applies is the caller's job (the inbox's
    window rules). Refusals: window closed 10/2018278 (or 10/2534022), person unavailable
    551/1545041, Page restricted 10/1893063, private reply used or too old 10900/10903; see
    `error_catalogue`. Not retried when the outcome is unknown (a send may have happened).
    """
    if (recipient_id is None) == (comment_id is None):
        raise ValueError("send_message needs exactly one of recipient_id and comment_id")
    if (text is None) == (image_url is None):
        raise ValueError("send_message needs exactly one of text and image_url")
    recipient = {"id": recipient_id} if recipient_id is not None else {"comment_id": comment_id}
    message: dict[str, Any] = (
        {"text": text}
        if text is not None
        else {"attachment": {"type": "image", "payload": {"url": image_url, "is_reusable": False}}}
    )
    data: dict[str, Any] = {"recipient": recipient, "message": message}
    if human_agent:
        data.update(messaging_type="MESSAGE_TAG", tag=HUMAN_AGENT_TAG)
    else:
        data["messaging_type"] = "RESPONSE"
    body = GraphClient(access_token, on_call=on_call).post(f"/{page_id}/messages", data)
    message_id = body.get("message_id")
    if not message_id:
        raise GraphError(
            "Meta accepted the message but returned no message_id",
            http_status=200,
            kind=ErrorKind.INVALID,
            outcome_unknown=True,
        )
    return SentMessage(recipient_id=str(body.get("recipient_id") or ""), message_id=str(message_id))


# --- what the inbox reconciles (GRAPH_NOTES §7.4, §9.1): recent posts and media, mentions ----

RECENT_PAGE_SIZE = 25
MAX_RECENT_PAGES = 8  # 200 posts or media per account and run


@dataclass(frozen=True)
class RecentObject:
    """A Page post or an Instagram media: its id and when it was published."""

    id: str
    created_at: datetime | None


def _recent(
    access_token: str, path: str, time_field: str, since: datetime, on_call: CallHook | None
) -> list[RecentObject]:
    """List newest first and stop at the first item older than ``since``."""
    client = GraphClient(access_token, on_call=on_call)
    found = []
    params = {"fields": f"id,{time_field}", "limit": RECENT_PAGE_SIZE}
    for item in client.paginate(path, params, max_pages=MAX_RECENT_PAGES):
        created = _parse_time(item.get(time_field))
        if created is not None and created < since:
            break
        if item.get("id"):
            found.append(RecentObject(id=str(item["id"]), created_at=created))
    return found


def list_recent_posts(
    *, access_token: str, page_id: str, since: datetime, on_call: CallHook | None = None
) -> list[RecentObject]:
    """Return the Page's posts published since ``since`` (`GET /{page-id}/feed`, newest first)."""
    return _recent(access_token, f"/{page_id}/feed", "created_time", since, on_call)


def list_recent_media(
    *, access_token: str, ig_user_id: str, since: datetime, on_call: CallHook | None = None
) -> list[RecentObject]:
    """Return the account's media published since ``since`` (`GET /{ig-user-id}/media`)."""
    return _recent(access_token, f"/{ig_user_id}/media", "timestamp", since, on_call)


@dataclass(frozen=True)
class MentionDetails:
    """What an @mention said: a comment's text or a caption, and who wrote it."""

    id: str
    text: str
    username: str
    created_at: datetime | None
    media_url: str  # a caption mention's picture, when Meta gives one


def get_mentioned_comment(
    *, access_token: str, ig_user_id: str, comment_id: str, on_call: CallHook | None = None
) -> MentionDetails:
    """Return the comment in which someone @mentioned the account (§7.4).

    `GET /{ig-user-id}?fields=mentioned_comment.comment_id(<id>){text,username,timestamp}`:
    the `mentions` webhook names only the ids. An unknown or gone mention raises GraphError 100.
    """
    field_name = f"mentioned_comment.comment_id({comment_id}){{text,username,timestamp}}"
    body = GraphClient(access_token, on_call=on_call).get(f"/{ig_user_id}", {"fields": field_name})
    found = _mapping(body.get("mentioned_comment"))
    return MentionDetails(
        id=str(found.get("id") or comment_id),
        text=str(found.get("text") or ""),
        username=str(found.get("username") or ""),
        created_at=_parse_time(found.get("timestamp")),
        media_url="",
    )


def get_mentioned_media(
    *, access_token: str, ig_user_id: str, media_id: str, on_call: CallHook | None = None
) -> MentionDetails:
    """Return the media whose caption @mentions the account (§7.4).

    `GET /{ig-user-id}?fields=mentioned_media.media_id(<id>){caption,media_url,username,
    timestamp}`. An unknown or gone mention raises GraphError 100.
    """
    field_name = f"mentioned_media.media_id({media_id}){{caption,media_url,username,timestamp}}"
    body = GraphClient(access_token, on_call=on_call).get(f"/{ig_user_id}", {"fields": field_name})
    found = _mapping(body.get("mentioned_media"))
    return MentionDetails(
        id=str(found.get("id") or media_id),
        text=str(found.get("caption") or ""),
        username=str(found.get("username") or ""),
        created_at=_parse_time(found.get("timestamp")),
        media_url=str(found.get("media_url") or ""),
    )


# --- insights (GRAPH_NOTES §4.7 ads, §10 Instagram and Pages) ------------------------------------
#
# Every result carries the `Usage` of the last answer, so the refresh scheduler can slow down
# before Meta throttles it. Numbers arrive as strings in ads insights (§4.7) and as JSON
# numbers in organic insights (§10); both come out typed. A metric with no data is absent
# (Meta answers an empty set, not 0): never read a missing metric as zero.

AD_INSIGHTS_FIELDS = (
    "account_id",
    "campaign_id",
    "adset_id",
    "ad_id",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "spend",
    "ctr",
    "cpc",
    "cpm",
    "actions",
    "cost_per_action_type",
)
AD_INSIGHTS_PAGE_SIZE = 100
MAX_INSIGHTS_PAGES = 100
JOB_COMPLETED = "Job Completed"
JOB_FAILED_STATUSES = frozenset({"Job Failed", "Job Skipped"})
# Why an organic object has no insights although the call itself was fine (§10.1).
NOT_ENOUGH_VIEWERS = "not_enough_viewers"  # a story seen by fewer than 5 accounts (10)
BEFORE_BUSINESS_CONVERSION = "before_business_conversion"  # 100/2108006 [secondary]
PRE_CONVERSION_SUBCODE = 2108006


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _count(value: Any) -> int | None:
    number = _decimal(value)
    return int(number) if number is not None else None


@dataclass(frozen=True)
class ActionValue:
    """One `actions` / `cost_per_action_type` item: a count (or cost) per action type."""

    action_type: str
    value: Decimal
    windows: Mapping[str, Decimal] = field(default_factory=dict)  # e.g. {"1d_click": 3}


def _action_values(value: Any) -> tuple[ActionValue, ...]:
    found = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, Mapping) or _decimal(item.get("value")) is None:
            continue
        windows = {
            str(key): number
            for key, raw in item.items()
            if key not in ("action_type", "value") and (number := _decimal(raw)) is not None
        }
        found.append(
            ActionValue(
                action_type=str(item.get("action_type") or ""),
                value=_decimal(item.get("value")) or Decimal(0),
                windows=windows,
            )
        )
    return tuple(found)


AD_BREAKDOWN_KEYS = ("age", "gender", "country", "publisher_platform", "platform_position")


@dataclass(frozen=True)
class AdInsightsRow:
    """One row of ads insights: an object (at the asked level), a period, a segment."""

    date_start: date
    date_stop: date
    account_id: str | None
    campaign_id: str | None
    adset_id: str | None
    ad_id: str | None
    impressions: int | None
    reach: int | None
    clicks: int | None
    spend: Decimal | None  # major units of the ad account's currency
    ctr: Decimal | None  # a percentage
    cpc: Decimal | None
    cpm: Decimal | None
    frequency: Decimal | None
    actions: tuple[ActionValue, ...]
    cost_per_action_type: tuple[ActionValue, ...]
    breakdowns: Mapping[str, str]  # e.g. {"age": "25-34", "gender": "female"}
    fields: Mapping[str, Any]  # every column exactly as Meta sent it

    def action(self, action_type: str) -> Decimal | None:
        return next((a.value for a in self.actions if a.action_type == action_type), None)


def _ad_row(item: Mapping[str, Any]) -> AdInsightsRow:
    try:
        start = date.fromisoformat(str(item.get("date_start")))
        stop = date.fromisoformat(str(item.get("date_stop")))
    except ValueError as exc:
        raise GraphError(
            "Meta answered an insights row without date_start/date_stop",
            http_status=200,
            kind=ErrorKind.INVALID,
        ) from exc

    def text(name: str) -> str | None:
        value = item.get(name)
        return str(value) if value not in (None, "") else None

    return AdInsightsRow(
        date_start=start,
        date_stop=stop,
        account_id=text("account_id"),
        campaign_id=text("campaign_id"),
        adset_id=text("adset_id"),
        ad_id=text("ad_id"),
        impressions=_count(item.get("impressions")),
        reach=_count(item.get("reach")),
        clicks=_count(item.get("clicks")),
        spend=_decimal(item.get("spend")),
        ctr=_decimal(item.get("ctr")),
        cpc=_decimal(item.get("cpc")),
        cpm=_decimal(item.get("cpm")),
        frequency=_decimal(item.get("frequency")),
        actions=_action_values(item.get("actions")),
        cost_per_action_type=_action_values(item.get("cost_per_action_type")),
        breakdowns={key: str(item[key]) for key in AD_BREAKDOWN_KEYS if key in item},
        fields=dict(item),
    )


@dataclass(frozen=True)
class AdInsights:
    rows: tuple[AdInsightsRow, ...]
    usage: Usage | None  # the usage headers of the last page read


def _ad_insights_params(
    *,
    fields: Sequence[str],
    level: str | None,
    date_preset: str | None,
    since: date | None,
    until: date | None,
    time_increment: int | str | None,
    breakdowns: Sequence[str],
    attribution_windows: Sequence[str],
) -> dict[str, Any]:
    """Build the Marketing API insights parameters (§4.7); a time range beats a preset."""
    if (since is None) != (until is None):
        raise ValueError("give both since and until, or neither")
    params: dict[str, Any] = {"fields": ",".join(fields), "limit": AD_INSIGHTS_PAGE_SIZE}
    if level:
        params["level"] = level
    if since is not None and until is not None:
        params["time_range"] = {"since": since.isoformat(), "until": until.isoformat()}
    elif date_preset:
        params["date_preset"] = date_preset
    if time_increment is not None:
        params["time_increment"] = time_increment
    if breakdowns:
        params["breakdowns"] = ",".join(breakdowns)
    if attribution_windows:
        params["action_attribution_windows"] = list(attribution_windows)
    return params


def _read_ad_rows(client: GraphClient, path: str, params: Mapping[str, Any]) -> AdInsights:
    rows = tuple(
        _ad_row(item) for item in client.paginate(path, params, max_pages=MAX_INSIGHTS_PAGES)
    )
    return AdInsights(rows=rows, usage=client.last_usage)


def get_ad_insights(
    *,
    access_token: str,
    object_id: str,
    fields: Sequence[str] = AD_INSIGHTS_FIELDS,
    level: str | None = None,
    date_preset: str | None = None,
    since: date | None = None,
    until: date | None = None,
    time_increment: int | str | None = None,
    breakdowns: Sequence[str] = (),
    attribution_windows: Sequence[str] = (),
    on_call: CallHook | None = None,
) -> AdInsights:
    """Read ads insights of an ad account (`act_…`), campaign, ad set or ad, every page (§4.7).

    `since`/`until` are days in the ad account's time zone, both included. A query Meta finds
    too big raises GraphError 100/1504018: run it as an async report instead.
    """
    params = _ad_insights_params(
        fields=fields,
        level=level,
        date_preset=date_preset,
        since=since,
        until=until,
        time_increment=time_increment,
        breakdowns=breakdowns,
        attribution_windows=attribution_windows,
    )
    client = GraphClient(access_token, on_call=on_call)
    return _read_ad_rows(client, f"/{object_id}/insights", params)


@dataclass(frozen=True)
class AdReportRun:
    """An async insights report (§4.7): poll until `is_completed`, then read its rows."""

    id: str
    status: str  # Meta's async_status ("" right after starting)
    percent: int  # async_percent_completion
    time_completed: datetime | None
    usage: Usage | None

    @property
    def is_completed(self) -> bool:
        return self.status == JOB_COMPLETED and self.percent >= 100

    @property
    def is_failed(self) -> bool:
        """True when the run will never complete: start a new one."""
        return self.status in JOB_FAILED_STATUSES


def start_ad_insights_report(
    *,
    access_token: str,
    object_id: str,
    fields: Sequence[str] = AD_INSIGHTS_FIELDS,
    level: str | None = None,
    date_preset: str | None = None,
    since: date | None = None,
    until: date | None = None,
    time_increment: int | str | None = None,
    breakdowns: Sequence[str] = (),
    attribution_windows: Sequence[str] = (),
    on_call: CallHook | None = None,
) -> AdReportRun:
    """Start an async report with the same parameters as `get_ad_insights` (POST …/insights).

    Not retried when the answer is lost (a second run would start): the error then has
    `outcome_unknown=True`, and starting again only costs one more run.
    """
    params = _ad_insights_params(
        fields=fields,
        level=level,
        date_preset=date_preset,
        since=since,
        until=until,
        time_increment=time_increment,
        breakdowns=breakdowns,
        attribution_windows=attribution_windows,
    )
    params.pop("limit")
    client = GraphClient(access_token, on_call=on_call)
    body = client.post(f"/{object_id}/insights", params)
    run_id = body.get("report_run_id")
    if not run_id:
        raise GraphError(
            "Meta started no report run (no report_run_id in its answer)",
            http_status=200,
            kind=ErrorKind.INVALID,
        )
    return AdReportRun(
        id=str(run_id), status="", percent=0, time_completed=None, usage=client.last_usage
    )


def get_ad_insights_report(
    *, access_token: str, report_run_id: str, on_call: CallHook | None = None
) -> AdReportRun:
    """Return where an async report stands (`GET /{report_run_id}`)."""
    client = GraphClient(access_token, on_call=on_call)
    body = client.get(
        f"/{report_run_id}", {"fields": "id,async_status,async_percent_completion,time_completed"}
    )
    completed = _as_int(body.get("time_completed"))
    return AdReportRun(
        id=str(body.get("id") or report_run_id),
        status=str(body.get("async_status") or ""),
        percent=_as_int(body.get("async_percent_completion")) or 0,
        time_completed=_parse_time(completed) if completed else None,
        usage=client.last_usage,
    )


def read_ad_insights_report(
    *, access_token: str, report_run_id: str, on_call: CallHook | None = None
) -> AdInsights:
    """Read a completed report's rows (`GET /{report_run_id}/insights`, every page).

    A failed run raises GraphError -2/2490547 (§4.7): start a new run.
    """
    client = GraphClient(access_token, on_call=on_call)
    params = {"limit": AD_INSIGHTS_PAGE_SIZE}
    return _read_ad_rows(client, f"/{report_run_id}/insights", params)


@dataclass(frozen=True)
class InsightValue:
    value: int | float | Mapping[str, Any] | None  # a count, or counts by type
    end_time: datetime | None  # the end of the day (or period) it covers; None for lifetime


@dataclass(frozen=True)
class InsightBreakdown:
    dimension_keys: tuple[str, ...]
    results: tuple[tuple[tuple[str, ...], float], ...]  # ((dimension values), value)


@dataclass(frozen=True)
class InsightMetric:
    name: str
    period: str
    title: str
    values: tuple[InsightValue, ...]
    total: int | float | None  # `total_value.value` (metric_type=total_value, breakdowns)
    breakdowns: tuple[InsightBreakdown, ...]

    @property
    def latest(self) -> int | float | Mapping[str, Any] | None:
        """The total, or the last value of the series (None when Meta sent none)."""
        if self.total is not None:
            return self.total
        return self.values[-1].value if self.values else None


@dataclass(frozen=True)
class ObjectInsights:
    """Insights of one Instagram media or account, Page or Page post (§10).

    `metrics` is empty when Meta has no data yet (a fresh post: data lags). `unavailable`
    says why an object shows no insights at all although nothing is wrong with the
    connection: NOT_ENOUGH_VIEWERS (a story with fewer than 5 viewers, try later) or
    BEFORE_BUSINESS_CONVERSION (never).
    """

    object_id: str
    metrics: tuple[InsightMetric, ...]
    usage: Usage | None
    unavailable: str | None = None

    def metric(self, name: str) -> InsightMetric | None:
        return next((m for m in self.metrics if m.name == name), None)

    def number(self, name: str) -> int | float | None:
        """Return the total or latest value when it is a number (None when Meta sent none)."""
        found = self.metric(name)
        value = found.latest if found is not None else None
        return value if isinstance(value, int | float) else None


def _metric_value(value: Any) -> int | float | Mapping[str, Any] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Mapping):
        return value
    return None


def _breakdowns(total: Mapping[str, Any]) -> tuple[InsightBreakdown, ...]:
    found = []
    for item in total.get("breakdowns") or []:
        if not isinstance(item, Mapping):
            continue
        results = tuple(
            (tuple(str(v) for v in r.get("dimension_values") or []), float(r.get("value") or 0))
            for r in item.get("results") or []
            if isinstance(r, Mapping)
        )
        keys = tuple(str(key) for key in item.get("dimension_keys") or [])
        found.append(InsightBreakdown(dimension_keys=keys, results=results))
    return tuple(found)


def _insight_metric(item: Mapping[str, Any]) -> InsightMetric:
    total = _mapping(item.get("total_value"))
    values = tuple(
        InsightValue(value=_metric_value(v.get("value")), end_time=_parse_time(v.get("end_time")))
        for v in item.get("values") or []
        if isinstance(v, Mapping)
    )
    total_value = _metric_value(total.get("value"))
    return InsightMetric(
        name=str(item.get("name") or ""),
        period=str(item.get("period") or ""),
        title=str(item.get("title") or ""),
        values=values,
        total=total_value if isinstance(total_value, int | float) else None,
        breakdowns=_breakdowns(total),
    )


def _object_insights(
    access_token: str, object_id: str, params: Mapping[str, Any], on_call: CallHook | None
) -> ObjectInsights:
    client = GraphClient(access_token, on_call=on_call)
    body = client.get(f"/{object_id}/insights", params)
    metrics = tuple(
        _insight_metric(item) for item in body.get("data") or [] if isinstance(item, Mapping)
    )
    return ObjectInsights(object_id=object_id, metrics=metrics, usage=client.last_usage)


def _unix(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("since/until must be timezone-aware datetimes")
    return int(moment.timestamp())


def get_ig_media_insights(
    *,
    access_token: str,
    media_id: str,
    metrics: Sequence[str],
    breakdown: str | None = None,
    on_call: CallHook | None = None,
) -> ObjectInsights:
    """Read an Instagram media's lifetime metrics (`GET /{ig-media-id}/insights`, §10.1).

    Ask only current metrics (views, reach, likes, comments, saved, shares,
    total_interactions…): impressions, plays and video_views are refused (GraphError 100).
    A story below 5 viewers and a post older than the account's switch to a professional
    account come back with `unavailable` set instead of raising.
    """
    params: dict[str, Any] = {"metric": ",".join(metrics)}
    if breakdown:
        params["breakdown"] = breakdown
    try:
        return _object_insights(access_token, media_id, params, on_call)
    except GraphError as error:
        reason = _unavailable_reason(error)
        if reason is None:
            raise
        return ObjectInsights(object_id=media_id, metrics=(), usage=None, unavailable=reason)


def _unavailable_reason(error: GraphError) -> str | None:
    if error.subcode == PRE_CONVERSION_SUBCODE:
        return BEFORE_BUSINESS_CONVERSION
    # Meta sends "(#10) Not enough viewers for the media to show insights" with no subcode,
    # under the code it also uses for missing permissions (§10.1, §5.2); its text is the only
    # thing telling them apart, so this is the one place the client reads a message.
    if error.code == 10 and "not enough viewers" in error.message.lower():
        return NOT_ENOUGH_VIEWERS
    return None


def get_ig_account_insights(
    *,
    access_token: str,
    ig_user_id: str,
    metrics: Sequence[str],
    period: str = "day",
    metric_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    breakdown: str | None = None,
    on_call: CallHook | None = None,
) -> ObjectInsights:
    """Read an Instagram account's metrics (`GET /{ig-user-id}/insights`).

    Daily series (reach, follower_count) by default; most other metrics (views,
    accounts_engaged, total_interactions, likes…) need `metric_type="total_value"`. Meta
    refuses ranges longer than 30 days. `follower_count` is absent below 100 followers.
    """
    params: dict[str, Any] = {"metric": ",".join(metrics), "period": period}
    if metric_type:
        params["metric_type"] = metric_type
    if breakdown:
        params["breakdown"] = breakdown
    params["since"], params["until"] = _unix(since), _unix(until)
    return _object_insights(access_token, ig_user_id, params, on_call)


def get_page_insights(
    *,
    page_access_token: str,
    page_id: str,
    metrics: Sequence[str],
    period: str = "day",
    since: datetime | None = None,
    until: datetime | None = None,
    on_call: CallHook | None = None,
) -> ObjectInsights:
    """Read a Page's metrics with its Page token (`GET /{page-id}/insights`, §10.2).

    Ask only current metrics (page_media_view, page_post_engagements, page_follows…); the
    deprecated ones (page_impressions…, page_fans) are refused with GraphError 100. Ranges
    longer than 90 days are refused too.
    """
    params: dict[str, Any] = {"metric": ",".join(metrics), "period": period}
    params["since"], params["until"] = _unix(since), _unix(until)
    return _object_insights(page_access_token, page_id, params, on_call)


def get_page_post_insights(
    *,
    page_access_token: str,
    post_id: str,
    metrics: Sequence[str],
    on_call: CallHook | None = None,
) -> ObjectInsights:
    """Read a Page post's lifetime metrics with its Page token (`GET /{post-id}/insights`).

    A post deleted on Facebook raises GraphError 100/33.
    """
    params = {"metric": ",".join(metrics), "period": "lifetime"}
    return _object_insights(page_access_token, post_id, params, on_call)
