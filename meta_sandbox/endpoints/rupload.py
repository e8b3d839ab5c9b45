"""The resumable upload hosts (rupload.facebook.com in production), GRAPH_NOTES §2.3.

    POST /ig-api-upload/{version}/{container-id}   an IG container made with
         upload_type=resumable (its `uri`)
    POST /video-upload/{version}/{video-id}        a Page reel (`upload_url` from
         `POST /{page-id}/video_reels?upload_phase=start`)

Both take `Authorization: OAuth <token>` (no appsecret_proof) and either the raw file
as the body with `offset` and `file_size` headers, or a `file_url` header naming a file
to fetch. IG uploads may arrive in several parts (each `offset` = bytes received so
far); reels take the whole file at once. Success is `{"success": true, ...}`; failures
use the upload host's own shape, `{"debug_info": {"retriable", "type", "message"}}`.
Faults apply to these paths like to any Graph path.
"""

from typing import Any

from werkzeug.wrappers import Response

from meta_sandbox.auth import token_value
from meta_sandbox.dispatch import json_response
from meta_sandbox.endpoints import videos
from meta_sandbox.endpoints.ig_publishing import start_video_job, visible_container
from meta_sandbox.errors import GraphError
from meta_sandbox.routing import Call, route


def _upload_error(message: str, status: int, kind: str) -> Response:
    body = {"debug_info": {"retriable": False, "type": kind, "message": message}}
    return json_response(body, status)


def _authenticate(call: Call) -> Response | None:
    """Set `call.token` from the OAuth header; return an error response when unusable."""
    state = call.state
    token = state.auth.tokens.get(token_value(call.request) or "")
    if token is None or state.auth.problem(token) is not None:
        return _upload_error("Invalid OAuth access token", 401, "AuthError")
    call.token = token
    return None


def _header(call: Call, name: str) -> str | None:
    headers = call.request.headers
    return headers.get(name) or headers.get(name.replace("_", "-"))


@route("POST", "/ig-api-upload/{version}/{container_id}", auth="none")
def upload_ig_container(call: Call) -> Any:
    """Receive a resumable container's bytes (or a `file_url` header), §2.3."""
    state = call.state
    if (refused := _authenticate(call)) is not None:
        return refused
    container = visible_container(call, call.args["container_id"])
    if container is None or not container.resumable:
        return _upload_error("No resumable upload session for this id", 404, "NotFoundError")
    if container.processing_from is not None:
        return _upload_error("The media was already uploaded", 400, "DuplicateUploadError")
    file_url = _header(call, "file_url")
    if file_url:
        container.video_url = file_url
        start_video_job(call, container, None)
        return {"success": True, "message": "Upload successful."}
    received = state.objects.uploads.get(container.id, b"")
    offset, size = _header(call, "offset") or "0", _header(call, "file_size")
    if not offset.isdigit() or int(offset) != len(received):
        return _upload_error(f"offset must be {len(received)}", 400, "InvalidOffsetError")
    if size is None or not size.isdigit():
        return _upload_error("The file_size header is required", 400, "InvalidRequestError")
    received += call.request.body
    if len(received) > int(size):
        return _upload_error("More bytes than file_size", 400, "InvalidRequestError")
    if len(received) < int(size):
        state.objects.uploads[container.id] = received
        return {"success": True, "message": f"Received {len(received)} of {size} bytes."}
    state.objects.uploads.pop(container.id, None)
    start_video_job(call, container, received)
    return {"success": True, "message": "Upload successful."}


@route("POST", "/video-upload/{version}/{video_id}", auth="none", locked=False)
def upload_reel(call: Call) -> Any:
    """Take a reel's bytes (offset/file_size headers) or a `file_url` header; runs unlocked."""
    state = call.state
    with state.lock:
        if (refused := _authenticate(call)) is not None:
            return refused
        video = videos.visible_video(call, call.args["video_id"])
        if video is None or video.kind != "page_reel" or video.upload_finished:
            return _upload_error("No open upload for this video id", 404, "NotFoundError")
    file_url = _header(call, "file_url")
    try:
        if file_url:
            data, info = videos.fetch_checked(file_url)
        else:
            data, info = call.request.body, None
            size = _header(call, "file_size") or ""
            if (_header(call, "offset") or "0") != "0" or size != str(len(data)):
                return _upload_error(
                    "Send the whole file with offset 0 and its file_size",
                    400,
                    "InvalidRequestError",
                )
    except GraphError as error:
        return _upload_error(error.message, 400, "ProcessingFailedError")
    with state.lock:
        videos.mark_uploaded(call, video, data, info)
    return {"success": True}
