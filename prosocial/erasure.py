"""The registry through which the privacy machinery reaches every app's data.

Each app that holds data tied to a Meta user declares, in its own ``privacy.py``, a function
that erases that data and returns per-kind counts, and registers it from its AppConfig.ready().
``privacy`` calls ``erase_meta_user`` and never imports another app's models.
"""

from collections.abc import Callable

MetaUserEraser = Callable[[str], dict[str, int]]

_META_USER_ERASERS: dict[str, MetaUserEraser] = {}


def register_meta_user_eraser(name: str, eraser: MetaUserEraser) -> None:
    """Declare how an app erases everything it holds about one Meta (app-scoped) user id."""
    _META_USER_ERASERS[name] = eraser


def meta_user_erasers() -> dict[str, MetaUserEraser]:
    return dict(_META_USER_ERASERS)


def erase_meta_user(meta_user_id: str) -> dict[str, int]:
    """Run every registered eraser for ``meta_user_id``; return the merged counts."""
    counts: dict[str, int] = {}
    for name, eraser in sorted(_META_USER_ERASERS.items()):
        for kind, count in eraser(meta_user_id).items():
            counts[f"{name}.{kind}"] = counts.get(f"{name}.{kind}", 0) + count
    return counts
