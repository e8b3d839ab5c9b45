"""Images through Pillow: check, measure, re-encode and reframe.

Only JPEG, PNG, WebP and GIF are opened, each with the one Pillow plugin its magic bytes
named (``formats=``), after its header's dimensions passed our own limits. GIF is on the
list because Facebook Page photos take it (GRAPH_NOTES §3.2) and people have still GIFs;
animated GIF/WebP/PNG are refused, since every placement would show one frame: they should
arrive as video. Everything we write is a fresh encode (JPEG, or PNG when there is real
transparency) from pixels only: EXIF (GPS included), XMP, IPTC, ICC, comments and
anything appended after the image are gone, the EXIF orientation is applied to the pixels,
and colours are converted to sRGB, which Meta assumes (GRAPH_NOTES §2.2).
"""

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageFilter, ImageOps, UnidentifiedImageError

from creatives.library.media.errors import MediaRejected
from creatives.library.media.facts import MediaFacts
from creatives.library.media.formatting import format_pixels
from creatives.library.media.sniff import Sniffed, image_header_size

# Our own limits, checked on the header before Pillow decodes anything. 64 MP holds a
# 48 MP phone photo (8064 x 6048) and costs at most ~256 MB as RGBA; no placement wants
# more than 1440 px wide (GRAPH_NOTES §2.2). Pillow's own bomb check (89 MP warns, 179 MP
# raises) stays on underneath as a second line.
MAX_IMAGE_PIXELS = 64_000_000
MAX_IMAGE_SIDE = 16_384  # WebP's own ceiling is 16,383; a longer side is a crafted header
JPEG_QUALITY = 90
_MIN_JPEG_QUALITY = 60  # below this, shrinking to a size limit isn't worth the artefacts
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}
# EXIF orientation → counter-clockwise degrees a viewer turns the stored pixels.
_ORIENTATION_ROTATION = {1: 0, 2: 0, 3: 180, 4: 180, 5: 90, 6: 270, 7: 270, 8: 90}
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Frame:
    """How to fit a picture into a placement: output size and what to do with the rest."""

    width: int
    height: int
    fill: str  # "none" (just scale), "crop" (cover and cut) or "blur" (fit on a blurred copy)


def inspect_image(
    path: Path, sniffed: Sniffed, size_bytes: int, *, max_pixels: int, max_side: int
) -> MediaFacts:
    declared = image_header_size(path, sniffed.container)
    if declared is None:
        raise MediaRejected(
            f"This {sniffed.container.upper()} file's header is damaged, so its size can't be read.",
            code="corrupt",
        )
    check_dimensions(*declared, max_pixels=max_pixels, max_side=max_side)
    with open_image(path, sniffed) as image:
        image.verify()  # checksums and structure, without decoding
    with open_image(path, sniffed) as image:
        if getattr(image, "is_animated", False):
            raise MediaRejected(
                "Animated images aren't supported; upload the animation as a video (MP4).",
                code="unsupported_type",
            )
        image.load()  # decodes every pixel: a truncated file fails here
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
        return MediaFacts(
            kind="image",
            container=sniffed.container,
            content_type=sniffed.content_type,
            size_bytes=size_bytes,
            width=image.width,
            height=image.height,
            pixel_format=image.mode,
            rotation=_ORIENTATION_ROTATION.get(orientation, 0),
        )


def check_dimensions(width: int, height: int, *, max_pixels: int, max_side: int) -> None:
    if width <= 0 or height <= 0:
        raise MediaRejected(
            f"The image header says it is {format_pixels(width, height)}, which is not a picture.",
            code="dimensions",
        )
    if max(width, height) > max_side:
        raise MediaRejected(
            f"The image header says it is {format_pixels(width, height)}; the longest side "
            f"allowed is {max_side:,} px.",
            code="dimensions",
        )
    if width * height > max_pixels:
        raise MediaRejected(
            f"This image would expand to {width * height / 1e6:,.0f} megapixels in memory "
            f"({format_pixels(width, height)}); the limit is {max_pixels / 1e6:,.0f} megapixels.",
            code="decompression_bomb",
        )


