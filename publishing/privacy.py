"""What publishing holds for a Meta user, a person and a workspace: erasure, export, retention.

Registered from PublishingConfig.ready(). Publish traces (the Graph calls on a publication's
timeline) are kept for the workspace's ``publish_trace_days``; they carry Meta identifiers, so
Meta's deletion callback removes those of the person's connections.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from prosocial.exporting import ExportPart, serialize_rows
from prosocial.retention import RetentionRule
from publishing.models import (
    Publication,
    PublicationAsset,
    PublicationEvent,
    PublicationTombstone,
)

TRACE = PublicationEvent.Kind.GRAPH


@transaction.atomic
def erase_meta_user(meta_user_id: str) -> dict[str, int]:
    """Delete the publish traces of publications made through that person's connections.

    The publications stay (they are the workspace's), but forget the names of the accounts
    they went to: a creator's Page or Instagram account is named after the person. The Meta
    ids stay so that meta_integration's ``assets_removed`` can still pause pending ones.
    """
    publications = Publication.objects.filter(
        Q(page__connection__meta_user_id=meta_user_id)
        | Q(instagram_account__connection__meta_user_id=meta_user_id)
        | Q(ad_account__connection__meta_user_id=meta_user_id)
    )
    traces = PublicationEvent.objects.filter(publication__in=publications, kind=TRACE)
    return {
        "publish_traces": traces.delete()[0],
        "account_names_erased": publications.update(
            page_name="", instagram_name="", ad_account_name=""
        )
        + _tombstones_of_meta_user(meta_user_id).update(
            page_name="", instagram_name="", ad_account_name=""
        ),
    }


def _tombstones_of_meta_user(meta_user_id: str) -> QuerySet[PublicationTombstone]:
    """Tombstones of posts sent to the accounts that person's connections reach.

    Tombstones keep Meta ids, not links to the assets, so they are matched by id.
    """
    mine = {"connection__meta_user_id": meta_user_id}
    return PublicationTombstone.objects.filter(
        Q(page_meta_id__in=MetaPage.objects.filter(**mine).values("page_id"))
        | Q(instagram_meta_id__in=InstagramAccount.objects.filter(**mine).values("ig_user_id"))
        | Q(ad_account_meta_id__in=MetaAdAccount.objects.filter(**mine).values("ad_account_id"))
    )


def erase_user(user_id: int) -> dict[str, int]:
    """Publications belong to their workspace; the person is only unlinked from them."""
    return {
        "publications_unlinked": Publication.objects.filter(created_by_id=user_id).update(
            created_by=None
        )
        + Publication.objects.filter(reviewed_by_id=user_id).update(reviewed_by=None)
        + PublicationTombstone.objects.filter(deleted_by_id=user_id).update(deleted_by=None)
    }


@transaction.atomic
def erase_workspace(workspace_id: int) -> dict[str, int]:
    """Delete the workspace's publications first: they hold on to its media (PROTECT)."""
    publications = Publication.objects.filter(workspace_id=workspace_id)
    traces = PublicationEvent.objects.filter(publication__in=publications).count()
    return {
        "publications": publications.delete()[1].get(Publication._meta.label, 0),
        "publication_events": traces,
        "publication_tombstones": PublicationTombstone.objects.filter(
            workspace_id=workspace_id
        ).delete()[0],
    }


def _export(
    publications: QuerySet[Publication], tombstones: QuerySet[PublicationTombstone]
) -> ExportPart:
    return ExportPart(
        records={
            "publication_tombstones": serialize_rows(tombstones.order_by("pk")),
            "publications": serialize_rows(publications.order_by("pk")),
            "publication_media": serialize_rows(
                PublicationAsset.objects.filter(publication__in=publications).order_by("pk")
            ),
            "publication_events": serialize_rows(
                PublicationEvent.objects.filter(publication__in=publications).order_by("pk")
            ),
        }
    )


def export_user(user_id: int) -> ExportPart:
    return _export(
        Publication.objects.filter(created_by_id=user_id),
        PublicationTombstone.objects.filter(deleted_by_id=user_id),
    )


def export_workspace(workspace_id: int) -> ExportPart:
    return _export(
        Publication.objects.filter(workspace_id=workspace_id),
        PublicationTombstone.objects.filter(workspace_id=workspace_id),
    )


def expired_traces(workspace_id: int, cutoff: datetime) -> QuerySet[PublicationEvent]:
    return PublicationEvent.objects.filter(
        publication__workspace_id=workspace_id, kind=TRACE, created_at__lt=cutoff
    )


PUBLISH_TRACES = RetentionRule(
    name="publishing.publish_traces",
    label=_("Publish traces"),
    period_field="publish_trace_days",
    expired=expired_traces,
)
