"""The Instagram container flow shared by feed posts, reels, stories and carousels.

GRAPH_NOTES §2: create a container (Meta downloads ``image_url``/``video_url``, or we send the
bytes through a resumable upload) → poll its status until FINISHED → ``media_publish`` once →
read the permalink. The container id is stored as soon as Meta returns it; ``media_publish`` is
sent only after checking that the container isn't already PUBLISHED, so a retry can never post
twice. While a publish's answer is unknown it holds the account's slot (``publishing.locks``):
the media the reconcile finds made in that time is ours, caption or not. Containers that ERROR
because Meta couldn't download our URL are rebuilt with a direct upload (videos); images, which
Instagram takes only by link, stop the publication with the reason the pages give
(``TargetSpec.if_meta_cannot_download``). EXPIRED containers are rebuilt.
"""

import re
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from creatives.library.models import MediaAsset
from meta_integration.error_catalogue import explain_instagram_subcode
from meta_integration.graph import GraphError
from publishing.errors import PublishFailure
from publishing.models import Publication
from publishing.publishers.base import (
    CONTINUE,
    PublishContext,
    Publisher,
    StepResult,
    poll_delay,
    wait,
)
from publishing.targets import target_spec

Status = Publication.Status
FETCH_FAILED = 2207052
NOT_READY = 2207027
SUBCODE_IN_STATUS = re.compile(r"error code (\d{7})")
# Meta suggests polling for a few minutes; big videos can take longer (GRAPH_NOTES §2.4).
PROCESSING_TIMEOUT = timedelta(minutes=20)

# Meta's answer to publishing a container twice: "(#100) This media container has already
# been published." (seen as "already published" too): the earlier run's call went through.
ALREADY_PUBLISHED = re.compile(r"already (?:been )?published", re.IGNORECASE)


def _ig_user(ctx: PublishContext) -> str:
    account = ctx.publication.instagram_account
    if account is None:
        raise PublishFailure(
            item="Instagram account",
            cause="The Instagram account is no longer connected to this workspace.",
            fix="Reconnect Meta, select the account, and choose it on this publication again.",
        )
    return account.ig_user_id


def cannot_download(ctx: PublishContext, assets: list[MediaAsset]) -> PublishFailure:
    """Instagram couldn't download files it takes only by link: say so, as the pages do."""
    names = ", ".join(asset.original_filename for asset in assets)
    return PublishFailure(
        item=names,
        cause=_("Instagram couldn't download %(names)s from ProSocial's link. %(what)s")
        % {"names": names, "what": target_spec(ctx.publication.target).if_meta_cannot_download},
        fix=_(
            "Ask your site administrator to serve media from a public https address "
            "(PUBLIC_BASE_URL or S3 storage), then retry."
        ),
    )


