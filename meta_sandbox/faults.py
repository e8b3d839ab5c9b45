"""Fault injection: make the next matching Graph requests fail, stall or vanish.

A fault names a method (or `*`) and a path glob matched against the path after the
version prefix (`*` stays within one segment, `**` crosses segments), and says what
happens to the requests it hits: an error envelope (`error`, `http_status`), extra
response headers (usage headers for throttling), `latency_ms` before answering, or
`drop` (the connection closes with no response at all). A fault with only headers or
latency lets the request through to its normal answer. With `after_write` the request
is handled first (a create really happens) and the error, latency or drop then
replaces or delays its answer: the lost-response case a client must reconcile. `times` limits how many
requests it hits (None = until cleared). The first matching fault wins.
"""

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from meta_sandbox import errors
from meta_sandbox.errors import GraphError


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for piece in re.split(r"(\*\*|\*|\?)", pattern):
        if piece == "**":
            parts.append(".*")
        elif piece == "*":
            parts.append("[^/]*")
        elif piece == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts) + "/?")


def normalize_path(path: str) -> str:
    return "/" + path.strip("/")


@dataclass
class Fault:
    id: str
    method: str
    path: str
    times: int | None = 1
    error: dict[str, Any] | None = None
    http_status: int | None = None
    latency_ms: int = 0
    drop: bool = False
    headers: dict[str, str] | None = None
    after_write: bool = False
    hits: int = 0
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.path = normalize_path(self.path)
        self._regex = _glob_to_regex(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method.upper()):
            return False
        return self._regex.fullmatch(normalize_path(path)) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    @property
    def fails(self) -> bool:
        return self.error is not None or self.http_status is not None

    def graph_error(self, path: str) -> GraphError:
        """Return the error this fault answers with (only when `fails`)."""
        if self.error is not None:
            error = errors.from_spec(self.error, http_status=self.http_status)
        else:
            error = errors.error_for_status(self.http_status or 500)
        error.headers = self.response_headers(error.code, path)
        return error

    def response_headers(self, code: int | None, path: str) -> dict[str, str]:
        if self.headers is not None:
            return dict(self.headers)
        if code in errors.THROTTLE_CODES:
            object_id = normalize_path(path).split("/")[1] or "0"
            return errors.default_usage_headers(code, object_id)
        return {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "times": self.times,
            "hits": self.hits,
            "error": self.error,
            "http_status": self.http_status,
            "latency_ms": self.latency_ms,
            "drop": self.drop,
            "headers": self.headers,
            "after_write": self.after_write,
        }


FAULT_FIELDS = (
    "method",
    "path",
    "times",
    "error",
    "http_status",
    "latency_ms",
    "drop",
    "headers",
    "after_write",
)


class FaultBook:
    """The active faults, in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, **spec: Any) -> Fault:
        """Add a fault from the `POST /_sandbox/faults` fields; raise ValueError if malformed."""
        unknown = set(spec) - set(FAULT_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "path" not in spec:
            raise ValueError("a fault needs a path")
        fault = Fault(id=str(next(self._ids)), **_coerce(spec))
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Return the first live fault matching this request and count the hit."""
        for fault in self._faults:
            if not fault.exhausted and fault.matches(method, path):
                fault.hits += 1
                return fault
        return None

    def remove(self, fault_id: str) -> bool:
        before = len(self._faults)
        self._faults = [fault for fault in self._faults if fault.id != fault_id]
        return len(self._faults) != before

    def clear(self) -> None:
        self._faults.clear()

    def active(self) -> list[Fault]:
        return [fault for fault in self._faults if not fault.exhausted]


def _coerce(spec: dict[str, Any]) -> dict[str, Any]:
    values = dict(spec)
    values.setdefault("method", "*")
    if values.get("times") is not None:
        values["times"] = int(values["times"])
    if values.get("http_status") is not None:
        values["http_status"] = int(values["http_status"])
    values["latency_ms"] = int(values.get("latency_ms") or 0)
    values["drop"] = bool(values.get("drop", False))
    values["after_write"] = bool(values.get("after_write", False))
    if values.get("error") is not None and not isinstance(values["error"], dict):
        raise ValueError("error must be an object")
    if values.get("headers") is not None:
        values["headers"] = {str(k): str(v) for k, v in dict(values["headers"]).items()}
    return values
