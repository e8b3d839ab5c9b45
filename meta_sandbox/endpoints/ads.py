"""Campaigns, ad sets and ads (GRAPH_NOTES §4.4-§4.6), with ad review over sandbox time.

    POST /act_{id}/campaigns  name, objective=OUTCOME_*, special_ad_categories (JSON,
                              required), status, daily_budget|lifetime_budget,
                              is_adset_budget_sharing_enabled (required without a
                              campaign budget), bid_strategy, buying_type -> {"id"}
    POST /act_{id}/adsets     name, campaign_id, daily_budget|lifetime_budget (minor
                              units; neither under a campaign budget), billing_event,
                              optimization_goal, targeting (JSON), status, start_time,
                              end_time, bid_amount, bid_strategy -> {"id"}
    POST /act_{id}/ads        name, adset_id, creative={"creative_id"}, status -> {"id"}
    POST /{campaign|adset|ad-id}   status=ACTIVE|PAUSED|ARCHIVED|DELETED, name
                              -> {"success": true}
    GET  /{campaign|adset|ad-id}?fields=…

`execution_options=["validate_only"]` checks everything and answers
`{"success": true}` without creating. Ads read `effective_status` PENDING_REVIEW for
`ad_review_seconds`, then their configured status (PAUSED, ADSET_PAUSED,
CAMPAIGN_PAUSED, ACTIVE) or DISAPPROVED with `ad_review_feedback` when the test
API's review switch (`POST /_sandbox/ad_review`) picked them.
"""

from typing import Any

from meta_sandbox import ads_rules, config, lifecycle
from meta_sandbox.ads_rules import invalid
from meta_sandbox.endpoints.ad_assets import AD_CREATIVE, WRITE_SCOPES, validate_only, writable
from meta_sandbox.endpoints.adaccounts import visible_ad_account
from meta_sandbox.fields import FieldSpec, NodeType, attr, meta_time
from meta_sandbox.nodes import register_node
from meta_sandbox.objects import Ad, AdCreative, AdSet, Campaign, Created, record_status
from meta_sandbox.routing import Call, converter, route
from meta_sandbox.scopes import ADS_SCOPES


def _money(value: int | None) -> str | None:
    return None if value is None else str(value)


def _account_id(obj: Created, _call: Call, _children: Any) -> str:
    return obj.owner_id.removeprefix("act_")


def _created_time(obj: Created, _call: Call, _children: Any) -> str:
    return meta_time(obj.created_at)


def _owned[T: Created](call: Call, cls: type[T], object_id: str | None, name: str) -> T:
    obj = call.state.objects.get(object_id or "", cls)
    if (
        obj is None
        or obj.owner_id != call.args["account"].id
        or getattr(obj, "status", "") == "DELETED"
    ):
        raise invalid(
            f"Param {name} must be the id of a {cls.__name__.lower()} of this ad account",
            f"Invalid {name}",
        )
    return obj


# --- campaigns ---------------------------------------------------------------------------


