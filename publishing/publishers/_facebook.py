"""Shared pieces of the Facebook Page publishers: the Page, reconciling lost answers, video status.

Page calls use the Page's own access token (GRAPH_NOTES §3). A create whose answer was lost is
reconciled by listing the Page's recent posts or videos and matching the text we sent (and the
time window) before anything is sent again.
"""

from typing import Any

from meta_integration.models import MetaPage
from publishing.errors import PublishFailure
from publishing.publishers.base import PublishContext


def page_of(ctx: PublishContext) -> MetaPage:
    page = ctx.publication.page
    if page is None or not page.access_token:
        raise PublishFailure(
            item="Facebook Page",
            cause="The Facebook Page is no longer connected to this workspace.",
            fix="Reconnect Meta, select the Page, and choose it on this publication again.",
        )
    return page


def find_recent(
    ctx: PublishContext, edge: str, *, text_field: str, text: str, fields: str
) -> dict[str, Any] | None:
    """Return the object on the Page's ``edge`` our lost call created, or None."""
    page = page_of(ctx)
    return ctx.find_since_pending(
        f"/{page.page_id}/{edge}",
        time_field="created_time",
        text_field=text_field,
        text=text,
        fields=fields,
    )


def video_state(ctx: PublishContext, video_id: str) -> str:
    """Return the video's ``video_status`` (ready, processing, error, expired...)."""
    status = ctx.client.get(f"/{video_id}", {"fields": "status"}).get("status") or {}
    return str(status.get("video_status", ""))
