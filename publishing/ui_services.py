"""Small writes the publishing pages need that the engine's services don't offer.

Kept apart from ``publishing.services`` (the engine) on purpose: nothing here changes a
publication's status, approval or remote state. Callers: publishing views.
"""

from datetime import datetime
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.permissions import has_permission
from creatives.library.models import MediaAsset
from publishing import services, tasks
from publishing.errors import PublishingError
from publishing.models import Publication
from publishing.preflight import run_preflight


@transaction.atomic
def request_preflight(*, actor: Membership, publication: Publication) -> Publication:
    """Run the inline checks now and queue the network checks ("Run checks again").

    Forgetting the stored fingerprint first makes every network check show as pending (and
    publishing refuse) until the job has run them afresh, instead of reusing the last results.
    """
    if not has_permission(actor.role, "content.edit"):
        raise PermissionDenied
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    publication.preflight_inputs = ""
    run_preflight(publication, network=False)
    transaction.on_commit(partial(tasks.run_preflight_task.delay, publication.pk))
    return publication


def use_converted_copy(
    *, actor: Membership, publication: Publication, original: MediaAsset, copy: MediaAsset
) -> Publication:
    """Put ``copy`` (a ready conforming copy of ``original``) in ``original``'s place.

    Goes through ``services.update_publication``, so the checks run again and approval
    starts over exactly as for any other edit.
    """
    if copy.parent_id != original.pk or copy.status != MediaAsset.Status.READY:
        raise PublishingError(_("That file isn't a finished conforming copy of this one."))
    items = [item.asset for item in publication.items.select_related("asset")]
    if original not in items:
        raise PublishingError(_("That file isn't on this publication any more."))
    return services.update_publication(
        actor=actor,
        publication=publication,
        fields={},
        assets=[copy if asset == original else asset for asset in items],
    )


def set_publish_time(
    *, actor: Membership, publication: Publication, when: datetime | None
) -> Publication:
    """Store the time to publish at (an edit: the checks run again, approval restarts).

    ``services.publish_publication`` then schedules it once the checks pass. Setting the time
    through ``publish_publication(when=…)`` directly is refused while the network checks it
    makes stale are pending, so the page does it in two steps.
    """
    items = [item.asset for item in publication.items.select_related("asset")]
    return services.update_publication(
        actor=actor, publication=publication, fields={"scheduled_at": when}, assets=items
    )


@transaction.atomic
def reschedule(*, actor: Membership, publication: Publication, when: datetime) -> Publication:
    """Move a scheduled publication, and queue the network checks its new time made stale."""
    publication = services.reschedule_publication(actor=actor, publication=publication, when=when)
    transaction.on_commit(partial(tasks.run_preflight_task.delay, publication.pk))
    return publication
