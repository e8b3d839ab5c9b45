"""Instagram reel: one video, with a cover image (``cover_url``) or a cover frame."""

from typing import Any

from creatives.library.models import MediaAsset
from publishing.models import Target
from publishing.publishers._instagram import InstagramPublisher
from publishing.publishers.base import PublishContext


class InstagramReelPublisher(InstagramPublisher):
    target = Target.IG_REEL

    def container_params(self, ctx: PublishContext, asset: MediaAsset) -> dict[str, Any]:
        publication = ctx.publication
        params: dict[str, Any] = {
            "video_url": ctx.media_url(asset),
            "media_type": "REELS",
            "share_to_feed": "true",
            "caption": publication.caption,
        }
        if publication.cover_asset is not None:
            params["cover_url"] = ctx.media_url(publication.cover_asset)
        else:
            params["thumb_offset"] = publication.thumb_offset_ms
        return params