@route("POST", "/{account:ad_account}/campaigns", scopes_any=WRITE_SCOPES)
def create_campaign(call: Call) -> dict[str, Any]:
    account = writable(call)
    name = ads_rules.require(call.param("name"), "name")
    objective = call.param("objective")
    if objective and objective.upper() not in ads_rules.OBJECTIVES:
        raise invalid(
            f"Objective {objective} is invalid. Use one of: {', '.join(ads_rules.OBJECTIVES)}",
            "Invalid objective",
            "Legacy objectives can't be used for new campaigns; use an OUTCOME_* objective.",
        )
    objective = ads_rules.choice(objective, "objective", ads_rules.OBJECTIVES)
    categories = ads_rules.categories(call.param("special_ad_categories"))
    status = ads_rules.choice(call.param("status"), "status", ads_rules.CREATE_STATUSES, "ACTIVE")
    daily = ads_rules.minor_units(call.param("daily_budget"), "daily_budget")
    lifetime = ads_rules.minor_units(call.param("lifetime_budget"), "lifetime_budget")
    if daily and lifetime:
        raise invalid("Set daily_budget or lifetime_budget, not both", "Invalid budget")
    sharing = ads_rules.flag(call.param("is_adset_budget_sharing_enabled"))
    if daily is None and lifetime is None and sharing is None:
        raise invalid(
            "Must specify True or False in is_adset_budget_sharing_enabled field",
            "Missing budget sharing choice",
            subcode=4834011,
        )
    bid = call.param("bid_strategy")
    bid = ads_rules.choice(bid, "bid_strategy", ads_rules.BID_STRATEGIES) if bid else None
    buying = ads_rules.choice(
        call.param("buying_type"), "buying_type", ("AUCTION", "RESERVED"), "AUCTION"
    )
    if validate_only(call):
        return {"success": True}
    objects = call.state.objects
    campaign = Campaign(
        id=objects.new_id("campaign"),
        owner_id=account.id,
        created_at=call.state.now(),
        marker=name,
        name=name,
        objective=objective,
        status=status,
        special_ad_categories=categories,
        buying_type=buying,
        daily_budget=daily,
        lifetime_budget=lifetime,
        bid_strategy=bid,
        is_adset_budget_sharing_enabled=sharing,
    )
    return {"id": objects.add(campaign).id}


# --- ad sets -----------------------------------------------------------------------------


def _adset_budget(call: Call, campaign: Campaign) -> tuple[int | None, int | None]:
    daily = ads_rules.minor_units(call.param("daily_budget"), "daily_budget")
    lifetime = ads_rules.minor_units(call.param("lifetime_budget"), "lifetime_budget")
    if campaign.daily_budget or campaign.lifetime_budget:
        if daily or lifetime:
            raise invalid(
                "The campaign has a campaign budget; its ad sets can't have their own",
                "Budget set on the campaign",
            )
        return None, None
    if (daily is None) == (lifetime is None):
        raise invalid("Set exactly one of daily_budget and lifetime_budget", "Missing budget")
    return daily, lifetime


def _schedule(call: Call, lifetime: int | None) -> tuple[int | None, int | None]:
    start = ads_rules.timestamp(call.param("start_time"), "start_time")
    end = ads_rules.timestamp(call.param("end_time"), "end_time")
    if lifetime is not None and not end:
        raise invalid("A lifetime_budget needs an end_time", "Missing end time")
    if end:
        begins = start or int(call.state.now())
        if end - begins <= (86400 if lifetime is None else 0):
            raise invalid(
                "end_time must be more than 24 hours after start_time", "Invalid schedule"
            )
    return start, end or None


@route("POST", "/{account:ad_account}/adsets", scopes_any=WRITE_SCOPES)
def create_adset(call: Call) -> dict[str, Any]:
    account = writable(call)
    name = ads_rules.require(call.param("name"), "name")
    if len(name) > 400:
        raise invalid("Param name must be at most 400 characters", "Name too long")
    campaign = _owned(call, Campaign, call.param("campaign_id"), "campaign_id")
    daily, lifetime = _adset_budget(call, campaign)
    start, end = _schedule(call, lifetime)
    billing = ads_rules.choice(
        call.param("billing_event"), "billing_event", ads_rules.BILLING_EVENTS
    )
    goal = ads_rules.choice(
        call.param("optimization_goal"), "optimization_goal", ads_rules.OPTIMIZATION_GOALS
    )
    bid_strategy = call.param("bid_strategy")
    if bid_strategy:
        bid_strategy = ads_rules.choice(bid_strategy, "bid_strategy", ads_rules.BID_STRATEGIES)
    bid_amount = ads_rules.minor_units(call.param("bid_amount"), "bid_amount")
    if (
        bid_strategy or campaign.bid_strategy
    ) in ads_rules.BID_AMOUNT_STRATEGIES and bid_amount is None:
        raise invalid("bid_amount is required for this bid_strategy", "Missing bid amount")
    targeting = ads_rules.targeting(call.param("targeting"))
    status = ads_rules.choice(call.param("status"), "status", ads_rules.CREATE_STATUSES, "ACTIVE")
    promoted = ads_rules.json_value(call.param("promoted_object"), "promoted_object")
    if validate_only(call):
        return {"success": True}
    objects = call.state.objects
    adset = AdSet(
        id=objects.new_id("adset"),
        owner_id=account.id,
        created_at=call.state.now(),
        marker=name,
        name=name,
        campaign_id=campaign.id,
        status=status,
        billing_event=billing,
        optimization_goal=goal,
        targeting=targeting,
        daily_budget=daily,
        lifetime_budget=lifetime,
        bid_amount=bid_amount,
        bid_strategy=bid_strategy,
        start_time=start,
        end_time=end,
        destination_type=call.param("destination_type"),
        promoted_object=promoted,
    )
    return {"id": objects.add(adset).id}


