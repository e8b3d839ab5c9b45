"""Instagram feed post: one JPEG image, or one video (published as a reel shared to the feed)."""

from typing import Any

from creatives.library.models import MediaAsset
from publishing.models import Target
from publishing.publishers._instagram import InstagramPublisher
from publishing.publishers.base import PublishContext


class InstagramFeedPublisher(InstagramPublisher):
    target = Target.IG_FEED

    def container_params(self, ctx: PublishContext, asset: MediaAsset) -> dict[str, Any]:
        caption = ctx.publication.caption
        if asset.kind == MediaAsset.Kind.IMAGE:
            return {"image_url": ctx.media_url(asset), "caption": caption}
        # Stand-alone feed videos are published as reels (GRAPH_NOTES §2.1).
        return {
            "video_url": ctx.media_url(asset),
            "media_type": "REELS",
            "share_to_feed": "true",
            "caption": caption,
        }
