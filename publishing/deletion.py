"""Deleting publications, and what publishing keeps when a file it sent is deleted.

Invariants:

- A publication that reached Meta (published, or holding Meta's id) is replaced by a
  ``PublicationTombstone`` that keeps what went where: the target, the account (name and id),
  Meta's id and link, the time, a caption excerpt and the files' names and checksums.
  Deleting here never deletes the post on Meta; ``publishing.remote_delete`` does that on
  request, where Meta allows it.
- A publication still on its way to Meta (queued, uploading, processing, publishing) or with
  a live worker lease is never deleted; a scheduled one only while nothing reached Meta.
- A file deleted from the media library (``creatives.library.usage``): publications that sent
  it drop it and keep its name and checksum (``Publication.deleted_files``); cancelled ones drop
  it; both say so on their timeline; any other publication still using it refuses the deletion.

Callers: ``publishing.views`` (delete pages) and the media library's registry (registered in
``PublishingConfig.ready``). Every change writes an audit event.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.audit import record_audit_event
from accounts.models import Membership
from accounts.permissions import has_permission
from creatives.library.models import MediaAsset
from creatives.library.usage import MediaUse
from publishing.errors import PublishingError
from publishing.models import (
    ACCOUNT_SNAPSHOT_FIELDS,
    RUNNING_STATUSES,
    Publication,
    PublicationAsset,
    PublicationEvent,
    PublicationTombstone,
)

Status = Publication.Status
CAPTION_EXCERPT_CHARS = 280
CANCELLED = Status.CANCELLED  # never sent and never will be: its files may simply go


def _require(actor: Membership) -> None:
    if not has_permission(actor.role, "content.edit"):
        raise PermissionDenied


def reached_meta(publication: Publication) -> bool:
    """Return whether Meta holds something of ``publication`` (it gets a tombstone)."""
    return publication.status == Status.PUBLISHED or bool(publication.remote_id)


def refusal(publication: Publication) -> str:
    """Return why ``publication`` can't be deleted now ("" when it can)."""
    lease = publication.lease_expires_at
    busy = lease is not None and lease > timezone.now()
    if publication.status == Status.QUEUED and not busy and not publication.remote:
        return _("It is queued to be sent to Meta. Cancel it first, then delete it.")
    if publication.status in RUNNING_STATUSES or busy:
        return _(
            "It is being sent to Meta right now and can't be deleted. Wait until it is "
            "published or has failed, then delete it."
        )
    if publication.status == Status.SCHEDULED and publication.remote:
        return _("Part of it already reached Meta. Wait for it to finish, then delete it.")
    return ""


def _sha(value: str) -> str:
    return value[:12]


def _media_of(publication: Publication) -> list[dict[str, str]]:
    """Return the names and checksums of every file ``publication`` sent, in order, cover last.

    Files deleted from the media library since come from ``deleted_files``.
    """
    items: list[tuple[int, dict[str, str]]] = [
        (item.position, _file(item.asset.original_filename, item.asset.sha256, "item"))
        for item in publication.items.select_related("asset")
    ]
    covers = []
    if publication.cover_asset is not None:
        cover = publication.cover_asset
        covers.append(_file(cover.original_filename, cover.sha256, "cover"))
    for entry in publication.deleted_files:
        row = _file(entry["name"], entry["sha256"], entry["part"])
        if entry["part"] == "cover":
            covers.append(row)
        else:
            items.append((entry["position"], row))
    items.sort(key=lambda pair: pair[0])
    return [row for _position, row in items] + covers


def _file(name: str, sha256: str, part: str) -> dict[str, str]:
    return {"name": name, "sha256": sha256, "part": part}


@dataclass(frozen=True)
class PublicationDeletion:
    """What deleting a publication does, for the confirmation page."""

    refusal: str
    keeps_tombstone: bool
    goes: list[str] = field(default_factory=list)
    stays: list[str] = field(default_factory=list)


def describe_publication_deletion(publication: Publication) -> PublicationDeletion:
    """Say what goes and what stays if ``publication`` is deleted (and whether it can be)."""
    tombstone = reached_meta(publication)
    goes = [
        _("The publication, its caption, settings, checks and timeline."),
    ]
    stays = [_("The files it uses stay in the media library.")]
    if tombstone:
        stays.insert(
            0,
            _(
                "A record of what went to Meta and where: the target, the account, Meta's id and "
                "link, the time, the first %(n)s characters of the caption, and each file's "
                "name and checksum."
            )
            % {"n": CAPTION_EXCERPT_CHARS},
        )
        stays.insert(
            1,
            _("The post itself: deleting it here does not delete it on Facebook or Instagram."),
        )
    return PublicationDeletion(
        refusal=refusal(publication), keeps_tombstone=tombstone, goes=goes, stays=stays
    )


def _tombstone_of(actor: Membership, publication: Publication) -> PublicationTombstone:
    return PublicationTombstone.objects.create(
        workspace=publication.workspace,
        publication_pk=publication.pk,
        title=publication.title,
        target=publication.target,
        **{name: getattr(publication, name) for name in ACCOUNT_SNAPSHOT_FIELDS},
        remote_id=publication.remote_id,
        permalink=publication.permalink,
        published_at=publication.published_at,
        caption_excerpt=_excerpt(publication.caption),
        media=_media_of(publication),
        deleted_by=actor.user,
    )


def _excerpt(caption: str) -> str:
    caption = " ".join(caption.split())
    if len(caption) <= CAPTION_EXCERPT_CHARS:
        return caption
    return caption[: CAPTION_EXCERPT_CHARS - 1].rstrip() + "…"


