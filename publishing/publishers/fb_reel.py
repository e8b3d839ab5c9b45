"""Facebook reel: ``/video_reels`` start → upload (URL or bytes) → finish (publish) → ready.

GRAPH_NOTES §3.3. A lost answer to ``start`` only leaves an unused upload session; a lost
answer to ``finish`` is reconciled by reading the video's publishing state.
"""

from publishing.errors import PublishFailure
from publishing.models import Publication, Target
from publishing.publishers._facebook import page_of, permalink_of, video_state
from publishing.publishers.base import (
    CONTINUE,
    PublishContext,
    Publisher,
    StepResult,
    poll_delay,
    wait,
)

Status = Publication.Status
MAX_POLLS = 40


class FacebookReelPublisher(Publisher):
    target = Target.FB_REEL
    uses_page_token = True
    related = ("page",)  # the Page and its token; no connection, no cover

    def advance(self, ctx: PublishContext) -> StepResult:
        remote = ctx.remote
        if remote.get("video_ready"):
            return self._finish(ctx)
        if "video_id" not in remote:
            return self._start(ctx)
        if not remote.get("uploaded"):
            return self._upload(ctx)
        if remote.get("pending") == "finish":
            return self._reconcile_finish(ctx)
        if not remote.get("finished"):
            return self._publish(ctx)
        return self._poll(ctx)

    def _start(self, ctx: PublishContext) -> StepResult:
        page = page_of(ctx)
        ctx.items()  # fails early on a missing or unready file
        ctx.status(Status.UPLOADING, progress=15, message="Opening a reel upload on Facebook")
        started = ctx.client.post(f"/{page.page_id}/video_reels", {"upload_phase": "start"})
        ctx.remember(video_id=started["video_id"], upload_url=started["upload_url"], polls=0)
        return CONTINUE

    def _upload(self, ctx: PublishContext) -> StepResult:
        asset = ctx.items()[0]
        ctx.status(Status.UPLOADING, progress=35, message="Sending the reel to Facebook")
        if ctx.uses_upload:
            with ctx.open_media(asset) as handle:
                ctx.client.upload(ctx.remote["upload_url"], file=handle, size=asset.size_bytes)
        else:
            ctx.client.upload(ctx.remote["upload_url"], file_url=ctx.media_url(asset))
        ctx.remember(uploaded=True)
        return CONTINUE

    def _publish(self, ctx: PublishContext) -> StepResult:
        page = page_of(ctx)
        ctx.status(Status.PUBLISHING, progress=70, message="Publishing the reel")
        with ctx.sending("finish"):
            ctx.client.post(
                f"/{page.page_id}/video_reels",
                {
                    "upload_phase": "finish",
                    "video_id": ctx.remote["video_id"],
                    "video_state": "PUBLISHED",
                    "description": ctx.publication.caption,
                },
            )
        ctx.sent(finished=True)
        return CONTINUE

    def _reconcile_finish(self, ctx: PublishContext) -> StepResult:
        video = ctx.client.get(f"/{ctx.remote['video_id']}", {"fields": "id,published"})
        if video.get("published"):
            ctx.sent(finished=True)
            ctx.note("Found the reel already published by the lost call; not re-sending")
        else:
            ctx.forget("pending", "pending_since")
            ctx.note("The last publish call did not go through; sending it again")
        return CONTINUE

    def _poll(self, ctx: PublishContext) -> StepResult:
        ctx.status(Status.PROCESSING, progress=85, message="Facebook is processing the reel")
        state = video_state(ctx, ctx.remote["video_id"])
        if state == "ready":
            ctx.remember(video_ready=True)
            return CONTINUE
        asset_name = ctx.publication.items.first()
        if state in ("error", "expired") or int(ctx.remote.get("polls", 0)) >= MAX_POLLS:
            raise PublishFailure(
                item=str(asset_name.asset) if asset_name else ctx.publication.title,
                cause=f"Facebook could not process the reel (status: {state or 'unknown'}).",
                fix="Convert it for Facebook reels with the fix button in the media library.",
            )
        polls = int(ctx.remote.get("polls", 0)) + 1
        ctx.remember(polls=polls)
        return wait(poll_delay(polls))

    def _finish(self, ctx: PublishContext) -> StepResult:
        video_id = ctx.remote["video_id"]
        video = ctx.client.get(f"/{video_id}", {"fields": "id,permalink_url"})
        return ctx.finish(remote_id=video_id, permalink=permalink_of(video))
