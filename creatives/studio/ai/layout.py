"""Designed ad images with Pillow: background, logo, product shot, headline and CTA button.

Both providers finish their images here: the offline provider on a brand-colour background,
the OpenAI provider on the picture the model drew (models still spell text badly, so the
headline and the button are always ours).

Invariants:
- the output is exactly the requested size;
- nothing but the background is drawn outside the safe area (``creatives.studio.frames``,
  Meta's margins per aspect ratio);
- the headline wraps on words (long words break) and shrinks until its ink, measured with
  ``FreeTypeFont.getbbox``, fits its box; when it does not fit even at the smallest readable
  size, the line is shortened (by the provider's ``shorten``, else ``copyedit``'s rules) and
  fitted again. Nothing is ever cut with "…";
- a video frame (``video=True``) keeps the bottom band of the safe area empty for the
  captions the composer draws there, puts the headline at the top and the product between
  them, all inside ``frames.content_area``, which the composer's zooms and pans cannot carry
  out of the safe area or into the caption band. It has no CTA button: the end card has it.

Font: DejaVu Sans Bold from the system when present (Debian's fonts-dejavu-core, wide
Latin/Greek/Cyrillic coverage), else Pillow's bundled default (``ImageFont.load_default(size)``,
Pillow ≥ 10.1 with FreeType, Latin only).
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from creatives.studio import frames
from creatives.studio.ai import copyedit
from creatives.studio.ai.base import AIBadOutputError, AIError
from creatives.studio.compose import text as compose_text

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
)
DEFAULT_COLOURS = ("#1F3A93", "#4A69BD", "#F5A623")
MIN_HEADLINE_PX = 28  # legible on a phone at 1080 px wide
MAX_HEADLINE_LINES = 6  # more is a paragraph, not a headline: shorten it instead
LINE_SPACING = 1.12
SHORTEN_ATTEMPTS = 3  # asks to the provider for a shorter line before the rules take over
PANEL_ALPHA = 150  # the translucent panel that keeps a headline readable on a photo
PANEL_PAD = 0.025  # of the width, around the headline on that panel

Box = frames.Box  # left, top, right, bottom (right/bottom exclusive)
RGB = tuple[int, int, int]
Shorten = Callable[[str, int], str]  # (line, max characters) -> a shorter line


@dataclass(frozen=True)
class Placement:
    """Where each element landed; every box lies inside ``safe``."""

    kind: str  # "tall" (9:16), "portrait" (4:5), "square" (1:1 and wider)
    safe: Box
    headline: Box | None
    headline_lines: tuple[str, ...]
    headline_px: int
    cta: Box | None
    logo: Box | None
    product: Box | None
    headline_colour: RGB
    headline_text: str = ""  # what was drawn: the headline, or the shorter line that fitted
    bottom: Box | None = None  # the band kept for the CTA button (still) or captions (video)


@lru_cache(maxsize=64)
def font(size: int, script: str = "latin") -> ImageFont.FreeTypeFont | ImageFont.TransposedFont:
    """Return DejaVu at ``size``, or the installed CJK face for ``script`` ("ja", "ko", "zh")."""
    cjk = compose_text.cjk_face(script) if script != "latin" else None
    if cjk is not None:
        return ImageFont.truetype(str(cjk.file), size, index=cjk.index)
    for path in FONT_CANDIDATES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def font_for(size: int, words: str) -> ImageFont.FreeTypeFont | ImageFont.TransposedFont:
    """Return the face that draws ``words`` (a CJK face for Chinese, Japanese or Korean)."""
    return font(size, compose_text.text_script(words))


def parse_colour(value: str) -> RGB:
    """Return (r, g, b) for "#RRGGBB" or "#RGB"; raise AIError otherwise."""
    raw = value.strip().lstrip("#")
    if len(raw) == 3:
        raw = "".join(c * 2 for c in raw)
    try:
        if len(raw) != 6:
            raise ValueError(raw)
        return (int(raw[0:2], 16), int(raw[2:4], 16), int(raw[4:6], 16))
    except ValueError:
        raise AIError(
            _("“%(value)s” is not a hex colour like #1F3A93.") % {"value": value}
        ) from None


def _luminance(rgb: RGB) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """Return the WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on(background: RGB) -> RGB:
    white, ink = (255, 255, 255), (17, 17, 17)
    return white if contrast(white, background) >= contrast(ink, background) else ink


aspect_kind = frames.aspect_kind
safe_area = frames.safe_area


# --- Text fitting ------------------------------------------------------------------------------


def _ink_width(text: str, face: ImageFont.FreeTypeFont | ImageFont.TransposedFont) -> int:
    left, _top, right, _bottom = face.getbbox(text)
    return int(right - left)


