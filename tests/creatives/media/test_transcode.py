"""transcode_to_spec: real encodes, re-inspected and checked against the placement."""

from dataclasses import replace
from pathlib import Path

import av
import pytest
from PIL import Image, ImageStat

from creatives.library.media.errors import FfmpegError, MediaRejected
from creatives.library.media.facts import MediaFacts
from creatives.library.media.inspect import inspect_file
from creatives.library.media.specs import PLACEMENTS, check_conformance, fits
from creatives.library.media.transcode import (
    X264_PRESET,
    build_transcode_args,
    plan_transcode,
    transcode_to_spec,
)


def transcode(media, name: str, tmp_path: Path, placement: str, **kwargs):
    source = media(name)
    return transcode_to_spec(
        source,
        tmp_path / "out.mp4",
        facts=inspect_file(source),
        placement_key=placement,
        timeout=120,
        **kwargs,
    )


def middle_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        frames = container.decode(video=0)
        for index, frame in enumerate(frames):
            if index == 10:
                return frame.to_image()
    raise AssertionError("too few frames")


def brightness(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    return ImageStat.Stat(image.crop(box).convert("L")).mean[0]


@pytest.mark.parametrize(("fill", "size"), [("blur", (320, 568)), ("crop", (102, 182))])
def test_landscape_to_reel(media, tmp_path, fill, size):
    seen: list[float] = []

    facts = transcode(
        media, "landscape_4s.mp4", tmp_path, "ig_reel", fill=fill, on_progress=seen.append
    )

    assert (facts.width, facts.height) == size  # 9:16; never larger than the source can fill
    assert (facts.container, facts.video_codec, facts.pixel_format) == ("mp4", "h264", "yuv420p")
    assert (facts.audio_codec, facts.sample_rate, facts.audio_channels) == ("aac", 48_000, 2)
    assert facts.faststart is True
    assert facts.rotation == 0
    assert facts.fps == pytest.approx(30.0)
    assert facts.duration_seconds == pytest.approx(4.0, abs=0.1)
    assert fits(facts, "ig_reel")
    assert fits(facts, "fb_reel") is False  # its 540 px minimum width: we don't upscale unasked
    assert [r.rule for r in check_conformance(facts, "fb_reel") if not r.ok] == ["width"]
    assert seen[-1] == 100.0
    assert seen == sorted(seen)


def test_blur_fills_the_bars_with_picture_not_black(media, tmp_path):
    facts = transcode(media, "landscape_4s.mp4", tmp_path, "ig_reel", fill="blur")
    frame = middle_frame(tmp_path / "out.mp4")

    assert frame.size == (facts.width, facts.height)
    # The sharp 320x180 picture sits in the middle; above and below it, the blurred copy
    # of testsrc's colour bars, not black padding.
    assert brightness(frame, (0, 0, 320, 150)) > 40
    assert brightness(frame, (0, 420, 320, 568)) > 40


def test_rotated_phone_video_comes_out_upright(media, tmp_path):
    facts = transcode(media, "rotated.mp4", tmp_path, "ig_story_video")

    # Displayed 180x320 (9:16) already: no reframing, rotation baked into the pixels.
    assert (facts.width, facts.height, facts.rotation) == (180, 320, 0)


def test_trims_to_the_maximum_duration(media, tmp_path):
    seen: list[float] = []
    source = inspect_file(media("portrait_62s.mp4"))
    assert not fits(source, "ig_story_video")

    facts = transcode(
        media, "portrait_62s.mp4", tmp_path, "ig_story_video", on_progress=seen.append
    )

    assert facts.duration_seconds == pytest.approx(60.0, abs=0.1)
    assert fits(facts, "ig_story_video")
    assert len(seen) >= 2
    assert seen == sorted(set(seen))
    assert seen[-1] == 100.0


def test_frame_rate_is_raised_into_range_and_silence_stays_silent(media, tmp_path):
    facts = transcode(media, "silent_4s.mp4", tmp_path, "ig_reel")

    assert facts.fps == pytest.approx(30.0)  # 15 fps is under Instagram's 23
    assert facts.has_audio is False  # audio is optional for reels
    assert fits(facts, "ig_reel")


def test_silent_track_is_added_when_a_placement_requires_audio(media, tmp_path, monkeypatch):
    needs_audio = replace(PLACEMENTS["ig_reel"], key="needs_audio", audio="required")
    monkeypatch.setitem(PLACEMENTS, "needs_audio", needs_audio)
    source = inspect_file(media("silent_4s.mp4"))
    assert [r.message for r in check_conformance(source, "needs_audio") if r.rule == "audio"] == [
        "An audio track is needed (silence will do); this has none."
    ]

    facts = transcode(media, "silent_4s.mp4", tmp_path, "needs_audio")

    assert (facts.has_audio, facts.audio_codec, facts.sample_rate, facts.audio_channels) == (
        True,
        "aac",
        48_000,
        2,
    )
    assert facts.duration_seconds == pytest.approx(4.0, abs=0.1)
    assert fits(facts, "needs_audio")


def test_webm_becomes_an_instagram_mp4(media, tmp_path):
    source = inspect_file(media("clip.webm"))
    failing = {r.rule for r in check_conformance(source, "ig_reel") if not (r.ok or r.advisory)}
    assert failing == {"container", "video_codec", "audio_codec", "faststart", "duration"}

    facts = transcode(media, "clip.webm", tmp_path, "ig_reel")

    remaining = [r for r in check_conformance(facts, "ig_reel") if not (r.ok or r.advisory)]
    assert [(r.rule, r.fixable) for r in remaining] == [("duration", False)]  # 2 s: can't be fixed


def test_failure_leaves_no_output(media, tmp_path):
    source = media("landscape_4s.mp4")

    with pytest.raises(FfmpegError) as caught:
        transcode_to_spec(
            source,
            tmp_path / "out.mp4",
            facts=inspect_file(source),
            placement_key="ig_reel",
            timeout=0.01,
        )

    assert caught.value.code == "timeout"
    assert not (tmp_path / "out.mp4").exists()


def test_wrong_kind_is_refused(media, tmp_path):
    with pytest.raises(MediaRejected) as caught:
        transcode(media, "tone.mp3", tmp_path, "ig_reel")

    assert (caught.value.code, caught.value.message) == (
        "wrong_kind",
        "Instagram reel needs a video; this file is audio, which a transcode can't change.",
    )


def test_unknown_fill_is_a_programming_error(media):
    with pytest.raises(ValueError, match="fill must be"):
        plan_transcode(inspect_file(media("clip.mp4")), "ig_reel", fill="stretch")


# --- the plan and the command, without encoding -------------------------------------------


def inspect_file_stub() -> MediaFacts:
    """What inspect_file reports for a 20 s 1080x1920 phone clip."""
    return MediaFacts(
        kind="video",
        container="mp4",
        content_type="video/mp4",
        size_bytes=10_000_000,
        width=1080,
        height=1920,
        duration_seconds=20.0,
        fps=30.0,
        video_codec="h264",
        audio_codec="aac",
        pixel_format="yuv420p",
        bitrate=4_000_000,
        has_audio=True,
        audio_channels=2,
        sample_rate=48_000,
        faststart=True,
    )


def test_plan_for_a_full_hd_landscape_clip():
    facts = replace(
        inspect_file_stub(),
        width=1920,
        height=1080,
        duration_seconds=125.0,
        fps=59.94,
    )

    reel = plan_transcode(facts, "fb_reel", fill="blur")
    assert (reel.frame.width, reel.frame.height, reel.frame.fill) == (1080, 1920, "blur")
    assert (reel.duration_seconds, reel.trim) == (90.0, True)
    assert str(reel.fps) == "2997/50"  # 59.94 stays, within 24-60

    crop = plan_transcode(facts, "fb_reel", fill="crop")
    assert (crop.frame.width, crop.frame.height) == (608, 1080)  # the 9:16 cut of a 1080p frame

    feed = plan_transcode(facts, "ig_feed_video")
    assert (feed.frame.width, feed.frame.height, feed.frame.fill) == (
        1350,
        760,
        "none",
    )  # 16:9 kept


def test_plan_upscales_only_when_asked_or_required():
    small = replace(inspect_file_stub(), width=320, height=180)

    as_is = plan_transcode(small, "ig_reel").frame
    upscaled = plan_transcode(small, "ig_reel", upscale=True).frame

    assert (as_is.width, as_is.height) == (320, 568)
    assert (upscaled.width, upscaled.height) == (1080, 1920)
    assert plan_transcode(small, "fb_reel").frame.width == 540  # its minimum width


def test_bitrate_cap_honours_the_file_size_limit():
    long_reel = replace(inspect_file_stub(), duration_seconds=900.0)

    plan = plan_transcode(long_reel, "ig_reel")

    # 300 MB over 15 min, 8 % headroom, minus 128 kbps of audio: ~2.44 Mbps, well under 25.
    assert plan.video_maxrate == int(300 * 2**20 * 8 * 0.92 / 900) - 128_000
    short = plan_transcode(replace(long_reel, duration_seconds=10.0), "ig_reel")
    assert short.video_maxrate == 25_000_000 - 128_000  # the placement's own cap


def test_the_command(tmp_path):
    facts = replace(inspect_file_stub(), duration_seconds=75.0)

    args = build_transcode_args(
        Path("/in/a b.mov"), Path("/out/c.mp4"), facts=facts, placement_key="ig_story_video"
    )

    def value(flag: str) -> str:
        return args[args.index(flag) + 1]

    assert args[:3] == ["-y", "-i", "/in/a b.mov"]
    assert args[-1] == "/out/c.mp4"
    assert (value("-c:v"), value("-preset"), value("-profile:v"), value("-pix_fmt")) == (
        "libx264",
        X264_PRESET,
        "high",
        "yuv420p",
    )
    assert (value("-c:a"), value("-ar"), value("-ac"), value("-b:a")) == (
        "aac",
        "48000",
        "2",
        "128000",
    )
    assert value("-t") == "60.000"
    assert value("-movflags") == "+faststart"
    assert value("-map_metadata") == "-1"
    assert int(value("-bufsize")) == 2 * int(value("-maxrate"))
    assert value("-g") == "60"  # 2 s at 30 fps
    assert {"-sn", "-dn"} <= set(args)
    assert not any("://" in arg for arg in args)


def test_images_are_not_built_into_ffmpeg_commands(media):
    with pytest.raises(ValueError, match="for video"):
        build_transcode_args(
            Path("/a"),
            Path("/b"),
            facts=inspect_file(media("square.jpg")),
            placement_key="ig_feed_image",
        )


# --- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "placement", "fill", "size", "container"),
    [
        ("wide.png", "ig_feed_image", "blur", (320, 168), "jpeg"),  # 8:3 → 1.91:1
        ("wide.png", "ig_feed_image", "crop", (230, 120), "jpeg"),
        ("square.jpg", "ig_story_image", "blur", (300, 534), "jpeg"),  # → 9:16
        ("square.jpg", "ig_feed_image", "blur", (300, 300), "jpeg"),  # 1:1 already fits
        ("photo.jpg", "ig_feed_image", "crop", (48, 60), "jpeg"),  # EXIF-rotated 3:4 → 4:5
        (
            "alpha.png",
            "ad_feed_image",
            "blur",
            (600, 600),
            "png",
        ),  # 1:1 fits; upscaled to 600 px wide
        ("photo.webp", "fb_feed_photo", "blur", (50, 30), "jpeg"),  # only the format changes
    ],
)
def test_images_to_spec(media, tmp_path, name, placement, fill, size, container):
    source = media(name)

    facts = transcode_to_spec(
        source,
        tmp_path / "out",
        facts=inspect_file(source),
        placement_key=placement,
        fill=fill,
        timeout=30,
    )

    assert (facts.kind, facts.container, (facts.width, facts.height)) == ("image", container, size)
    assert facts.rotation == 0
    assert fits(facts, placement)


def test_image_blur_background_is_picture_not_black(media, tmp_path):
    source = media("square.jpg")

    transcode_to_spec(
        source,
        tmp_path / "out",
        facts=inspect_file(source),
        placement_key="ig_story_image",
        timeout=30,
    )

    with Image.open(tmp_path / "out") as result:
        assert brightness(result, (0, 0, 300, 100)) > 40  # above the picture: blurred grey/red
