"""Results use-cases started by people: *Refresh now*.

The refresh itself is a job (``insights.collect``); this module only queues it for a member
who may, and says where it stands. Views call these; nothing here talks to Meta.
"""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Membership
from insights import collect
from insights.errors import InsightsError
from insights.models import RefreshRun
from meta_integration.models import MetaConnection

RunStatus = RefreshRun.Status


def request_refresh(*, actor: Membership) -> RefreshRun:
    """Queue a refresh of every result of the actor's workspace that can still change.

    When a scheduled refresh is already queued or running, it is widened to everything
    instead (one run per workspace). Raises InsightsError when there is nothing to read from.
    """
    if not actor.can("insights.refresh"):
        raise InsightsError(_("Your role can't refresh results."))
    workspace = actor.workspace
    usable = MetaConnection.objects.filter(
        workspace=workspace,
        status__in=[MetaConnection.Status.ACTIVE, MetaConnection.Status.EXPIRING],
    )
    if not usable.exists():
        raise InsightsError(
            _("Connect Meta first: results are read from your Pages, Instagram and ad accounts.")
        )
    for _attempt in range(2):  # the active run may finish between the two statements
        run = collect.queue_refresh_run(
            workspace_id=workspace.pk,
            kind=RefreshRun.Kind.MANUAL,
            full=True,
            requested_by_id=actor.user_id,
        )
        if run is not None:
            return run
        with transaction.atomic():
            active = (
                RefreshRun.objects.select_for_update()
                .filter(workspace=workspace, status__in=RefreshRun.ACTIVE)
                .first()
            )
            if active is None:
                continue
            if not active.full:
                # The worker reads ``full`` before each batch and recounts the total.
                active.full = True
                active.kind = RefreshRun.Kind.MANUAL
                active.requested_by_id = actor.user_id
                active.objects_total = 0
                active.save(update_fields=["full", "kind", "requested_by", "objects_total"])
            return active
    raise InsightsError(_("A refresh just finished; try again."))


def status_url(run: RefreshRun, slug: str) -> str:
    return reverse("insights:refresh_status", args=[slug, run.pk])


def status_of(run: RefreshRun, slug: str) -> dict[str, object]:
    """Return what a *Refresh now* button polls: status, progress, a sentence, counts."""
    done = run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)
    message = run.error if run.status == RunStatus.FAILED and run.error else run.message
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "progress": run.progress,
        "message": message,
        "done": done,
        "status_url": status_url(run, slug),
        **collect.summary_counts(run),
    }
