"""How created objects change with sandbox time: containers, videos, posts, ad review.

Nothing here runs on a timer. Each status is computed when it is read, from the
object's creation (or upload) time, the processing times in the settings and, for IG
video containers, the outcome of their background `MediaJob` (GRAPH_NOTES §2.4,
§3.4, §4.6):

- IG container: IN_PROGRESS until its processing time has passed and its media
  checks are done; then FINISHED or ERROR; PUBLISHED once published; EXPIRED 24 h
  after creation if never published. A carousel follows its children.
- Video: uploading until every byte is in, processing for `video_processing_seconds`,
  then ready or error.
- Ad: PENDING_REVIEW for `ad_review_seconds`, then DISAPPROVED (when the review
  switch picked it) or its configured status as its parents allow.
- Page post: a scheduled post counts as published once its time has come.

Callers hold the state lock.
"""

from typing import TYPE_CHECKING, Any

from meta_sandbox import config
from meta_sandbox.objects import (
    Ad,
    AdSet,
    Campaign,
    Created,
    IgContainer,
    PagePost,
    Video,
)

if TYPE_CHECKING:
    from meta_sandbox.state import SandboxState

IN_PROGRESS, FINISHED, PUBLISHED, ERROR, EXPIRED = (
    "IN_PROGRESS",
    "FINISHED",
    "PUBLISHED",
    "ERROR",
    "EXPIRED",
)
STATUS_TEXT = {
    IN_PROGRESS: "In Progress: Media is still being processed.",
    FINISHED: "Finished: Media has been uploaded and it is ready to be published.",
    PUBLISHED: "Published: Media has been published.",
    EXPIRED: "Expired: Media container was not published within 24 hours.",
}


def _settle_job(state: "SandboxState", container: IgContainer) -> bool:
    """Copy a finished job's outcome onto the container; False while it still runs."""
    job = state.objects.jobs.get(container.id)
    if job is None:
        return True
    if not job.wait():
        return False
    result = job.result or {}
    container.media_info = result.get("media_info")
    container.error = result.get("error")
    if job.problem is not None and container.error is None:
        container.error = {
            "code": -1,
            "error_subcode": 2207001,
            "message": job.problem.reason,
        }
    del state.objects.jobs[container.id]
    return True


def container_status(state: "SandboxState", container: IgContainer) -> str:
    if container.published_media_id:
        return PUBLISHED
    now = state.now()
    if now >= container.created_at + config.IG_CONTAINER_TTL_SECONDS:
        return EXPIRED
    if container.media_type == "CAROUSEL":
        return _carousel_status(state, container)
    if container.error is not None:
        return ERROR
    if container.processing_from is None:  # resumable upload not received yet
        return IN_PROGRESS
    settings = state.settings
    delay = (
        settings.ig_video_processing_seconds
        if container.is_video
        else settings.ig_image_processing_seconds
    )
    if now < container.processing_from + delay or not _settle_job(state, container):
        return IN_PROGRESS
    return ERROR if container.error is not None else FINISHED


def _carousel_status(state: "SandboxState", carousel: IgContainer) -> str:
    statuses = []
    for child_id in carousel.children:
        child = state.objects.get(child_id, IgContainer)
        statuses.append(container_status(state, child) if child else EXPIRED)
    if any(status in (ERROR, EXPIRED) for status in statuses):
        if carousel.error is None:
            carousel.error = {
                "code": 100,
                "error_subcode": 2207028,
                "message": "A carousel item failed processing or expired.",
            }
        return ERROR
    return IN_PROGRESS if IN_PROGRESS in statuses else FINISHED


def container_status_text(state: "SandboxState", container: IgContainer) -> str:
    status = container_status(state, container)
    if status == ERROR and container.error is not None:
        subcode = container.error.get("error_subcode")
        return f"Error: Media upload has failed with error code {subcode}"
    return STATUS_TEXT[status]


# --- videos (Page videos, Page reels, ad videos) -------------------------------------------


