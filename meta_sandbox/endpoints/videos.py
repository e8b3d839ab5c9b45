"""Facebook videos shared by Page videos, Page reels and ad videos (GRAPH_NOTES §3.3, §3.4, §4.2).

- `from_url()` / `from_bytes()`: a simple upload (`file_url` or multipart `source`):
  fetched and checked in the request, so problems answer Meta's 389 (cannot fetch),
  382 (too small) or 352 (unsupported format) at once; the video then processes
  for `video_processing_seconds` of sandbox time.
- `upload_phase` start / transfer / finish / cancel: chunked upload on the same edge;
  the bytes are checked at `finish`, and a bad file shows as `video_status: error`.
- `receive_rupload()`: the reels upload host (`upload_url` from `video_reels` start)
  takes the bytes (`offset`, `file_size` headers) or a `file_url` header.

The `Video` node (`GET /{video-id}?fields=status,...`) is registered here; a video is
visible to whoever may see its Page or ad account.
"""

from typing import Any

from meta_sandbox import config, lifecycle
from meta_sandbox.endpoints.adaccounts import visible_ad_account
from meta_sandbox.endpoints.pages import visible_page
from meta_sandbox.errors import GraphError
from meta_sandbox.fields import NodeType, attr, meta_time
from meta_sandbox.media_check import MediaProblem, fetch, inspect_video
from meta_sandbox.nodes import register_node
from meta_sandbox.objects import Video
from meta_sandbox.routing import Call, converter

MIN_BYTES = 1024  # smaller files answer 382 "too small"
MAX_BYTES = 512 * 1024 * 1024  # the sandbox keeps uploads in memory; Meta allows far more


def video_error(code: int, detail: str = "") -> GraphError:
    messages = {
        389: "(#389) Unable to fetch video file from URL.",
        382: "(#382) The video file you tried to upload is too small. Please try again with a larger file.",
        352: "(#352) Sorry, the video file you selected is in a format that we don't support.",
        6001: "(#6001) There was a problem uploading your video. Please try again.",
    }
    user_msg = detail or None
    return GraphError(messages[code], code=code, user_msg=user_msg, is_transient=code == 6001)


def check_bytes(data: bytes) -> dict[str, Any]:
    """Return the video's info; raise 382/352 as Meta would."""
    if len(data) < MIN_BYTES:
        raise video_error(382, f"{len(data)} bytes")
    try:
        info = inspect_video(data)
    except MediaProblem as problem:
        raise video_error(352, problem.reason) from problem
    return {
        "container": info.container,
        "width": info.width,
        "height": info.height,
        "duration": info.duration,
        "video_codec": info.video_codec,
        "size": info.size,
    }


def fetch_checked(url: str) -> tuple[bytes, dict[str, Any]]:
    """Download `url` (loopback only) and check it; raise 389/382/352 (run unlocked)."""
    try:
        data = fetch(url, max_bytes=MAX_BYTES)
    except MediaProblem as problem:
        raise video_error(389, problem.reason) from problem
    return data, check_bytes(data)


def new_video(call: Call, *, kind: str, owner_id: str, **fields: Any) -> Video:
    state = call.state
    marker = fields.get("title") or fields.get("description")
    video = Video(
        id=state.objects.new_id("video"),
        kind=kind,
        owner_id=owner_id,
        created_at=state.now(),
        marker=marker,
        **fields,
    )
    return state.objects.add(video)


def mark_uploaded(
    call: Call, video: Video, data: bytes | None, info: dict[str, Any] | None
) -> None:
    """All bytes are in: check them (unless `info` is given) and start processing."""
    if info is None and data is not None:
        try:
            info = check_bytes(data)
        except GraphError as error:
            video.error = {"code": error.code, "message": error.message}
    video.media_info = info
    video.upload_finished = True
    if data is not None:
        video.bytes_received = video.file_size = len(data)
    video.processing_from = call.state.now()


