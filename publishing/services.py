"""Publishing use-cases: drafts, approval, publish/schedule/cancel/retry, and the publish job.

The job (``advance_publication``) follows ARCHITECTURE §5 "Jobs": claim the row with a lease,
run one publisher step with no lock held during the Graph call, record what it returned, and
hand over to the next step (at once, or after a wait for Meta's processing). Errors are sorted
the way GRAPH_NOTES §5.3 suggests: transient ones back off (honouring usage headers), a token
error marks the connection needs-reauth and pauses its publications, Instagram's daily quota
waits for the window, anything else fails with the catalogue's explanation naming the item.
"""

import logging
import random
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership
from accounts.permissions import has_permission
from creatives.library.models import MediaAsset
from meta_integration import graph
from meta_integration.error_catalogue import explain
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage
from prosocial import jobs
from prosocial.jobs import LeaseLost
from publishing import checks, notifications, tasks
from publishing.errors import PublishFailure, PublishingError
from publishing.locks import SlotBusy
from publishing.models import (
    ACCOUNT_FIELDS,
    EDITABLE_FIELDS,
    RUNNING_STATUSES,
    Publication,
    PublicationAsset,
    PublicationEvent,
)
from publishing.preflight import preflight_blockers, run_preflight
from publishing.publishers import publisher_for
from publishing.publishers.base import PublishContext, Publisher
from publishing.targets import AD_TARGETS

logger = logging.getLogger(__name__)

Status = Publication.Status
Approval = Publication.Approval
MAX_FAILURES = 6
QUOTA_WAIT = timedelta(hours=1)


def _require(actor: Membership, action: str) -> None:
    if not has_permission(actor.role, action):
        raise PermissionDenied


def _event(publication: Publication, message: str, kind: str = PublicationEvent.Kind.STATE) -> None:
    PublicationEvent.objects.create(publication=publication, kind=kind, message=message[:500])


def _queue(publication_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.advance_publication_task.apply_async, (publication_id,), countdown=countdown)
    )


# The publish job (ARCHITECTURE §5 "Jobs"): one claim per step; the publisher sets the statuses.
PUBLICATIONS = jobs.register(
    jobs.JobKind(
        name="publication",
        model=Publication,
        runnable=Q(status__in=list(RUNNING_STATUSES), paused_reason=""),
        enqueue=_queue,
        done_status=Status.PUBLISHED,
        failed_status=Status.FAILED,
        lease_setting="PUBLISH_LEASE_SECONDS",
        # Waits end with a countdown task; a row still untouched 10 s later lost it.
        sweep_grace=timedelta(seconds=10),
    )
)


def _queue_preflight(publication_id: int) -> None:
    transaction.on_commit(partial(tasks.run_preflight_task.delay, publication_id))


# --- drafts ------------------------------------------------------------------------------------


def _set_items(publication: Publication, assets: list[MediaAsset]) -> None:
    PublicationAsset.objects.filter(publication=publication).delete()
    PublicationAsset.objects.bulk_create(
        PublicationAsset(publication=publication, asset=asset, position=position)
        for position, asset in enumerate(assets)
    )


def _initial_approval(actor: Membership) -> str:
    if not actor.workspace.requires_publish_approval:
        return Approval.NOT_REQUIRED
    # Owners' and admins' own publications need nobody else's approval.
    return Approval.APPROVED if has_permission(actor.role, "publish.approve") else Approval.NEEDED


@transaction.atomic
def create_publication(
    *, actor: Membership, fields: dict[str, Any], assets: list[MediaAsset]
) -> Publication:
    """Create a draft from validated form data and run the inline checks."""
    _require(actor, "content.edit")
    publication = Publication(
        workspace=actor.workspace,
        created_by=actor.user,
        approval_status=_initial_approval(actor),
        **{name: fields[name] for name in EDITABLE_FIELDS if name in fields},
    )
    publication.snapshot_accounts()
    publication.save(force_insert=True)
    _set_items(publication, assets)
    _event(publication, f"Draft created by {actor.user.display_name}")
    run_preflight(publication, network=False)
    _queue_preflight(publication.pk)
    return publication


