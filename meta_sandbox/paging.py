"""Cursor pagination for edges, shaped like Graph's (GRAPH_NOTES §6.2).

`{"data": [...], "paging": {"cursors": {"before", "after"}, "previous"?, "next"?}}`:
cursors are opaque base64 strings naming the first and last item of the page; `next`
appears only while more items follow and `previous` only when items precede. The
links repeat the request's query string (access_token included, as Graph's do) with
the new cursor. An empty page has no `paging` at all.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from meta_sandbox import config, errors
from meta_sandbox.routing import Call


def encode_cursor(key: str) -> str:
    return base64.b64encode(f"sandbox:{key}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raw = ""
    if not raw.startswith("sandbox:"):
        raise errors.invalid_parameter("(#100) The cursor parameter is not valid")
    return raw.removeprefix("sandbox:")


def page_limit(call: Call) -> int:
    raw = call.param("limit")
    if raw is None:
        return config.DEFAULT_PAGE_LIMIT
    if not raw.isdigit() or int(raw) < 1:
        raise errors.invalid_parameter("(#100) Param limit must be a positive integer")
    return min(int(raw), config.MAX_PAGE_LIMIT)


def _window(call: Call, keys: list[str], limit: int) -> tuple[int, int]:
    after, before = call.param("after"), call.param("before")
    if after:
        start = _position(keys, decode_cursor(after)) + 1
        return start, start + limit
    if before:
        end = _position(keys, decode_cursor(before))
        return max(0, end - limit), end
    return 0, limit


def _position(keys: list[str], key: str) -> int:
    if key not in keys:
        raise errors.invalid_parameter("(#100) The cursor parameter is not valid")
    return keys.index(key)


def _link(call: Call, **cursor: str) -> str:
    query = [
        (name, value)
        for name, value in call.request.query.items(multi=True)
        if name not in ("after", "before", "limit")
    ]
    query += [("limit", str(page_limit(call))), *cursor.items()]
    return f"{call.graph_url(call.request.path)}?{urlencode(query)}"


def paginate[T](
    call: Call, items: Sequence[T], key: Callable[[T], str], render: Callable[[T], Any]
) -> dict[str, Any]:
    """Return one page of `items` for the request's limit/after/before."""
    keys = [key(item) for item in items]
    limit = page_limit(call)
    start, end = _window(call, keys, limit)
    window = items[start:end]
    body: dict[str, Any] = {"data": [render(item) for item in window]}
    if not window:
        return body
    cursors = {"before": encode_cursor(key(window[0])), "after": encode_cursor(key(window[-1]))}
    paging: dict[str, Any] = {"cursors": cursors}
    if start > 0:
        paging["previous"] = _link(call, before=cursors["before"])
    if end < len(items):
        paging["next"] = _link(call, after=cursors["after"])
    body["paging"] = paging
    return body
