"""Ad accounts: the AdAccount node and `/{user}/adaccounts` (GRAPH_NOTES §1.10).

Ids are `act_<account_id>`; money fields are strings in minor units; `business` is
absent for a personal ad account. Only accounts ticked in the dialog are visible, and
reading them needs `ads_read` or `ads_management` (else 200, as Meta answers).
"""

from typing import Any

from meta_sandbox.fields import NodeType, attr, parse_fields
from meta_sandbox.models import AdAccount
from meta_sandbox.nodes import register_node
from meta_sandbox.paging import paginate
from meta_sandbox.routing import Call, converter, route
from meta_sandbox.scopes import ADS_SCOPES

BUSINESS = NodeType(
    "Business", {"id": attr("id"), "name": attr("name")}, default_fields=("id", "name")
)


def _business(account: AdAccount, call: Call, children: Any) -> dict[str, Any] | None:
    business = call.state.world.businesses.get(account.business_id or "")
    return BUSINESS.render(business, call, children) if business else None


AD_ACCOUNT = NodeType(
    "AdAccount",
    {
        "id": attr("id"),
        "account_id": attr("account_id"),
        "name": attr("name"),
        "account_status": attr("account_status"),
        "disable_reason": attr("disable_reason"),
        "currency": attr("currency"),
        "timezone_name": attr("timezone_name"),
        "timezone_offset_hours_utc": attr("timezone_offset_hours_utc"),
        "amount_spent": attr("amount_spent"),
        "balance": attr("balance"),
        "spend_cap": attr("spend_cap"),
        "business": _business,
    },
    default_fields=("account_id", "id"),
    scopes_any=ADS_SCOPES,
)


@converter("ad_account")
def visible_ad_account(call: Call, raw: str) -> AdAccount | None:
    auth = call.authorization
    token = call.token
    if auth is None or token is None or token.kind != "USER" or raw not in auth.ad_account_ids:
        return None
    return call.state.world.ad_accounts.get(raw)


register_node("ad_account", AD_ACCOUNT)


@route("GET", "/{user:user}/adaccounts", scopes_any=ADS_SCOPES)
def list_ad_accounts(call: Call) -> dict[str, Any]:
    auth = call.authorization
    granted = auth.ad_account_ids if auth else []
    user = call.args["user"]
    accounts = [call.state.world.ad_accounts[aid] for aid in user.ad_account_ids if aid in granted]
    specs = parse_fields(call.param("fields"))
    return paginate(
        call, accounts, key=lambda a: a.id, render=lambda a: AD_ACCOUNT.render(a, call, specs)
    )
