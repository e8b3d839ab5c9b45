"""Facebook Page post: text or link, one photo, one video, or several photos (multi-photo).

GRAPH_NOTES §3.1 to §3.4. Photos and videos go by URL (Meta downloads the signed link) or, when
Meta can't reach it, as a multipart ``source`` upload. Videos are polled until ready.

The link: ``/feed`` takes ``link`` (and ``call_to_action``); ``/photos`` and ``/videos`` have no
link parameter, so the link goes at the end of the caption / description, where Facebook makes
it clickable. The button: ``/videos`` takes ``call_to_action`` (Meta's Python Business SDK v25,
``Page.create_video``), in the feed's shape; ``/photos`` takes none, so preflight refuses a
button on a photo post (``publishing.targets``).

Several photos (§3.1-§3.2): each is uploaded to ``/photos`` with ``published=false``, one per
step, its id stored in ``remote["photos"]`` in order before the next (a lost answer only leaves
an unused unpublished photo, which Meta drops after about a day, as ``ig_carousel`` does with
its children); then one ``/feed`` post attaches them all with
``attached_media=[{"media_fbid": id}, …]``, sent once (a lost answer is reconciled).
"""

from typing import Any

from creatives.library.models import MediaAsset
from publishing.errors import PublishFailure
from publishing.models import Publication, Target
from publishing.publishers._facebook import find_recent, page_of, permalink_of, video_state
from publishing.publishers.base import (
    CONTINUE,
    PublishContext,
    Publisher,
    StepResult,
    poll_delay,
    wait,
)

Status = Publication.Status
MAX_VIDEO_POLLS = 40


def text_with_link(publication: Publication) -> str:
    """Return the caption with the link at the end (photos and videos have no link field)."""
    caption, link = publication.caption, publication.link_url
    if not link or link in caption:
        return caption
    return f"{caption}\n\n{link}" if caption else link


def call_to_action(publication: Publication) -> dict[str, Any] | None:
    if not (publication.cta_type and publication.link_url):
        return None
    return {"type": publication.cta_type, "value": {"link": publication.link_url}}


