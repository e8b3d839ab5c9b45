"""Promoted post: find the post → creative from it → campaign → ad set → ad (GRAPH_NOTES §4.3).

The ad publisher's steps without the media: the creative names the published post the
promotion was made from (``publishing.promotion``) instead of carrying uploaded files —
``object_story_id`` for a Page post, ``source_instagram_media_id`` with ``instagram_user_id``
(and the Page as ``object_id``) for an Instagram post, which may also carry a button to the
promotion's link. The post is found first and remembered (``story_id`` or ``source_media_id``):
a Page video's post is asked from Meta, since its publication recorded the video's id.

A create whose answer was lost is reconciled as an ad's are; the creative is recognised by the
post it names.
"""

import json
from datetime import datetime
from typing import Any, ClassVar

from campaigns.meta_vocabulary import CallToAction
from creatives.library.models import MediaAsset
from publishing.errors import PublishFailure
from publishing.models import Publication, Target
from publishing.promotion import (
    CHOOSE_ANOTHER,
    is_instagram,
    story_id_of,
    why_not_promotable,
)
from publishing.publishers.base import CONTINUE, PublishContext, Publisher, StepResult
from publishing.publishers.meta_ad import (
    RECONCILE_FIELDS,
    UPLOAD_PROGRESS,
    MetaAdPublisher,
    _recorded_elsewhere,
)

Status = Publication.Status


class MetaAdPromotePublisher(MetaAdPublisher):
    target = Target.META_AD_PROMOTE
    related: ClassVar[tuple[str, ...]] = (*Publisher.related, "promoted")
    reconcile_fields: ClassVar[dict[str, str]] = {
        **RECONCILE_FIELDS,
        "creative_id": "id,name,object_story_id,source_instagram_media_id",
    }

    def advance(self, ctx: PublishContext) -> StepResult:
        remote = ctx.remote
        if remote.get("ad_id"):
            return self._finish(ctx)
        if remote.get("pending"):
            return self._reconcile(ctx)
        if not remote.get("story_id") and not remote.get("source_media_id"):
            return self._find_post(ctx)
        return self._next_create(ctx, None)

    def _find_post(self, ctx: PublishContext) -> StepResult:
        """Remember which post the ad runs: the Page post's id, or the Instagram media's."""
        publication = ctx.publication
        source = publication.promoted
        if why := why_not_promotable(source, workspace_id=publication.workspace_id):
            raise PublishFailure(item="Post to promote", cause=why, fix=CHOOSE_ANOTHER)
        assert source is not None  # noqa: S101 (why_not_promotable says so otherwise)
        ctx.status(Status.PUBLISHING, progress=UPLOAD_PROGRESS, message="Finding the post on Meta")
        if is_instagram(source):
            ctx.remember(
                source_media_id=source.remote_id, instagram_user_id=source.instagram_meta_id
            )
            return CONTINUE
        story = story_id_of(source)
        if not story:
            video = ctx.client.get(f"/{source.remote_id}", {"fields": "id,post_id"})
            story = str(video.get("post_id") or "")
        if not story:
            raise PublishFailure(
                item=source.title,
                cause="Meta doesn't say which Page post carries this video, so it can't be "
                "promoted as a post yet.",
                fix="Try again later, promote it in Meta Ads Manager, or make an ad from its "
                "video file.",
            )
        ctx.remember(story_id=story)
        return CONTINUE

    def _creative(self, ctx: PublishContext, asset: MediaAsset | None) -> dict[str, Any]:
        """Return the creative's parameters: the post itself, by its id (no files)."""
        publication, remote = ctx.publication, ctx.remote
        if remote.get("story_id"):
            return {"name": publication.title, "object_story_id": remote["story_id"]}
        params: dict[str, Any] = {
            "name": publication.title,
            "instagram_user_id": remote["instagram_user_id"],
            "source_instagram_media_id": remote["source_media_id"],
        }
        if publication.page is not None:
            params["object_id"] = publication.page.page_id
        if publication.link_url:
            cta = publication.cta_type or CallToAction.LEARN_MORE.value
            params["call_to_action"] = json.dumps(
                {"type": cta, "value": {"link": publication.link_url}}
            )
        return params

    def _is_ours(
        self, ctx: PublishContext, key: str, item: dict[str, Any], window: tuple[datetime, datetime]
    ) -> bool:
        """Return whether a listed creative names our post (and no other promotion holds it)."""
        if key != "creative_id":
            return super()._is_ours(ctx, key, item, window)
        remote = ctx.remote
        if remote.get("story_id"):
            names_ours = str(item.get("object_story_id") or "") == remote["story_id"]
        else:
            media = str(item.get("source_instagram_media_id") or "")
            names_ours = media == remote["source_media_id"]
        return names_ours and not _recorded_elsewhere(ctx.publication, key, str(item["id"]))