@transaction.atomic
def update_publication(
    *, actor: Membership, publication: Publication, fields: dict[str, Any], assets: list[MediaAsset]
) -> Publication:
    """Change a draft (or a failed publication); approval starts over when it was needed."""
    _require(actor, "content.edit")
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if not publication.is_editable:
        raise PublishingError(
            _("This publication is %(status)s and can't be changed; cancel it first.")
            % {"status": publication.get_status_display().lower()}
        )
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(publication, name, fields[name])
    if publication.status == Status.FAILED:
        # New inputs: start over rather than resuming remote state built from the old ones.
        publication.status = Status.DRAFT
        publication.remote = {}
    if publication.approval_status != Approval.NOT_REQUIRED:
        publication.approval_status = _initial_approval(actor)
    snapshot: list[str] = []
    if any(name in fields for name in ACCOUNT_FIELDS):
        snapshot = publication.snapshot_accounts()
        # Accounts chosen again (after a disconnect): the checks below say what is missing.
        publication.paused_reason = ""
    publication.save(
        update_fields=[
            *(name for name in EDITABLE_FIELDS if name in fields),
            *snapshot,
            "status",
            "remote",
            "approval_status",
            "paused_reason",
            "updated_at",
        ]
    )
    _set_items(publication, assets)
    _event(publication, f"Edited by {actor.user.display_name}")
    run_preflight(publication, network=False)
    _queue_preflight(publication.pk)
    return publication


def run_full_preflight(*, publication_id: int) -> None:
    """Run every check, network ones included (the preflight job)."""
    publication = Publication.objects.get(pk=publication_id)
    results = run_preflight(publication, network=True)
    if publication.status in (Status.DRAFT, Status.READY):
        ready = not any(r.status == "fail" for r in results)
        Publication.objects.filter(
            pk=publication_id, status__in=[Status.DRAFT, Status.READY]
        ).update(status=Status.READY if ready else Status.DRAFT)


# --- approval ------------------------------------------------------------------------------------


@transaction.atomic
def submit_for_approval(*, actor: Membership, publication: Publication) -> Publication:
    _require(actor, "content.edit")
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.approval_status not in (Approval.NEEDED, Approval.CHANGES_REQUESTED):
        raise PublishingError(_("This publication doesn't need to be submitted."))
    publication.approval_status = Approval.PENDING
    publication.save(update_fields=["approval_status", "updated_at"])
    _event(publication, f"Submitted for approval by {actor.user.display_name}")
    notifications.publication_submitted(publication, actor=actor)
    return publication


@transaction.atomic
def review_publication(
    *, actor: Membership, publication: Publication, approve: bool, comment: str = ""
) -> Publication:
    """Approve, or send back with a comment (owners and admins)."""
    _require(actor, "publish.approve")
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.approval_status != Approval.PENDING:
        raise PublishingError(_("This publication isn't waiting for approval."))
    if not approve and not comment.strip():
        raise PublishingError(_("Say what needs to change when sending it back."))
    publication.approval_status = Approval.APPROVED if approve else Approval.CHANGES_REQUESTED
    publication.approval_comment = comment.strip()
    publication.reviewed_by = actor.user
    publication.save(
        update_fields=["approval_status", "approval_comment", "reviewed_by", "updated_at"]
    )
    verb = "Approved" if approve else "Sent back"
    _event(
        publication, f"{verb} by {actor.user.display_name}" + (f": {comment}" if comment else "")
    )
    record_audit_event(
        actor=actor.user,
        action="publication.approved" if approve else "publication.sent_back",
        workspace=actor.workspace,
        target=publication,
    )
    notifications.publication_reviewed(publication, actor=actor, approve=approve)
    return publication


# --- publish, schedule, cancel, retry -----------------------------------------------------------


def _check_can_publish(actor: Membership, publication: Publication) -> None:
    if publication.approval_status in (Approval.NEEDED, Approval.CHANGES_REQUESTED):
        raise PublishingError(_("Submit this publication for approval first."))
    if publication.approval_status == Approval.PENDING:
        raise PublishingError(_("An owner or admin must approve this publication first."))
    blockers = preflight_blockers(publication)
    if blockers:
        raise PublishingError(
            _("Preflight doesn't allow publishing yet: %(why)s") % {"why": " ".join(blockers)}
        )