class InstagramPublisher(Publisher):
    """Single-media targets; subclasses say how the container is described."""

    def container_params(self, ctx: PublishContext, asset: MediaAsset) -> dict[str, Any]:
        raise NotImplementedError

    # --- the state machine ---------------------------------------------------------------------

    def advance(self, ctx: PublishContext) -> StepResult:
        remote = ctx.remote
        if "media_id" in remote:
            return self._finish(ctx)
        if remote.get("pending") == "publish":
            return self._reconcile_publish(ctx)
        if "container_id" not in remote:
            return self._create_container(ctx)
        if remote.get("upload_uri") and not remote.get("uploaded"):
            return self._upload(ctx)
        if not remote.get("container_ready"):
            return self._poll(ctx)
        return self._publish(ctx)

    def _create_container(self, ctx: PublishContext) -> StepResult:
        ig = _ig_user(ctx)
        asset = ctx.items()[0]
        ctx.status(Status.UPLOADING, progress=20, message="Handing the media to Instagram")
        params = self.container_params(ctx, asset)
        upload = ctx.uses_upload and asset.kind in target_spec(ctx.publication.target).direct_upload
        if upload:
            params.pop("video_url", None)
            params["upload_type"] = "resumable"
        # A lost answer here is harmless: an unused container expires on its own.
        try:
            created = ctx.client.post(f"/{ig}/media", params)
        except GraphError as exc:
            if exc.subcode == FETCH_FAILED:  # images are fetched during the call
                raise cannot_download(ctx, [asset]) from exc
            raise
        ctx.remember(
            container_id=created["id"],
            container_created_at=timezone.now().isoformat(),
            polls=0,
            **({"upload_uri": created.get("uri", "")} if upload else {}),
        )
        ctx.note(f"Instagram container {created['id']} created for {asset.original_filename}")
        return CONTINUE

    def _upload(self, ctx: PublishContext) -> StepResult:
        asset = ctx.items()[0]
        ctx.status(Status.UPLOADING, progress=35, message="Uploading the video to Instagram")
        with ctx.open_media(asset) as handle:
            ctx.client.upload(ctx.remote["upload_uri"], file=handle, size=asset.size_bytes)
        ctx.remember(uploaded=True)
        return CONTINUE

    def _poll(self, ctx: PublishContext) -> StepResult:
        container_id = ctx.remote["container_id"]
        ctx.status(Status.PROCESSING, progress=55, message="Instagram is processing the media")
        state = ctx.client.get(f"/{container_id}", {"fields": "status_code,status"})
        code = state.get("status_code")
        if code == "FINISHED":
            ctx.remember(container_ready=True)
            return CONTINUE
        if code == "PUBLISHED":
            # An earlier run's publish went out unseen, at some time since the container.
            ctx.remember(container_ready=True)
            self._published_unseen(ctx)
            return CONTINUE
        if code == "EXPIRED":
            ctx.note("The Instagram container expired before publishing; building a new one")
            ctx.forget("container_id", "upload_uri", "uploaded", "container_ready")
            return CONTINUE
        if code == "ERROR":
            return self._container_error(ctx, str(state.get("status", "")))
        return self._keep_polling(ctx)

    def _keep_polling(self, ctx: PublishContext) -> StepResult:
        started = datetime.fromisoformat(ctx.remote["container_created_at"])
        if timezone.now() - started > PROCESSING_TIMEOUT:
            raise PublishFailure(
                item=self._item_name(ctx),
                cause="Instagram was still processing the media after 20 minutes.",
                fix="Retry; if it happens again, shorten or re-encode the video with the fix "
                "button in the media library.",
            )
        polls = int(ctx.remote.get("polls", 0)) + 1
        ctx.remember(polls=polls)
        return wait(poll_delay(polls))

    def _container_error(self, ctx: PublishContext, status_text: str) -> StepResult:
        found = SUBCODE_IN_STATUS.search(status_text)
        subcode = int(found.group(1)) if found else None
        assets = ctx.items()
        spec = target_spec(ctx.publication.target)
        uploadable = [a for a in assets if a.kind in spec.direct_upload]
        if subcode == FETCH_FAILED and uploadable and not ctx.uses_upload:
            ctx.note("Instagram could not download the media URL; switching to direct upload")
            ctx.forget("container_id", "upload_uri", "uploaded", "container_ready", "children")
            ctx.remember(force_upload=True)
            return CONTINUE
        link_only = [a for a in assets if a.kind in spec.link_only_kinds]
        if subcode == FETCH_FAILED and link_only:
            raise cannot_download(ctx, link_only)
        explanation = explain_instagram_subcode(subcode) if subcode else None
        raise PublishFailure(
            item=self._item_name(ctx),
            cause=explanation.cause
            if explanation
            else f"Instagram rejected the media: {status_text}",
            fix=explanation.fix
            if explanation
            else "Check the file against the placement's "
            "requirements in the media library and fix it there.",
        )

    def _publish(self, ctx: PublishContext) -> StepResult:
        ig = _ig_user(ctx)
        container_id = ctx.remote["container_id"]
        ctx.status(Status.PUBLISHING, progress=85, message="Publishing on Instagram")
        try:
            with ctx.sending("publish"):
                published = ctx.client.post(f"/{ig}/media_publish", {"creation_id": container_id})
        except GraphError as exc:
            if exc.subcode == NOT_READY:
                ctx.forget("container_ready")
                return wait(5)
            if exc.code == 100 and ALREADY_PUBLISHED.search(exc.message):
                # Published by an earlier run whose answer we never saw: go and find it.
                self._published_unseen(ctx)
                return CONTINUE
            raise
        ctx.sent(media_id=published["id"])
        return CONTINUE

    def _reconcile_publish(self, ctx: PublishContext) -> StepResult:
        """Ask Meta whether the container went out: the publish answer was lost."""
        container_id = ctx.remote["container_id"]
        state = ctx.client.get(f"/{container_id}", {"fields": "status_code"})
        if state.get("status_code") != "PUBLISHED":
            ctx.note("The last publish call did not go through; publishing again")
            ctx.forget("pending", "pending_since")
            return CONTINUE
        media = self.find_published(ctx)
        if media is not None:
            ctx.sent(media_id=media["id"])
            ctx.note(f"Found the published post {media['id']} on Instagram; not re-sending")
            return CONTINUE
        raise PublishFailure(
            item=self._item_name(ctx),
            cause="Instagram says the post was published, but it isn't in the account's recent "
            "posts.",
            fix="Check the Instagram account; don't retry, or it may appear twice.",
        )

    def _published_unseen(self, ctx: PublishContext) -> None:
        """Mark the publish in flight from the container's creation until now, to reconcile."""
        ctx.mark_pending(
            "publish",
            since=datetime.fromisoformat(ctx.remote["container_created_at"]),
            until=timezone.now(),
        )

    def find_published(self, ctx: PublishContext) -> dict[str, Any] | None:
        """Return the one media our lost publish made (None: not found; >1: for a person).

        Made while the publish was in flight (the account's slot kept our other publications'
        publishes of this kind out of that time), with our caption, recorded by nobody else.
        Stories have no caption: the time alone tells ours (``InstagramStoryPublisher``).
        """
        return ctx.find_since_pending(
            f"/{_ig_user(ctx)}/media",
            time_field="timestamp",
            fields="id,caption,timestamp,media_product_type",
            recorded_as="media_id",
            text_field="caption",
            text=self.caption(ctx),
            keep=lambda item: item.get("media_product_type") != "STORY",
        )

    def _finish(self, ctx: PublishContext) -> StepResult:
        media_id = ctx.remote["media_id"]
        media = ctx.client.get(f"/{media_id}", {"fields": "id,permalink,media_type"})
        return ctx.finish(remote_id=media_id, permalink=str(media.get("permalink", "")))

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def caption(ctx: PublishContext) -> str:
        return ctx.publication.caption

    @staticmethod
    def _item_name(ctx: PublishContext) -> str:
        names = [item.asset.original_filename for item in ctx.publication.items.all()]
        return ", ".join(names) or ctx.publication.title