class FacebookPostPublisher(Publisher):
    target = Target.FB_POST
    uses_page_token = True
    related = ("page",)  # the Page and its token; no connection, no cover

    def advance(self, ctx: PublishContext) -> StepResult:
        remote = ctx.remote
        if remote.get("post_id") or remote.get("video_ready"):
            return self._finish(ctx)
        if remote.get("pending"):
            return self._reconcile(ctx)
        if remote.get("video_id"):
            return self._poll_video(ctx)
        assets = ctx.items()
        if not assets:
            return self._post_text(ctx)
        if len(assets) > 1:
            photos: list[str] = list(remote.get("photos", []))
            if len(photos) < len(assets):
                return self._upload_unpublished(ctx, assets[len(photos)], photos, len(assets))
            return self._post_photos(ctx, photos)
        if assets[0].kind == MediaAsset.Kind.IMAGE:
            return self._post_photo(ctx, assets[0])
        return self._post_video(ctx, assets[0])

    def _post_text(self, ctx: PublishContext) -> StepResult:
        publication = ctx.publication
        page = page_of(ctx)
        params: dict[str, Any] = {"message": publication.caption}
        if publication.link_url:
            params["link"] = publication.link_url
        if cta := call_to_action(publication):
            params["call_to_action"] = cta
        ctx.status(Status.PUBLISHING, progress=70, message="Posting to the Facebook Page")
        with ctx.sending("feed"):
            created = ctx.client.post(f"/{page.page_id}/feed", params)
        ctx.sent(post_id=created["id"])
        return CONTINUE

    def _post_photo(self, ctx: PublishContext, asset: MediaAsset) -> StepResult:
        page = page_of(ctx)
        params = {"caption": text_with_link(ctx.publication)}
        ctx.status(Status.UPLOADING, progress=40, message="Sending the photo to Facebook")
        with ctx.sending("photo"):
            created = ctx.send_file(f"/{page.page_id}/photos", params, asset, url_param="url")
        ctx.sent(photo_id=created["id"], post_id=created.get("post_id", ""))
        return CONTINUE

    def _upload_unpublished(
        self, ctx: PublishContext, asset: MediaAsset, photos: list[str], total: int
    ) -> StepResult:
        """Upload one photo of several, unpublished; store its id before the next."""
        page = page_of(ctx)
        done = len(photos)
        ctx.status(
            Status.UPLOADING,
            progress=10 + int(50 * done / total),
            message=f"Sending photo {done + 1} of {total} to Facebook",
        )
        created = ctx.send_file(
            f"/{page.page_id}/photos", {"published": False}, asset, url_param="url"
        )
        ctx.remember(photos=[*photos, created["id"]])
        return CONTINUE

    def _post_photos(self, ctx: PublishContext, photos: list[str]) -> StepResult:
        """Publish the uploaded photos as one post, in order (``attached_media``)."""
        page = page_of(ctx)
        params: dict[str, Any] = {
            "message": text_with_link(ctx.publication),
            "attached_media": [{"media_fbid": photo} for photo in photos],
        }
        ctx.status(Status.PUBLISHING, progress=70, message="Posting the photos to the Page")
        with ctx.sending("album"):
            created = ctx.client.post(f"/{page.page_id}/feed", params)
        ctx.sent(post_id=created["id"])
        return CONTINUE

    def _post_video(self, ctx: PublishContext, asset: MediaAsset) -> StepResult:
        page = page_of(ctx)
        params: dict[str, Any] = {
            "description": text_with_link(ctx.publication),
            "title": ctx.publication.title,
        }
        if cta := call_to_action(ctx.publication):
            params["call_to_action"] = cta
        ctx.status(Status.UPLOADING, progress=30, message="Sending the video to Facebook")
        with ctx.sending("video"):
            created = ctx.send_file(f"/{page.page_id}/videos", params, asset, url_param="file_url")
        ctx.sent(video_id=created["id"], polls=0)
        return CONTINUE

    def _poll_video(self, ctx: PublishContext) -> StepResult:
        ctx.status(Status.PROCESSING, progress=60, message="Facebook is processing the video")
        state = video_state(ctx, ctx.remote["video_id"])
        if state == "ready":
            ctx.remember(video_ready=True)
            return CONTINUE
        if state in ("error", "expired"):
            raise PublishFailure(
                item=ctx.items()[0].original_filename,
                cause=f"Facebook could not process the video (status: {state}).",
                fix="Convert it with the fix button in the media library, then retry.",
            )
        polls = int(ctx.remote.get("polls", 0)) + 1
        if polls > MAX_VIDEO_POLLS:
            raise PublishFailure(
                item=ctx.items()[0].original_filename,
                cause="Facebook was still processing the video after many checks.",
                fix="Retry in a few minutes; the video stays on Facebook's side.",
            )
        ctx.remember(polls=polls)
        return wait(poll_delay(polls))

    def _reconcile(self, ctx: PublishContext) -> StepResult:
        """Our last create's answer was lost: find what it made before sending it again."""
        step = ctx.remote["pending"]
        # The text as sent: a photo's or video's carries the link, a feed post's doesn't.
        caption = ctx.publication.caption if step == "feed" else text_with_link(ctx.publication)
        if step == "video":
            found = find_recent(
                ctx,
                "videos",
                text_field="description",
                text=caption,
                fields="id,description,created_time",
            )
            values = {"video_id": found["id"], "polls": 0} if found else {}
        else:
            found = find_recent(
                ctx, "feed", text_field="message", text=caption, fields="id,message,created_time"
            )
            values = {"post_id": found["id"]} if found else {}
        if not found and (settle := ctx.pending_settle_seconds()):
            ctx.note("The last call to Facebook may still be landing; checking again soon")
            return wait(settle)
        if found:
            ctx.sent(**values)
            ctx.note(
                f"Found what the lost call created on Facebook ({found['id']}); not re-sending"
            )
        else:
            ctx.forget("pending", "pending_since")
            ctx.note("The last call to Facebook did not go through; sending it again")
        return CONTINUE

    def _finish(self, ctx: PublishContext) -> StepResult:
        if ctx.remote.get("post_id"):
            post_id = ctx.remote["post_id"]
            post = ctx.client.get(f"/{post_id}", {"fields": "id,permalink_url"})
            return ctx.finish(remote_id=post_id, permalink=permalink_of(post))
        video_id = ctx.remote["video_id"]
        video = ctx.client.get(f"/{video_id}", {"fields": "id,permalink_url"})
        return ctx.finish(remote_id=video_id, permalink=permalink_of(video))
