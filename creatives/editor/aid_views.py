"""The editor's timeline aids and preview frames, for ``static/js/editor*.js``.

- ``asset_aids`` (JSON): a file's length and kind, its filmstrip (where the sprite is and how
  its tiles are laid out) and its waveform (peaks), each null when the file has none. A file
  that is processing, failed or can't be decoded answers 400 with ``{"error": …}``.
- ``filmstrip`` (JPEG): the sprite itself. Its URL carries the file's checksum (``?v=``), so
  the browser keeps it for a year; the ETag lets any other URL revalidate for nothing.
- ``frame`` (JPEG): the saved version ``v`` of a project at ``ratio`` and ``t`` seconds, at
  proxy size, from the renderer's own graph. An unknown version is a 404; a bad ratio or time,
  an empty timeline or a file that isn't ready is a 400 with a short plain message; ffmpeg
  failing on a valid edit is a 503 ("try again").

Every object is resolved through the member's workspace (another workspace's file or project
is a 404); every role may read (``edits.view``).
"""

import logging
import re
from http import HTTPStatus

from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import member_required
from accounts.models import Membership
from creatives.editor import aids, selectors
from creatives.editor.document import MAX_TIMELINE_S, RATIOS
from creatives.editor.errors import EditorError
from creatives.editor.render import RenderError
from creatives.library import selectors as media_selectors
from creatives.library.errors import MediaError
from creatives.library.models import MediaAsset

logger = logging.getLogger(__name__)

_VERSION = re.compile(r"[0-9]{1,9}")
_SECONDS = re.compile(r"[0-9]{1,4}(\.[0-9]{1,6})?")
FRAME_MAX_AGE = aids.FRAME_CACHE_SECONDS
YEAR = 365 * 24 * 3600


def _filmstrip_token(asset: MediaAsset) -> str:
    return f"{asset.sha256[:16]}-{aids.AIDS_VERSION}"


def _plain(message: str, status: int) -> HttpResponse:
    response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"
    return response


@member_required("edits.view")
@require_GET
def asset_aids(request: HttpRequest, membership: Membership, pk: int) -> JsonResponse:
    asset = media_selectors.get_media_for_member(membership, pk)
    try:
        strip = aids.filmstrip(asset)
        wave = aids.waveform(asset)
    except MediaError as error:
        return JsonResponse({"error": error.message}, status=HTTPStatus.BAD_REQUEST)
    url = reverse("editor:filmstrip", args=[membership.workspace.slug, asset.pk])
    response = JsonResponse(
        {
            "duration": asset.duration_seconds,
            "kind": asset.kind,
            "filmstrip": (
                strip.as_json(f"{url}?v={_filmstrip_token(asset)}") if strip is not None else None
            ),
            "waveform": wave.as_json() if wave is not None else None,
        }
    )
    response["Cache-Control"] = "private, no-cache"
    return response


@member_required("edits.view")
@require_GET
def filmstrip(request: HttpRequest, membership: Membership, pk: int) -> HttpResponseBase:
    asset = media_selectors.get_media_for_member(membership, pk)
    token = _filmstrip_token(asset)
    etag = f'"{token}"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponseBase = HttpResponse(status=HTTPStatus.NOT_MODIFIED)
    else:
        try:
            strip = aids.filmstrip(asset)
        except MediaError as error:
            return _plain(error.message, HTTPStatus.BAD_REQUEST)
        if strip is None:
            raise Http404("Sound has no filmstrip")
        response = FileResponse(default_storage.open(strip.key, "rb"), content_type="image/jpeg")
    response["ETag"] = etag
    immutable = request.GET.get("v") == token
    response["Cache-Control"] = (
        f"private, max-age={YEAR}, immutable" if immutable else "private, no-cache"
    )
    return response


@member_required("edits.view")
@require_GET
def frame(request: HttpRequest, membership: Membership, pk: int) -> HttpResponseBase:
    project = selectors.get_project_for_member(membership, pk)
    number, ratio, at = (request.GET.get(name, "") for name in ("v", "ratio", "t"))
    if not _VERSION.fullmatch(number):
        return _plain(_("Say which version: v=<number>."), HTTPStatus.BAD_REQUEST)
    version = selectors.get_version_for_member(membership, project.pk, int(number))
    if ratio not in RATIOS:
        return _plain(_("The ratio must be 9:16, 1:1, 4:5 or 16:9."), HTTPStatus.BAD_REQUEST)
    if not _SECONDS.fullmatch(at) or float(at) > MAX_TIMELINE_S:
        return _plain(
            _("The time must be seconds from 0 to %(max)d, like t=12.5.") % {"max": MAX_TIMELINE_S},
            HTTPStatus.BAD_REQUEST,
        )
    try:
        path = aids.preview_frame(
            workspace=membership.workspace, version=version, ratio=ratio, at=float(at)
        )
    except (EditorError, MediaError) as error:
        if isinstance(error, RenderError) and error.code not in ("invalid_document", "bad_input"):
            logger.warning("frame of version %s failed: %s", version.pk, error.detail[-500:])
            response = _plain(
                _("The preview couldn't be made; try again."), HTTPStatus.SERVICE_UNAVAILABLE
            )
            response["Retry-After"] = "5"
            return response
        return _plain(error.message, HTTPStatus.BAD_REQUEST)
    response = HttpResponse(path.read_bytes(), content_type="image/jpeg")
    response["Cache-Control"] = f"private, max-age={FRAME_MAX_AGE}"
    return response
