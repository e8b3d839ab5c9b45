"""What a file is, from its first bytes, and whether it hides something else.

Never the name, the extension or the client's content type: ``sniff_file`` reads magic
numbers and answers with one of the containers we accept, or refuses with a message that
says what the file really is ("an HTML page", "an AVI video"). ``scan_for_polyglot`` looks
for a second format hidden inside an accepted one: an HLS playlist (``#EXTM3U``, the marker
ffmpeg's HLS demuxer probes for; the 2017 ffmpeg local-file-read exploits hid one inside a
video) or markup a browser would run. ``image_header_size`` reads the declared dimensions
of an image before any decoder touches it.
"""

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from creatives.library.media.errors import MediaRejected

HEAD_BYTES = 4096
_SCAN_CHUNK = 1024 * 1024
_MARKUP_WINDOW = 64 * 1024  # how far from each end markup is looked for in audio/video
_HLS_MARKER = b"#EXTM3U"
_MARKUP_MARKERS = (b"<html", b"<script", b"<!doctype html", b"<?php")
# Elements a browser runs or embeds, and any tag with an event handler (``<img onerror=``).
# Each needs a delimiter after the name, so random bytes in compressed media rarely match.
_ACTIVE_MARKUP = re.compile(
    rb"<(?:svg|iframe|object|embed|frame|frameset|math)[\s/>]"
    rb"|<[a-z][a-z0-9-]{0,15}[\s/][^<>]{0,200}?(?<=[\s/\"'])on[a-z]{3,25}\s*="
)
# Bytes kept from the previous chunk, so that no marker or match is split between two chunks.
_CARRY_BYTES = 256

IMAGE_CONTAINERS = frozenset({"jpeg", "png", "webp", "gif"})
AV_CONTAINERS = frozenset({"mp4", "mov", "m4a", "webm", "ogg", "flac", "mp3", "aac", "wav"})

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "m4a": "audio/mp4",
    "webm": "video/webm",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "wav": "audio/wav",
}

# The PyAV/ffmpeg demuxer each container is opened with. Naming it means ffmpeg never
# guesses a format from the content, so the HLS, concat or image2 demuxers can't be chosen
# by a crafted file.
DEMUXERS = {
    "mp4": "mov",
    "mov": "mov",
    "m4a": "mov",
    "webm": "matroska",
    "ogg": "ogg",
    "flac": "flac",
    "mp3": "mp3",
    "aac": "aac",
    "wav": "wav",
}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

_NOT_MEDIA = "This file is {what}, not an image, video or audio file, whatever its name says."
_EXPORT_VIDEO = "Export it as MP4 (H.264) and upload that."
_EXPORT_IMAGE = "Save it as JPEG or PNG and upload that."


@dataclass(frozen=True)
class Sniffed:
    family: str  # "image" or "av" (audio or video: the streams decide)
    container: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.container]

    @property
    def demuxer(self) -> str:
        return DEMUXERS[self.container]


def sniff_file(path: Path) -> Sniffed:
    """Return the accepted container ``path`` holds, or raise ``MediaRejected``."""
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
        if head.startswith(b"ID3"):
            # An ID3v2 tag (often with cover art) precedes MP3 or ADTS AAC frames: skip it.
            stream.seek(_id3_length(head))
            return _sniff_mpeg_audio(stream.read(4))
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> Sniffed:
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "gif")
    if head.startswith(b"RIFF") and len(head) >= 12:
        return _sniff_riff(head[8:12])
    if head[4:8] == b"ftyp":
        return _sniff_iso_media(head)
    if head[4:8] in _QUICKTIME_ATOMS:
        return Sniffed("av", "mov")  # QuickTime files older than the ftyp atom
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _sniff_ebml(head)
    if head.startswith(b"OggS"):
        return Sniffed("av", "ogg")
    if head.startswith(b"fLaC"):
        return Sniffed("av", "flac")
    if len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return _sniff_mpeg_audio(head[:4])
    raise MediaRejected(_describe_unknown(head), code="unsupported_type")


def _sniff_riff(form: bytes) -> Sniffed:
    if form == b"WEBP":
        return Sniffed("image", "webp")
    if form == b"WAVE":
        return Sniffed("av", "wav")
    if form == b"AVI ":
        raise MediaRejected(
            f"AVI videos aren't supported. {_EXPORT_VIDEO}", code="unsupported_type"
        )
    raise MediaRejected(
        _NOT_MEDIA.format(what="a RIFF file of an unknown kind"), code="unsupported_type"
    )


