"""Ad targeting as a publication stores it: validate it and build Meta's spec with placements.

The rules themselves (GRAPH_NOTES §4.5) live in ``campaigns.targeting``, shared with cohorts;
this module adapts the stored dict and adds the placement keys.
"""

from collections.abc import Iterable
from typing import Any

from campaigns import targeting as rules

MIN_AGE = rules.MIN_AGE
MAX_AGE = rules.MAX_AGE
DEFAULT_AGE_MIN = 18


def targeting_problems(targeting: dict[str, Any]) -> list[str]:
    """Return why ``targeting`` can't be sent to Meta (empty when it can)."""
    age_min = targeting.get("age_min", DEFAULT_AGE_MIN)
    age_max = targeting.get("age_max", MAX_AGE)
    if not (isinstance(age_min, int) and isinstance(age_max, int)):
        return ["Ages must be whole numbers."]
    return rules.targeting_problems(
        countries=targeting.get("countries") or [],
        age_min=age_min,
        age_max=age_max,
        genders=targeting.get("genders") or [],
    )


def build_targeting_spec(targeting: dict[str, Any], placements: list[str]) -> dict[str, Any]:
    """Return Meta's targeting spec for a validated ``targeting`` and placement list."""
    spec = rules.build_targeting_spec(
        countries=targeting["countries"],
        age_min=targeting.get("age_min", DEFAULT_AGE_MIN),
        age_max=targeting.get("age_max", MAX_AGE),
        genders=targeting.get("genders") or [],
    )
    platforms: dict[str, list[str]] = {}
    for placement in placements:
        platform, _, position = placement.partition(":")
        platforms.setdefault(platform, []).append(position)
    if platforms:
        spec["publisher_platforms"] = sorted(platforms)
        for platform, positions in platforms.items():
            spec[f"{platform}_positions"] = positions
    return spec


def targeting_from_audience(
    *, countries: Iterable[str], age_min: int, age_max: int, genders: Iterable[int]
) -> dict[str, Any]:
    """Return the stored targeting for a campaign audience (a cohort) an ad is made for.

    Interests are left out: a cohort's are free text until they carry Meta's interest ids
    (``campaigns.targeting``), so the editor shows them as a hint instead.
    """
    targeting: dict[str, Any] = {
        "countries": list(countries),
        "age_min": age_min,
        "age_max": age_max,
    }
    if sexes := list(genders):
        targeting["genders"] = sexes
    return targeting


def interest_names(interests: Iterable[Any]) -> list[str]:
    """Return a cohort's interests as words: free text, or the names of resolved ones."""
    names = [
        str(item.get("name") or "") if isinstance(item, dict) else str(item) for item in interests
    ]
    return [name for name in names if name]