@transaction.atomic
def publish_publication(
    *, actor: Membership, publication: Publication, when: datetime | None = None
) -> Publication:
    """Publish now (``when`` None) or schedule; a second click changes nothing."""
    _require(actor, "content.edit")
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.status in RUNNING_STATUSES or publication.status in (
        Status.SCHEDULED,
        Status.PUBLISHED,
    ):
        return publication  # already on its way (double click, two tabs)
    if publication.status == Status.CANCELLED:
        raise PublishingError(_("This publication was cancelled; duplicate it to publish again."))
    if when is not None and publication.scheduled_at != when:
        publication.scheduled_at = when
        publication.save(update_fields=["scheduled_at", "updated_at"])
        run_preflight(publication, network=False)
    _check_can_publish(actor, publication)
    now = timezone.now()
    scheduled = publication.scheduled_at is not None and publication.scheduled_at > now
    publication.status = Status.SCHEDULED if scheduled else Status.QUEUED
    publication.next_attempt_at = publication.scheduled_at if scheduled else now
    publication.progress = 0
    publication.message = _("Scheduled") if scheduled else _("Waiting for a publishing worker")
    publication.failures = 0
    _clear_error(publication)
    publication.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "progress",
            "message",
            "failures",
            *ERROR_FIELDS,
            "updated_at",
        ]
    )
    when_text = f" for {publication.scheduled_at:%Y-%m-%d %H:%M} UTC" if scheduled else ""
    _event(
        publication,
        f"{'Scheduled' if scheduled else 'Queued'}{when_text} by {actor.user.display_name}",
    )
    record_audit_event(
        actor=actor.user,
        action="publication.scheduled" if scheduled else "publication.queued",
        workspace=actor.workspace,
        target=publication,
    )
    if not scheduled:
        _queue(publication.pk)
    return publication


# What _clear_error resets.
ERROR_FIELDS = (
    "error_code",
    "error_subcode",
    "error_title",
    "error_detail",
    "error_fix",
    "failed_item",
    "paused_reason",
)


def _clear_error(publication: Publication) -> None:
    publication.error_code = None
    publication.error_subcode = None
    publication.error_title = ""
    publication.error_detail = ""
    publication.error_fix = ""
    publication.failed_item = ""
    publication.paused_reason = ""


@transaction.atomic
def cancel_publication(*, actor: Membership, publication: Publication) -> Publication:
    """Cancel a scheduled or queued publication before anything reached Meta."""
    _require(actor, "content.edit")
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.status not in (Status.SCHEDULED, Status.QUEUED) or publication.remote:
        raise PublishingError(
            _("Only a scheduled or queued publication can be cancelled; this one is %(status)s.")
            % {"status": publication.get_status_display().lower()}
        )
    if publication.lease_expires_at and publication.lease_expires_at > timezone.now():
        raise PublishingError(_("A worker is sending it to Meta right now; it can't be cancelled."))
    publication.status = Status.CANCELLED
    publication.next_attempt_at = None
    publication.message = _("Cancelled")
    publication.attempts += 1  # fences off a worker that claimed it a moment ago
    publication.save(
        update_fields=["status", "next_attempt_at", "message", "attempts", "updated_at"]
    )
    _event(publication, f"Cancelled by {actor.user.display_name}")
    return publication


@transaction.atomic
def reschedule_publication(
    *, actor: Membership, publication: Publication, when: datetime
) -> Publication:
    _require(actor, "content.edit")
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.status != Status.SCHEDULED:
        raise PublishingError(_("Only a scheduled publication can be rescheduled."))
    if when <= timezone.now():
        raise PublishingError(_("Pick a time in the future."))
    if when > timezone.now() + checks.MAX_SCHEDULE_AHEAD:
        raise PublishingError(_("Meta schedules at most 75 days ahead."))
    publication.scheduled_at = when
    publication.next_attempt_at = when
    publication.save(update_fields=["scheduled_at", "next_attempt_at", "updated_at"])
    run_preflight(publication, network=False)
    _event(publication, f"Rescheduled for {when:%Y-%m-%d %H:%M} UTC by {actor.user.display_name}")
    return publication


