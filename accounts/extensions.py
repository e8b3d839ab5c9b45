"""What the apps built on accounts add to the workspace dashboard, without accounts importing them.

Accounts sits below every other app, so its dashboard can't ask publishing (or campaigns, or
the media library) what to show. Instead an app declares from its ``AppConfig.ready()`` a panel:
a template to include and a function returning that template's context for a membership
(``register_dashboard_panel``). The dashboard view renders the registered panels in ``order``.

A panel's context function runs on every dashboard view: keep its query count constant in the
workspace's size (``tests/accounts/test_dashboard.py`` pins the dashboard's total).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.models import Membership
from prosocial.kept import Source

PanelContext = Callable[[Membership], dict[str, Any]]


@dataclass(frozen=True)
class DashboardPanel:
    name: str
    template: str
    context: PanelContext
    order: int = 100
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class RenderedPanel:
    name: str
    template: str
    context: dict[str, Any]


_PANELS: dict[str, DashboardPanel] = {}


def register_dashboard_panel(
    name: str,
    *,
    template: str,
    context: PanelContext,
    sources: tuple[Source, ...],
    order: int = 100,
) -> None:
    """Declare a dashboard panel: ``template`` is included with ``panel`` set to its context.

    ``sources`` are every row the panel shows or counts (``prosocial.kept``): the dashboard's
    body is kept until one of them changes.
    """
    _PANELS[name] = DashboardPanel(
        name=name, template=template, context=context, order=order, sources=sources
    )


def dashboard_sources() -> tuple[Source, ...]:
    """Return the sources of every registered panel."""
    return tuple(source for panel in _PANELS.values() for source in panel.sources)


def dashboard_panels(membership: Membership) -> list[RenderedPanel]:
    """Return every registered panel with its context for ``membership``, in order."""
    return [
        RenderedPanel(name=panel.name, template=panel.template, context=panel.context(membership))
        for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.name))
    ]


# --- Counts carried by the membership query -------------------------------------------------
#
# The layout shows, on every workspace page, counts that belong to the apps above accounts
# (the sidebar's "Waiting for you", the Meta notice). Instead of one query each per page, an
# app declares a SQL expression over the ``Membership`` row (``OuterRef("workspace_id")``,
# ``OuterRef("user_id")``, ``role``) and ``get_membership_for_user`` selects it as an
# attribute of the membership in the same query that resolves the workspace.

MembershipCount = Callable[[], Any]

_MEMBERSHIP_COUNTS: dict[str, MembershipCount] = {}


def register_membership_count(name: str, expression: MembershipCount) -> None:
    """Declare ``name``: an integer expression over a membership row, read as an attribute.

    The expression's SQL is compiled once per process (``accounts.selectors``), so it may use
    ``OuterRef`` to the membership row and constants only: never the time, the request or
    anything else that changes between requests.
    """
    _MEMBERSHIP_COUNTS[name] = expression


def membership_counts() -> dict[str, Any]:
    """Return every registered count's expression, by attribute name."""
    return {name: expression() for name, expression in _MEMBERSHIP_COUNTS.items()}


def membership_count_names() -> tuple[str, ...]:
    """Return the registered counts' names (what a compiled membership query depends on)."""
    return tuple(_MEMBERSHIP_COUNTS)
