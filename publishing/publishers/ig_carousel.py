"""Instagram carousel: 2 to 10 images/videos as child containers, then one carousel container.

GRAPH_NOTES §2.6. Children are created one per step and their ids stored in order; a lost
answer only leaves an unused child container, which expires on its own. Once every child is
FINISHED, the carousel container is created and follows the single-media flow.
"""

from typing import Any

from django.utils import timezone

from creatives.library.models import MediaAsset
from meta_integration.graph import GraphError
from publishing.models import Publication, Target
from publishing.publishers._instagram import (
    FETCH_FAILED,
    InstagramPublisher,
    _ig_user,
    cannot_download,
)
from publishing.publishers.base import CONTINUE, PublishContext, StepResult

Status = Publication.Status


class InstagramCarouselPublisher(InstagramPublisher):
    target = Target.IG_CAROUSEL

    def advance(self, ctx: PublishContext) -> StepResult:
        remote = ctx.remote
        if "media_id" in remote or remote.get("pending") == "publish" or "container_id" in remote:
            return super().advance(ctx)
        assets = ctx.items()
        children: list[str] = list(remote.get("children", []))
        if len(children) < len(assets):
            return self._create_child(ctx, assets[len(children)], children, len(assets))
        if not remote.get("children_ready"):
            return self._poll_children(ctx, children)
        return self._create_carousel(ctx, children)

    def _create_child(
        self, ctx: PublishContext, asset: MediaAsset, children: list[str], total: int
    ) -> StepResult:
        ig = _ig_user(ctx)
        done = len(children)
        ctx.status(
            Status.UPLOADING,
            progress=10 + int(40 * done / total),
            message=f"Handing item {done + 1} of {total} to Instagram",
        )
        params: dict[str, Any] = {"is_carousel_item": "true"}
        upload = asset.kind == MediaAsset.Kind.VIDEO and ctx.uses_upload
        if asset.kind == MediaAsset.Kind.IMAGE:
            params["image_url"] = ctx.media_url(asset)
        else:
            params["media_type"] = "VIDEO"
            if upload:
                params["upload_type"] = "resumable"
            else:
                params["video_url"] = ctx.media_url(asset)
        try:
            created = ctx.client.post(f"/{ig}/media", params)
        except GraphError as exc:
            if exc.subcode == FETCH_FAILED:  # images are fetched during the call
                raise cannot_download(ctx, [asset]) from exc
            raise
        if upload:
            with ctx.open_media(asset) as handle:
                ctx.client.upload(created["uri"], file=handle, size=asset.size_bytes)
        ctx.remember(
            children=[*children, created["id"]],
            container_created_at=timezone.now().isoformat(),
            polls=0,
        )
        return CONTINUE

    def _poll_children(self, ctx: PublishContext, children: list[str]) -> StepResult:
        ctx.status(Status.PROCESSING, progress=55, message="Instagram is processing the items")
        states = ctx.client.get("/", {"ids": ",".join(children), "fields": "status_code,status"})
        codes = {child: (states.get(child) or {}).get("status_code") for child in children}
        for child, code in codes.items():
            if code == "ERROR":
                return self._container_error(ctx, str(states[child].get("status", "")))
            if code == "EXPIRED":
                ctx.note("Carousel items expired before publishing; building them again")
                ctx.forget("children", "children_ready")
                return CONTINUE
        if all(code == "FINISHED" for code in codes.values()):
            ctx.remember(children_ready=True, polls=0)
            return CONTINUE
        return self._keep_polling(ctx)

    def _create_carousel(self, ctx: PublishContext, children: list[str]) -> StepResult:
        ig = _ig_user(ctx)
        created = ctx.client.post(
            f"/{ig}/media",
            {
                "media_type": "CAROUSEL",
                "children": ",".join(children),
                "caption": ctx.publication.caption,
            },
        )
        ctx.remember(
            container_id=created["id"],
            container_created_at=timezone.now().isoformat(),
            polls=0,
        )
        ctx.note(f"Instagram carousel container {created['id']} created")
        return CONTINUE
