"""Audience targeting for ads: validate the simple form we store, build Meta's spec.

GRAPH_NOTES §4.5: ``geo_locations`` with at least one location is required; ages are 13 to 65
(65 means 65+); genders are 1 (men) and 2 (women), left out for everyone.
"""

import re
from typing import Any

MIN_AGE = 13
MAX_AGE = 65
COUNTRY = re.compile(r"^[A-Z]{2}$")


def targeting_problems(targeting: dict[str, Any]) -> list[str]:
    """Return why ``targeting`` can't be sent to Meta (empty when it can)."""
    problems = []
    countries = targeting.get("countries") or []
    if not countries:
        problems.append("Choose at least one country to show the ad in.")
    elif not all(isinstance(c, str) and COUNTRY.match(c) for c in countries):
        problems.append("Countries must be two-letter ISO codes such as US or DE.")
    age_min = targeting.get("age_min", 18)
    age_max = targeting.get("age_max", MAX_AGE)
    if not (isinstance(age_min, int) and isinstance(age_max, int)):
        problems.append("Ages must be whole numbers.")
    elif not MIN_AGE <= age_min <= age_max <= MAX_AGE:
        problems.append(f"Ages must be between {MIN_AGE} and {MAX_AGE}, youngest first.")
    genders = targeting.get("genders") or []
    if any(g not in (1, 2) for g in genders):
        problems.append("Genders can only be men (1) or women (2); leave empty for everyone.")
    return problems


def build_targeting_spec(targeting: dict[str, Any], placements: list[str]) -> dict[str, Any]:
    """Return Meta's targeting spec for a validated ``targeting`` and placement list."""
    spec: dict[str, Any] = {
        "geo_locations": {"countries": list(targeting["countries"])},
        "age_min": targeting.get("age_min", 18),
        "age_max": targeting.get("age_max", MAX_AGE),
    }
    if targeting.get("genders"):
        spec["genders"] = list(targeting["genders"])
    platforms: dict[str, list[str]] = {}
    for placement in placements:
        platform, _, position = placement.partition(":")
        platforms.setdefault(platform, []).append(position)
    if platforms:
        spec["publisher_platforms"] = sorted(platforms)
        for platform, positions in platforms.items():
            spec[f"{platform}_positions"] = positions
    return spec
