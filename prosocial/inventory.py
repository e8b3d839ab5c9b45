"""What each app holds about a person or a workspace, described for people.

The privacy centre lists, with counts, the kinds of data ProSocial keeps. Each app that keeps
some declares a describer from its AppConfig.ready() (``register_user_inventory``,
``register_workspace_inventory``), so ``privacy`` lists every app's data without importing any
app's models — the same way it erases and exports through ``prosocial.erasure`` and
``prosocial.exporting``.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredItem:
    """One kind of data, as the privacy centre shows it: "Media files", 12, "48.0 MB"."""

    label: str
    count: int
    detail: str = ""


Describer = Callable[[int], list[StoredItem]]

_USER_DESCRIBERS: dict[str, Describer] = {}
_WORKSPACE_DESCRIBERS: dict[str, Describer] = {}


def register_user_inventory(name: str, describer: Describer) -> None:
    """Declare what an app holds about one ProSocial user (by user id)."""
    _USER_DESCRIBERS[name] = describer


def register_workspace_inventory(name: str, describer: Describer) -> None:
    """Declare what an app holds for one workspace (by workspace id)."""
    _WORKSPACE_DESCRIBERS[name] = describer


def describe_user(user_id: int) -> list[StoredItem]:
    """Every registered app's items about the user, in INSTALLED_APPS order."""
    return [item for describe in _USER_DESCRIBERS.values() for item in describe(user_id)]


def describe_workspace(workspace_id: int) -> list[StoredItem]:
    """Every registered app's items for the workspace, in INSTALLED_APPS order."""
    return [item for describe in _WORKSPACE_DESCRIBERS.values() for item in describe(workspace_id)]
