"""Facts the apps contribute to the policy pages, so the pages say what the code does.

The privacy policy lists, for instance, which Meta permissions ProSocial asks for and why;
that list lives with the Meta integration. Apps declare such facts from AppConfig.ready()
(``register_policy_facts``) and ``privacy`` renders them without importing those apps.
"""

from collections.abc import Callable
from typing import Any

Facts = Callable[[], dict[str, Any]]

_FACTS: dict[str, Facts] = {}


def register_policy_facts(name: str, facts: Facts) -> None:
    """Declare template context (names → values) that ``name`` adds to the policy pages."""
    _FACTS[name] = facts


def policy_facts() -> dict[str, Any]:
    """Every registered app's facts, merged."""
    merged: dict[str, Any] = {}
    for facts in _FACTS.values():
        merged.update(facts())
    return merged
