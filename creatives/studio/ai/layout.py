"""Designed ad images with Pillow: background, logo, product shot, headline and CTA button.

Both providers finish their images here: the offline provider on a brand-colour background,
the OpenAI provider on the picture the model drew (models still spell text badly, so the
headline and the button are always ours).

Invariants:
- the output is exactly the requested size;
- nothing but the background is drawn outside the safe area, whose margins follow Meta's
  advice for each aspect ratio (Stories/Reels keep ~14% at the top and ~20% at the bottom
  free of text and logos: https://www.facebook.com/business/help/980593475366490);
- the headline wraps on words (long words break) and shrinks until its ink, measured with
  ``FreeTypeFont.getbbox``, fits its box; at the smallest size, extra lines end in "…".

Font: DejaVu Sans Bold from the system when present (Debian's fonts-dejavu-core, wide
Latin/Greek/Cyrillic coverage), else Pillow's bundled default (``ImageFont.load_default(size)``,
Pillow ≥ 10.1 with FreeType, Latin only).
"""

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from creatives.studio.ai.base import AIBadOutputError, AIError

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
)
DEFAULT_COLOURS = ("#1F3A93", "#4A69BD", "#F5A623")
MIN_HEADLINE_PX = 28  # legible on a phone at 1080 px wide
LINE_SPACING = 1.12
ELLIPSIS = "…"

Box = tuple[int, int, int, int]  # left, top, right, bottom (right/bottom exclusive)
RGB = tuple[int, int, int]


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


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.TransposedFont:
    for path in FONT_CANDIDATES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


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


def aspect_kind(width: int, height: int) -> str:
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


def fit_text(text: str, width: int, height: int, max_px: int) -> tuple[int, list[str]]:
    """Return the largest font size (and its lines) at which ``text`` fits ``width``x``height``."""
    size = max(max_px, MIN_HEADLINE_PX)
    while True:
        face = font(size)
        lines = wrap(text, face, width)
        if len(lines) * _line_height(face, size) <= height or size <= MIN_HEADLINE_PX:
            break
        size = max(MIN_HEADLINE_PX, int(size * 0.92))
    max_lines = max(1, height // _line_height(face, size))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _ink_width(last + ELLIPSIS, face) > width:
            last = last[:-1].rstrip()
        lines[-1] = last + ELLIPSIS
    return size, lines


def _draw_text_block(
    draw: ImageDraw.ImageDraw, box: Box, text: str, max_px: int, colour: RGB, align: str
) -> tuple[Box | None, tuple[str, ...], int]:
    left, top, right, bottom = box
    size, lines = fit_text(text, right - left, bottom - top, max_px)
    face = font(size)
    line_h = _line_height(face, size)
    y = top + max(0, ((bottom - top) - line_h * len(lines)) // 2)
    ink: list[Box] = []
    for line in lines:
        x0, y0, x1, y1 = (int(v) for v in face.getbbox(line, anchor="la"))
        x = left - x0 if align == "left" else left + ((right - left) - (x1 - x0)) // 2 - x0
        draw.text((x, y), line, font=face, fill=colour, anchor="la")
        ink.append((x + x0, y + y0, x + x1, y + y1))
        y += line_h
    if not ink:
        return None, (), size
    union = (
        min(b[0] for b in ink),
        min(b[1] for b in ink),
        max(b[2] for b in ink),
        max(b[3] for b in ink),
    )
    return union, tuple(lines), size


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


def _scrim(canvas: Image.Image, top: int) -> None:
    """Darken the canvas from ``top`` downwards so white text reads over any picture."""
    height = canvas.height - top
    if height <= 0:
        return
    alpha = Image.linear_gradient("L").resize((canvas.width, height)).point(lambda v: int(v * 0.75))
    shade = Image.new("RGBA", (canvas.width, height), (0, 0, 0, 0))
    shade.putalpha(alpha)
    canvas.alpha_composite(shade, (0, top))


def _regions(kind: str, safe: Box, has_product: bool) -> tuple[Box, Box | None, Box, Box, str]:
    """Return logo, product, headline and CTA boxes plus the text alignment for a layout."""
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


def _draw_button(draw: ImageDraw.ImageDraw, band: Box, label: str, fill: RGB, align: str) -> Box:
    left, top, right, bottom = band
    height = bottom - top
    size = max(MIN_HEADLINE_PX, round(height * 0.42))
    pad = round(height * 0.6)
    face = font(size)
    while _ink_width(label, face) + 2 * pad > right - left and size > MIN_HEADLINE_PX:
        size -= 2
        face = font(size)
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
) -> tuple[Image.Image, Placement]:
    """Draw one ad image of exactly ``size`` and return it with where each element landed.

    ``picture`` (a generated scene) replaces the brand-colour background and gets a dark
    scrim under the text; ``product_image`` is placed in its own box on top.
    """
    width, height = size
    if not (200 <= width <= 4096 and 200 <= height <= 4096):
        raise AIError(_("Image sizes run from 200 to 4096 pixels a side."))
    palette = [parse_colour(c) for c in (colours or DEFAULT_COLOURS)]
    kind = aspect_kind(width, height)
    safe = safe_area(width, height)
    logo_box, product_box, headline_box, cta_box, align = _regions(
        kind, safe, product_image is not None
    )

    if picture is not None:
        canvas = _cover(picture, size)
        _scrim(canvas, headline_box[1] - round(height * 0.12))
        text_colour: RGB = (255, 255, 255)
    else:
        canvas = _background(size, palette[:2])
        average = tuple(sum(c[i] for c in palette[:2]) // len(palette[:2]) for i in range(3))
        text_colour = readable_on(average)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(canvas)

    placed_logo = _paste_contained(canvas, logo, logo_box, "logo", align) if logo else None
    placed_product = (
        _paste_contained(canvas, product_image, product_box, "product image", "center")
        if product_image and product_box
        else None
    )
    max_px = round(width * (0.10 if kind == "tall" else 0.085))
    placed_headline, lines, px = (
        _draw_text_block(draw, headline_box, headline, max_px, text_colour, align)
        if headline.strip()
        else (None, (), 0)
    )
    button_colour = palette[2] if len(palette) > 2 else readable_on(palette[0])
    placed_cta = _draw_button(draw, cta_box, cta, button_colour, align) if cta.strip() else None

    placement = Placement(
        kind=kind,
        safe=safe,
        headline=placed_headline,
        headline_lines=lines,
        headline_px=px,
        cta=placed_cta,
        logo=placed_logo,
        product=placed_product,
        headline_colour=text_colour,
    )
    return canvas.convert("RGB"), placement


def encode_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()
