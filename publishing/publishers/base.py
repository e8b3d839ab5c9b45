"""The publisher contract: one module per target, each advancing a publication one step.

A publisher's ``advance(ctx)`` looks at what ``ctx.remote`` already holds (the remote ids of
finished steps), performs the next single step — usually one Graph call — records its result
with ``ctx.remember`` *before* returning, and says what comes next:

- ``CONTINUE``: run the next step now;
- ``wait(seconds)``: Meta is processing; come back later;
- ``DONE``: published (``ctx.finish`` has stored the id and permalink).

Because every remote id is stored as soon as it exists, a retry after a crash resumes where the
last run stopped. A create call whose answer was lost (``GraphError.outcome_unknown``) leaves
``remote["pending"]`` set; the next run reconciles by reading Meta's state before it sends
anything again. Permanent problems raise ``PublishFailure`` naming the item.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import IO, Any, ClassVar

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from creatives.library.media_urls import signed_media_url
from creatives.library.models import MediaAsset
from meta_integration.graph import GraphCallRecord, GraphClient, GraphError, Upload
from prosocial.jobs import Lease
from publishing.errors import PublishFailure
from publishing.locks import release_slots, take_slot
from publishing.models import Publication, PublicationEvent

# Writes committed with a fenced one (``Lease.attach``).
Writes = Sequence[Callable[[], object]]

# Signed URLs handed to Meta live long enough for slow processing and a retry or two.
MEDIA_URL_TTL_SECONDS = 6 * 60 * 60


@dataclass(frozen=True)
class StepResult:
    kind: str  # "continue" | "wait" | "done"
    wait_seconds: float = 0.0


CONTINUE = StepResult("continue")
DONE = StepResult("done")


def wait(seconds: float) -> StepResult:
    return StepResult("wait", seconds)


def poll_delay(polls: int, *, first: float = 2.0, cap: float = 30.0) -> float:
    """Seconds before the next status poll: 2, 4, 8 … up to ``cap`` (GRAPH_NOTES §2.4)."""
    return min(cap, first * 2 ** min(polls, 10))


# After a lost create, how long its request may still land at Meta: our own read timeout
# (the request can't have been answered later than that) plus this margin for Meta's side.
PENDING_SETTLE_MARGIN_SECONDS = 5.0

# Reconciling pages back through an account's objects until they predate the lost call.
RECONCILE_PAGE_SIZE = 100
RECONCILE_MAX_PAGES = 20
# Graph's times are whole seconds, and Meta's clock and ours may differ by a little: an object
# counts as made while our create was in flight within this margin either side.
RECONCILE_CLOCK_SKEW = timedelta(seconds=5)
# Which publication fields hold ids a create made (to leave another publication's alone).
PENDING_KEYS = ("pending", "pending_since", "pending_until")


def graph_time(value: Any) -> datetime | None:
    """Parse Graph's timestamps ("2026-12-01T10:00:00+0000" or "…Z"); None if unreadable."""
    text = str(value or "").replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"  # "+0000" → "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class PublishContext:
    """What a publisher works with: the row, a Graph client and helpers that persist.

    Every write goes through the job's lease (``prosocial.jobs.Lease``): it renews the lease
    and raises ``LeaseLost`` once another worker has claimed the publication (the lease as of
    the row's current attempt when none is given).

    One transaction per write, and only where one is needed (#15): what the user sees along the
    way (``status``) and the timeline (``note``, one row per Graph call through ``record_call``)
    are held until the step's next write and commit with it — ``remember``/``forget`` and the
    in-flight mark before a create, or the step's end (``close``: finish, fail or release).
    """

    def __init__(
        self,
        publication: Publication,
        client: GraphClient | None,
        *,
        lease: Lease[Publication] | None = None,
    ) -> None:
        self.publication = publication
        self._client = client
        self.lease = lease if lease is not None else Lease.for_row(publication)
        self.remote: dict[str, Any] = dict(publication.remote or {})
        # Timeline rows not written yet (PublicationEvent fields), in the order they happened.
        self.events: list[dict[str, Any]] = []

    @property
    def client(self) -> GraphClient:
        if self._client is None:
            raise RuntimeError("this publish context has no Graph client")
        return self._client

    @client.setter
    def client(self, client: GraphClient) -> None:
        self._client = client

    # --- state that must survive a crash -----------------------------------------------------

    def remember(self, **values: Any) -> None:
        """Store remote ids/progress markers now, before anything else happens."""
        self._store({**self.remote, **values})

    def forget(self, *keys: str) -> None:
        self._store({key: value for key, value in self.remote.items() if key not in keys})

    def _store(self, remote: dict[str, Any], *, also: Writes = ()) -> None:
        """Write ``remote`` with what the step holds, in one transaction; ``self.remote`` follows.

        When it no longer has a create in flight, its slot is freed in the same transaction. A
        failed write (``LeaseLost``, or a write of ``also`` refusing) leaves ``self.remote`` as
        it was.
        """
        settled = "pending" in (self.publication.remote or {}) and "pending" not in remote
        if "pending" not in remote:
            for key in PENDING_KEYS:
                remote.pop(key, None)
        writes = list(also)
        if settled:
            writes.append(partial(release_slots, publication_id=self.publication.pk))
        self.write(remote=remote, also=writes)
        self.remote.clear()  # in place: publishers hold on to it
        self.remote.update(remote)
        self.publication.remote = dict(remote)

    def write(self, *, also: Writes = (), **values: Any) -> None:
        """Update our row now (LeaseLost if it isn't ours), with the held status and timeline."""
        self.lease.attach(*self._timeline(), *also)
        self.lease.update(**values)
        self.events.clear()

    def close(
        self, end: Callable[..., None], /, *args: Any, also: Writes = (), **fields: Any
    ) -> None:
        """End the step with the lease's ``end`` (``finish``, ``fail``, ``release``) and ``fields``.

        One transaction with the held status and timeline and the writes ``also``.
        """
        self.lease.attach(*self._timeline(), *also)
        end(*args, **fields)
        self.events.clear()

    def _timeline(self) -> list[Callable[[], object]]:
        return [partial(self.save_events, list(self.events))] if self.events else []

    def save_events(self, events: list[dict[str, Any]] | None = None) -> None:
        """Insert timeline rows (by default those held), in one statement."""
        rows = list(self.events if events is None else events)
        PublicationEvent.objects.bulk_create(
            PublicationEvent(publication_id=self.publication.pk, **row) for row in rows
        )
        if events is None:
            self.events.clear()

    def record_call(self, call: GraphCallRecord) -> None:
        """Hold the Graph call's timeline row (the client's trace hook); it commits with the step."""
        self.events.append(
            {
                "kind": PublicationEvent.Kind.GRAPH,
                "method": call.method,
                "path": call.path[:300],
                "params": call.params,
                "status_code": call.status_code,
                "duration_ms": round(call.duration_ms, 1),
                "fbtrace_id": call.fbtrace_id,
                "error_code": call.error_code,
                "error_subcode": call.error_subcode,
                "attempt": call.attempt,
                "response_excerpt": call.response_excerpt,
            }
        )

    @contextmanager
    def sending(self, step: str, *, slot: tuple[str, str] | None = None) -> Iterator[None]:
        """Mark a non-idempotent create as in flight; a lost answer leaves the mark for reconcile.

        The mark is set before the call, together with taking the account's ``slot``
        (``(account, kind)``, by default ``create_slot``; ``publishing.locks``): while our
        outcome is unknown no other publication makes that kind of object on that account, so
        what the reconcile finds made in our window is ours (``SlotBusy`` if another
        publication holds it: wait).
        A definite refusal clears the mark; on success it stays until the caller stores what
        was made with ``sent`` — one write for both, so a lease lost in between can't leave
        the mark gone and the id unrecorded (the next owner would create it again). If the
        outcome is unknown it stays (the slot too), and the next run must check Meta's state
        before re-sending.
        """
        self.mark_pending(step, slot=slot)
        try:
            yield
        except GraphError as exc:
            if not exc.outcome_unknown:
                self.forget("pending", "pending_since")
            raise

    def mark_pending(
        self,
        step: str,
        *,
        slot: tuple[str, str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> None:
        """Take ``slot`` and mark ``step`` in flight since ``since`` (now), in one transaction.

        ``until`` bounds when the call can have landed, when that is known already (a create
        found made by an earlier run); otherwise the reconcile bounds it by our timeouts.
        """
        account, kind = slot or create_slot(self.publication, step)
        now = timezone.now()
        remote = {**self.remote, "pending": step, "pending_since": (since or now).isoformat()}
        if until is not None:
            remote["pending_until"] = until.isoformat()
        else:
            remote.pop("pending_until", None)
        # The fenced write first (it locks our row, then the slot's: the order ``_store`` of a
        # settled create takes them in); SlotBusy rolls both back.
        self._store(
            remote,
            also=[
                partial(
                    take_slot,
                    publication_id=self.publication.pk,
                    account=account,
                    kind=kind,
                    now=now,
                )
            ],
        )

    def sent(self, **values: Any) -> None:
        """Store what an in-flight create made and clear its mark, in one write."""
        remote = {key: value for key, value in self.remote.items() if key not in PENDING_KEYS}
        self._store({**remote, **values})

    def pending_settle_seconds(self) -> float:
        """Return how long the lost create may still land at Meta (0: it can't any more).

        A worker killed mid-request leaves a request that Meta may still be processing; until
        it can no longer land, "not found" doesn't mean "not made", so re-sending waits.
        """
        since = datetime.fromisoformat(self.remote["pending_since"])
        window = timedelta(
            seconds=settings.META_CONNECT_TIMEOUT
            + settings.META_READ_TIMEOUT
            + PENDING_SETTLE_MARGIN_SECONDS
        )
        return max(0.0, (since + window - timezone.now()).total_seconds())

    def lost_call_window(self) -> tuple[datetime, datetime]:
        """Return when the pending create can have made its object, as Graph times go.

        From when it started to when it ended: its recorded end, or else the latest it could
        still land (``pending_settle_seconds``), each widened by ``RECONCILE_CLOCK_SKEW``.
        """
        since = datetime.fromisoformat(self.remote["pending_since"])
        if self.remote.get("pending_until"):
            until = datetime.fromisoformat(self.remote["pending_until"])
        else:
            until = since + timedelta(
                seconds=settings.META_CONNECT_TIMEOUT
                + settings.META_READ_TIMEOUT
                + PENDING_SETTLE_MARGIN_SECONDS
            )
        return since - RECONCILE_CLOCK_SKEW, until + RECONCILE_CLOCK_SKEW

    def find_lost(
        self,
        path: str,
        *,
        time_field: str,
        fields: str,
        recorded_as: str,
        text_field: str = "",
        text: str | None = None,
        keep: Any = None,
    ) -> list[dict[str, Any]]:
        """Return the objects on ``path`` the pending create may have made, newest first.

        Those made inside ``lost_call_window`` (with ``text`` in ``text_field`` when given;
        passing ``keep(item)`` when given) that no other publication recorded as its
        ``recorded_as``. Lists page after page until objects predate the window: however many
        other posts arrived meanwhile, ours is among them if it exists. Our slot kept every
        other ProSocial create of this kind on this account out of the window, so one
        candidate is ours; more than one means someone else posted too (``adopt_one``).
        """
        start, end = self.lost_call_window()
        items = self.client.paginate(
            path,
            {"fields": fields, "limit": RECONCILE_PAGE_SIZE},
            max_pages=RECONCILE_MAX_PAGES,
        )
        found = []
        for item in items:
            created = graph_time(item.get(time_field))
            if created is None:
                continue
            if created < start:
                break
            if created > end:
                continue
            if text is not None and (item.get(text_field) or "") != text:
                continue
            if keep is not None and not keep(item):
                continue
            if recorded_elsewhere(self.publication, recorded_as, str(item["id"])):
                continue
            found.append(item)
        return found

    def find_since_pending(
        self,
        path: str,
        *,
        time_field: str,
        fields: str,
        recorded_as: str,
        text_field: str = "",
        text: str | None = None,
        keep: Any = None,
    ) -> dict[str, Any] | None:
        """Return the one object on ``path`` the pending create made, or None (``find_lost``)."""
        candidates = self.find_lost(
            path,
            time_field=time_field,
            fields=fields,
            recorded_as=recorded_as,
            text_field=text_field,
            text=text,
            keep=keep,
        )
        return self.adopt_one(candidates, where=self.where())

    def where(self) -> str:
        publication = self.publication
        if publication.target.startswith("ig_"):
            return f"the Instagram account {publication.instagram_name}".rstrip()
        if publication.target.startswith("fb_"):
            return f"the Facebook Page {publication.page_name}".rstrip()
        return f"the ad account {publication.ad_account_name}".rstrip()

    def adopt_one(self, candidates: list[dict[str, Any]], *, where: str) -> dict[str, Any] | None:
        """Return the one candidate (None for none); more than one goes to a person.

        Raises ``PublishFailure`` naming them rather than guessing which is ours.
        """
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        ids = ", ".join(str(item["id"]) for item in candidates[:5])
        raise PublishFailure(
            item=self.item_name(),
            cause=(
                f"Meta's answer to the last call was lost, and {len(candidates)} posts that "
                f"could be this one were made on {where} while it was in flight ({ids}). "
                "ProSocial won't guess which one is this publication's."
            ),
            fix=(
                f"Check {where}: if one of them is this publication, it is published there "
                "(delete any extra copy). If none is, edit this publication and publish it again."
            ),
        )

    def item_name(self) -> str:
        names = [item.asset.original_filename for item in self.publication.items.all()]
        return ", ".join(names) or self.publication.title

    # --- what the user sees ------------------------------------------------------------------

    def status(self, status: str, *, progress: int, message: str) -> None:
        """Show ``status`` and ``message`` (with the step's next write); the bar only moves forward.

        A step revisited after a retry or a wait, or a later step with a smaller number, keeps
        the bar where it is (issue #13, bug 12b: an ad went from 40 % back to 20 %).
        ``publish_publication`` starts each publish at 0.
        """
        publication = self.publication
        progress = max(progress, publication.progress)
        changed = publication.status != status
        publication.status = status
        publication.progress = progress
        publication.message = message[:300]
        self.lease.stage(status=status, progress=progress, message=publication.message)
        if changed:
            self.note(message, kind=PublicationEvent.Kind.STATE)

    def note(self, message: str, *, kind: str = PublicationEvent.Kind.STEP) -> None:
        """Add a line to the timeline; it is written with the step's next write."""
        self.events.append({"kind": kind, "message": message[:500]})

    def finish(self, *, remote_id: str, permalink: str) -> StepResult:
        """Hold the result: the step's end (the job's ``finish``) writes it with the done status."""
        self.publication.remote_id = remote_id
        self.publication.permalink = permalink
        self.remote.update(result_id=remote_id, permalink=permalink)
        self.publication.remote = dict(self.remote)
        self.lease.stage(remote=dict(self.remote))
        return DONE

    # --- media ---------------------------------------------------------------------------------

    def items(self) -> list[MediaAsset]:
        if getattr(self.publication, "has_items", True) is False:
            return []  # the job's row read found none (``advance_publication``): no query
        assets = [item.asset for item in self.publication.items.select_related("asset")]
        for asset in assets:
            if asset.status != MediaAsset.Status.READY or not asset.storage_key:
                raise PublishFailure(
                    item=asset.original_filename,
                    cause="This file is not ready (still processing, or its conversion failed).",
                    fix="Wait for it to finish in the media library, or choose another file.",
                )
        return assets

    def media_url(self, asset: MediaAsset, *, poster: bool = False) -> str:
        key = asset.poster_key if poster else asset.storage_key
        content_type = "image/jpeg" if poster else asset.content_type
        return signed_media_url(
            storage_name=key,
            content_type=content_type,
            filename=asset.original_filename,
            ttl_seconds=MEDIA_URL_TTL_SECONDS,
        )

    @staticmethod
    def open_media(asset: MediaAsset, *, poster: bool = False) -> IO[bytes]:
        return default_storage.open(asset.poster_key if poster else asset.storage_key, "rb")

    def send_file(
        self, path: str, params: dict[str, Any], asset: MediaAsset, *, url_param: str
    ) -> dict[str, Any]:
        """POST ``asset`` to ``path`` by signed URL (``url_param``), or as multipart ``source``.

        The bytes go only when preflight found Meta can't download our URLs.
        """
        if self.events or self.lease.has_staged:
            # Sending a file takes a while: show what is happening first (``status``).
            self.write()
        if not self.uses_upload:
            return self.client.post(path, {**params, url_param: self.media_url(asset)})
        with self.open_media(asset) as handle:
            file = Upload(asset.original_filename, handle, asset.content_type)
            return self.client.post_file(path, params, field="source", file=file)

    @property
    def uses_upload(self) -> bool:
        """Whether to send bytes instead of URLs (preflight found Meta can't fetch our URLs)."""
        return self.publication.delivery == "upload" or bool(self.remote.get("force_upload"))


class Publisher:
    """Base of every target's publisher; subclasses implement ``advance``."""

    target: ClassVar[str]
    # Page calls need the Page's own token; the others use the connection's user token.
    uses_page_token: ClassVar[bool] = False
    # What the job reads with the publication (``select_related``): what ``advance`` uses.
    related: ClassVar[tuple[str, ...]] = (
        "page__connection",
        "instagram_account__connection",
        "ad_account__connection",
        "cover_asset",
    )

    def advance(self, ctx: PublishContext) -> StepResult:
        raise NotImplementedError


def recorded_elsewhere(publication: Publication, key: str, remote_id: str) -> bool:
    """Whether another publication already holds ``remote_id`` (as its ``key`` or result)."""
    return (
        Publication.objects.filter(Q(**{f"remote__{key}": remote_id}) | Q(remote_id=remote_id))
        .exclude(pk=publication.pk)
        .exists()
    )


def create_slot(publication: Publication, step: str) -> tuple[str, str]:
    """Return the (account, kind) slot a create of ``step`` takes (``publishing.locks``).

    One per thing the reconcile lists: a Page's posts (text, photo, video and multi-photo
    posts all show in its feed), an Instagram account's media, its stories (no caption to
    tell them apart), and each kind of ad object.
    """
    target = publication.target
    if target.startswith("fb_"):
        return f"page:{publication.page_meta_id}", "page_post"
    if target.startswith("ig_"):
        kind = "ig_story" if target == "ig_story" else "ig_media"
        return f"ig:{publication.instagram_meta_id}", kind
    return f"act:{publication.ad_account_meta_id}", f"ad_{step}"