def _sniff_iso_media(head: bytes) -> Sniffed:
    brand = head[8:12]
    if brand in _HEIF_BRANDS:
        raise MediaRejected(
            f"HEIC images aren't supported. {_EXPORT_IMAGE}", code="unsupported_type"
        )
    if brand in _AVIF_BRANDS:
        raise MediaRejected(
            f"AVIF images aren't supported. {_EXPORT_IMAGE}", code="unsupported_type"
        )
    if brand.startswith(b"3g"):
        raise MediaRejected(
            f"3GP videos aren't supported. {_EXPORT_VIDEO}", code="unsupported_type"
        )
    if brand == b"crx ":
        raise MediaRejected(
            f"Camera RAW files aren't supported. {_EXPORT_IMAGE}", code="unsupported_type"
        )
    if brand == b"qt  ":
        return Sniffed("av", "mov")
    if brand in _M4A_BRANDS:
        return Sniffed("av", "m4a")
    return Sniffed("av", "mp4")


def _sniff_ebml(head: bytes) -> Sniffed:
    # The DocType element (id 0x4282) says "webm" or "matroska"; WebM is the subset
    # browsers and phones write, so it is the one we accept.
    at = head.find(b"\x42\x82", 4, 64)
    if at != -1 and head[at + 2] & 0x80:
        length = head[at + 2] & 0x7F
        doctype = head[at + 3 : at + 3 + length]
        if doctype == b"webm":
            return Sniffed("av", "webm")
    raise MediaRejected(
        f"Matroska (MKV) files aren't supported. {_EXPORT_VIDEO}", code="unsupported_type"
    )


def _sniff_mpeg_audio(frame: bytes) -> Sniffed:
    if len(frame) >= 2 and frame[0] == 0xFF and frame[1] & 0xE0 == 0xE0:
        layer = (frame[1] >> 1) & 0b11
        if layer == 0 and frame[1] & 0xF0 == 0xF0:
            return Sniffed("av", "aac")  # ADTS: MPEG sync with layer bits 00
        if layer != 0:
            return Sniffed("av", "mp3")
    raise MediaRejected(
        "This file looks like MPEG audio but holds neither MP3 nor AAC audio.",
        code="unsupported_type",
    )


def _id3_length(head: bytes) -> int:
    # ID3v2 header: "ID3", version (2), flags (1), size (4 bytes, 7 bits each).
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    has_footer = len(head) > 5 and head[5] & 0x10
    return 10 + size + (10 if has_footer else 0)


def _describe_unknown(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    checks: tuple[tuple[bool, str], ...] = (
        (text.startswith(b"#extm3u"), "an HLS playlist (a text file that points to other files)"),
        (
            text.startswith((b"<!doctype html", b"<html"))
            or b"<script" in text
            or b"<body" in text,
            "an HTML page",
        ),
        (
            text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text),
            "an SVG drawing",
        ),
        (text.startswith(b"<?xml"), "an XML document"),
        (head.startswith(b"%PDF"), "a PDF document"),
        (head.startswith(b"PK\x03\x04"), "a ZIP archive (or an Office document)"),
        (head.startswith(b"\x1f\x8b"), "a gzip archive"),
        (head.startswith((b"MZ", b"\x7fELF")), "a program"),
        (
            head.startswith((b"II*\x00", b"MM\x00*")),
            "a TIFF or camera RAW image, which isn't supported",
        ),
        (
            head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00",
            "a BMP image, which isn't supported",
        ),
        (head.startswith(b"8BPS"), "a Photoshop document"),
    )
    for matched, what in checks:
        if matched:
            return _NOT_MEDIA.format(what=what)
    if _looks_like_text(head):
        return _NOT_MEDIA.format(what="text")
    return _NOT_MEDIA.format(what="in a format we don't recognise")


def _looks_like_text(head: bytes) -> bool:
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in "\t\r\n" for char in decoded)


def scan_for_polyglot(path: Path, *, markup_everywhere: bool) -> None:
    """Refuse a file that also contains an HLS playlist, or markup, with ``polyglot``.

    ``#EXTM3U`` is looked for in the whole file (a fast ``bytes.find``: ~0.5 ms per MB).
    Markup is looked for everywhere in images (small, and served to browsers) and within the
    first and last 64 KB of audio/video, where appended or header-borne pages sit;
    a case-insensitive search of a multi-GB video would cost seconds.
    """
    size = path.stat().st_size
    carry = b""
    offset = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            window = carry + chunk
            if _HLS_MARKER in window:
                _refuse_hls()
            near_an_end = offset < _MARKUP_WINDOW or offset + len(chunk) > size - _MARKUP_WINDOW
            if markup_everywhere or near_an_end:
                _refuse_markup(window.lower())
            carry = chunk[-_CARRY_BYTES:]
            offset += len(chunk)