def video_state(state: "SandboxState", video: Video) -> str:
    """Return `video_status`: upload, processing, ready or error."""
    if not video.upload_finished:
        return "upload"
    if video.processing_from is None or (
        state.now() < video.processing_from + state.settings.video_processing_seconds
    ):
        return "processing"
    return "error" if video.error is not None else "ready"


def video_status(state: "SandboxState", video: Video) -> dict[str, Any]:
    """Return the `status` field of a video (GRAPH_NOTES §3.4)."""
    current = video_state(state, video)
    errors = [video.error] if video.error is not None else []
    uploading: dict[str, Any] = {
        "status": "complete" if video.upload_finished else "in_progress",
        "bytes_transferred": video.bytes_received,
        "source_file_size": video.file_size,
        "errors": [],
    }
    processing_status = {
        "upload": "not_started",
        "processing": "in_progress",
        "ready": "complete",
        "error": "error",
    }[current]
    published = current == "ready" and video.published
    publishing: dict[str, Any] = {
        "status": "complete" if published else "not_started",
        "publish_status": "published" if published else "not_published",
    }
    if published and video.processing_from is not None:
        publishing["publish_time"] = int(
            video.processing_from + state.settings.video_processing_seconds
        )
    progress = {"upload": 0, "processing": 50, "ready": 100, "error": 100}[current]
    return {
        "video_status": current,
        "uploading_phase": uploading,
        "processing_phase": {
            "status": processing_status,
            "errors": errors if current == "error" else [],
        },
        "publishing_phase": publishing,
        "processing_progress": progress,
    }


# --- Page posts --------------------------------------------------------------------------


def post_is_published(state: "SandboxState", post: PagePost) -> bool:
    if post.published:
        return True
    scheduled = post.scheduled_publish_time
    return scheduled is not None and state.now() >= scheduled


# --- ads ---------------------------------------------------------------------------------


def ad_effective_status(state: "SandboxState", ad: Ad) -> str:
    if ad.status in ("DELETED", "ARCHIVED"):
        return ad.status
    if state.now() < ad.review_done_at:
        return "PENDING_REVIEW"
    if ad.review_feedback is not None:
        return "DISAPPROVED"
    if ad.status == "PAUSED":
        return "PAUSED"
    campaign = state.objects.get(ad.campaign_id, Campaign)
    if campaign is not None and campaign.status == "PAUSED":
        return "CAMPAIGN_PAUSED"
    adset = state.objects.get(ad.adset_id, AdSet)
    if adset is not None and adset.status == "PAUSED":
        return "ADSET_PAUSED"
    return "ACTIVE"


def adset_effective_status(state: "SandboxState", adset: AdSet) -> str:
    campaign = state.objects.get(adset.campaign_id, Campaign)
    if adset.status == "ACTIVE" and campaign is not None and campaign.status == "PAUSED":
        return "CAMPAIGN_PAUSED"
    return adset.status


# --- the test API's view -----------------------------------------------------------------


def status_of(state: "SandboxState", obj: Created) -> str | None:
    if isinstance(obj, IgContainer):
        return container_status(state, obj)
    if isinstance(obj, Video):
        return video_state(state, obj)
    if isinstance(obj, PagePost):
        return "published" if post_is_published(state, obj) else "unpublished"
    if isinstance(obj, Ad):
        return ad_effective_status(state, obj)
    if isinstance(obj, AdSet):
        return adset_effective_status(state, obj)
    if isinstance(obj, Campaign):
        return obj.status
    return None


def describe(state: "SandboxState", obj: Created) -> dict[str, Any]:
    """Return one object as the test API lists it: common fields plus all its data."""
    data = {
        key: value
        for key, value in vars(obj).items()
        if key not in ("id", "kind", "owner_id", "created_at", "marker")
    }
    return {
        "kind": obj.kind,
        "id": obj.id,
        "owner_id": obj.owner_id,
        "marker": obj.marker,
        "created_at": int(obj.created_at),
        "status": status_of(state, obj),
        "data": data,
    }
