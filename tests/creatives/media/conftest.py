"""Test media made on the fly: the ffmpeg binary imageio-ffmpeg ships, and Pillow.

``media("clip.mp4")`` returns the path of a named sample, generating it the first time a
test asks (so running one test makes only what it needs) into one session-wide temporary
directory. Every sample is tiny (at most 320 px, a few seconds) so the whole set is made in
a few seconds on two cores. The name's extension is part of the test: ``page.jpg`` is an
HTML page named like a JPEG.

Nothing here uses ``run_ffmpeg``: the samples are made by a plain subprocess, so the
library under test never vouches for its own inputs.
"""

import io
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image

RECIPES: dict[str, Callable[[Path, "Media"], None]] = {}


def recipe(
    name: str,
) -> Callable[[Callable[[Path, "Media"], None]], Callable[[Path, "Media"], None]]:
    def register(make: Callable[[Path, "Media"], None]) -> Callable[[Path, "Media"], None]:
        RECIPES[name] = make
        return make

    return register


class Media:
    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, name: str) -> Path:
        path = self.root / name
        if not path.exists():
            RECIPES[name](path, self)
        return path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    return Media(tmp_path_factory.mktemp("media"))


def ffmpeg(*args: str) -> None:
    command = [get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=120)  # noqa: S603


def pattern(width: int, height: int, seconds: float, fps: int = 25) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate={fps}:duration={seconds}"]


def sine(seconds: float, rate: int = 44100) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration={seconds}"]


H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "64k"]


# --- good video ---------------------------------------------------------------------------


@recipe("clip.mp4")
def _clip(path: Path, media: Media) -> None:
    # 320x180 (16:9), 2 s, 25 fps, H.264 + AAC mono 44.1 kHz, moov at the end (ffmpeg's default).
    ffmpeg(*pattern(320, 180, 2), *sine(2), *H264, *AAC, "-shortest", str(path))


@recipe("landscape_4s.mp4")
def _landscape(path: Path, media: Media) -> None:
    # Long enough for Instagram's 3 s minimum; 30 fps.
    ffmpeg(*pattern(320, 180, 4, fps=30), *sine(4), *H264, *AAC, "-shortest", str(path))


@recipe("silent_4s.mp4")
def _silent(path: Path, media: Media) -> None:
    ffmpeg(*pattern(320, 180, 4, fps=15), *H264, str(path))


@recipe("portrait_62s.mp4")
def _long(path: Path, media: Media) -> None:
    # 9:16 and 62 s: over the 60 s story limit, tiny so the transcode stays fast.
    ffmpeg(*pattern(90, 160, 62, fps=24), *sine(62), *H264, *AAC, "-shortest", str(path))


@recipe("rotated.mp4")
def _rotated(path: Path, media: Media) -> None:
    # A phone's portrait video: landscape pixels with a display matrix turning them -90°.
    ffmpeg("-display_rotation", "-90", "-i", str(media("clip.mp4")), "-c", "copy", str(path))


@recipe("clip.mov")
def _mov(path: Path, media: Media) -> None:
    ffmpeg(*pattern(160, 120, 2), *sine(2), *H264, *AAC, "-shortest", "-f", "mov", str(path))


@recipe("timecode.mov")
def _timecode(path: Path, media: Media) -> None:
    # A QuickTime timecode (tmcd) data track, as cameras and editors write.
    ffmpeg("-i", str(media("clip.mov")), "-c", "copy", "-timecode", "00:00:00:00", str(path))


@recipe("clip.webm")
def _webm(path: Path, media: Media) -> None:
    ffmpeg(
        *pattern(160, 90, 2, fps=30),
        *sine(2, rate=48000),
        "-c:v",
        "libvpx-vp9",
        "-pix_fmt",
        "yuv420p",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-c:a",
        "libopus",
        "-shortest",
        str(path),
    )


@recipe("video.jpg")
def _video_named_jpg(path: Path, media: Media) -> None:
    path.write_bytes(media("clip.mp4").read_bytes())


# --- good audio ---------------------------------------------------------------------------


@recipe("tone.mp3")
def _mp3(path: Path, media: Media) -> None:
    ffmpeg(*sine(2), "-c:a", "libmp3lame", "-b:a", "64k", str(path))


@recipe("tone.m4a")
def _m4a(path: Path, media: Media) -> None:
    ffmpeg(*sine(2), *AAC, str(path))


@recipe("tone.wav")
def _wav(path: Path, media: Media) -> None:
    ffmpeg(*sine(2), str(path))


@recipe("tone.ogg")
def _ogg(path: Path, media: Media) -> None:
    ffmpeg(*sine(2), "-c:a", "libvorbis", str(path))