@contextmanager
def open_image(path: Path, sniffed: Sniffed) -> Iterator[Image.Image]:
    """Open with the one plugin the magic bytes named, mapping Pillow's failures to ours."""
    try:
        with warnings.catch_warnings():
            # Our own limit is lower than the warning threshold; the warning is noise here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=[_PILLOW_FORMATS[sniffed.container]]) as image:
                yield image
    except MediaRejected:
        raise
    except Image.DecompressionBombError as error:
        raise MediaRejected(
            "This image would expand to too many pixels in memory (a decompression bomb).",
            code="decompression_bomb",
        ) from error
    except UnidentifiedImageError as error:
        raise MediaRejected(
            f"This file starts like a {sniffed.container.upper()} image but isn't a readable one.",
            code="corrupt",
        ) from error
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as error:
        raise _classify_pillow_error(error, sniffed.container) from error


def _classify_pillow_error(error: Exception, container: str) -> MediaRejected:
    text = str(error).lower()
    if "too large" in text:  # PNG text/ICC chunks over Pillow's decompression cap
        return MediaRejected(
            "This image hides a compressed block that expands far beyond its size (a "
            "decompression bomb).",
            code="decompression_bomb",
        )
    if isinstance(error, EOFError) or "truncated" in text or "end of file" in text:
        return MediaRejected(
            f"This {container.upper()} image is truncated: the file ends before the picture "
            "does. Upload it again, or export it again.",
            code="truncated",
        )
    return MediaRejected(
        f"This {container.upper()} image is damaged and can't be decoded.", code="corrupt"
    )


def upright_srgb(image: Image.Image) -> Image.Image:
    """Orientation applied, converted to sRGB, as RGB, or RGBA when transparency is used."""
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.point(lambda value: value / 256).convert("L")  # 16-bit grey → 8-bit
    mode = "RGBA" if has_alpha else "RGB"
    image = _to_srgb(image, icc, mode) if icc else image.convert(mode)
    if mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")  # an alpha channel that hides nothing
    return image


def _to_srgb(image: Image.Image, icc: bytes, mode: str) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image.convert(mode)  # a broken profile: the pixels are still usable
    return converted if converted is not None else image.convert(mode)


def save_image(
    image: Image.Image, dst: Path, *, container: str, max_bytes: int | None = None
) -> None:
    """Write pixels only (no EXIF, ICC or text chunks); shrink JPEG quality to fit ``max_bytes``."""
    if image.info:
        # Pillow writes some of ``info`` back on save (a JPEG's comment, for one): drop it all.
        image = image.copy()
        image.info = {}
    if container == "png":
        image.save(dst, format="PNG", compress_level=6)
        return
    if image.mode != "RGB":
        image = _flatten(image)
    quality = JPEG_QUALITY
    while True:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
        if max_bytes is None or buffer.tell() <= max_bytes or quality <= _MIN_JPEG_QUALITY:
            break
        quality -= 10
    dst.write_bytes(buffer.getvalue())


def _flatten(image: Image.Image) -> Image.Image:
    # JPEG has no alpha: composite on white, as a viewer on a light page would show it.
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def reframe(image: Image.Image, frame: Frame) -> Image.Image:
    """Scale to ``frame``'s size: as is, cropped to cover it, or fitted on a blurred copy."""
    size = (frame.width, frame.height)
    if frame.fill == "crop":
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    if frame.fill == "blur":
        # Blur a small copy and scale it up: the same look as blurring at full size, at a
        # fraction of the cost.
        small = (max(2, frame.width // 8), max(2, frame.height // 8))
        background = ImageOps.fit(image.convert("RGB"), small, Image.Resampling.BILINEAR)
        background = background.filter(ImageFilter.GaussianBlur(radius=3))
        canvas = background.resize(size, Image.Resampling.BILINEAR).convert(image.mode)
        foreground = ImageOps.contain(image, size, Image.Resampling.LANCZOS)
        left = (frame.width - foreground.width) // 2
        top = (frame.height - foreground.height) // 2
        canvas.paste(foreground, (left, top))
        return canvas
    return image.resize(size, Image.Resampling.LANCZOS)


def thumbnail(image: Image.Image, *, max_width: int) -> Image.Image:
    if image.width <= max_width:
        return image
    height = max(1, round(image.height * max_width / image.width))
    return image.resize((max_width, height), Image.Resampling.LANCZOS)