@transaction.atomic
def retry_publication(*, actor: Membership, publication: Publication) -> Publication:
    """Queue a failed publication again; it resumes from the remote ids it already has."""
    _require(actor, "content.edit")
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    if publication.status != Status.FAILED and not publication.paused_reason:
        raise PublishingError(_("Only a failed or paused publication can be retried."))
    if publication.has_lost_account:
        raise PublishingError(
            _(
                "The Meta account this was made for is no longer connected: reconnect Meta, or "
                "edit the publication to choose another account, then retry."
            )
        )
    if publication.status == Status.FAILED:
        publication.status = Status.QUEUED  # the publisher resumes from ``remote``
    publication.failures = 0
    publication.next_attempt_at = timezone.now()
    publication.lease_expires_at = None
    _clear_error(publication)
    publication.message = _("Retrying")
    publication.save(
        update_fields=[
            "status",
            "failures",
            "next_attempt_at",
            "lease_expires_at",
            "message",
            *ERROR_FIELDS,
            "updated_at",
        ]
    )
    _event(publication, f"Retry requested by {actor.user.display_name}")
    _queue(publication.pk)
    return publication


# --- the job -------------------------------------------------------------------------------------


def _client_for(
    publication: Publication, *, page_token: bool, on_call: graph.CallHook
) -> graph.GraphClient:
    if page_token:
        token = publication.page.access_token if publication.page else ""
    else:
        asset = publication.instagram_account or publication.ad_account or publication.page
        token = asset.connection.access_token if asset is not None else ""
    if not token:
        raise PublishFailure(
            item="Meta connection",
            cause="There is no Meta access token for the chosen account any more.",
            fix="Reconnect Meta from the workspace's Meta page, then retry.",
        )
    return graph.GraphClient(token, on_call=on_call, max_retries=1)


# A worker (``chain``) runs up to this many steps due at once in a row under one claim.
CHAIN_STEPS = 10


def advance_publication(*, publication_id: int, chain: bool = False) -> None:
    """Run the next step of a publication (the publish job); idempotent and resumable.

    Every write of the step is fenced by the claim (``prosocial.jobs``): once another worker
    has taken the row over, ours raise ``LeaseLost`` and the step stops without a trace (but
    the record of a Graph call it made). A step commits its claim, the in-flight mark before a
    create (``PublishContext.sending``), what a create made, and its end — each once, with the
    status, the timeline and the Graph-call rows of that moment (``PublishContext``); no
    transaction is open during a Graph call.

    With ``chain`` (the worker's task), a step whose next one is due at once (``CONTINUE``)
    goes on to it under the same claim, up to ``CHAIN_STEPS``, instead of handing the row back
    and sending a task for it: the writes stay fenced, and a worker that dies meanwhile leaves
    a leased row, taken over like any other.
    """
    lease = jobs.claim(PUBLICATIONS, publication_id)
    if lease is None:
        return
    publisher = publisher_for(lease.row.target)
    # What the steps read, in one query: the accounts the target uses, the workspace (for the
    # notification) and whether it has media at all (``PublishContext.items``).
    publication = (
        Publication.objects.select_related("workspace", *publisher.related)
        .annotate(has_items=Exists(PublicationAsset.objects.filter(publication=OuterRef("pk"))))
        .get(pk=publication_id)
    )
    with lease:
        for step in range(1, CHAIN_STEPS + 1):
            ctx = PublishContext(publication, None, lease=lease)
            try:
                if not _run_step(ctx, publisher, go_on=chain and step < CHAIN_STEPS):
                    return
            except LeaseLost:
                # What we sent to Meta stays on the timeline, even from a worker that lost it.
                graph_calls = [e for e in ctx.events if e["kind"] == PublicationEvent.Kind.GRAPH]
                ctx.save_events(graph_calls)
                raise


def _run_step(ctx: PublishContext, publisher: Publisher, *, go_on: bool) -> bool:
    """Run one step and record how it ended; True: the next is due now and ours to run."""
    lease, publication = ctx.lease, ctx.publication
    try:
        ctx.client = _client_for(
            publication, page_token=publisher.uses_page_token, on_call=ctx.record_call
        )
        outcome = publisher.advance(ctx)
    except LeaseLost:
        raise
    except SlotBusy as busy:
        # Another publication's create to this account and kind is in flight: go next.
        delay = busy.retry_in * random.uniform(1.0, 1.4)  # noqa: S311
        ctx.close(lease.release, delay=delay, message=str(busy))
        return False
    except PublishFailure as failure:
        # Raised ``from`` a GraphError, the failure keeps Meta's code (and its own words).
        _fail(ctx, item=failure.item, cause=failure.cause, fix=failure.fix, error=failure.__cause__)
        return False
    except graph.GraphError as error:
        _graph_error(ctx, error)
        return False
    except Exception as exc:  # a bug or an outage of our own storage: back off, don't lose it
        logger.exception("publication %s: step failed", publication.pk)
        _back_off(ctx, reason=f"Internal error ({type(exc).__name__}); retrying")
        return False
    if outcome.kind == "continue" and go_on:
        # The next step is ours at once: what this one still holds goes with its first write.
        if publication.failures:
            publication.failures = 0
            lease.stage(failures=0)
        if ctx.events:
            ctx.write()
        return True
    _record_outcome(ctx, outcome.kind, outcome.wait_seconds)
    return False


