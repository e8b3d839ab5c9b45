"""What ProSocial measures: the objects behind published publications and selected accounts.

``track_objects`` (run by the beat planner every minute, and at the start of a *Refresh now*)
makes one ``InsightObject`` for each thing to measure that has none yet, and retires the ones
that went away:

- a published Instagram post, story, reel or carousel: its media id;
- a published Facebook post or reel: its post id (a video's post id is read from Meta on the
  first refresh, ``graph_id``);
- a published Meta ad (or promoted post): its campaign, ad set and ad (``Publication.remote``);
- every selected Page, Instagram account and ad account of the workspace.

A publication deleted in ProSocial, or an account no longer selected, stops being refreshed
(state *gone*, "No longer in ProSocial"); its numbers stay until retention or erasure removes
them, and an account selected again resumes. Every query here is one statement over all
workspaces (or one), whatever their size; at most ``TRACK_BATCH`` new objects per call.
"""

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from insights.models import ACCOUNT_KINDS, PUBLICATION_KINDS, Availability, InsightObject
from insights.models import ObjectKind as Kind
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from publishing.models import Publication, Target

# New objects made per call; the next minute's call makes the rest.
TRACK_BATCH = 2000
IG_PRODUCT_TYPES: dict[str, str] = {
    Target.IG_FEED: "FEED",
    Target.IG_CAROUSEL: "FEED",
    Target.IG_REEL: "REELS",
    Target.IG_STORY: "STORY",
}
FB_TARGETS = (Target.FB_POST, Target.FB_REEL)
# Every ad target (a Meta ad, a promoted post…) records its campaign, ad set and ad alike.
AD_TARGETS = tuple(target for target in Target if target.value.startswith("meta_ad"))
TRACKED_TARGETS = (*IG_PRODUCT_TYPES, *FB_TARGETS, *AD_TARGETS)
State = InsightObject.State


def _publication_objects(publication: Publication, now: datetime) -> list[InsightObject]:
    remote: dict[str, Any] = publication.remote if isinstance(publication.remote, dict) else {}
    common: dict[str, Any] = {
        "workspace_id": publication.workspace_id,
        "publication": publication,
        "published_at": publication.published_at,
        "next_refresh_at": now,
    }
    target = publication.target
    if target in IG_PRODUCT_TYPES:
        media_id = str(remote.get("media_id") or publication.remote_id)
        if not media_id or not publication.instagram_meta_id:
            return []
        return [
            InsightObject(
                kind=Kind.IG_MEDIA,
                meta_id=media_id,
                account_meta_id=publication.instagram_meta_id,
                instagram_account_id=publication.instagram_account_id,
                media_product_type=IG_PRODUCT_TYPES[target],
                **common,
            )
        ]
    if target in FB_TARGETS:
        post_id = str(remote.get("post_id") or publication.remote_id)
        if not post_id or not publication.page_meta_id:
            return []
        return [
            InsightObject(
                kind=Kind.FB_POST,
                meta_id=post_id,
                account_meta_id=publication.page_meta_id,
                page_id=publication.page_id,
                **common,
            )
        ]
    if target in AD_TARGETS and publication.ad_account_meta_id:
        ids = {
            Kind.CAMPAIGN: remote.get("campaign_id"),
            Kind.ADSET: remote.get("adset_id"),
            Kind.AD: remote.get("ad_id") or publication.remote_id,
        }
        currency = publication.ad_account.currency if publication.ad_account else ""
        return [
            InsightObject(
                kind=kind,
                meta_id=str(meta_id),
                account_meta_id=publication.ad_account_meta_id,
                ad_account_id=publication.ad_account_id,
                currency=currency,
                **common,
            )
            for kind, meta_id in ids.items()
            if meta_id
        ]
    return []


def _untracked_publications(workspace_id: int | None) -> list[Publication]:
    rows = Publication.objects.filter(
        status=Publication.Status.PUBLISHED, target__in=TRACKED_TARGETS
    ).exclude(remote_id="")
    if workspace_id is not None:
        rows = rows.filter(workspace_id=workspace_id)
    tracked = InsightObject.objects.filter(publication_id=OuterRef("pk"))
    return list(
        rows.filter(~Exists(tracked)).select_related("ad_account").order_by("pk")[:TRACK_BATCH]
    )


def _account_rows(workspace_id: int | None, now: datetime) -> list[InsightObject]:
    made: list[InsightObject] = []
    sources: list[tuple[str, Any, str]] = [
        (Kind.PAGE, MetaPage, "page_id"),
        (Kind.IG_ACCOUNT, InstagramAccount, "ig_user_id"),
        (Kind.AD_ACCOUNT, MetaAdAccount, "ad_account_id"),
    ]
    for kind, model, id_field in sources:
        tracked = InsightObject.objects.filter(
            workspace_id=OuterRef("workspace_id"), kind=kind, meta_id=OuterRef(id_field)
        )
        rows = model.objects.filter(is_selected=True, is_available=True).filter(~Exists(tracked))
        if workspace_id is not None:
            rows = rows.filter(workspace_id=workspace_id)
        for asset in rows.order_by("pk")[:TRACK_BATCH]:
            meta_id = getattr(asset, id_field)
            made.append(
                InsightObject(
                    workspace_id=asset.workspace_id,
                    kind=kind,
                    meta_id=meta_id,
                    account_meta_id=meta_id,
                    page=asset if kind == Kind.PAGE else None,
                    instagram_account=asset if kind == Kind.IG_ACCOUNT else None,
                    ad_account=asset if kind == Kind.AD_ACCOUNT else None,
                    currency=getattr(asset, "currency", ""),
                    next_refresh_at=now,
                )
            )
    return made


def _selected(kind: str) -> Q:
    field: dict[str, str] = {
        Kind.PAGE: "page",
        Kind.IG_ACCOUNT: "instagram_account",
        Kind.AD_ACCOUNT: "ad_account",
    }
    name = field[kind]
    return Q(**{f"{name}__is_selected": True, f"{name}__is_available": True})


def track_objects(*, workspace_id: int | None = None, now: datetime | None = None) -> int:
    """Make the objects to measure that have none yet; retire those that went. Return how many new.

    Idempotent: a second call makes nothing (the unique constraint settles races).
    """
    now = now or timezone.now()
    made = [
        obj
        for publication in _untracked_publications(workspace_id)
        for obj in _publication_objects(publication, now)
    ]
    made += _account_rows(workspace_id, now)
    if made:
        InsightObject.objects.bulk_create(made, ignore_conflicts=True)
    scope = InsightObject.objects.all()
    if workspace_id is not None:
        scope = scope.filter(workspace_id=workspace_id)
    retired = {
        "state": State.GONE,
        "availability": Availability.NOT_TRACKED,
        "next_refresh_at": None,
        "updated_at": now,
    }
    # A publication deleted in ProSocial: its objects stop (their numbers stay).
    scope.filter(
        kind__in=PUBLICATION_KINDS, publication__isnull=True, state__in=InsightObject.REFRESHED
    ).update(**retired)
    for kind in ACCOUNT_KINDS:
        scope.filter(kind=kind, state__in=InsightObject.REFRESHED).exclude(_selected(kind)).update(
            **retired
        )
        scope.filter(kind=kind, state=State.GONE, availability=Availability.NOT_TRACKED).filter(
            _selected(kind)
        ).update(
            state=State.ACTIVE,
            availability=Availability.NO_DATA,
            next_refresh_at=now,
            updated_at=now,
        )
    return len(made)
