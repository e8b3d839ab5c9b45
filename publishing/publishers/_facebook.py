"""Shared pieces of the Facebook Page publishers: the Page, reconciling lost answers, video status.

Page calls use the Page's own access token (GRAPH_NOTES §3). A create whose answer was lost is
reconciled by listing the Page's recent posts or videos and matching the text we sent (and the
time window) before anything is sent again.
"""

from datetime import datetime, timedelta
from typing import Any

from meta_integration.models import MetaPage
from publishing.errors import PublishFailure
from publishing.publishers.base import PublishContext

RECENT = 25


def page_of(ctx: PublishContext) -> MetaPage:
    page = ctx.publication.page
    if page is None or not page.access_token:
        raise PublishFailure(
            item="Facebook Page",
            cause="The Facebook Page is no longer connected to this workspace.",
            fix="Reconnect Meta, select the Page, and choose it on this publication again.",
        )
    return page


def _time(value: Any) -> datetime | None:
    text = str(value or "").replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"  # Graph's "+0000" → "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def find_recent(
    ctx: PublishContext, edge: str, *, text_field: str, text: str, fields: str
) -> dict[str, Any] | None:
    """Return the newest object on the Page's ``edge`` created since our pending call, or None."""
    page = page_of(ctx)
    since = datetime.fromisoformat(ctx.remote["pending_since"]) - timedelta(minutes=1)
    listed = ctx.client.get(f"/{page.page_id}/{edge}", {"fields": fields, "limit": RECENT})
    for item in listed.get("data", []):
        created = _time(item.get("created_time"))
        if created is not None and created >= since and (item.get(text_field) or "") == text:
            return item
    return None


def video_state(ctx: PublishContext, video_id: str) -> str:
    """Return the video's ``video_status`` (ready, processing, error, expired...)."""
    status = ctx.client.get(f"/{video_id}", {"fields": "status"}).get("status") or {}
    return str(status.get("video_status", ""))