def _break_word(
    word: str, face: ImageFont.FreeTypeFont | ImageFont.TransposedFont, width: int
) -> list[str]:
    pieces, current = [], ""
    for char in word:
        if current and _ink_width(current + char, face) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


def wrap(
    text: str, face: ImageFont.FreeTypeFont | ImageFont.TransposedFont, width: int
) -> list[str]:
    """Return lines no wider than ``width`` px, breaking on spaces and inside long words."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _ink_width(candidate, face) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if _ink_width(word, face) <= width:
            current = word
        else:
            *full, current = _break_word(word, face, width)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines


def _line_height(face: ImageFont.FreeTypeFont | ImageFont.TransposedFont, size: int) -> int:
    ascent, descent = face.getmetrics()  # type: ignore[union-attr]
    return max(round((ascent + descent) * LINE_SPACING), size)


def fit_text(text: str, width: int, height: int, max_px: int) -> tuple[int, list[str]] | None:
    """Return the largest font size (and its lines) at which ``text`` fits ``width``x``height``.

    None when it does not fit even at ``MIN_HEADLINE_PX`` in ``MAX_HEADLINE_LINES``: the
    caller shortens the line.
    """
    size = max(max_px, MIN_HEADLINE_PX)
    while True:
        face = font_for(size, text)
        lines = wrap(text, face, width)
        if len(lines) <= MAX_HEADLINE_LINES and len(lines) * _line_height(face, size) <= height:
            return size, lines
        if size <= MIN_HEADLINE_PX:
            return None
        size = max(MIN_HEADLINE_PX, int(size * 0.92))


def _room(text: str, width: int, height: int) -> int:
    """Return about how many characters of ``text`` fit the box at the smallest size."""
    face = font_for(MIN_HEADLINE_PX, text)
    room = min(MAX_HEADLINE_LINES, height // _line_height(face, MIN_HEADLINE_PX))
    lines = wrap(text, face, width)[: max(1, room)]
    return max(1, int(sum(len(line) + 1 for line in lines) * 0.9))


def fit_headline(
    text: str, width: int, height: int, max_px: int, shorten: Shorten | None = None
) -> tuple[str, int, list[str]]:
    """Return the line to draw, its size and its lines: ``text`` itself when it fits.

    Otherwise ``shorten`` is asked for a line under a character budget (each ask with a
    smaller budget), and when nothing it offers fits, ``copyedit.shorten_by_rules`` shrinks
    the budget until its line fits. The result never ends in an ellipsis it was not given.
    """
    text = " ".join(text.split())
    fitted = fit_text(text, width, height, max_px)
    if fitted is not None:
        return text, *fitted
    room = _room(text, width, height)
    budget = room
    for _attempt in range(SHORTEN_ATTEMPTS if shorten is not None else 0):
        shorter = " ".join(shorten(text, budget).split()) if shorten is not None else ""
        fitted = fit_text(shorter, width, height, max_px) if shorter else None
        added_ellipsis = copyedit.has_ellipsis(shorter) and not copyedit.has_ellipsis(text)
        if fitted is not None and not added_ellipsis:
            return shorter, *fitted
        budget = max(1, int(budget * 0.8))
    budget = room
    while True:
        shorter = copyedit.shorten_by_rules(text, budget)
        fitted = fit_text(shorter, width, height, max_px)
        if fitted is not None or budget == 1:
            break
        budget = max(1, int(budget * 0.85))
    if fitted is None:  # pragma: no cover - one character always fits a box this size
        raise AIError(_("The headline box is too small for any text."))
    return shorter, *fitted


def _place_lines(box: Box, lines: list[str], size: int, align: str) -> list[tuple[int, int]]:
    """Return the anchor of each line: the block centred vertically, aligned as asked."""
    left, top, right, bottom = box
    face = font_for(size, " ".join(lines))
    line_h = _line_height(face, size)
    y = top + max(0, ((bottom - top) - line_h * len(lines)) // 2)
    anchors = []
    for line in lines:
        x0, _y0, x1, _y1 = (int(v) for v in face.getbbox(line, anchor="la"))
        x = left - x0 if align == "left" else left + ((right - left) - (x1 - x0)) // 2 - x0
        anchors.append((x, y))
        y += line_h
    return anchors


def _ink_box(lines: list[str], size: int, anchors: list[tuple[int, int]]) -> Box | None:
    face = font_for(size, " ".join(lines))
    ink = [
        (x + int(b[0]), y + int(b[1]), x + int(b[2]), y + int(b[3]))
        for line, (x, y) in zip(lines, anchors, strict=True)
        for b in [face.getbbox(line, anchor="la")]
    ]
    if not ink:
        return None
    return (
        min(b[0] for b in ink),
        min(b[1] for b in ink),
        max(b[2] for b in ink),
        max(b[3] for b in ink),
    )


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    size: int,
    anchors: list[tuple[int, int]],
    colour: RGB,
) -> None:
    face = font_for(size, " ".join(lines))
    for line, anchor in zip(lines, anchors, strict=True):
        draw.text(anchor, line, font=face, fill=colour, anchor="la")


# --- Images ------------------------------------------------------------------------------------


def _open(data: bytes, what: str, error: type[AIError] = AIError) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG", "WEBP"])
        image.load()
    except (UnidentifiedImageError, OSError):
        raise error(
            _("The %(what)s is not a readable PNG, JPEG or WebP image.") % {"what": what}
        ) from None
    return ImageOps.exif_transpose(image).convert("RGBA")


def _paste_contained(canvas: Image.Image, data: bytes, box: Box, what: str, align: str) -> Box:
    image = _open(data, what)
    image.thumbnail((box[2] - box[0], box[3] - box[1]), Image.Resampling.LANCZOS)
    x = box[0] if align == "left" else box[0] + ((box[2] - box[0]) - image.width) // 2
    y = box[1] + ((box[3] - box[1]) - image.height) // 2
    canvas.alpha_composite(image, (x, y))
    return (x, y, x + image.width, y + image.height)


def _background(size: tuple[int, int], colours: list[RGB]) -> Image.Image:
    first = Image.new("RGBA", size, (*colours[0], 255))
    if len(colours) < 2:
        return first
    second = Image.new("RGBA", size, (*colours[1], 255))
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(second, first, mask)


def _cover(data: bytes, size: tuple[int, int]) -> Image.Image:
    image = _open(data, "generated image", AIBadOutputError)
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS)


def _panel(canvas: Image.Image, ink: Box, limit: Box, pad: int) -> None:
    """Darken a rounded panel behind ``ink`` (kept inside ``limit``) so text reads on a photo."""
    box = (
        max(limit[0], ink[0] - pad),
        max(limit[1], ink[1] - pad),
        min(limit[2], ink[2] + pad),
        min(limit[3], ink[3] + pad),
    )
    shade = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    ImageDraw.Draw(shade).rounded_rectangle(
        (box[0], box[1], box[2] - 1, box[3] - 1), radius=pad, fill=(0, 0, 0, PANEL_ALPHA)
    )
    canvas.alpha_composite(shade)


def _regions(kind: str, safe: Box, has_product: bool) -> tuple[Box, Box | None, Box, Box, str]:
    """Return logo, product, headline and CTA boxes plus the text alignment for a still ad."""
    sx0, sy0, sx1, sy1 = safe
    sw, sh = sx1 - sx0, sy1 - sy0

    def y(fraction: float) -> int:
        return sy0 + round(sh * fraction)

    cta = (sx0, sy1 - round(sh * (0.10 if kind == "tall" else 0.13)), sx1, sy1)
    if kind == "tall":
        logo = (sx0, sy0, sx1, y(0.09))
        product = (sx0, y(0.13), sx1, y(0.50)) if has_product else None
        headline = (sx0, y(0.54) if has_product else y(0.16), sx1, y(0.85))
        return logo, product, headline, cta, "center"
    logo = (sx0, sy0, sx0 + round(sw * 0.4), y(0.12))
    if kind == "portrait":
        product = (sx0, y(0.16), sx1, y(0.52)) if has_product else None
        headline = (sx0, y(0.55) if has_product else y(0.18), sx1, y(0.83))
        return logo, product, headline, cta, "left"
    if has_product:
        product = (sx0 + round(sw * 0.54), y(0.16), sx1, y(0.82))
        headline = (sx0, y(0.16), sx0 + round(sw * 0.50), y(0.82))
    else:
        product, headline = None, (sx0, y(0.16), sx1, y(0.82))
    return logo, product, headline, cta, "left"


def _video_regions(content: Box, has_logo: bool, has_product: bool) -> tuple[Box, Box | None, Box]:
    """Return logo, product and headline boxes for a video frame, stacked top to bottom.

    The headline takes the top of the content area, the product the rest below it; the
    captions' band (below the content area) stays empty.
    """
    cx0, cy0, cx1, cy1 = content
    ch = cy1 - cy0

    def y(fraction: float) -> int:
        return cy0 + round(ch * fraction)

    logo = (cx0, cy0, cx1, y(0.09))
    top = y(0.12) if has_logo else cy0
    if not has_product:
        return logo, None, (cx0, top, cx1, cy1)
    return logo, (cx0, y(0.52), cx1, cy1), (cx0, top, cx1, y(0.48))


def _draw_button(draw: ImageDraw.ImageDraw, band: Box, label: str, fill: RGB, align: str) -> Box:
    left, top, right, bottom = band
    height = bottom - top
    size = max(MIN_HEADLINE_PX, round(height * 0.42))
    pad = round(height * 0.6)
    face = font_for(size, label)
    while _ink_width(label, face) + 2 * pad > right - left and size > MIN_HEADLINE_PX:
        size -= 2
        face = font_for(size, label)
    while label and _ink_width(label, face) + 2 * pad > right - left:
        label = label[:-1]
    width = min(right - left, _ink_width(label, face) + 2 * pad)
    x = left if align == "left" else left + ((right - left) - width) // 2
    button = (x, top, x + width, bottom)
    draw.rounded_rectangle(
        (button[0], button[1], button[2] - 1, button[3] - 1), radius=height // 2, fill=fill
    )
    draw.text(
        ((button[0] + button[2]) // 2, (button[1] + button[3]) // 2),
        label,
        font=face,
        fill=readable_on(fill),
        anchor="mm",
    )
    return button


def render_creative(
    *,
    size: tuple[int, int],
    colours: tuple[str, ...],
    headline: str,
    cta: str,
    logo: bytes | None = None,
    product_image: bytes | None = None,
    picture: bytes | None = None,
    video: bool = False,
    shorten: Shorten | None = None,
) -> tuple[Image.Image, Placement]:
    """Draw one ad image of exactly ``size`` and return it with where each element landed.

    ``picture`` (a generated scene) replaces the brand-colour background and gets a
    translucent panel behind the headline; ``product_image`` is placed in its own box on top.
    ``video``: a frame for the composer (see the module docstring; ``cta`` is not drawn).
    ``shorten`` is asked for a shorter line when the headline does not fit.
    """
    width, height = size
    if not (200 <= width <= 4096 and 200 <= height <= 4096):
        raise AIError(_("Image sizes run from 200 to 4096 pixels a side."))
    palette = [parse_colour(c) for c in (colours or DEFAULT_COLOURS)]
    kind = aspect_kind(width, height)
    safe = safe_area(width, height)
    has_product = product_image is not None
    if video:
        logo_box, product_box, headline_box = _video_regions(
            frames.content_area(width, height, video=True), logo is not None, has_product
        )
        cta_box, align, cta = None, "center", ""
    else:
        logo_box, product_box, headline_box, cta_box, align = _regions(kind, safe, has_product)

    if picture is not None:
        canvas = _cover(picture, size)
        text_colour: RGB = (255, 255, 255)
    else:
        canvas = _background(size, palette[:2])
        average = tuple(sum(c[i] for c in palette[:2]) // len(palette[:2]) for i in range(3))
        text_colour = readable_on(average)  # type: ignore[arg-type]

    placed_logo = _paste_contained(canvas, logo, logo_box, "logo", align) if logo else None
    placed_product = (
        _paste_contained(canvas, product_image, product_box, "product image", "center")
        if product_image and product_box
        else None
    )
    max_px = round(width * (0.10 if kind == "tall" else 0.085))
    placed_headline: Box | None = None
    lines: list[str] = []
    anchors: list[tuple[int, int]] = []
    px, drawn_text = 0, ""
    if headline.strip():
        # On a photo the text sits on a panel, which needs room around it inside the box.
        pad = max(8, round(width * PANEL_PAD)) if picture is not None else 0
        hx0, hy0, hx1, hy1 = text_box = (
            headline_box[0] + pad,
            headline_box[1] + pad,
            headline_box[2] - pad,
            headline_box[3] - pad,
        )
        drawn_text, px, lines = fit_headline(headline, hx1 - hx0, hy1 - hy0, max_px, shorten)
        anchors = _place_lines(text_box, lines, px, align)
        placed_headline = _ink_box(lines, px, anchors)
        if pad and placed_headline is not None:
            _panel(canvas, placed_headline, headline_box, pad=pad)
    draw = ImageDraw.Draw(canvas)
    if lines:
        _draw_lines(draw, lines, px, anchors, text_colour)
    button_colour = palette[2] if len(palette) > 2 else readable_on(palette[0])
    placed_cta = (
        _draw_button(draw, cta_box, cta, button_colour, align)
        if cta.strip() and cta_box is not None
        else None
    )

    placement = Placement(
        kind=kind,
        safe=safe,
        headline=placed_headline,
        headline_lines=tuple(lines),
        headline_px=px,
        cta=placed_cta,
        logo=placed_logo,
        product=placed_product,
        headline_colour=text_colour,
        headline_text=drawn_text,
        bottom=frames.bottom_band(width, height, video=video),
    )
    return canvas.convert("RGB"), placement


def encode_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()