def _record_outcome(ctx: PublishContext, kind: str, wait_seconds: float) -> None:
    lease, publication = ctx.lease, ctx.publication
    if kind == "done":
        now = timezone.now()
        ctx.note(
            f"Published: {publication.permalink or publication.remote_id}",
            kind=PublicationEvent.Kind.STATE,
        )
        also: list[Any] = []
        if getattr(publication, "has_items", True):  # a text post has no media to mark
            also.append(
                partial(
                    MediaAsset.objects.filter(publication_items__publication=publication).update,
                    last_used_at=now,
                )
            )
        ctx.close(
            lease.finish,
            message=_("Published"),
            remote_id=publication.remote_id,
            permalink=publication.permalink,
            published_at=now,
            failures=0,
            also=[*also, partial(notifications.publication_published, publication)],
        )
        return
    ctx.close(lease.release, delay=wait_seconds if kind == "wait" else 0, failures=0)


def _fail(
    ctx: PublishContext,
    *,
    item: str,
    cause: str,
    fix: str,
    error: Any = None,
    title: str = "",
) -> None:
    """Fail for good; ``title`` (Meta's own headline, when it sent one) heads the ``cause``."""
    said = f"{title}: {cause}" if title else cause
    ctx.note(f"Failed on {item}: {said} {fix}", kind=PublicationEvent.Kind.ERROR)
    ctx.close(
        ctx.lease.fail,
        cause,
        failed_item=item,
        error_title=(title or cause)[:200],
        error_fix=fix,
        error_code=getattr(error, "code", None),
        error_subcode=getattr(error, "subcode", None),
        also=[
            partial(
                notifications.publication_failed,
                ctx.publication,
                reason=f"{item}: {said} {fix}".strip(),
            )
        ],
    )


def _back_off(ctx: PublishContext, *, reason: str, wait: float = 0) -> None:
    publication = ctx.publication
    failures = publication.failures + 1
    if failures > MAX_FAILURES:
        _fail(
            ctx,
            item=publication.title,
            cause=f"It kept failing after {MAX_FAILURES} tries: {reason}",
            fix="Retry later; the timeline shows each attempt.",
        )
        return
    # Meta's own wait (usage headers, the quota window) wins; else exponential with jitter.
    backoff = min(600.0, 5.0 * 2**failures) * random.uniform(0.8, 1.2)  # noqa: S311
    delay = wait or backoff
    ctx.note(f"{reason} (in {delay:.0f} s)", kind=PublicationEvent.Kind.ERROR)
    ctx.close(ctx.lease.release, delay=delay, failures=failures, message=reason)


def _item(publication: Publication) -> str:
    names = [i.asset.original_filename for i in publication.items.select_related("asset")]
    return ", ".join(names) or publication.title


def _graph_error(ctx: PublishContext, error: graph.GraphError) -> None:
    explanation = explain(error)
    if error.is_auth:
        _pause_for_reauth(ctx, explanation.cause)
        return
    if error.is_quota:
        _back_off(
            ctx,
            reason="Instagram's 24-hour publishing limit is reached; waiting for room",
            wait=QUOTA_WAIT.total_seconds(),
        )
        return
    if error.is_retryable or error.outcome_unknown:
        _back_off(ctx, reason=explanation.cause, wait=error.retry_after or 0)
        return
    _fail(
        ctx,
        item=_item(ctx.publication),
        cause=explanation.cause,
        fix=explanation.fix,
        error=error,
        title=explanation.title,
    )


def _pause_for_reauth(ctx: PublishContext, cause: str) -> None:
    """Token refused (190): the connection needs reconnecting; its publications wait for it."""
    publication = ctx.publication
    asset = publication.page or publication.instagram_account or publication.ad_account
    if asset is None:
        ctx.save_events()  # the calls that were refused
        return
    connection = asset.connection
    with transaction.atomic():
        ctx.save_events()  # the calls that were refused (the pause takes our lease)
        MetaConnection.objects.filter(pk=connection.pk).update(
            status=MetaConnection.Status.NEEDS_REAUTH, last_error=cause[:500]
        )
        pause_until_reconnected(connection_id=connection.pk, cause=cause)


