"""inspect_file: real samples measured exactly, and every kind of bad file refused with its reason."""

import pytest

from creatives.library.media.errors import MediaRejected
from creatives.library.media.facts import MediaFacts
from creatives.library.media.formatting import format_bytes
from creatives.library.media.inspect import DEFAULT_MAX_BYTES, default_max_bytes, inspect_file

ROOMY = {"image": 10**9, "video": 10**9, "audio": 10**9}


def inspect(path, **kwargs) -> MediaFacts:
    return inspect_file(path, max_bytes_by_kind=kwargs.pop("limits", ROOMY), **kwargs)


def test_mp4_with_audio(media):
    facts = inspect(media("clip.mp4"))

    assert facts.kind == "video"
    assert facts.container == "mp4"
    assert facts.content_type == "video/mp4"
    assert facts.size_bytes == media("clip.mp4").stat().st_size
    assert (facts.width, facts.height) == (320, 180)
    assert facts.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert facts.fps == pytest.approx(25.0)
    assert facts.video_codec == "h264"
    assert facts.pixel_format == "yuv420p"
    assert facts.has_audio is True
    assert facts.audio_codec == "aac"
    assert facts.audio_channels == 1
    assert facts.sample_rate == 44100
    assert facts.rotation == 0
    assert facts.faststart is False  # ffmpeg writes moov last unless told otherwise
    assert facts.bitrate == pytest.approx(facts.size_bytes * 8 / 2.0, rel=0.05)
    assert facts.aspect_ratio == pytest.approx(16 / 9)


def test_silent_video_has_no_audio_facts(media):
    facts = inspect(media("silent_4s.mp4"))

    assert (facts.kind, facts.has_audio, facts.audio_codec) == ("video", False, "")
    assert (facts.audio_channels, facts.sample_rate) == (None, None)
    assert facts.fps == pytest.approx(15.0)
    assert facts.duration_seconds == pytest.approx(4.0, abs=0.05)


def test_rotated_phone_video_reports_display_rotation(media):
    facts = inspect(media("rotated.mp4"))

    assert facts.rotation == 270  # display matrix of -90°: counter-clockwise 270
    assert (facts.width, facts.height) == (320, 180)  # as stored
    assert (facts.display_width, facts.display_height) == (180, 320)  # as shown
    assert facts.aspect_ratio == pytest.approx(9 / 16)


def test_quicktime_mov(media):
    facts = inspect(media("clip.mov"))

    assert (facts.kind, facts.container, facts.content_type) == ("video", "mov", "video/quicktime")
    assert (facts.width, facts.height, facts.video_codec) == (160, 120, "h264")


def test_timecode_track_is_allowed(media):
    facts = inspect(media("timecode.mov"))

    assert (facts.kind, facts.container, facts.has_audio) == ("video", "mov", True)


def test_webm_vp9_opus(media):
    facts = inspect(media("clip.webm"))

    assert (facts.kind, facts.container, facts.content_type) == ("video", "webm", "video/webm")
    assert (facts.width, facts.height) == (160, 90)
    assert (facts.video_codec, facts.audio_codec, facts.sample_rate) == ("vp9", "opus", 48000)
    assert facts.fps == pytest.approx(30.0)
    assert facts.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert facts.faststart is None  # an MP4/MOV notion only


@pytest.mark.parametrize(
    ("name", "container", "content_type", "codec"),
    [
        ("tone.mp3", "mp3", "audio/mpeg", "mp3"),
        ("tone.m4a", "m4a", "audio/mp4", "aac"),
        ("tone.wav", "wav", "audio/wav", "pcm_s16le"),
        ("tone.ogg", "ogg", "audio/ogg", "vorbis"),
        ("tone.aac", "aac", "audio/aac", "aac"),
        ("tone.flac", "flac", "audio/flac", "flac"),
        ("cover_art.mp3", "mp3", "audio/mpeg", "mp3"),  # the picture is cover art, not video
    ],
)
def test_audio(media, name, container, content_type, codec):
    facts = inspect(media(name))

    assert (facts.kind, facts.container, facts.content_type) == ("audio", container, content_type)
    assert (facts.audio_codec, facts.has_audio) == (codec, True)
    assert (facts.audio_channels, facts.sample_rate) == (1, 44100)
    assert facts.duration_seconds == pytest.approx(2.0, abs=0.06)
    assert (facts.width, facts.height, facts.video_codec, facts.fps) == (None, None, "", None)
    assert facts.aspect_ratio is None