class PolyglotScanner:
    """``scan_for_polyglot`` on bytes as they arrive (an upload), without reading them again.

    ``feed`` every byte in order, then ``finish``. Refuses exactly what the file scan refuses:
    ``#EXTM3U`` anywhere; markup anywhere in images, and in audio/video within the 1 MB read
    chunks the file scan checks (the first, and those reaching into the last 64 KB).
    Raises ``MediaRejected`` (``polyglot``).
    """

    _TAIL_KEEP = _SCAN_CHUNK + _MARKUP_WINDOW + _CARRY_BYTES

    def __init__(self, *, markup_everywhere: bool) -> None:
        self.markup_everywhere = markup_everywhere
        self.offset = 0
        self.carry = b""
        self.recent: list[bytes] = []  # the last chunks, at least _TAIL_KEEP bytes (audio/video)
        self.recent_bytes = 0

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        # The seam with the previous chunk is searched on its own: no copy of a large chunk.
        if _HLS_MARKER in chunk or _HLS_MARKER in self.carry + chunk[: len(_HLS_MARKER)]:
            _refuse_hls()
        if self.markup_everywhere or self.offset < _SCAN_CHUNK:
            _refuse_markup((self.carry + chunk).lower())
        if not self.markup_everywhere:
            self.recent.append(chunk)
            self.recent_bytes += len(chunk)
            while self.recent_bytes - len(self.recent[0]) >= self._TAIL_KEEP:
                self.recent_bytes -= len(self.recent.pop(0))
        self.carry = chunk[-_CARRY_BYTES:]
        self.offset += len(chunk)

    def finish(self) -> None:
        if self.markup_everywhere or self.offset <= _SCAN_CHUNK:
            return  # all of it was checked as it arrived
        # The file scan's chunks (1 MB each) that reach into the last 64 KB, with its carry.
        start = max(0, (self.offset - _MARKUP_WINDOW) // _SCAN_CHUNK * _SCAN_CHUNK - _CARRY_BYTES)
        tail = b"".join(self.recent)
        _refuse_markup(tail[start - (self.offset - len(tail)) :].lower())


def _refuse_hls() -> None:
    raise MediaRejected(
        "This file has an HLS playlist (#EXTM3U) hidden inside it. Files that are "
        "two formats at once are refused; export the media again and upload that.",
        code="polyglot",
    )


def _refuse_markup(lowered: bytes) -> None:
    found = next((marker for marker in _MARKUP_MARKERS if marker in lowered), None)
    if found is None and not _ACTIVE_MARKUP.search(lowered):
        return
    what = "PHP code" if found == b"<?php" else "an HTML page or script"
    raise MediaRejected(
        f"This file has {what} hidden inside it. Files that are two formats at once "
        "are refused; export the media again and upload that.",
        code="polyglot",
    )


def image_header_size(path: Path, container: str) -> tuple[int, int] | None:
    """Return the size an image's header declares, without decoding it (None if unreadable)."""
    with path.open("rb") as stream:
        if container == "jpeg":
            return _jpeg_size(stream)
        head = stream.read(32)
    if container == "png" and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if container == "gif" and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return int(width), int(height)
    if container == "webp" and len(head) >= 30:
        return _webp_size(head)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", head[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L":
        (bits,) = struct.unpack("<I", head[21:25])
        return 1 + (int(bits) & 0x3FFF), 1 + ((int(bits) >> 14) & 0x3FFF)
    if chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    return None


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(stream: BinaryIO) -> tuple[int, int] | None:
    # Walk the marker segments (skipping EXIF, ICC and thumbnails by their lengths) to the
    # first start-of-frame, which holds the size. Bounded: a crafted file can't loop us.
    stream.seek(2)
    for _ in range(1000):
        if stream.read(1) != b"\xff":
            return None  # not at a marker: not a JPEG structure we can walk
        byte = stream.read(1)
        while byte == b"\xff":  # fill bytes
            byte = stream.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # markers without a length
        if marker in (0xD9, 0xDA):
            return None  # end of image or scan data before any frame header
        raw_length = stream.read(2)
        if len(raw_length) < 2:
            return None
        (length,) = struct.unpack(">H", raw_length)
        if marker in _JPEG_SOF:
            frame = stream.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return int(width), int(height)
        stream.seek(length - 2, 1)
    return None
