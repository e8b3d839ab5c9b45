"""Reads for the media library: workspace-scoped lists, the access helper, facts of a row."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Membership
from creatives.library.media.facts import MediaFacts
from creatives.library.media.specs import fitting_placements
from creatives.library.models import MediaAsset

# Placement-fit filtering runs the conformance rules in Python; bounded so a huge library
# can't make the page slow (the newest ones are what people filter for).
PLACEMENT_FILTER_SCAN_LIMIT = 500


def list_media_for_workspace(
    membership: Membership, *, kind: str = "", source: str = "", query: str = ""
) -> QuerySet[MediaAsset]:
    assets = MediaAsset.objects.for_workspace(membership.workspace).select_related("parent")
    if kind:
        assets = assets.filter(kind=kind)
    if source:
        assets = assets.filter(source=source)
    if query:
        assets = assets.filter(Q(original_filename__icontains=query) | Q(video_codec__iexact=query))
    return assets


def filter_media_fitting(assets: QuerySet[MediaAsset], placement_key: str) -> list[MediaAsset]:
    """Keep the ready assets that fit ``placement_key`` (among the newest scanned)."""
    return [
        asset
        for asset in assets[:PLACEMENT_FILTER_SCAN_LIMIT]
        if asset.status == MediaAsset.Status.READY
        and placement_key in fitting_placements(facts_for_asset(asset))
    ]


def get_media_for_member(membership: Membership, pk: int) -> MediaAsset:
    """Return the asset ``pk`` inside the member's workspace; 404 otherwise."""
    asset: MediaAsset | None = (
        MediaAsset.objects.for_workspace(membership.workspace)
        .select_related("parent", "created_by")
        .filter(pk=pk)
        .first()
    )
    if asset is None:
        raise Http404("No such media")
    return asset


def list_renditions(asset: MediaAsset) -> QuerySet[MediaAsset]:
    return MediaAsset.objects.filter(parent=asset).order_by("-created_at")


def facts_for_asset(asset: MediaAsset) -> MediaFacts:
    """Return the stored technical facts of ``asset`` in the media library's own type."""
    return MediaFacts(
        kind=asset.kind,
        container=asset.container,
        content_type=asset.content_type,
        size_bytes=asset.size_bytes,
        width=asset.width,
        height=asset.height,
        duration_seconds=asset.duration_seconds,
        fps=asset.fps,
        video_codec=asset.video_codec,
        audio_codec=asset.audio_codec,
        pixel_format=asset.pixel_format,
        bitrate=asset.bitrate,
        rotation=asset.rotation,
        has_audio=asset.has_audio,
        audio_channels=asset.audio_channels,
        sample_rate=asset.sample_rate,
        faststart=asset.faststart,
    )
