"""Instagram story: one image or video; stories take no caption (GRAPH_NOTES §2.1)."""

from typing import Any

from creatives.library.models import MediaAsset
from publishing.models import Target
from publishing.publishers._instagram import InstagramPublisher, _ig_user
from publishing.publishers.base import PublishContext


class InstagramStoryPublisher(InstagramPublisher):
    target = Target.IG_STORY

    def container_params(self, ctx: PublishContext, asset: MediaAsset) -> dict[str, Any]:
        key = "image_url" if asset.kind == MediaAsset.Kind.IMAGE else "video_url"
        return {key: ctx.media_url(asset), "media_type": "STORIES"}

    @staticmethod
    def caption(ctx: PublishContext) -> str:
        return ""

    def find_published(self, ctx: PublishContext) -> dict[str, Any] | None:
        """Stories have no caption: the one story made while our publish was in flight.

        The account's story slot (``publishing.locks``) keeps every other publication's story
        publish out of that time; a second story there was posted by someone else, and the
        publication goes to a person rather than adopt either.
        """
        return ctx.find_since_pending(
            f"/{_ig_user(ctx)}/stories",
            time_field="timestamp",
            fields="id,timestamp,media_product_type",
            recorded_as="media_id",
        )
