"""Where things go in an ad frame, at every aspect ratio: one geometry for stills and videos.

Both the image layout (``ai/layout.py``, Pillow) and the video composer (``compose/text.py``,
libass) place their elements with these boxes, so a caption can never land on a headline or
a product shot drawn by the other.

- ``safe_area``: text and logos stay inside it. Its margins follow Meta's advice per aspect
  ratio (Stories/Reels keep ~14% at the top and ~20% at the bottom free of text and logos:
  https://www.facebook.com/business/help/980593475366490).
- ``bottom_band``: the bottom of the safe area. A still ad puts its CTA button there; a video
  shows its captions there, and nothing else is drawn in it.
- ``content_area``: the safe area above the bottom band, where a picture's logo, headline and
  product go. For a video frame it is shrunk further by ``motion_safe``: the composer zooms
  pictures up to ``1 + MOTION_ZOOM`` about the centre and pans them sideways by up to
  ``MOTION_ZOOM`` of the width, and whatever is drawn in the content area stays inside the safe
  area and above the caption band through every motion.

Boxes are (left, top, right, bottom) pixels, right and bottom exclusive.
"""

import math

Box = tuple[int, int, int, int]

MOTION_ZOOM = 0.12  # the composer's zoom travel, and the zoom a pan holds to have room to move
CAPTION_BAND = 0.20  # of the width: three caption lines at the base size, boxed
BAND_GAP = 0.02  # of the height, kept empty between the content area and the bottom band
_CTA_BAND = {"tall": 0.10, "portrait": 0.13, "square": 0.13}  # of the safe height


def aspect_kind(width: int, height: int) -> str:
    """Return "tall" (9:16), "portrait" (4:5) or "square" (1:1 and wider)."""
    ratio = height / width
    if ratio >= 1.5:
        return "tall"
    if ratio >= 1.1:
        return "portrait"
    return "square"


def safe_area(width: int, height: int) -> Box:
    """Return the box text and logos must stay inside, per aspect ratio."""
    if aspect_kind(width, height) == "tall":
        side = round(width * 0.06)
        return (side, round(height * 0.14), width - side, height - round(height * 0.20))
    margin = round(min(width, height) * 0.06)
    return (margin, margin, width - margin, height - margin)


def bottom_band(width: int, height: int, *, video: bool) -> Box:
    """Return the captions' band (``video``) or the CTA button's band (a still)."""
    left, top, right, bottom = safe_area(width, height)
    if video:
        band = round(width * CAPTION_BAND)
    else:
        band = round((bottom - top) * _CTA_BAND[aspect_kind(width, height)])
    return (left, bottom - band, right, bottom)


def content_area(width: int, height: int, *, video: bool) -> Box:
    """Return where a picture's own elements go: the safe area above the bottom band.

    For a video frame the box is also ``motion_safe``, so the composer's zooms and pans keep
    everything in it inside the safe area and clear of the caption band.
    """
    left, top, right, _bottom = safe_area(width, height)
    if not video:
        return (left, top, right, bottom_band(width, height, video=False)[1])
    band_top = bottom_band(width, height, video=True)[1]
    return motion_safe((left, top, right, band_top - round(height * BAND_GAP)), width, height)


def motion_safe(box: Box, width: int, height: int, zoom: float = MOTION_ZOOM) -> Box:
    """Return the part of ``box`` that every zoom and pan of the frame keeps inside ``box``.

    A zoom scales the picture by up to ``1 + zoom`` about the frame's centre; a pan holds that
    scale and slides the picture by up to ``zoom / 2`` of the width either side of centre. Both
    are monotonic in the scale, so the extremes (no motion, and the largest one) bound every
    frame in between.
    """
    scale = 1 + zoom
    shift = zoom * width / 2
    cx, cy = width / 2, height / 2
    left = max(box[0], math.ceil(cx + (box[0] - cx + shift) / scale))
    right = min(box[2], math.floor(cx + (box[2] - cx - shift) / scale))
    top = max(box[1], math.ceil(cy + (box[1] - cy) / scale))
    bottom = min(box[3], math.floor(cy + (box[3] - cy) / scale))
    return (left, top, right, bottom)


def intersects(a: Box, b: Box) -> bool:
    """Return whether two boxes share at least one pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