@recipe("tone.aac")
def _adts(path: Path, media: Media) -> None:
    ffmpeg(*sine(2), *AAC, "-f", "adts", str(path))


@recipe("tone.flac")
def _flac(path: Path, media: Media) -> None:
    ffmpeg(*sine(2), str(path))


@recipe("cover_art.mp3")
def _cover_art(path: Path, media: Media) -> None:
    # An MP3 with an embedded picture: ffmpeg shows it as a video stream marked attached_pic.
    ffmpeg(
        *sine(2),
        "-i",
        str(media("photo_plain.jpg")),
        "-map",
        "0:a",
        "-map",
        "1:v",
        "-c:a",
        "libmp3lame",
        "-c:v",
        "copy",
        "-disposition:v",
        "attached_pic",
        "-id3v2_version",
        "3",
        str(path),
    )


# --- good images --------------------------------------------------------------------------

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def exif_with(orientation: int | None = None, gps: bool = False) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    return exif


def marked_image(width: int, height: int) -> Image.Image:
    """Grey, with a red block in the top-left corner: orientation is checkable by pixel."""
    image = Image.new("RGB", (width, height), (128, 128, 128))
    image.paste((255, 0, 0), (0, 0, width // 4, height // 4))
    return image


@recipe("photo.jpg")
def _photo(path: Path, media: Media) -> None:
    # Stored 64x48 with EXIF orientation 6 ("rotate 90° clockwise to view"): shown 48x64.
    marked_image(64, 48).save(path, "JPEG", quality=95, exif=exif_with(orientation=6, gps=True))


@recipe("photo_plain.jpg")
def _photo_plain(path: Path, media: Media) -> None:
    marked_image(64, 48).save(path, "JPEG", quality=95)


@recipe("photo.png")
def _photo_as_png(path: Path, media: Media) -> None:
    # A JPEG named .png: the name is wrong, the content is fine.
    path.write_bytes(media("photo_plain.jpg").read_bytes())


@recipe("alpha.png")
def _alpha(path: Path, media: Media) -> None:
    image = Image.new("RGBA", (40, 40), (0, 0, 255, 0))
    image.paste((0, 0, 255, 255), (10, 10, 30, 30))
    image.save(path, "PNG")


@recipe("opaque_alpha.png")
def _opaque_alpha(path: Path, media: Media) -> None:
    Image.new("RGBA", (40, 40), (0, 200, 0, 255)).save(path, "PNG")


@recipe("photo.webp")
def _webp(path: Path, media: Media) -> None:
    marked_image(50, 30).save(path, "WEBP", quality=80)


@recipe("still.gif")
def _gif(path: Path, media: Media) -> None:
    marked_image(30, 20).convert("P").save(path, "GIF")


@recipe("square.jpg")
def _square(path: Path, media: Media) -> None:
    marked_image(300, 300).save(path, "JPEG", quality=90)


@recipe("wide.png")
def _wide(path: Path, media: Media) -> None:
    marked_image(320, 120).save(path, "PNG")  # 8:3, wider than 1.91:1


# --- bad files ----------------------------------------------------------------------------


@recipe("empty.mp4")
def _empty(path: Path, media: Media) -> None:
    path.write_bytes(b"")


def png_bytes(
    width: int, height: int, idat: bytes, *, bit_depth: int = 1, color_type: int = 0
) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def zeros_idat(width: int, height: int) -> bytes:
    # 1-bit greyscale rows of zeros (plus each row's filter byte), compressed as they'd be
    # in a real bomb: a few KB that inflate to tens of MB.
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    out = [compressor.compress(row) for _ in range(height)]
    out.append(compressor.flush())
    return b"".join(out)


@recipe("bomb.png")
def _bomb(path: Path, media: Media) -> None:
    # 12,000 x 12,000 = 144 MP: over our 64 MP limit, sides under the 16,384 px one.
    path.write_bytes(png_bytes(12_000, 12_000, zeros_idat(12_000, 12_000)))


@recipe("pillow_bomb.png")
def _pillow_bomb(path: Path, media: Media) -> None:
    # 14,000 x 14,000 = 196 MP: over twice Pillow's MAX_IMAGE_PIXELS, so Pillow itself raises.
    path.write_bytes(png_bytes(14_000, 14_000, zeros_idat(14_000, 14_000)))


@recipe("huge_header.png")
def _huge_png(path: Path, media: Media) -> None:
    # A header declaring 65,535 x 65,535 px over no real data.
    path.write_bytes(png_bytes(65_535, 65_535, zlib.compress(b"\x00" * 64)))


@recipe("huge_header.jpg")
def _huge_jpeg(path: Path, media: Media) -> None:
    # A real JPEG whose start-of-frame header is rewritten to 60,000 x 60,000 px.
    data = bytearray(media("photo_plain.jpg").read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    path.write_bytes(bytes(data))


@recipe("truncated.mp4")
def _truncated(path: Path, media: Media) -> None:
    # moov at the front (faststart), media data cut off: the index points past the end.
    full = path.with_name("faststart_full.mp4")
    ffmpeg("-i", str(media("clip.mp4")), "-c", "copy", "-movflags", "+faststart", str(full))
    data = full.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])


@recipe("unfinished.mp4")
def _unfinished(path: Path, media: Media) -> None:
    # moov at the end, cut off before it: what an interrupted recording or upload leaves.
    data = media("clip.mp4").read_bytes()
    path.write_bytes(data[: len(data) // 2])


@recipe("truncated.webm")
def _truncated_webm(path: Path, media: Media) -> None:
    data = media("clip.webm").read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])


@recipe("truncated.wav")
def _truncated_wav(path: Path, media: Media) -> None:
    data = media("tone.wav").read_bytes()
    path.write_bytes(data[: len(data) // 2])


@recipe("truncated.jpg")
def _truncated_jpg(path: Path, media: Media) -> None:
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 60).convert("RGB").save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue()[: buffer.tell() // 2])


@recipe("bad_crc.png")
def _bad_crc(path: Path, media: Media) -> None:
    data = bytearray(png_bytes(8, 8, zeros_idat(8, 8)))
    data[-20] ^= 0xFF  # a byte of the IDAT checksum
    path.write_bytes(bytes(data))


@recipe("page.jpg")
def _html(path: Path, media: Media) -> None:
    path.write_text("<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n")


@recipe("playlist.mp4")
def _playlist(path: Path, media: Media) -> None:
    path.write_text(
        "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    )


HLS = b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nconcat:file:///etc/passwd|subfile,,start,0,end,64,,:/etc/hosts\n#EXT-X-ENDLIST\n"


@recipe("hls_inside.mp4")
def _hls_inside(path: Path, media: Media) -> None:
    # A valid MP4 with a playlist in a trailing `free` box: still a well-formed MP4.
    box = struct.pack(">I", 8 + len(HLS)) + b"free" + HLS
    path.write_bytes(media("clip.mp4").read_bytes() + box)


@recipe("hls_inside.avi")
def _hls_avi(path: Path, media: Media) -> None:
    ffmpeg(*pattern(64, 48, 1), "-c:v", "mjpeg", str(path.with_name("plain.avi")))
    path.write_bytes(path.with_name("plain.avi").read_bytes() + HLS)


@recipe("script_inside.png")
def _script_png(path: Path, media: Media) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>fetch('/steal')</script>")
    marked_image(20, 20).save(path, "PNG", pnginfo=info)


@recipe("html_appended.jpg")
def _html_appended(path: Path, media: Media) -> None:
    path.write_bytes(
        media("photo_plain.jpg").read_bytes() + b"<html><script>alert(1)</script></html>"
    )


@recipe("subtitles.mp4")
def _subtitles(path: Path, media: Media) -> None:
    srt = path.with_name("subs.srt")
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    ffmpeg(
        "-i", str(media("clip.mp4")), "-i", str(srt), "-c", "copy", "-c:s", "mov_text", str(path)
    )


@recipe("clip.mkv")
def _mkv(path: Path, media: Media) -> None:
    ffmpeg("-i", str(media("clip.mp4")), "-c", "copy", "-f", "matroska", str(path))


@recipe("mpeg2.mp4")
def _mpeg2(path: Path, media: Media) -> None:
    ffmpeg(*pattern(160, 90, 1), "-c:v", "mpeg2video", str(path))


@recipe("mp2.mp3")
def _mp2(path: Path, media: Media) -> None:
    ffmpeg(*sine(1), "-c:a", "mp2", "-f", "mp2", str(path))


@recipe("too_wide.mp4")
def _too_wide(path: Path, media: Media) -> None:
    # 8,320 px wide (8K UHD is 7,680): one tiny frame.
    ffmpeg("-f", "lavfi", "-i", "color=size=8320x16:rate=1:duration=1", *H264, str(path))


@recipe("animated.gif")
def _animated(path: Path, media: Media) -> None:
    frames = [
        Image.new("RGB", (10, 10), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))
    ]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


@recipe("photo.heic")
def _heic(path: Path, media: Media) -> None:
    # The start of an HEIF file: an ftyp box with the "heic" brand.
    path.write_bytes(
        struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    )


@recipe("document.pdf.mp4")
def _pdf(path: Path, media: Media) -> None:
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
