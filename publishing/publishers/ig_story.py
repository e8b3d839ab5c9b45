"""Instagram story: one image or video; stories take no caption (GRAPH_NOTES §2.1)."""

from typing import Any

from creatives.library.models import MediaAsset
from publishing.models import Target
from publishing.publishers._instagram import InstagramPublisher
from publishing.publishers.base import PublishContext


class InstagramStoryPublisher(InstagramPublisher):
    target = Target.IG_STORY

    def container_params(self, ctx: PublishContext, asset: MediaAsset) -> dict[str, Any]:
        key = "image_url" if asset.kind == MediaAsset.Kind.IMAGE else "video_url"
        return {key: ctx.media_url(asset), "media_type": "STORIES"}

    @staticmethod
    def caption(ctx: PublishContext) -> str:
        return ""
