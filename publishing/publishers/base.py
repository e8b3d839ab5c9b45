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

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, ClassVar

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from creatives.library.media_urls import signed_media_url
from creatives.library.models import MediaAsset
from meta_integration.graph import GraphClient, GraphError, Upload
from prosocial.jobs import Lease
from publishing.errors import PublishFailure
from publishing.models import Publication, PublicationEvent

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
    """What a publisher works with: the row, a Graph client and helpers that persist at once.

    Every write goes through the job's lease (``prosocial.jobs.Lease``): it renews the lease
    and raises ``LeaseLost`` once another worker has claimed the publication (the lease as of
    the row's current attempt when none is given).
    """

    def __init__(
        self,
        publication: Publication,
        client: GraphClient,
        *,
        lease: Lease[Publication] | None = None,
    ) -> None:
        self.publication = publication
        self.client = client
        self.lease = lease if lease is not None else Lease.for_row(publication)
        self.remote: dict[str, Any] = dict(publication.remote or {})

    # --- state that must survive a crash -----------------------------------------------------

    def remember(self, **values: Any) -> None:
        """Store remote ids/progress markers now, before anything else happens."""
        self.remote.update(values)
        self._save_remote()

    def forget(self, *keys: str) -> None:
        for key in keys:
            self.remote.pop(key, None)
        self._save_remote()

    def _save_remote(self) -> None:
        self._write(remote=self.remote)
        self.publication.remote = dict(self.remote)

    def _write(self, **values: Any) -> None:
        """Update our row if we still own it (LeaseLost if not), renewing the lease."""
        self.lease.update(**values)

    @contextmanager
    def sending(self, step: str) -> Iterator[None]:
        """Mark a non-idempotent create as in flight; a lost answer leaves the mark for reconcile.

        The mark is set before the call. A definite refusal clears it; on success it stays
        until the caller stores what was made with ``sent`` — one write for both, so a lease
        lost in between can't leave the mark gone and the id unrecorded (the next owner would
        create it again). If the outcome is unknown it stays, and the next run must check
        Meta's state before re-sending.
        """
        self.remember(pending=step, pending_since=timezone.now().isoformat())
        try:
            yield
        except GraphError as exc:
            if not exc.outcome_unknown:
                self.forget("pending", "pending_since")
            raise

    def sent(self, **values: Any) -> None:
        """Store what an in-flight create made and clear its mark, in one write."""
        self.remote.pop("pending", None)
        self.remote.pop("pending_since", None)
        self.remember(**values)

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

    def find_since_pending(
        self, path: str, *, time_field: str, text_field: str, text: str, fields: str
    ) -> dict[str, Any] | None:
        """Return the object on ``path`` with ``text`` made since the pending call, or None.

        Lists newest first, page after page, until objects predate the call (minus a minute
        of clock skew): however many other posts arrived meanwhile, ours is found if it exists.
        """
        since = datetime.fromisoformat(self.remote["pending_since"]) - timedelta(minutes=1)
        items = self.client.paginate(
            path,
            {"fields": fields, "limit": RECONCILE_PAGE_SIZE},
            max_pages=RECONCILE_MAX_PAGES,
        )
        for item in items:
            created = graph_time(item.get(time_field))
            if created is None:
                continue
            if created < since:
                return None
            if (item.get(text_field) or "") == text:
                return item
        return None

    # --- what the user sees ------------------------------------------------------------------

    def status(self, status: str, *, progress: int, message: str) -> None:
        """Show ``status`` and ``message``; ``progress`` only ever moves the bar forward.

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
        self._write(status=status, progress=progress, message=publication.message)
        if changed:
            self.note(message, kind=PublicationEvent.Kind.STATE)

    def note(self, message: str, *, kind: str = PublicationEvent.Kind.STEP) -> None:
        PublicationEvent.objects.create(publication=self.publication, kind=kind, message=message)

    def finish(self, *, remote_id: str, permalink: str) -> StepResult:
        self.publication.remote_id = remote_id
        self.publication.permalink = permalink
        self.remember(result_id=remote_id, permalink=permalink)
        return DONE

    # --- media ---------------------------------------------------------------------------------

    def items(self) -> list[MediaAsset]:
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

    def advance(self, ctx: PublishContext) -> StepResult:
        raise NotImplementedError