def pause_until_reconnected(*, connection_id: int, cause: str) -> int:
    """Pause the connection's pending publications until Meta is reconnected; return how many.

    Used when Meta refuses the token mid-job and when Meta's deauthorize callback revoked the
    connection (``meta_integration.signals.connection_revoked``); ``resume_paused_publications``
    clears the pause after a reconnect.
    """
    reason = _("Waiting for Meta to be reconnected: %(cause)s") % {"cause": cause}
    paused = Publication.objects.filter(
        Q(page__connection_id=connection_id)
        | Q(instagram_account__connection_id=connection_id)
        | Q(ad_account__connection_id=connection_id),
        status__in=[*RUNNING_STATUSES, Status.SCHEDULED],
    )
    ids = list(paused.values_list("pk", flat=True))
    paused.update(paused_reason=reason[:300], lease_expires_at=None)
    PublicationEvent.objects.bulk_create(
        PublicationEvent(publication_id=pk, kind=PublicationEvent.Kind.ERROR, message=reason[:500])
        for pk in ids
    )
    return len(ids)


def resume_paused_publications(*, connection_id: int) -> int:
    """After a reconnect: clear the pause of that connection's publications and queue them."""
    paused = Publication.objects.filter(
        Q(page__connection_id=connection_id)
        | Q(instagram_account__connection_id=connection_id)
        | Q(ad_account__connection_id=connection_id),
    ).exclude(paused_reason="")
    ids = list(paused.values_list("pk", flat=True))
    now = timezone.now()
    with transaction.atomic():
        paused.update(paused_reason="", next_attempt_at=now, failures=0)
        for pk in ids:
            _queue(pk)
    return len(ids)


# --- Meta accounts that went away and came back ------------------------------------------------

# Publications that haven't gone out yet: losing their account must stop them, not fail them.
PENDING_STATUSES = (Status.DRAFT, Status.READY, Status.SCHEDULED, *RUNNING_STATUSES)
USABLE_CONNECTION = (MetaConnection.Status.ACTIVE, MetaConnection.Status.EXPIRING)


def pause_publications_without_account(
    *,
    workspace_id: int,
    page_ids: list[str],
    ig_user_ids: list[str],
    ad_account_ids: list[str],
    cause: str,
) -> list[Publication]:
    """Pause the pending publications whose account (by Meta id) was just removed.

    Called (through ``meta_integration.signals.assets_removed``) inside the transaction that
    deleted the account rows, so their FKs are already NULL. A publication another connection
    of the workspace can still serve is pointed at it instead. The paused ones get a reason
    and a timeline line, and their checks run again (queued network checks too), so no stale
    "connection is active" stays on screen. Returns the paused publications.
    """
    reattach_publications(workspace_id=workspace_id)
    lost = Publication.objects.filter(
        Q(page__isnull=True, page_meta_id__in=page_ids)
        | Q(instagram_account__isnull=True, instagram_meta_id__in=ig_user_ids)
        | Q(ad_account__isnull=True, ad_account_meta_id__in=ad_account_ids),
        workspace_id=workspace_id,
        status__in=PENDING_STATUSES,
    )
    paused = list(lost.select_for_update().order_by("pk"))
    for publication in paused:
        names = [
            name
            for name in (
                publication.instagram_name if publication.instagram_account_id is None else "",
                publication.page_name if publication.page_id is None else "",
                publication.ad_account_name if publication.ad_account_id is None else "",
            )
            if name
        ]
        reason = _(
            "%(cause)s: %(accounts)s is no longer connected. Reconnect Meta with the same "
            "Facebook account to resume."
        ) % {"cause": cause, "accounts": " and ".join(names) or _("its account")}
        publication.paused_reason = reason[:300]
        publication.lease_expires_at = None
        publication.save(update_fields=["paused_reason", "lease_expires_at", "updated_at"])
        _event(publication, reason, kind=PublicationEvent.Kind.ERROR)
        run_preflight(publication, network=False)
        _queue_preflight(publication.pk)
    return paused