# --- upload_phase=start|transfer|finish|cancel ----------------------------------------------


def _session_video(call: Call, owner_id: str) -> Video:
    session = call.param("upload_session_id") or ""
    for video in call.state.objects.of_type(Video, owner_id):
        if video.upload_session_id == session and session:
            return video
    raise GraphError("(#100) Invalid upload_session_id", code=100)


def _offsets(video: Video, received: int) -> dict[str, str]:
    end = min(video.file_size, received + config.VIDEO_UPLOAD_CHUNK_BYTES)
    return {"start_offset": str(received), "end_offset": str(end)}


def upload_phase(call: Call, *, kind: str, owner_id: str, phase: str) -> dict[str, Any]:
    """Run one phase of the chunked upload on `/{page}/videos` or `/act_{id}/advideos`."""
    objects = call.state.objects
    if phase == "start":
        raw = call.param("file_size") or ""
        if not raw.isdigit():
            raise GraphError("(#100) file_size is required for upload_phase=start", code=100)
        if int(raw) < MIN_BYTES:
            raise video_error(382, f"{raw} bytes")
        video = new_video(call, kind=kind, owner_id=owner_id, file_size=int(raw))
        video.upload_session_id = objects.new_id("upload_session")
        return {
            "video_id": video.id,
            "upload_session_id": video.upload_session_id,
            **_offsets(video, 0),
        }
    video = _session_video(call, owner_id)
    received = objects.uploads.get(video.id, b"")
    if phase == "transfer":
        chunk = call.request.files.get("video_file_chunk")
        if call.param("start_offset") != str(len(received)) or chunk is None:
            raise video_error(6001, f"expected start_offset {len(received)} and video_file_chunk")
        received += chunk.read()
        if len(received) > video.file_size:
            raise video_error(6001, "more bytes than file_size")
        objects.uploads[video.id] = received
        video.bytes_received = len(received)
        return _offsets(video, len(received))
    if phase == "finish":
        if len(received) != video.file_size:
            raise video_error(6001, f"received {len(received)} of {video.file_size} bytes")
        for name in ("title", "description"):
            if call.param(name) is not None:
                setattr(video, name, call.param(name))
        video.marker = video.title or video.description
        objects.uploads.pop(video.id, None)
        mark_uploaded(call, video, received, None)
        return {"success": True}
    if phase == "cancel":
        objects.uploads.pop(video.id, None)
        del objects.by_id[video.id]
        return {"success": True}
    raise GraphError(f"(#100) Invalid upload_phase {phase!r}", code=100)


# --- the Video node ------------------------------------------------------------------------


def _permalink(video: Video, _call: Call, _children: Any) -> str | None:
    # Meta answers a video's permalink_url as a path on www.facebook.com, not a full URL
    # (a post's is full: page_publishing.py), e.g. "/{page-id}/videos/{video-id}/".
    if video.kind == "page_reel":
        return f"/reel/{video.id}/"
    if video.kind == "page_video":
        return f"/{video.owner_id}/videos/{video.id}/"
    return None


def _length(video: Video, _call: Call, _children: Any) -> float | None:
    return (video.media_info or {}).get("duration")


VIDEO = NodeType(
    "Video",
    {
        "id": attr("id"),
        "status": lambda video, call, _c: lifecycle.video_status(call.state, video),
        "title": attr("title"),
        "description": attr("description"),
        "published": attr("published"),
        "permalink_url": _permalink,
        "length": _length,
        "created_time": lambda video, _call, _c: meta_time(video.created_at),
        "post_id": attr("post_id"),
    },
    default_fields=("id",),
)


@converter("video")
def visible_video(call: Call, raw: str) -> Video | None:
    video = call.state.objects.get(raw, Video)
    if video is None:
        return None
    if video.kind == "ad_video":
        return video if visible_ad_account(call, video.owner_id) else None
    return video if visible_page(call, video.owner_id) else None


register_node("video", VIDEO)
