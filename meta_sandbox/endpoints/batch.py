"""Batch requests: `POST /` with `batch=[{method, relative_url, body?, name?, …}]` (§6.1).

At most 50 items, answered in order as `{"code", "headers": [{name, value}], "body":
"<JSON as a string>"}`. Items inherit the top-level token (and its appsecret_proof)
unless they carry their own. `depends_on` and `{result=<name>:$.path}` references
work; an item whose dependency failed answers `null`, and so does a successful item
whose result another item referenced, unless it sets `omit_response_on_success:
false`. Each item counts as its own request: faults match it by its own path (error,
status and headers apply; latency and drop only apply to whole HTTP requests) and it
appears in the request log. The batch runs unlocked: each item takes the state lock
through the dispatcher, as a separate request would, so an item that downloads media
(IG containers, Page photos) does not hold the lock while it waits.
"""

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers, MultiDict
from werkzeug.wrappers import Response

from meta_sandbox import config, errors
from meta_sandbox.auth import token_value
from meta_sandbox.dispatch import answer, error_response
from meta_sandbox.errors import GraphError
from meta_sandbox.routing import Call, GraphRequest, route, split_version

_REFERENCE = re.compile(r"\{result=([^:}]+):([^}]*)\}")
_FAILED = object()


def _parse_items(raw: str | None) -> list[dict[str, Any]]:
    try:
        items = json.loads(raw or "")
    except ValueError:
        items = None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise errors.invalid_parameter("(#100) The parameter batch must be a JSON array")
    if len(items) > config.MAX_BATCH_SIZE:
        raise errors.batch_too_large(config.MAX_BATCH_SIZE)
    return items


def _referenced_names(items: list[dict[str, Any]]) -> set[str]:
    names = {str(item["depends_on"]) for item in items if item.get("depends_on")}
    for item in items:
        text = f"{item.get('relative_url', '')} {item.get('body', '')}"
        names.update(match.group(1) for match in _REFERENCE.finditer(text))
    return names


def _json_path(document: Any, path: str) -> str:
    values = [document]
    for part in (p for p in re.split(r"[.\[\]]", path.removeprefix("$")) if p):
        found: list[Any] = []
        for value in values:
            if isinstance(value, list) and part == "*":
                found.extend(value)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                found.append(value[int(part)])
            elif isinstance(value, dict) and part in value:
                found.append(value[part])
        values = found
    if not values:
        raise LookupError(path)
    return ",".join(str(value) for value in values)


def _substitute(text: str, named: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        document = named.get(match.group(1), _FAILED)
        if document is _FAILED:
            raise LookupError(match.group(1))
        return _json_path(document, match.group(2))

    return _REFERENCE.sub(replace, text)


def _item_request(call: Call, item: dict[str, Any], named: dict[str, Any]) -> GraphRequest:
    relative_url = _substitute(str(item.get("relative_url", "")), named)
    body = _substitute(str(item.get("body", "")), named)
    raw_path, _, query_string = relative_url.partition("?")
    version, path = split_version("/" + raw_path.strip("/"), call.request.version)
    query = MultiDict(parse_qsl(query_string, keep_blank_values=True))
    form = MultiDict(parse_qsl(body, keep_blank_values=True))
    if "access_token" not in query and "access_token" not in form:
        form["access_token"] = token_value(call.request) or ""
        if (proof := call.param("appsecret_proof")) is not None:
            form["appsecret_proof"] = proof
    method = str(item.get("method", "GET")).upper()
    return GraphRequest(method, path, version, query, form, Headers(), call.request.base_url)


def _answer_item(call: Call, request: GraphRequest) -> Response:
    fault = call.state.take_fault(request.method, request.path)
    response = answer(call.state, request, fault)
    call.state.log_request(request.method, request.path, response.status_code, fault)
    return response


def _result(response: Response, include_headers: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"code": response.status_code}
    if include_headers:
        result["headers"] = [
            {"name": name, "value": value}
            for name, value in response.headers.items()
            if name.lower() != "content-length"
        ]
    result["body"] = response.get_data(as_text=True)
    return result


def _run_item(call: Call, item: dict[str, Any], named: dict[str, Any], omit: bool) -> Any:
    name = item.get("name")
    depends_on = item.get("depends_on")
    if depends_on and named.get(str(depends_on), _FAILED) is _FAILED:
        if name:
            named[str(name)] = _FAILED
        return None
    try:
        response = _answer_item(call, _item_request(call, item, named))
    except LookupError:
        if name:
            named[str(name)] = _FAILED
        return None
    except GraphError as error:
        response = error_response(error)
    ok = response.status_code < 400
    if name:
        named[str(name)] = json.loads(response.get_data(as_text=True)) if ok else _FAILED
    return None if ok and omit else _result(response, call.param("include_headers") != "false")


@route("POST", "/", locked=False)
def run_batch(call: Call) -> list[Any]:
    """Answer each item in turn; unlocked, so items that download media lock for themselves."""
    items = _parse_items(call.param("batch"))
    referenced = _referenced_names(items)
    named: dict[str, Any] = {}
    results = []
    for item in items:
        omit = item.get("omit_response_on_success", item.get("name") in referenced)
        results.append(_run_item(call, item, named, bool(omit)))
    return results