# --- ads ---------------------------------------------------------------------------------


@route("POST", "/{account:ad_account}/ads", scopes_any=WRITE_SCOPES)
def create_ad(call: Call) -> dict[str, Any]:
    account = writable(call)
    name = ads_rules.require(call.param("name"), "name")
    adset = _owned(call, AdSet, call.param("adset_id"), "adset_id")
    creative_spec = ads_rules.json_value(call.param("creative"), "creative")
    if not isinstance(creative_spec, dict) or "creative_id" not in creative_spec:
        raise invalid(
            'The parameter creative is required: {"creative_id": "<id>"}', "Missing creative"
        )
    creative = _owned(call, AdCreative, str(creative_spec["creative_id"]), "creative")
    status = ads_rules.choice(call.param("status"), "status", ads_rules.CREATE_STATUSES, "ACTIVE")
    objects = call.state.objects
    live = [
        ad
        for ad in objects.of_type(Ad, account.id)
        if ad.adset_id == adset.id and ad.status != "DELETED"
    ]
    if len(live) >= config.MAX_ADS_PER_ADSET:
        raise invalid(
            f"An ad set can have at most {config.MAX_ADS_PER_ADSET} non-deleted ads", "Too many ads"
        )
    if validate_only(call):
        return {"success": True}
    feedback = None
    if objects.disapprove_next > 0:
        objects.disapprove_next -= 1
        feedback = objects.disapproval_feedback
    ad = Ad(
        id=objects.new_id("ad"),
        owner_id=account.id,
        created_at=call.state.now(),
        marker=name,
        name=name,
        adset_id=adset.id,
        campaign_id=adset.campaign_id,
        creative_id=creative.id,
        status=status,
        review_done_at=call.state.now() + call.state.settings.ad_review_seconds,
        review_feedback=feedback,
    )
    return {"id": objects.add(ad).id}


# --- nodes and updates -------------------------------------------------------------------


def _visible[T: Created](cls: type[T]) -> Any:
    def find(call: Call, raw: str) -> T | None:
        obj = call.state.objects.get(raw, cls)
        return obj if obj is not None and visible_ad_account(call, obj.owner_id) else None

    return find


converter("campaign")(_visible(Campaign))
converter("adset")(_visible(AdSet))
converter("ad")(_visible(Ad))


def _issues(ad: Ad, call: Call, _children: Any) -> list[dict[str, Any]] | None:
    if lifecycle.ad_effective_status(call.state, ad) != "DISAPPROVED":
        return None
    text = "; ".join(str(v) for v in (ad.review_feedback or {}).get("global", {}).values())
    return [
        {
            "error_message": text,
            "error_summary": "Ad disapproved",
            "error_type": "HARD_ERROR",
            "level": "AD",
        }
    ]


CAMPAIGN = NodeType(
    "Campaign",
    {
        "id": attr("id"),
        "account_id": _account_id,
        "name": attr("name"),
        "objective": attr("objective"),
        "status": attr("status"),
        "configured_status": attr("status"),
        "effective_status": attr("status"),
        "special_ad_categories": attr("special_ad_categories"),
        "buying_type": attr("buying_type"),
        "daily_budget": lambda c, _call, _ch: _money(c.daily_budget),
        "lifetime_budget": lambda c, _call, _ch: _money(c.lifetime_budget),
        "bid_strategy": attr("bid_strategy"),
        "is_adset_budget_sharing_enabled": attr("is_adset_budget_sharing_enabled"),
        "created_time": _created_time,
    },
    scopes_any=ADS_SCOPES,
)

