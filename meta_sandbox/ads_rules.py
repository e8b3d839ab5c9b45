"""Marketing API validation (GRAPH_NOTES §4): enums, money, times, targeting.

Pure functions over request values; each raises the `GraphError` the sandbox answers
(code 100, with a user title/message saying what to fix). Nested objects arrive as
JSON strings in form posts (§4 conventions) and are parsed by `json_value()`.

Where the notes give no exact error (budget minimums, the disabled-account error) the
sandbox answers code 100 without a subcode and says so in `error_user_title`.
"""

import json
import re
from datetime import datetime
from typing import Any

from meta_sandbox.errors import GraphError
from meta_sandbox.models import ACCOUNT_STATUS_NAMES, AdAccount

OBJECTIVES = (
    "OUTCOME_AWARENESS",
    "OUTCOME_TRAFFIC",
    "OUTCOME_ENGAGEMENT",
    "OUTCOME_LEADS",
    "OUTCOME_APP_PROMOTION",
    "OUTCOME_SALES",
)
SPECIAL_AD_CATEGORIES = (
    "NONE",
    "EMPLOYMENT",
    "HOUSING",
    "CREDIT",
    "ISSUES_ELECTIONS_POLITICS",
    "ONLINE_GAMBLING_AND_GAMING",
    "FINANCIAL_PRODUCTS_SERVICES",
)
CREATE_STATUSES = ("ACTIVE", "PAUSED")
UPDATE_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED")
BID_STRATEGIES = (
    "LOWEST_COST_WITHOUT_CAP",
    "LOWEST_COST_WITH_BID_CAP",
    "COST_CAP",
    "LOWEST_COST_WITH_MIN_ROAS",
)
BID_AMOUNT_STRATEGIES = ("LOWEST_COST_WITH_BID_CAP", "COST_CAP")
BILLING_EVENTS = (
    "IMPRESSIONS",
    "LINK_CLICKS",
    "THRUPLAY",
    "POST_ENGAGEMENT",
    "PAGE_LIKES",
    "APP_INSTALLS",
    "CLICKS",
    "LISTING_INTERACTION",
    "NONE",
    "OFFER_CLAIMS",
    "PURCHASE",
)
# The goals named in §4.4/§4.5 plus the other common members of the SDK's enum.
OPTIMIZATION_GOALS = (
    "NONE",
    "APP_INSTALLS",
    "AD_RECALL_LIFT",
    "ENGAGED_USERS",
    "EVENT_RESPONSES",
    "IMPRESSIONS",
    "LEAD_GENERATION",
    "QUALITY_LEAD",
    "LINK_CLICKS",
    "OFFSITE_CONVERSIONS",
    "PAGE_LIKES",
    "POST_ENGAGEMENT",
    "QUALITY_CALL",
    "REACH",
    "LANDING_PAGE_VIEWS",
    "VISIT_INSTAGRAM_PROFILE",
    "VALUE",
    "THRUPLAY",
    "DERIVED_EVENTS",
    "APP_INSTALLS_AND_OFFSITE_CONVERSIONS",
    "CONVERSATIONS",
    "IN_APP_VALUE",
    "MESSAGING_PURCHASE_CONVERSION",
    "SUBSCRIBERS",
    "REMINDERS_SET",
    "MEANINGFUL_CALL_ATTEMPT",
    "PROFILE_VISIT",
    "PROFILE_AND_PAGE_ENGAGEMENT",
    "ADVERTISER_SILOED_VALUE",
    "AUTOMATIC_OBJECTIVE",
    "MESSAGING_APPOINTMENT_CONVERSION",
)
PUBLISHER_PLATFORMS = ("facebook", "instagram", "messenger", "audience_network", "threads")
GEO_KEYS = (
    "countries",
    "regions",
    "cities",
    "zips",
    "places",
    "custom_locations",
    "geo_markets",
    "country_groups",
    "electoral_districts",
)
AGE_MIN, AGE_MAX = 13, 65
_COUNTRY = re.compile(r"[A-Z]{2}")
_CTA_TYPE = re.compile(r"[A-Z][A-Z_]*")


def invalid(
    message: str, title: str, user_msg: str | None = None, subcode: int | None = None
) -> GraphError:
    return GraphError(
        f"(#100) {message}",
        code=100,
        subcode=subcode,
        is_transient=False,
        user_title=title,
        user_msg=user_msg or message,
    )


def require(value: str | None, name: str) -> str:
    if not value:
        raise invalid(f"The parameter {name} is required", f"Missing {name}")
    return value


def require_active(account: AdAccount) -> None:
    """Refuse writes on an ad account whose account_status is not 1 (ACTIVE), §1.10."""
    if account.account_status != 1:
        name = ACCOUNT_STATUS_NAMES.get(account.account_status, str(account.account_status))
        raise invalid(
            f"The ad account {account.id} is not active (account_status {account.account_status}: {name})",
            "Ad account not active",
            "This ad account can't create or edit ads until it is active again.",
        )


