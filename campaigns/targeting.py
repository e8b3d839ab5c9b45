"""Turn a cohort into a valid Meta targeting spec (GRAPH_NOTES §4.5).

Meta requires at least one location; ages are 13 to 65 (65 means 65 and older); genders are 1
(men) and 2 (women), left out for everyone. Interests become ``flexible_spec`` entries only
once they carry Meta's interest ids; free-text interests are kept for the copywriting and not
sent, since Meta rejects interests it can't resolve.
"""

from collections.abc import Iterable
from functools import cache
from typing import Any

import pycountry

MIN_AGE = 13
MAX_AGE = 65
# Codes people type that are not ISO 3166-1 alpha-2, with the code they mean.
COMMON_MISTAKES = {"UK": "GB", "EN": "GB", "EL": "GR"}


@cache
def country_names() -> dict[str, str]:
    """Meta's country codes (ISO 3166-1 alpha-2, plus Kosovo's XK) with their English names."""
    names = {country.alpha_2: country.name for country in pycountry.countries}
    names["XK"] = "Kosovo"
    return names


def unknown_country_problem(codes: Iterable[str]) -> str | None:
    """Say which of ``codes`` are not country codes (and what was probably meant), or None."""
    known = country_names()
    wrong = [code for code in codes if code not in known]
    if not wrong:
        return None
    hints = [
        f"{code}; for {known[COMMON_MISTAKES[code]]} use {COMMON_MISTAKES[code]}"
        if code in COMMON_MISTAKES
        else code
        for code in wrong
    ]
    return f"Use two-letter ISO codes for countries, such as US or DE (not {', '.join(hints)})."


class TargetingError(ValueError):
    """The cohort can't be turned into a spec Meta accepts; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def targeting_problems(
    *, countries: Iterable[str], age_min: int, age_max: int, genders: Iterable[int]
) -> list[str]:
    problems = []
    codes = list(countries)
    if not codes:
        problems.append("Choose at least one country to reach.")
    elif not all(isinstance(code, str) for code in codes):
        problems.append("Countries are two-letter ISO codes such as US or DE.")
    elif problem := unknown_country_problem(codes):
        problems.append(problem)
    if not MIN_AGE <= age_min <= age_max <= MAX_AGE:
        problems.append(f"Ages must be between {MIN_AGE} and {MAX_AGE}, youngest first.")
    if any(gender not in (1, 2) for gender in genders):
        problems.append("Genders are men or women; leave both out for everyone.")
    return problems


def build_targeting_spec(
    *,
    countries: Iterable[str],
    age_min: int,
    age_max: int,
    genders: Iterable[int],
    interests: Iterable[Any] = (),
) -> dict[str, Any]:
    """Return ``{"geo_locations": …, "age_min": …, …}``; raise TargetingError when invalid."""
    codes, sexes = list(countries), list(genders)
    problems = targeting_problems(countries=codes, age_min=age_min, age_max=age_max, genders=sexes)
    if problems:
        raise TargetingError(problems)
    spec: dict[str, Any] = {
        "geo_locations": {"countries": codes},
        "age_min": age_min,
        "age_max": age_max,
    }
    if sexes:
        spec["genders"] = sexes
    resolved = [
        {"id": str(item["id"]), "name": str(item.get("name", ""))}
        for item in interests
        if isinstance(item, dict) and str(item.get("id", "")).isdigit()
    ]
    if resolved:
        spec["flexible_spec"] = [{"interests": resolved}]
    return spec
