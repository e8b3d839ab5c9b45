"""One draft posted to Facebook and Instagram at once: publications made together ("siblings").

The new-publication form's "Also post to" makes two publications from one draft: the same text
and files, each with its own target, account, checks and job, sharing ``sibling_group``.
Nothing else ties them: each is checked, approved, scheduled and published on its own, so one
failing never blocks the other. Callers: publishing views.
"""

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import Membership
from creatives.library.models import MediaAsset
from publishing import services
from publishing.models import Publication


@transaction.atomic
def create_sibling_publications(
    *, actor: Membership, fields: list[dict[str, Any]], assets: list[MediaAsset]
) -> list[Publication]:
    """Create one draft per ``fields`` (same files), linked by one ``sibling_group``.

    All or none: a refusal of any (``PublishingError``) rolls every one back.
    """
    made = [
        services.create_publication(actor=actor, fields=values, assets=assets) for values in fields
    ]
    if len(made) > 1:
        group = uuid.uuid4()
        Publication.objects.filter(pk__in=[p.pk for p in made]).update(sibling_group=group)
        for publication in made:
            publication.sibling_group = group
    return made


def list_siblings(publication: Publication) -> QuerySet[Publication]:
    """Return the publications made together with this one (not itself), in creation order."""
    if publication.sibling_group is None:
        return Publication.objects.none()
    return (
        Publication.objects.filter(
            workspace_id=publication.workspace_id, sibling_group=publication.sibling_group
        )
        .exclude(pk=publication.pk)
        .select_related("page", "instagram_account")
        .order_by("created_at", "id")
    )
