"""Registry of Graph node kinds, so `GET /{id}` and `GET /?ids=` can find any object.

Each area module registers its kind once: `register_node("page", PAGE)` next to its
`@converter("page")`. The `node` converter tries the kinds in registration order and
returns `(NodeType, object)` for the first that the caller's token may see.
"""

from typing import Any

from meta_sandbox.fields import NodeType
from meta_sandbox.routing import CONVERTERS, Call, converter

NODE_KINDS: list[tuple[str, NodeType]] = []


def register_node(kind: str, node_type: NodeType) -> None:
    NODE_KINDS.append((kind, node_type))


@converter("node")
def any_node(call: Call, raw: str) -> tuple[NodeType, Any] | None:
    for kind, node_type in NODE_KINDS:
        obj = CONVERTERS[kind](call, raw)
        if obj is not None:
            return node_type, obj
    return None
