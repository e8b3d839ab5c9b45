"""The route table: endpoints declare themselves with `@route` and typed path segments.

    @route("GET", "/{user:user}/accounts", scopes_any=("pages_show_list",))
    def list_pages(call: Call) -> dict: ...

A segment `{name:kind}` is resolved by the converter registered for `kind` (see
`@converter`); a converter returns the object or None, and returns None too when the
caller's token may not see the object, so that both answer Meta's 100/33 "does not
exist, cannot be loaded due to missing permissions". `{name}` takes the raw segment.
Routes with more literal segments are tried first, so `/debug_token` wins over
`/{node:node}`.

`auth="token"` (the default) makes the dispatcher authenticate the caller first
(valid user or Page token, `appsecret_proof`); `auth="none"` leaves it to the handler.
`scopes_any` answers Meta's permission error when the token holds none of them.
`locked=False` runs the handler outside the state lock (for handlers doing network I/O;
they must take `call.state.lock` themselves around state access).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import CombinedMultiDict, FileStorage, Headers, MultiDict

from meta_sandbox import config, errors
from meta_sandbox.models import Authorization, Token
from meta_sandbox.state import SandboxState

_VERSION = re.compile(r"/(v(\d+)\.\d+)(/.*)?")


def split_version(path: str, default: str) -> tuple[str, str]:
    """Split `/v25.0/me/accounts` into `("v25.0", "/me/accounts")`.

    Unversioned paths get the app's default version (GRAPH_NOTES §6.4); versions older
    than v20 are refused with 2635.
    """
    match = _VERSION.fullmatch(path)
    if match is None:
        return default, "/" + path.strip("/")
    version, major, rest = match.group(1), int(match.group(2)), match.group(3) or "/"
    if major < config.OLDEST_API_MAJOR:
        raise errors.deprecated_version(version, default)
    return version, "/" + rest.strip("/")


@dataclass
class GraphRequest:
    """One Graph call, from HTTP or from an item of a batch."""

    method: str
    path: str  # after the version prefix, "/" for the root
    version: str
    query: MultiDict[str, str]
    form: MultiDict[str, str]
    headers: Headers
    base_url: str  # scheme://host:port, no trailing slash
    json: Any = None  # the parsed body when it was JSON
    files: MultiDict[str, FileStorage] = field(default_factory=MultiDict)  # multipart uploads
    body: bytes = b""  # the raw body when it was neither form nor JSON (rupload)

    @property
    def params(self) -> CombinedMultiDict[str, str]:
        return CombinedMultiDict([self.query, self.form])

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    @property
    def segments(self) -> list[str]:
        return [part for part in self.path.split("/") if part]


@dataclass
class Call:
    """What a handler gets: the state, the request, resolved path args and the token."""

    state: SandboxState
    request: GraphRequest
    args: dict[str, Any] = field(default_factory=dict)
    token: Token | None = None

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.request.param(name, default)

    @property
    def authorization(self) -> Authorization | None:
        if self.token is None:
            return None
        return self.state.auth.active_authorization(self.token.user_id)

    def has_any_scope(self, scopes: tuple[str, ...]) -> bool:
        auth = self.authorization
        return auth is not None and any(auth.grants(scope) for scope in scopes)

    def graph_url(self, path: str) -> str:
        return f"{self.request.base_url}/{self.request.version}{path}"


Handler = Callable[[Call], Any]
Converter = Callable[[Call, str], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    auth: str
    scopes_any: tuple[str, ...]
    locked: bool
    segments: tuple[tuple[str, str | None], ...]  # (literal, None) or (name, kind)

    @property
    def literal_count(self) -> int:
        return sum(1 for _, kind in self.segments if kind is None)


ROUTES: list[Route] = []
CONVERTERS: dict[str, Converter] = {"str": lambda _call, raw: raw}


def _compile(pattern: str) -> tuple[tuple[str, str | None], ...]:
    compiled: list[tuple[str, str | None]] = []
    for part in (p for p in pattern.split("/") if p):
        if part.startswith("{") and part.endswith("}"):
            name, _, kind = part[1:-1].partition(":")
            compiled.append((name, kind or "str"))
        else:
            compiled.append((part, None))
    return tuple(compiled)


def route(
    method: str,
    pattern: str,
    *,
    auth: str = "token",
    scopes_any: tuple[str, ...] = (),
    locked: bool = True,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `method pattern`."""

    def register(handler: Handler) -> Handler:
        entry = Route(method.upper(), pattern, handler, auth, scopes_any, locked, _compile(pattern))
        ROUTES.append(entry)
        ROUTES.sort(key=lambda r: -r.literal_count)  # stable: keeps registration order
        return handler

    return register


def converter(kind: str) -> Callable[[Converter], Converter]:
    """Register a path-segment converter: `(call, raw) -> object | None`."""

    def register(function: Converter) -> Converter:
        CONVERTERS[kind] = function
        return function

    return register


def candidates(method: str, segments: list[str]) -> list[Route]:
    """Return the routes whose method, length and literal segments fit, best first."""
    found = []
    for entry in ROUTES:
        if entry.method != method or len(entry.segments) != len(segments):
            continue
        literals = zip(entry.segments, segments, strict=True)
        if all(kind is not None or name == raw for (name, kind), raw in literals):
            found.append(entry)
    return found


def resolve_args(entry: Route, segments: list[str], call: Call) -> dict[str, Any] | None:
    """Convert the path segments for one route; None when a converter refuses."""
    args: dict[str, Any] = {}
    for (name, kind), raw in zip(entry.segments, segments, strict=True):
        if kind is None:
            continue
        value = CONVERTERS[kind](call, raw)
        if value is None:
            return None
        args[name] = value
    return args
