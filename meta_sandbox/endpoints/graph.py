"""Generic node reads: `GET /{id}?fields=…` and `GET /?ids=a,b&fields=…` (§6.3).

Any kind registered in `meta_sandbox.nodes` is readable here with field expansion;
several ids at once answer an object keyed by id, and an unknown or invisible id
among them fails the whole call with 803, as Graph does.
"""

from typing import Any

from meta_sandbox import errors
from meta_sandbox.errors import GraphError
from meta_sandbox.fields import NodeType, parse_fields
from meta_sandbox.nodes import any_node
from meta_sandbox.routing import Call, route


def _render(call: Call, node_type: NodeType, obj: Any) -> dict[str, Any]:
    if node_type.scopes_any and not call.has_any_scope(node_type.scopes_any):
        raise errors.missing_permission(node_type.scopes_any)
    return node_type.render(obj, call, parse_fields(call.param("fields")))


@route("GET", "/{node:node}")
def read_node(call: Call) -> dict[str, Any]:
    node_type, obj = call.args["node"]
    return _render(call, node_type, obj)


@route("GET", "/")
def read_nodes(call: Call) -> dict[str, Any]:
    ids = [part.strip() for part in (call.param("ids") or "").split(",") if part.strip()]
    if not ids:
        raise errors.unsupported_request("GET", "")
    found = {raw: any_node(call, raw) for raw in ids}
    missing = [raw for raw, node in found.items() if node is None]
    if missing:
        raise GraphError(
            f"(#803) Some of the aliases you requested do not exist: {', '.join(missing)}",
            code=803,
        )
    return {raw: _render(call, *node) for raw, node in found.items() if node is not None}