@pytest.mark.parametrize(
    ("name", "container", "size", "mode"),
    [
        ("photo_plain.jpg", "jpeg", (64, 48), "RGB"),
        ("alpha.png", "png", (40, 40), "RGBA"),
        ("photo.webp", "webp", (50, 30), "RGB"),
        ("still.gif", "gif", (30, 20), "P"),
    ],
)
def test_images(media, name, container, size, mode):
    facts = inspect(media(name))

    assert (facts.kind, facts.container, facts.content_type) == (
        "image",
        container,
        f"image/{container}",
    )
    assert (facts.width, facts.height) == size
    assert facts.pixel_format == mode
    assert (facts.duration_seconds, facts.has_audio, facts.rotation) == (None, False, 0)


def test_exif_orientation_is_the_image_rotation(media):
    facts = inspect(media("photo.jpg"))

    assert (facts.width, facts.height, facts.rotation) == (64, 48, 270)  # EXIF 6
    assert (facts.display_width, facts.display_height) == (48, 64)


@pytest.mark.parametrize(
    ("name", "kind", "container"),
    [
        ("photo.png", "image", "jpeg"),  # a JPEG named .png
        ("video.jpg", "video", "mp4"),  # an MP4 named .jpg
    ],
)
def test_wrong_extension_with_valid_content_is_accepted_by_content(media, name, kind, container):
    facts = inspect(media(name))

    assert (facts.kind, facts.container) == (kind, container)


BAD_FILES = [
    ("empty.mp4", "empty", "This file is empty (0 bytes)."),
    (
        "bomb.png",
        "decompression_bomb",
        "This image would expand to 144 megapixels in memory (12,000 x 12,000 px); the limit is "
        "64 megapixels.",
    ),
    (
        "huge_header.png",
        "dimensions",
        "The image header says it is 65,535 x 65,535 px; the longest side allowed is 16,384 px.",
    ),
    (
        "huge_header.jpg",
        "dimensions",
        "The image header says it is 60,000 x 60,000 px; the longest side allowed is 16,384 px.",
    ),
    (
        "truncated.mp4",
        "truncated",
        "This MP4 file is truncated: it stops before the end its header declares. Upload the "
        "complete file, or export it again.",
    ),
    (
        "unfinished.mp4",
        "truncated",
        "This MP4 file is truncated or was never finished: its index (the moov atom) is missing. "
        "Upload the complete file, or export it again.",
    ),
    (
        "truncated.webm",
        "truncated",
        "This WebM file is truncated: it stops before the end its header declares. Upload the "
        "complete file, or export it again.",
    ),
    (
        "truncated.wav",
        "truncated",
        "This WAV file is truncated: it stops before the end its header declares. Upload the "
        "complete file, or export it again.",
    ),
    (
        "truncated.jpg",
        "truncated",
        "This JPEG image is truncated: the file ends before the picture does. Upload it again, "
        "or export it again.",
    ),
    ("bad_crc.png", "corrupt", "This PNG image is damaged and can't be decoded."),
    (
        "page.jpg",
        "unsupported_type",
        "This file is an HTML page, not an image, video or audio file, whatever its name says.",
    ),
    (
        "playlist.mp4",
        "unsupported_type",
        "This file is an HLS playlist (a text file that points to other files), not an image, "
        "video or audio file, whatever its name says.",
    ),
    (
        "document.pdf.mp4",
        "unsupported_type",
        "This file is a PDF document, not an image, video or audio file, whatever its name says.",
    ),
    (
        "hls_inside.mp4",
        "polyglot",
        "This file has an HLS playlist (#EXTM3U) hidden inside it. Files that are two formats at "
        "once are refused; export the media again and upload that.",
    ),
    (
        "hls_inside.avi",
        "unsupported_type",
        "AVI videos aren't supported. Export it as MP4 (H.264) and upload that.",
    ),
    (
        "script_inside.png",
        "polyglot",
        "This file has an HTML page or script hidden inside it. Files that are two formats at "
        "once are refused; export the media again and upload that.",
    ),
    (
        "html_appended.jpg",
        "polyglot",
        "This file has an HTML page or script hidden inside it. Files that are two formats at "
        "once are refused; export the media again and upload that.",
    ),
    (
        "subtitles.mp4",
        "extra_streams",
        "This file carries a subtitle track as well as the media. Upload it without subtitle, "
        "data or attachment tracks (burn captions into the picture instead).",
    ),
    (
        "clip.mkv",
        "unsupported_type",
        "Matroska (MKV) files aren't supported. Export it as MP4 (H.264) and upload that.",
    ),
    (
        "photo.heic",
        "unsupported_type",
        "HEIC images aren't supported. Save it as JPEG or PNG and upload that.",
    ),
    (
        "mpeg2.mp4",
        "unsupported_codec",
        "This video is encoded with mpeg2video, which isn't supported. Export it as H.264 (or "
        "HEVC, VP9, AV1) and upload that.",
    ),
    (
        "mp2.mp3",
        "unsupported_codec",
        "The sound is encoded with mp2, which isn't supported. Export it with AAC (or MP3, Opus) "
        "audio and upload that.",
    ),
    (
        "too_wide.mp4",
        "dimensions",
        "This video's header says it is 8,320 x 16 px; the longest side allowed is 8,192 px.",
    ),
    (
        "animated.gif",
        "unsupported_type",
        "Animated images aren't supported; upload the animation as a video (MP4).",
    ),
]