def reattach_publications(*, workspace_id: int, connection_id: int | None = None) -> int:
    """Point publications whose account row is gone at a row with the same Meta id again.

    Only rows of the workspace's usable connections count (only ``connection_id``'s when
    given). Called when a connection brings accounts back (``assets_restored``) and before
    pausing. Re-runs the inline checks of what changed; returns how many publications changed.
    """
    changed: set[int] = set()
    for model, fk, meta_field, snapshot_field in (
        (MetaPage, "page", "page_id", "page_meta_id"),
        (InstagramAccount, "instagram_account", "ig_user_id", "instagram_meta_id"),
        (MetaAdAccount, "ad_account", "ad_account_id", "ad_account_meta_id"),
    ):
        rows = model.objects.filter(  # type: ignore[attr-defined]
            workspace_id=workspace_id,
            is_available=True,
            connection__status__in=USABLE_CONNECTION,
        )
        if connection_id is not None:
            rows = rows.filter(connection_id=connection_id)
        for meta_id, pk in rows.order_by("pk").values_list(meta_field, "pk"):
            orphans = Publication.objects.filter(
                workspace_id=workspace_id,
                **{f"{fk}__isnull": True, snapshot_field: meta_id},
            )
            ids = list(orphans.values_list("pk", flat=True))
            if ids:
                Publication.objects.filter(pk__in=ids).update(**{f"{fk}_id": pk})
                changed.update(ids)
    for publication in Publication.objects.filter(pk__in=changed, status__in=PENDING_STATUSES):
        run_preflight(publication, network=False)
        _queue_preflight(publication.pk)
    PublicationEvent.objects.bulk_create(
        PublicationEvent(
            publication_id=pk,
            kind=PublicationEvent.Kind.STATE,
            message="Its Meta account is connected again",
        )
        for pk in sorted(changed)
    )
    return len(changed)


def sweep_publications() -> int:
    """Queue due scheduled publications and running ones whose worker died or whose wait ended."""
    now = timezone.now()
    with transaction.atomic():
        due = Publication.objects.filter(
            status=Status.SCHEDULED, paused_reason="", scheduled_at__lte=now
        )
        due_ids = list(due.values_list("pk", flat=True))
        due.update(
            status=Status.QUEUED, next_attempt_at=now, message=_("Waiting for a publishing worker")
        )
        PublicationEvent.objects.bulk_create(
            PublicationEvent(
                publication_id=pk, kind=PublicationEvent.Kind.STATE, message="Queued: its time came"
            )
            for pk in due_ids
        )
    for pk in due_ids:
        _queue(pk)
    # Rows a worker died on (lease expired), and rows whose task should have run a while ago
    # but didn't (lost message). Rows queued moments ago are already in the broker.
    return len(due_ids) + jobs.sweep(PUBLICATIONS)


def refresh_ad_reviews() -> int:
    """Read Meta's review verdict for recently created ads still in review; note changes."""
    recent = Publication.objects.filter(
        target__in=AD_TARGETS,
        status=Status.PUBLISHED,
        published_at__gte=timezone.now() - timedelta(days=14),
        remote__effective_status__in=["PENDING_REVIEW", "IN_PROCESS"],
    ).select_related("ad_account__connection")
    changed = 0
    for publication in recent:
        account = publication.ad_account
        if account is None or not account.connection.access_token:
            continue
        client = graph.GraphClient(account.connection.access_token, max_retries=1)
        try:
            ad = client.get(
                f"/{publication.remote_id}", {"fields": "effective_status,ad_review_feedback"}
            )
        except graph.GraphError as exc:
            logger.warning("publication %s: ad review read failed: %s", publication.pk, exc)
            continue
        status = str(ad.get("effective_status", ""))
        if status == publication.remote.get("effective_status"):
            continue
        feedback = (ad.get("ad_review_feedback") or {}).get("global") or {}
        remote = {**publication.remote, "effective_status": status, "review_feedback": feedback}
        Publication.objects.filter(pk=publication.pk).update(remote=remote)
        reasons = "; ".join(f"{key}: {text}" for key, text in feedback.items())
        _event(
            publication,
            f"Meta's review: {status}" + (f" ({reasons})" if reasons else ""),
            kind=PublicationEvent.Kind.ERROR
            if status == "DISAPPROVED"
            else PublicationEvent.Kind.STATE,
        )
        changed += 1
    return changed