def json_value(raw: str | None, name: str) -> Any:
    """Parse a JSON-encoded parameter; None when absent."""
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise invalid(f"Param {name} must be valid JSON", f"Invalid {name}") from exc


def choice(
    value: str | None, name: str, allowed: tuple[str, ...], default: str | None = None
) -> str:
    value = (value or "").strip().upper() or default
    if value is None:
        raise invalid(f"The parameter {name} is required", f"Missing {name}")
    if value not in allowed:
        raise invalid(
            f"Param {name} must be one of {{{', '.join(allowed)}}}",
            f"Invalid {name}",
            f"{value} is not a valid {name}.",
        )
    return value


def flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in ("true", "1")


def minor_units(value: str | None, name: str) -> int | None:
    """Return a budget/bid in minor units (GRAPH_NOTES §4: integers, e.g. cents)."""
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) <= 0:
        raise invalid(
            f"Param {name} must be a positive integer in the account currency's minor units",
            f"Invalid {name}",
        )
    return int(value)


def timestamp(value: str | None, name: str) -> int | None:
    """Parse ISO 8601 with offset (`2026-05-12T10:45:01-0700`) or unix seconds."""
    if value is None or value == "":
        return None
    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise invalid(
                f"Param {name} must be ISO 8601 or a unix time", f"Invalid {name}"
            ) from exc
    if parsed.tzinfo is None:
        raise invalid(f"Param {name} needs a UTC offset", f"Invalid {name}")
    return int(parsed.timestamp())


def categories(raw: str | None) -> list[str]:
    value = json_value(raw, "special_ad_categories")
    if value is None:
        raise invalid(
            "The parameter special_ad_categories is required",
            "Missing special ad categories",
            'Declare special_ad_categories: [] (or ["NONE"]) when none apply.',
        )
    if not isinstance(value, list) or any(item not in SPECIAL_AD_CATEGORIES for item in value):
        raise invalid(
            f"Param special_ad_categories must be a list of {{{', '.join(SPECIAL_AD_CATEGORIES)}}}",
            "Invalid special ad categories",
        )
    return [str(item) for item in value]


def targeting(raw: str | None) -> dict[str, Any]:
    """Validate a targeting spec (§4.5): a location is required, ages 13-65."""
    spec = json_value(raw, "targeting")
    if not isinstance(spec, dict):
        raise invalid("The parameter targeting is required", "Missing targeting")
    geo = spec.get("geo_locations")
    if not isinstance(geo, dict) or not any(geo.get(key) for key in GEO_KEYS):
        raise invalid(
            "Targeting must include geo_locations with at least one location",
            "Missing location",
            "Your audience is missing a location. Add a country, region, city or other location.",
        )
    countries = geo.get("countries") or []
    if not isinstance(countries, list) or not all(
        isinstance(c, str) and _COUNTRY.fullmatch(c) for c in countries
    ):
        raise invalid("geo_locations.countries must be two-letter country codes", "Invalid country")
    _check_ages(spec)
    genders = spec.get("genders")
    if genders is not None and (not isinstance(genders, list) or not set(genders) <= {1, 2}):
        raise invalid("genders must be a list of 1 (male) and/or 2 (female)", "Invalid genders")
    platforms = spec.get("publisher_platforms")
    if platforms is not None:
        if not isinstance(platforms, list) or not set(platforms) <= set(PUBLISHER_PLATFORMS):
            raise invalid(
                f"publisher_platforms must be a list of {{{', '.join(PUBLISHER_PLATFORMS)}}}",
                "Invalid placements",
            )
        if platforms == ["audience_network"]:
            raise invalid(
                "audience_network can't be the only publisher platform", "Invalid placements"
            )
    return spec


def _check_ages(spec: dict[str, Any]) -> None:
    age_min, age_max = spec.get("age_min", AGE_MIN), spec.get("age_max", AGE_MAX)
    if not isinstance(age_min, int) or not isinstance(age_max, int):
        raise invalid("age_min and age_max must be integers", "Invalid age range")
    if not AGE_MIN <= age_min <= age_max <= AGE_MAX:
        raise invalid(
            f"The age range must be within {AGE_MIN}-{AGE_MAX} with age_min <= age_max "
            f"(got {age_min}-{age_max})",
            "Invalid age range",
        )


def http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def call_to_action(cta: Any, where: str) -> None:
    if cta is None:
        return
    if not isinstance(cta, dict) or not _CTA_TYPE.fullmatch(str(cta.get("type", ""))):
        raise invalid(
            f"{where}.call_to_action needs a type such as LEARN_MORE", "Invalid call to action"
        )
    link = (cta.get("value") or {}).get("link")
    if link is not None and not http_url(link):
        raise invalid(f"{where}.call_to_action.value.link must be an http(s) URL", "Invalid link")
