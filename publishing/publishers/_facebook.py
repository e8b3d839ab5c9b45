"""Shared pieces of the Facebook Page publishers: the Page, reconciling lost answers, video status.

Page calls use the Page's own access token (GRAPH_NOTES §3). A create whose answer was lost is
reconciled by listing the Page's recent posts or videos and matching the text we sent and the
time the call was in flight (one create per Page in flight at a time, ``publishing.locks``)
before anything is sent again.
"""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from meta_integration.models import MetaPage
from publishing.errors import PublishFailure
from publishing.publishers.base import PublishContext

FACEBOOK_WEB = "https://www.facebook.com/"


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
    """Return the object on the Page's ``edge`` our lost call created, or None.

    Only one made while the call was in flight, with our text and recorded by no other
    publication; the Page's post slot (``publishing.locks``) kept our other publications'
    creates out of that time, so a second candidate is someone else's and goes to a person.
    """
    page = page_of(ctx)
    return ctx.find_since_pending(
        f"/{page.page_id}/{edge}",
        time_field="created_time",
        text_field=text_field,
        text=text,
        fields=fields,
        recorded_as="video_id" if edge == "videos" else "post_id",
    )


def video_state(ctx: PublishContext, video_id: str) -> str:
    """Return the video's ``video_status`` (ready, processing, error, expired...)."""
    status = ctx.client.get(f"/{video_id}", {"fields": "status"}).get("status") or {}
    return str(status.get("video_status", ""))


def permalink_of(node: Mapping[str, Any]) -> str:
    """Return the node's ``permalink_url`` as an absolute facebook.com link ("" if none).

    Graph gives a post's permalink as a full URL but a video's or reel's as a path on
    facebook.com ("/{page-id}/videos/{video-id}/", "/reel/{video-id}/"); stored as is, a
    path would open on ProSocial's own host.
    """
    url = str(node.get("permalink_url") or "")
    return urljoin(FACEBOOK_WEB, url) if url else ""
