"""The `fields` parameter: parsing field expansion and rendering nodes with it.

`fields=id,name,instagram_business_account{id,username},comments.limit(5){id}` parses
into a list of `FieldSpec`s (name, modifiers, optional sub-fields). A `NodeType` names
the fields a kind of object has, each as a resolver; `render()` answers in the order
asked, always adds `id` last when it was not asked for (as Graph does), leaves out
fields whose value is None (e.g. a Page without Instagram), and rejects unknown fields
with Meta's error 100 "Tried accessing nonexisting field".
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from meta_sandbox import errors

if TYPE_CHECKING:
    from meta_sandbox.routing import Call


@dataclass
class FieldSpec:
    name: str
    children: list["FieldSpec"] | None = None
    modifiers: dict[str, str] = field(default_factory=dict)


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
            if depth < 0:
                raise errors.invalid_parameter(f"(#100) Syntax error in fields: {text}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise errors.invalid_parameter(f"(#100) Syntax error in fields: {text}")
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _parse_item(item: str) -> FieldSpec:
    children = None
    if item.endswith("}"):
        brace = item.index("{")
        children = parse_fields(item[brace + 1 : -1])
        item = item[:brace]
    name, *modifier_parts = item.split(".")
    modifiers: dict[str, str] = {}
    for part in modifier_parts:
        key, _, rest = part.partition("(")
        modifiers[key] = rest.rstrip(")")
    return FieldSpec(name.strip(), children, modifiers)


def parse_fields(text: str | None) -> list[FieldSpec] | None:
    """Return the parsed `fields` value, or None when the parameter is absent/empty."""
    if not text:
        return None
    return [_parse_item(item) for item in _split_top_level(text)]


Resolver = Callable[[Any, "Call", list[FieldSpec] | None], Any]


@dataclass
class NodeType:
    """A kind of Graph object: its name in errors, its default fields, its resolvers."""

    name: str
    resolvers: dict[str, Resolver]
    default_fields: tuple[str, ...] = ("id",)
    scopes_any: tuple[str, ...] = ()  # reading the node needs one of these

    def render(
        self,
        obj: Any,
        call: "Call",
        specs: list[FieldSpec] | None,
        defaults: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        """Return the requested fields of `obj`; `defaults` overrides the node's default set."""
        specs = specs or [FieldSpec(name) for name in defaults or self.default_fields]
        out: dict[str, Any] = {}
        for spec in specs:
            resolver = self.resolvers.get(spec.name)
            if resolver is None:
                raise errors.nonexisting_field(spec.name, self.name)
            value = resolver(obj, call, spec.children)
            if value is not None:
                out[spec.name] = value
        if "id" not in out:
            out["id"] = self.resolvers["id"](obj, call, None)
        return out


def attr(name: str) -> Resolver:
    """Return a resolver reading one attribute of the object."""
    return lambda obj, _call, _children: getattr(obj, name)


def meta_time(timestamp: float) -> str:
    """Return Graph's timestamp format, e.g. `2026-05-12T10:45:01+0000`."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
