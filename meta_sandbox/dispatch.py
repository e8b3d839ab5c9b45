"""Turn one `GraphRequest` into one response through the route table.

Used for every HTTP request and for every item of a batch. Order of checks, as Graph
does it: find the routes that fit the path, authenticate when the route needs a token
(a bad token is reported before a bad path), resolve typed segments (an invisible or
unknown object is 100/33), check the route's permission, run the handler. A
`GraphError` becomes Meta's envelope; any other exception is logged and answered as
Meta's code 1 so clients still get JSON.
"""

import json
import logging
from typing import Any

from werkzeug.wrappers import Response

from meta_sandbox import errors
from meta_sandbox.auth import authenticate
from meta_sandbox.errors import GraphError
from meta_sandbox.faults import Fault
from meta_sandbox.routing import Call, GraphRequest, Route, candidates, resolve_args
from meta_sandbox.state import SandboxState

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=UTF-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status=status,
        headers=headers,
        content_type=JSON_TYPE,
    )


def error_response(error: GraphError) -> Response:
    return json_response(error.payload(), error.status, error.response_headers())


def dispatch(state: SandboxState, request: GraphRequest) -> Response:
    """Answer one Graph request; never raises for Graph-level failures."""
    try:
        return _dispatch(state, request)
    except GraphError as error:
        return error_response(error)
    except Exception as exc:
        logger.exception("meta_sandbox handler failed for %s %s", request.method, request.path)
        return error_response(
            GraphError(f"An unknown error occurred (sandbox bug: {type(exc).__name__})", code=1)
        )


def answer(state: SandboxState, request: GraphRequest, fault: Fault | None) -> Response:
    """Answer a request that `fault` (if any) hit: its error, or the normal answer plus its headers."""
    if fault is not None and fault.fails and not fault.after_write:
        return error_response(fault.graph_error(request.path))
    response = dispatch(state, request)
    if fault is not None and fault.fails:  # after_write: the handler ran, the answer is lost
        return error_response(fault.graph_error(request.path))
    if fault is not None:
        response.headers.update(fault.response_headers(None, request.path))
    return response


def _dispatch(state: SandboxState, request: GraphRequest) -> Response:
    with state.lock:
        entry, call = _resolve(state, request)
        if entry.locked:
            return _to_response(entry.handler(call))
    return _to_response(entry.handler(call))


def _resolve(state: SandboxState, request: GraphRequest) -> tuple[Route, Call]:
    call = Call(state, request)
    segments = request.segments
    for entry in candidates(request.method, segments):
        if entry.auth == "token" and call.token is None:
            call.token = authenticate(call)
        args = resolve_args(entry, segments, call)
        if args is None:
            continue
        if entry.scopes_any and not call.has_any_scope(entry.scopes_any):
            raise errors.missing_permission(entry.scopes_any)
        call.args = args
        return entry, call
    if call.token is None:
        call.token = authenticate(call)
    raise errors.unsupported_request(request.method, segments[0] if segments else "")


def _to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return json_response(result)
