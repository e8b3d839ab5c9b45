"""Ad account list edges: the account's objects of one kind, newest first (GRAPH_NOTES §4, §6.2).

    GET /act_{id}/campaigns | adsets | ads | adcreatives | advideos
        fields=…                 the node's fields (Campaign, AdSet, Ad, AdCreative, Video)
        filtering=[{"field": "name", "operator": "CONTAIN", "value": "Spring"}, …]
        effective_status=["ACTIVE","PAUSED"]   (campaigns, adsets, ads, adcreatives)
        limit, after, before     cursor paging like every edge
        -> {"data": [{…, "id"}], "paging": {"cursors": {"before","after"}, "next"?, "previous"?}}

Publishers read these to reconcile a create whose answer was lost: list recent objects,
match on name, then decide whether to send the create again. Reading needs ads_read or
ads_management (else 200) on an ad account the person ticked (else 100/33).

`filtering` is a JSON array of `{field, operator, value}`, all of which must hold.
`name` (an ad video's title on advideos) takes EQUAL, NOT_EQUAL, CONTAIN, NOT_CONTAIN
(case-sensitive substring: the sandbox does not promise Meta's case rules, so match
exactly), IN and NOT_IN; `effective_status` takes IN, NOT_IN and EQUAL. Any other
field answers 100 "Filtering field … is invalid"; malformed JSON answers 100.
DELETED objects are never listed (Meta does not return them through a connection) and
ARCHIVED ones only when an effective_status filter asks for ARCHIVED.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meta_sandbox import errors, lifecycle
from meta_sandbox.endpoints import videos
from meta_sandbox.endpoints.ad_assets import AD_CREATIVE
from meta_sandbox.endpoints.ads import AD, ADSET, CAMPAIGN
from meta_sandbox.fields import NodeType, parse_fields
from meta_sandbox.objects import Ad, AdCreative, AdSet, Campaign, Created, Video, newest_first
from meta_sandbox.paging import paginate
from meta_sandbox.routing import Call, route
from meta_sandbox.scopes import ADS_SCOPES

EFFECTIVE_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "DELETED",
    "ARCHIVED",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "IN_PROCESS",
    "WITH_ISSUES",
)
TEXT_OPERATORS = ("EQUAL", "NOT_EQUAL", "CONTAIN", "NOT_CONTAIN", "IN", "NOT_IN")
STATUS_OPERATORS = ("EQUAL", "IN", "NOT_IN")


@dataclass(frozen=True)
class Listing:
    """One list edge: which objects, how to render them, what they can be filtered on."""

    cls: type[Created]
    node: NodeType
    name: Callable[[Any], str | None]
    effective_status: Callable[[Call, Any], str] | None
    video_kind: str | None = None  # advideos: only this kind of Video


LISTINGS: dict[str, Listing] = {
    "campaigns": Listing(Campaign, CAMPAIGN, lambda c: c.name, lambda _call, c: c.status),
    "adsets": Listing(
        AdSet,
        ADSET,
        lambda s: s.name,
        lambda call, s: lifecycle.adset_effective_status(call.state, s),
    ),
    "ads": Listing(
        Ad, AD, lambda a: a.name, lambda call, a: lifecycle.ad_effective_status(call.state, a)
    ),
    "adcreatives": Listing(AdCreative, AD_CREATIVE, lambda c: c.name, lambda _call, c: c.status),
    "advideos": Listing(Video, videos.VIDEO, lambda v: v.title, None, video_kind="ad_video"),
}


# --- parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any


def _json_param(call: Call, name: str) -> Any:
    raw = call.param(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise errors.invalid_parameter(f"(#100) param {name} must be a JSON array") from exc


def _condition(item: Any, listing: Listing) -> Condition:
    if not isinstance(item, dict) or not {"field", "operator", "value"} <= set(item):
        raise errors.invalid_parameter(
            "(#100) param filtering must be an array of objects with field, operator and value"
        )
    field, operator, value = str(item["field"]), str(item["operator"]).upper(), item["value"]
    allowed: tuple[str, ...]
    if field == "name":
        allowed = TEXT_OPERATORS
    elif field == "effective_status" and listing.effective_status is not None:
        allowed = STATUS_OPERATORS
    else:
        raise errors.invalid_parameter(f"(#100) Filtering field {field} is invalid")
    if operator not in allowed:
        raise errors.invalid_parameter(
            f"(#100) Filtering operator {operator} is not supported for field {field}"
        )
    if operator in ("IN", "NOT_IN"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise errors.invalid_parameter(
                f"(#100) {operator} on {field} needs an array of strings"
            )
    elif not isinstance(value, str):
        raise errors.invalid_parameter(f"(#100) {operator} on {field} needs a string value")
    if field == "effective_status":
        statuses = value if isinstance(value, list) else [value]
        _check_statuses(statuses, "filtering")
    return Condition(field, operator, value)


def _check_statuses(statuses: list[str], where: str) -> None:
    unknown = [status for status in statuses if status not in EFFECTIVE_STATUSES]
    if unknown:
        raise errors.invalid_parameter(
            f"(#100) {where}: effective_status {unknown[0]} must be one of "
            f"{', '.join(EFFECTIVE_STATUSES)}"
        )


def conditions(call: Call, listing: Listing) -> list[Condition]:
    """Return the `filtering` and `effective_status` conditions, checked."""
    found: list[Condition] = []
    filtering = _json_param(call, "filtering")
    if filtering is not None:
        if not isinstance(filtering, list):
            raise errors.invalid_parameter("(#100) param filtering must be a JSON array")
        found += [_condition(item, listing) for item in filtering]
    statuses = _json_param(call, "effective_status")
    if statuses is not None:
        if listing.effective_status is None:
            raise errors.invalid_parameter("(#100) Filtering field effective_status is invalid")
        if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
            raise errors.invalid_parameter("(#100) param effective_status must be a JSON array")
        _check_statuses(statuses, "effective_status")
        found.append(Condition("effective_status", "IN", statuses))
    return found


# --- matching ------------------------------------------------------------------------------


def _holds(condition: Condition, actual: str | None) -> bool:
    operator, value = condition.operator, condition.value
    if operator == "EQUAL":
        return actual == value
    if operator == "NOT_EQUAL":
        return actual != value
    if operator == "CONTAIN":
        return actual is not None and value in actual
    if operator == "NOT_CONTAIN":
        return actual is None or value not in actual
    if operator == "IN":
        return actual in value
    return actual not in value  # NOT_IN


def _archived_asked(found: list[Condition]) -> bool:
    for condition in found:
        if condition.field != "effective_status" or condition.operator == "NOT_IN":
            continue
        value = condition.value
        if value == "ARCHIVED" or (isinstance(value, list) and "ARCHIVED" in value):
            return True
    return False


def matching(call: Call, listing: Listing, account_id: str) -> list[Created]:
    """Return the account's objects of the listing's kind meeting every condition, newest first."""
    found = conditions(call, listing)
    show_archived = _archived_asked(found)
    items: list[Created] = []
    for obj in call.state.objects.of_type(listing.cls, account_id):
        if listing.video_kind is not None and obj.kind != listing.video_kind:
            continue
        status = getattr(obj, "status", None)
        if status == "DELETED" or (status == "ARCHIVED" and not show_archived):
            continue
        actual: dict[str, str | None] = {"name": listing.name(obj)}
        if listing.effective_status is not None:
            actual["effective_status"] = listing.effective_status(call, obj)
        if all(_holds(condition, actual[condition.field]) for condition in found):
            items.append(obj)
    return newest_first(items)


def _list(call: Call, edge: str) -> dict[str, Any]:
    listing = LISTINGS[edge]
    items = matching(call, listing, call.args["account"].id)
    specs = parse_fields(call.param("fields"))
    return paginate(
        call,
        items,
        key=lambda obj: obj.id,
        render=lambda obj: listing.node.render(obj, call, specs),
    )


@route("GET", "/{account:ad_account}/campaigns", scopes_any=ADS_SCOPES)
def list_campaigns(call: Call) -> dict[str, Any]:
    return _list(call, "campaigns")


@route("GET", "/{account:ad_account}/adsets", scopes_any=ADS_SCOPES)
def list_adsets(call: Call) -> dict[str, Any]:
    return _list(call, "adsets")


@route("GET", "/{account:ad_account}/ads", scopes_any=ADS_SCOPES)
def list_ads(call: Call) -> dict[str, Any]:
    return _list(call, "ads")


@route("GET", "/{account:ad_account}/adcreatives", scopes_any=ADS_SCOPES)
def list_adcreatives(call: Call) -> dict[str, Any]:
    return _list(call, "adcreatives")


@route("GET", "/{account:ad_account}/advideos", scopes_any=ADS_SCOPES)
def list_advideos(call: Call) -> dict[str, Any]:
    return _list(call, "advideos")
