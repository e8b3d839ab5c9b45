"""Who else uses a file, without the media library importing them (a registry, like campaigns').

The library sits below campaigns, the studio and publishing. When a member deletes a file, the
apps built on it say what happens to their rows (``describe``: lines for the confirmation page,
and reasons to refuse) and let go of it inside the deleting transaction (``release``: e.g.
publishing copies the file's name and checksum onto the publications that sent it). They
register from their ``AppConfig.ready()``.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from accounts.models import Membership
from creatives.library.models import MediaAsset


@dataclass(frozen=True)
class MediaUse:
    """What deleting some files does to one app's rows.

    ``consequences`` are sentences for the confirmation page ("3 publications used this file;
    they keep its name and checksum"); any ``blockers`` refuse the deletion, each saying why
    and what to do first.
    """

    consequences: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)


Describe = Callable[[Sequence[MediaAsset]], MediaUse]
Release = Callable[..., None]  # (*, actor: Membership, assets: Sequence[MediaAsset]) -> None

_USERS: dict[str, tuple[Describe, Release]] = {}


def register_media_user(name: str, *, describe: Describe, release: Release) -> None:
    """Declare how ``name`` describes and lets go of files that are about to be deleted."""
    _USERS[name] = (describe, release)


def describe_uses(assets: Sequence[MediaAsset]) -> MediaUse:
    """Return every app's consequences and blockers for deleting ``assets``, in app order."""
    consequences: list[str] = []
    blockers: list[str] = []
    for describe, _release in _USERS.values():
        use = describe(assets)
        consequences.extend(use.consequences)
        blockers.extend(use.blockers)
    return MediaUse(consequences=consequences, blockers=blockers)


def release_uses(*, actor: Membership, assets: Sequence[MediaAsset]) -> None:
    """Let every app let go of ``assets``; call inside the deleting transaction."""
    for _describe, release in _USERS.values():
        release(actor=actor, assets=assets)
