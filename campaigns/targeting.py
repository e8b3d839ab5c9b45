"""Turn a cohort into a valid Meta targeting spec (GRAPH_NOTES §4.5).

Meta requires at least one location; ages are 13 to 65 (65 means 65 and older); genders are 1
(men) and 2 (women), left out for everyone. Interests become ``flexible_spec`` entries only
once they carry Meta's interest ids; free-text interests are kept for the copywriting and not
sent, since Meta rejects interests it can't resolve.
"""

import re
from collections.abc import Iterable
from typing import Any

MIN_AGE = 13
MAX_AGE = 65
COUNTRY = re.compile(r"^[A-Z]{2}$")


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
    elif not all(isinstance(code, str) and COUNTRY.match(code) for code in codes):
        problems.append("Countries are two-letter ISO codes such as US or DE.")
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