@pytest.mark.parametrize(
    ("name", "code", "message"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
def test_bad_file_is_rejected_with_its_reason(media, name, code, message):
    with pytest.raises(MediaRejected) as caught:
        inspect(media(name))

    assert (caught.value.code, caught.value.message) == (code, message)


def test_bomb_is_small_on_disk(media):
    # The point of a bomb: a few KB that would inflate to 144 megapixels.
    assert media("bomb.png").stat().st_size < 100_000


def test_pillow_bomb_check_backs_ours_up(media):
    # With our header limit lifted, Pillow's own DecompressionBombError (over 2 x 89.5 MP)
    # still stops a 196 MP image, and is reported as ours.
    with pytest.raises(MediaRejected) as caught:
        inspect(media("pillow_bomb.png"), max_image_pixels=10**9)

    assert caught.value.code == "decompression_bomb"
    assert caught.value.message == (
        "This image would expand to too many pixels in memory (a decompression bomb)."
    )


@pytest.mark.parametrize(
    ("name", "limits", "message"),
    [
        (
            "photo_plain.jpg",
            {"image": 500},
            "This image file is {size}; images can be at most 500 bytes.",
        ),
        (
            "clip.mp4",
            {"video": 50 * 1024},
            "This video file is {size}; videos can be at most 50 KB.",
        ),
        (
            "tone.wav",
            {"audio": 100_000},
            "This audio file is {size}; audio files can be at most 97.7 KB.",
        ),
        # An MP4 container holding only sound is audio, and meets the audio limit.
        (
            "tone.m4a",
            {"video": 10**9, "audio": 10_000},
            "This audio file is {size}; audio files can be at most 9.8 KB.",
        ),
    ],
)
def test_oversized_per_kind(media, name, limits, message):
    path = media(name)

    with pytest.raises(MediaRejected) as caught:
        inspect(path, limits=limits)

    size = format_bytes(path.stat().st_size)
    assert (caught.value.code, caught.value.message) == ("too_large", message.format(size=size))


def test_size_limits_come_from_settings(settings):
    settings.MEDIA_MAX_IMAGE_BYTES = 123
    settings.MEDIA_MAX_VIDEO_BYTES = 456
    settings.MEDIA_MAX_AUDIO_BYTES = 789

    assert default_max_bytes() == {"image": 123, "video": 456, "audio": 789}


def test_default_limits_match_the_documented_defaults():
    assert DEFAULT_MAX_BYTES == {"image": 30 * 2**20, "video": 4096 * 2**20, "audio": 200 * 2**20}


@pytest.mark.parametrize(
    "markup",
    [
        b"<svg onload=alert(1)>",
        b'<SVG xmlns="http://www.w3.org/2000/svg"><circle/></SVG>',
        b"<iframe src=//evil.example/>",
        b"<img src=x onerror=alert(1)>",
        b'<div class=a onmouseover = "steal()">',
        b"<object data=x.swf>",
    ],
    ids=["svg-onload", "svg", "iframe", "img-onerror", "div-onmouseover", "object"],
)
@pytest.mark.parametrize("sample", ["clip.mp4", "tone.mp3", "photo_plain.jpg"])
def test_markup_hidden_in_media_is_refused(media, tmp_path, sample, markup):
    source = media(sample)
    hidden = tmp_path / source.name
    hidden.write_bytes(source.read_bytes() + markup)

    with pytest.raises(MediaRejected) as refused:
        inspect(hidden)

    assert refused.value.code == "polyglot"
