"""The registries through which the privacy machinery reaches every app's data.

Each app that holds personal data declares, in its own ``privacy.py``, functions that erase what
it holds about one subject and return per-kind counts, and registers them from its
AppConfig.ready(). There are three kinds of subject:

- a Meta (app-scoped) user id: Meta's data-deletion callback;
- a ProSocial user: someone deleting their account (the ``accounts`` app removes the user row
  itself once every other app has let go of it);
- a workspace: an owner deleting it (the workspace row goes last, cascading what is left).

A ProSocial user can also ask for only their Meta-connected data to go (the Facebook
connections they made, with their tokens) while keeping their account: apps that hold such data
declare it with ``register_user_meta_data_eraser``.

Meta's deauthorize callback is not an erasure: the person removed the app, so their tokens
are wiped and their connections stop, but the work stays. Apps declare what that means for
them with ``register_meta_user_deauthorizer``. A Facebook Page can remove the app too (the
callback then names the Page, not a person): ``register_meta_page_deauthorizer``.

``privacy`` calls the functions here and never imports another app's models.
"""

from collections.abc import Callable

Eraser = Callable[[str], dict[str, int]]
IdEraser = Callable[[int], dict[str, int]]

_META_USER_ERASERS: dict[str, Eraser] = {}
_USER_ERASERS: dict[str, IdEraser] = {}
_WORKSPACE_ERASERS: dict[str, IdEraser] = {}
_USER_META_DATA_ERASERS: dict[str, IdEraser] = {}
_META_USER_DEAUTHORIZERS: dict[str, Callable[[str], int]] = {}
_META_PAGE_DEAUTHORIZERS: dict[str, Callable[[str], int]] = {}


def register_meta_user_eraser(name: str, eraser: Eraser) -> None:
    """Declare how an app erases everything it holds about one Meta (app-scoped) user id."""
    _META_USER_ERASERS[name] = eraser


def register_user_eraser(name: str, eraser: IdEraser) -> None:
    """Declare how an app erases (or detaches) what it holds about one ProSocial user."""
    _USER_ERASERS[name] = eraser


def register_user_meta_data_eraser(name: str, eraser: IdEraser) -> None:
    """Declare how an app erases the Meta-connected data of one ProSocial user (account stays)."""
    _USER_META_DATA_ERASERS[name] = eraser


def register_workspace_eraser(name: str, eraser: IdEraser) -> None:
    """Declare how an app erases what it holds for one workspace (files, remote copies...)."""
    _WORKSPACE_ERASERS[name] = eraser


def register_meta_user_deauthorizer(name: str, deauthorizer: Callable[[str], int]) -> None:
    """Declare what an app does when a Meta user removes the app; it returns how many rows."""
    _META_USER_DEAUTHORIZERS[name] = deauthorizer


def deauthorize_meta_user(meta_user_id: str) -> int:
    """Run every registered deauthorizer for the Meta user id; return the rows they changed."""
    return sum(deauthorize(meta_user_id) for deauthorize in _META_USER_DEAUTHORIZERS.values())


def register_meta_page_deauthorizer(name: str, deauthorizer: Callable[[str], int]) -> None:
    """Declare what an app does when a Facebook Page removes the app; it returns how many rows."""
    _META_PAGE_DEAUTHORIZERS[name] = deauthorizer


def deauthorize_meta_page(page_id: str) -> int:
    """Run every registered Page deauthorizer for the Page id; return the rows they changed."""
    return sum(deauthorize(page_id) for deauthorize in _META_PAGE_DEAUTHORIZERS.values())


def _run[T](erasers: dict[str, Callable[[T], dict[str, int]]], subject: T) -> dict[str, int]:
    counts: dict[str, int] = {}
    # Apps register in INSTALLED_APPS order (dependencies first); erasing runs the other way,
    # so rows that point at another app's rows (a publication's media) go before their targets.
    for name, eraser in reversed(erasers.items()):
        for kind, count in eraser(subject).items():
            counts[f"{name}.{kind}"] = counts.get(f"{name}.{kind}", 0) + count
    return counts


def erase_meta_user(meta_user_id: str) -> dict[str, int]:
    """Run every registered Meta-user eraser; return the merged counts."""
    return _run(_META_USER_ERASERS, meta_user_id)


def erase_user_data(user_id: int) -> dict[str, int]:
    """Run every registered user eraser (the user row itself stays); return merged counts."""
    return _run(_USER_ERASERS, user_id)


def erase_user_meta_data(user_id: int) -> dict[str, int]:
    """Run every registered Meta-data eraser for one user (the account stays); merged counts."""
    return _run(_USER_META_DATA_ERASERS, user_id)


def erase_workspace_data(workspace_id: int) -> dict[str, int]:
    """Run every registered workspace eraser (the row itself stays); return merged counts."""
    return _run(_WORKSPACE_ERASERS, workspace_id)