ADSET = NodeType(
    "AdSet",
    {
        "id": attr("id"),
        "account_id": _account_id,
        "campaign_id": attr("campaign_id"),
        "name": attr("name"),
        "status": attr("status"),
        "configured_status": attr("status"),
        "effective_status": lambda s, call, _ch: lifecycle.adset_effective_status(call.state, s),
        "daily_budget": lambda s, _call, _ch: _money(s.daily_budget),
        "lifetime_budget": lambda s, _call, _ch: _money(s.lifetime_budget),
        "billing_event": attr("billing_event"),
        "optimization_goal": attr("optimization_goal"),
        "bid_amount": attr("bid_amount"),
        "bid_strategy": attr("bid_strategy"),
        "targeting": attr("targeting"),
        "start_time": lambda s, _call, _ch: meta_time(s.start_time) if s.start_time else None,
        "end_time": lambda s, _call, _ch: meta_time(s.end_time) if s.end_time else None,
        "destination_type": attr("destination_type"),
        "promoted_object": attr("promoted_object"),
        "created_time": _created_time,
    },
    scopes_any=ADS_SCOPES,
)


def _creative(ad: Ad, call: Call, children: list[FieldSpec] | None) -> dict[str, Any]:
    """Render an ad's creative: its id, or the fields asked (``creative{effective_object_story_id}``)."""
    creative = call.state.objects.get(ad.creative_id, AdCreative)
    if not children or creative is None:
        return {"id": ad.creative_id}
    return AD_CREATIVE.render(creative, call, children)


AD = NodeType(
    "Ad",
    {
        "id": attr("id"),
        "account_id": _account_id,
        "name": attr("name"),
        "adset_id": attr("adset_id"),
        "campaign_id": attr("campaign_id"),
        "creative": _creative,
        "status": attr("status"),
        "configured_status": attr("status"),
        "effective_status": lambda ad, call, _ch: lifecycle.ad_effective_status(call.state, ad),
        "ad_review_feedback": lambda ad, call, _ch: (
            ad.review_feedback
            if lifecycle.ad_effective_status(call.state, ad) == "DISAPPROVED"
            else None
        ),
        "issues_info": _issues,
        "created_time": _created_time,
    },
    scopes_any=ADS_SCOPES,
)

register_node("campaign", CAMPAIGN)
register_node("adset", ADSET)
register_node("ad", AD)


def _update(call: Call, obj: Campaign | AdSet | Ad) -> dict[str, Any]:
    account = call.state.world.ad_accounts[obj.owner_id]
    ads_rules.require_active(account)
    if obj.status == "DELETED":
        raise invalid(f"{obj.id} was deleted and can't be edited", "Object deleted")
    status = call.param("status")
    if status is not None:
        status = ads_rules.choice(status, "status", ads_rules.UPDATE_STATUSES)
        if obj.status == "ARCHIVED" and status != "DELETED":
            raise invalid("An archived object can only be renamed or deleted", "Object archived")
    if call.param("name"):
        obj.name = call.param("name") or obj.name
    if status is not None and status != obj.status:
        record_status(obj, status, call.state.now())  # insights stop delivery while paused
    return {"success": True}


@route("POST", "/{campaign:campaign}", scopes_any=WRITE_SCOPES)
def update_campaign(call: Call) -> dict[str, Any]:
    return _update(call, call.args["campaign"])


@route("POST", "/{adset:adset}", scopes_any=WRITE_SCOPES)
def update_adset(call: Call) -> dict[str, Any]:
    return _update(call, call.args["adset"])


@route("POST", "/{ad:ad}", scopes_any=WRITE_SCOPES)
def update_ad(call: Call) -> dict[str, Any]:
    return _update(call, call.args["ad"])