@transaction.atomic
def delete_publication(
    *, actor: Membership, publication: Publication
) -> PublicationTombstone | None:
    """Delete ``publication``; return its tombstone when it had reached Meta, else None.

    Raises ``PublishingError`` while it is being sent (or, scheduled, partly sent). Locks the
    row, so a worker claiming it at the same moment either sees it gone or blocks the delete.
    """
    _require(actor)
    locked = (
        Publication.objects.select_for_update()
        .filter(pk=publication.pk, workspace=actor.workspace)
        .first()
    )
    if locked is None:
        raise PublishingError(_("This publication was deleted already."))
    publication = locked
    why = refusal(publication)
    if why:
        raise PublishingError(why)
    tombstone = _tombstone_of(actor, publication) if reached_meta(publication) else None
    record_audit_event(
        actor=actor.user,
        action="publication.deleted",
        workspace=actor.workspace,
        target=publication,
        metadata={
            "status": publication.status,
            "target": publication.target,
            "remote_id": publication.remote_id,
            "tombstone_id": tombstone.pk if tombstone else None,
        },
    )
    publication.delete()
    return tombstone


# --- files deleted from the media library (creatives.library.usage) ----------------------------


def _users_of(assets: Sequence[MediaAsset]) -> list[Publication]:
    ids = [asset.pk for asset in assets]
    return list(
        Publication.objects.filter(Q(items__asset_id__in=ids) | Q(cover_asset_id__in=ids))
        .distinct()
        .order_by("pk")
    )


def describe_media_use(assets: Sequence[MediaAsset]) -> MediaUse:
    """Say what deleting ``assets`` does to publications, and refuse while one still needs them."""
    users = _users_of(assets)
    sent = [p for p in users if reached_meta(p)]
    cancelled = [p for p in users if not reached_meta(p) and p.status == CANCELLED]
    pending = [p for p in users if not reached_meta(p) and p.status != CANCELLED]
    use = MediaUse()
    if sent:
        use.consequences.append(
            ngettext(
                "%(n)s publication sent this file; it keeps the file's name and checksum.",
                "%(n)s publications sent this file; they keep the file's name and checksum.",
                len(sent),
            )
            % {"n": len(sent)}
        )
    if cancelled:
        use.consequences.append(
            ngettext(
                "%(n)s cancelled publication loses this file; its timeline keeps the file's "
                "name and checksum.",
                "%(n)s cancelled publications lose this file; their timelines keep the file's "
                "name and checksum.",
                len(cancelled),
            )
            % {"n": len(cancelled)}
        )
    if pending:
        names = ", ".join(sorted({p.title for p in pending}))
        use.blockers.append(
            _("“%(name)s” is used by %(users)s; remove it there first (or delete them).")
            % {"name": ", ".join(a.original_filename for a in assets[:1]), "users": names}
        )
    return use


def release_media(*, actor: Membership, assets: Sequence[MediaAsset]) -> None:
    """Let go of ``assets`` before they are deleted: keep names and checksums where sent.

    A publication that sent a file records it in ``deleted_files`` and drops the item (or the
    cover); a cancelled one just drops it; both say so on their timeline. Raises
    ``PublishingError`` when a publication that hasn't been sent still uses one (the caller's
    transaction then rolls back).
    """
    use = describe_media_use(assets)
    if use.blockers:
        raise PublishingError(" ".join(use.blockers))
    by_pk = {asset.pk: asset for asset in assets}
    for publication in _users_of(assets):
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        sent = reached_meta(publication)
        gone: list[tuple[MediaAsset, str, int]] = [
            (by_pk[item.asset_id], "item", item.position)
            for item in PublicationAsset.objects.filter(publication=publication, asset_id__in=by_pk)
        ]
        if publication.cover_asset_id in by_pk:
            gone.append((by_pk[publication.cover_asset_id], "cover", 0))
            publication.cover_asset = None
        if sent:
            publication.deleted_files = [
                *publication.deleted_files,
                *(
                    {"name": a.original_filename, "sha256": a.sha256, "part": r, "position": p}
                    for a, r, p in gone
                ),
            ]
        publication.save(update_fields=["cover_asset", "deleted_files", "updated_at"])
        PublicationAsset.objects.filter(publication=publication, asset_id__in=by_pk).delete()
        for asset, _part, _position in gone:
            _file_gone(publication, asset, sent=sent)


def _file_gone(publication: Publication, asset: MediaAsset, *, sent: bool) -> None:
    if sent:
        text = _(
            "File “%(name)s” (sha256 %(sha)s…) was deleted from the media library; its name "
            "and checksum are kept here."
        )
    else:
        text = _(
            "File “%(name)s” (sha256 %(sha)s…) was deleted from the media library and removed "
            "from this publication."
        )
    message = text % {"name": asset.original_filename, "sha": _sha(asset.sha256)}
    PublicationEvent.objects.create(
        publication=publication, kind=PublicationEvent.Kind.STATE, message=message[:500]
    )


# --- reads of tombstones (workspace-scoped; a foreign or missing pk is the same 404) ----------


def list_tombstones_for_member(membership: Membership) -> QuerySet[PublicationTombstone]:
    return PublicationTombstone.objects.for_workspace(membership.workspace).select_related(
        "deleted_by"
    )


def get_tombstone_for_member(membership: Membership, pk: int) -> PublicationTombstone:
    """Return the tombstone ``pk`` inside the member's workspace; 404 otherwise."""
    tombstone: PublicationTombstone | None = (
        list_tombstones_for_member(membership).filter(pk=pk).first()
    )
    if tombstone is None:
        raise Http404("No such deleted publication")
    return tombstone
