"""Placement specs and the conformance check: one result per rule, in plain words.

Pure logic on MediaFacts built by hand (what inspect_file would report), so each case
states exactly the size, duration or codec it is about.
"""

from dataclasses import replace

import pytest

from creatives.library.media.facts import MediaFacts
from creatives.library.media.formatting import describe_aspect, format_bytes, format_duration
from creatives.library.media.specs import PLACEMENTS, check_conformance, fits, fitting_placements

MIB = 1024 * 1024

# A 20 s vertical 1080p clip that fits every video placement.
GOOD_VIDEO = MediaFacts(
    kind="video",
    container="mp4",
    content_type="video/mp4",
    size_bytes=20 * MIB,
    width=1080,
    height=1920,
    duration_seconds=20.0,
    fps=30.0,
    video_codec="h264",
    audio_codec="aac",
    pixel_format="yuv420p",
    bitrate=8_000_000,
    has_audio=True,
    audio_channels=2,
    sample_rate=48_000,
    faststart=True,
)
GOOD_IMAGE = MediaFacts(
    kind="image",
    container="jpeg",
    content_type="image/jpeg",
    size_bytes=2 * MIB,
    width=1080,
    height=1350,
    pixel_format="RGB",
)


def video(**changes) -> MediaFacts:
    return replace(GOOD_VIDEO, **changes)


def image(**changes) -> MediaFacts:
    return replace(GOOD_IMAGE, **changes)


def result(facts: MediaFacts, placement: str, rule: str):
    matches = [r for r in check_conformance(facts, placement) if r.rule == rule]
    assert len(matches) == 1, f"{rule} should appear exactly once"
    return matches[0]


def test_placement_keys():
    assert sorted(PLACEMENTS) == sorted(
        [
            "ig_feed_image",
            "ig_feed_video",
            "ig_reel",
            "ig_story_image",
            "ig_story_video",
            "ig_carousel_image",
            "ig_carousel_video",
            "fb_feed_photo",
            "fb_feed_video",
            "fb_reel",
            "ad_feed_image",
            "ad_feed_video",
            "ad_story_image",
            "ad_story_video",
        ]
    )


@pytest.mark.parametrize("key", sorted(PLACEMENTS))
def test_every_spec_is_consistent_and_cites_its_source(key):
    spec = PLACEMENTS[key]

    assert spec.key == key
    assert spec.label
    assert "GRAPH_NOTES" in spec.source or "§" in spec.source
    assert spec.kinds in ({"image"}, {"video"})
    assert spec.max_bytes > 0
    if spec.aspect_min is not None and spec.aspect_max is not None:
        assert spec.aspect_min <= spec.aspect_max
    if spec.min_duration is not None and spec.max_duration is not None:
        assert spec.min_duration < spec.max_duration
    if spec.recommended_aspect and spec.recommended_size:
        width, height = spec.recommended_size
        assert describe_aspect(width, height) == describe_aspect(*spec.recommended_aspect)


@pytest.mark.parametrize("key", sorted(PLACEMENTS))
def test_one_result_per_rule(key):
    facts = GOOD_VIDEO if PLACEMENTS[key].kinds == {"video"} else GOOD_IMAGE
    rules = [r.rule for r in check_conformance(facts, key)]

    assert len(rules) == len(set(rules))
    assert rules[:3] == ["kind", "container", "file_size"]


def test_the_main_numbers():
    reel = PLACEMENTS["ig_reel"]
    assert (reel.min_duration, reel.max_duration, reel.max_bytes) == (3, 900, 300 * MIB)
    assert (reel.min_fps, reel.max_fps, reel.max_width, reel.max_bitrate) == (
        23,
        60,
        1920,
        25_000_000,
    )
    assert PLACEMENTS["ig_story_video"].max_duration == 60
    assert PLACEMENTS["ig_story_video"].max_bytes == 100 * MIB
    assert PLACEMENTS["ig_feed_image"].containers == {"jpeg"}
    assert PLACEMENTS["ig_feed_image"].max_bytes == 8 * MIB
    assert PLACEMENTS["fb_feed_photo"].max_bytes == 10 * MIB
    assert PLACEMENTS["fb_reel"].max_duration == 90


# --- aspect ratio ---------------------------------------------------------------------------

ASPECT_CASES = [
    # placement, width, height, ok, message
    ("fb_reel", 1920, 1080, False, "9:16 needed, this is 16:9."),
    ("fb_reel", 1080, 1920, True, "9:16, as needed."),
    ("fb_reel", 720, 1280, True, "9:16, as needed."),
    ("fb_reel", 1080, 1350, False, "9:16 needed, this is 4:5."),
    ("ig_feed_image", 1080, 1920, False, "4:5 to 1.91:1 needed, this is 9:16."),
    ("ig_feed_image", 1080, 1350, True, "4:5, within 4:5 to 1.91:1."),
    ("ig_feed_image", 1080, 1080, True, "1:1, within 4:5 to 1.91:1."),
    ("ig_feed_image", 1000, 523, True, "1.91:1, within 4:5 to 1.91:1."),
    ("ig_feed_image", 1200, 600, False, "4:5 to 1.91:1 needed, this is 2:1."),
    ("ig_feed_image", 1080, 1440, False, "4:5 to 1.91:1 needed, this is 3:4."),
    ("ig_carousel_image", 1600, 900, True, "16:9, within 4:5 to 1.91:1."),
    ("ig_reel", 1920, 1080, True, "16:9, within 0.01:1 to 10:1."),
    ("ig_reel", 100, 1100, True, "1:11, within 0.01:1 to 10:1."),
    ("ig_story_video", 100, 1100, False, "0.1:1 to 10:1 needed, this is 1:11."),
    ("ig_story_video", 1100, 100, False, "0.1:1 to 10:1 needed, this is 11:1."),
    ("ad_feed_video", 2390, 1000, False, "9:16 to 16:9 needed, this is 2.39:1."),
    ("ad_story_image", 1080, 1350, True, "4:5, within 9:16 to 1.91:1."),
    ("fb_feed_video", 1080, 1920, True, "9:16, within 9:16 to 16:9."),
]


@pytest.mark.parametrize(("placement", "width", "height", "ok", "message"), ASPECT_CASES)
def test_aspect_ratio(placement, width, height, ok, message):
    base = GOOD_VIDEO if PLACEMENTS[placement].kinds == {"video"} else GOOD_IMAGE
    outcome = result(replace(base, width=width, height=height), placement, "aspect_ratio")

    assert (outcome.ok, outcome.message, outcome.fixable) == (ok, message, True)


def test_aspect_uses_the_displayed_shape():
    # Stored landscape, displayed portrait (a phone video): a reel is fine.
    sideways = video(width=1920, height=1080, rotation=90)

    assert result(sideways, "fb_reel", "aspect_ratio").ok
    assert (
        result(sideways, "ig_reel", "width").message == "1,080 px wide, within the 1,920 px limit."
    )


def test_recommended_aspect_is_advisory():
    landscape = video(width=1920, height=1080)
    outcome = result(landscape, "ig_reel", "recommended_aspect")

    assert (outcome.ok, outcome.advisory, outcome.fixable) == (False, True, True)
    assert outcome.message == "9:16 recommended, this is 16:9: it will show cropped or with bars."
    assert fits(landscape, "ig_reel")  # advisory results don't block


def test_story_image_has_only_a_recommended_ratio():
    outcome = result(image(width=1080, height=1080), "ig_story_image", "recommended_aspect")

    assert (outcome.ok, outcome.advisory) == (False, True)
    assert "aspect_ratio" not in [r.rule for r in check_conformance(GOOD_IMAGE, "ig_story_image")]


# --- duration -------------------------------------------------------------------------------

DURATION_CASES = [
    ("fb_reel", 125.0, False, True, "At most 90 s; this is 2 min 5 s."),
    ("fb_reel", 90.0, True, True, "90 s, within 3 s to 90 s."),
    ("fb_reel", 90.04, True, True, "90 s, within 3 s to 90 s."),  # container rounding
    ("ig_reel", 2.0, False, False, "At least 3 s; this is 2 s. A transcode can't make it longer."),
    (
        "ig_reel",
        2.94,
        False,
        False,
        "At least 3 s; this is 2.9 s. A transcode can't make it longer.",
    ),
    ("ig_reel", 2.96, True, True, "3 s, within 3 s to 15 min."),  # within the 0.05 s tolerance
    ("ig_reel", 3.0, True, True, "3 s, within 3 s to 15 min."),
    ("ig_reel", 901.0, False, True, "At most 15 min; this is 15 min 1 s."),
    ("ig_story_video", 60.5, False, True, "At most 60 s; this is 60.5 s."),
    ("ig_story_video", 45.26, True, True, "45.3 s, within 3 s to 60 s."),
    ("ig_carousel_video", 75.0, False, True, "At most 60 s; this is 75 s."),
    (
        "ad_story_video",
        0.5,
        False,
        False,
        "At least 1 s; this is 0.5 s. A transcode can't make it longer.",
    ),
    ("ad_feed_video", 3 * 3600.0, True, True, "3 h, within 1 s to 4 h 1 min."),
    ("fb_feed_video", 241 * 60.0, False, True, "At most 4 h; this is 4 h 1 min."),
]


@pytest.mark.parametrize(("placement", "seconds", "ok", "fixable", "message"), DURATION_CASES)
def test_duration(placement, seconds, ok, fixable, message):
    outcome = result(video(duration_seconds=seconds), placement, "duration")

    assert (outcome.ok, outcome.fixable, outcome.message) == (ok, fixable, message)


def test_unknown_duration_fails_unfixably():
    outcome = result(video(duration_seconds=None), "ig_reel", "duration")

    assert (outcome.ok, outcome.fixable, outcome.message) == (
        False,
        False,
        "The duration couldn't be measured.",
    )


# --- size, width, container, codecs -----------------------------------------------------------

SIZE_CASES = [
    ("ig_feed_image", 9 * MIB, False, "At most 8 MB; this is 9 MB."),
    ("ig_feed_image", 8 * MIB, True, "8 MB, within the 8 MB limit."),
    ("fb_feed_photo", 10 * MIB + 1, False, "At most 10 MB; this is 10 MB."),
    ("ad_feed_image", 31 * MIB, False, "At most 30 MB; this is 31 MB."),
]


@pytest.mark.parametrize(("placement", "size", "ok", "message"), SIZE_CASES)
def test_image_file_size(placement, size, ok, message):
    outcome = result(image(size_bytes=size), placement, "file_size")

    assert (outcome.ok, outcome.message, outcome.fixable) == (ok, message, True)


@pytest.mark.parametrize(
    ("placement", "size", "message"),
    [
        ("ig_story_video", 150 * MIB, "At most 100 MB; this is 150 MB."),
        ("ig_reel", 512 * MIB, "At most 300 MB; this is 512 MB."),
        ("ad_story_video", 5 * 1024 * MIB, "At most 4 GB; this is 5 GB."),
    ],
)
def test_video_file_size(placement, size, message):
    outcome = result(video(size_bytes=size), placement, "file_size")

    assert (outcome.ok, outcome.message) == (False, message)


@pytest.mark.parametrize(
    ("placement", "width", "height", "ok", "message"),
    [
        ("fb_reel", 360, 640, False, "At least 540 px wide needed; this is 360 px."),
        ("fb_reel", 540, 960, True, "540 px wide, above the 540 px minimum."),
        ("ig_reel", 3840, 2160, False, "At most 1,920 px wide; this is 3,840 px."),
        ("ad_feed_image", 500, 500, False, "At least 600 px wide needed; this is 500 px."),
        ("ad_story_image", 450, 800, False, "At least 500 px wide needed; this is 450 px."),
    ],
)
def test_width(placement, width, height, ok, message):
    base = GOOD_VIDEO if PLACEMENTS[placement].kinds == {"video"} else GOOD_IMAGE
    outcome = result(replace(base, width=width, height=height), placement, "width")

    assert (outcome.ok, outcome.message, outcome.fixable) == (ok, message, True)


@pytest.mark.parametrize(
    ("placement", "facts", "rule", "message"),
    [
        ("ig_feed_image", image(container="png"), "container", "JPEG needed, this is PNG."),
        (
            "ad_feed_image",
            image(container="webp"),
            "container",
            "JPEG or PNG needed, this is WebP.",
        ),
        (
            "fb_feed_photo",
            image(container="webp"),
            "container",
            "JPEG, PNG or GIF needed, this is WebP.",
        ),
        ("ig_reel", video(container="webm"), "container", "MP4 or MOV needed, this is WebM."),
        ("ig_reel", video(video_codec="vp9"), "video_codec", "H.264 or HEVC needed, this is VP9."),
        (
            "ig_reel",
            video(pixel_format="yuv444p"),
            "chroma",
            "4:2:0 colour (yuv420p) needed, this is yuv444p.",
        ),
        ("ig_reel", video(fps=120.0), "frame_rate", "23-60 fps needed, this is 120 fps."),
        ("ig_reel", video(fps=15.0), "frame_rate", "23-60 fps needed, this is 15 fps."),
        ("fb_reel", video(fps=20.0), "frame_rate", "24-60 fps needed, this is 20 fps."),
        (
            "ad_feed_video",
            video(fps=120.0),
            "frame_rate",
            "At most 60 fps needed, this is 120 fps.",
        ),
        ("ig_reel", video(bitrate=40_000_000), "bitrate", "At most 25 Mbps; this is 40 Mbps."),
        (
            "ig_reel",
            video(faststart=False),
            "faststart",
            "The file must be set up for streaming (so it can play while it downloads); this one isn't.",
        ),
        ("ig_reel", video(audio_codec="opus"), "audio_codec", "AAC audio needed, this is Opus."),
        (
            "ig_reel",
            video(sample_rate=96_000),
            "audio_sample_rate",
            "At most 48 kHz; this is 96 kHz.",
        ),
        (
            "ig_reel",
            video(audio_channels=6),
            "audio_channels",
            "Mono or stereo needed; this has 6 channels.",
        ),
    ],
)
def test_fixable_mismatches(placement, facts, rule, message):
    outcome = result(facts, placement, rule)

    assert (outcome.ok, outcome.message, outcome.fixable, outcome.advisory) == (
        False,
        message,
        True,
        False,
    )
    assert not fits(facts, placement)


def test_fb_reel_accepts_vp9_and_film_rate():
    assert result(video(video_codec="vp9"), "fb_reel", "video_codec").ok
    assert result(video(fps=24000 / 1001), "fb_reel", "frame_rate").ok  # 23.976 is "24p"


def test_no_audio_means_nothing_to_check():
    silent = video(has_audio=False, audio_codec="", audio_channels=None, sample_rate=None)

    for rule in ("audio_codec", "audio_sample_rate", "audio_channels"):
        outcome = result(silent, "ig_reel", rule)
        assert (outcome.ok, outcome.message) == (True, "No audio track; nothing to check.")
    assert fits(silent, "ig_reel")


def test_wrong_kind_is_the_only_result():
    assert check_conformance(GOOD_IMAGE, "ig_reel") == [check_conformance(GOOD_IMAGE, "ig_reel")[0]]
    outcome = check_conformance(GOOD_IMAGE, "ig_reel")[0]
    assert (outcome.rule, outcome.ok, outcome.fixable) == ("kind", False, False)
    assert outcome.message == "A video is needed; this is an image."

    audio = MediaFacts(kind="audio", container="mp3", content_type="audio/mpeg", size_bytes=1000)
    assert (
        check_conformance(audio, "ig_feed_image")[0].message
        == "An image is needed; this is an audio file."
    )


def test_unknown_placement():
    with pytest.raises(ValueError, match="Unknown placement 'tiktok'"):
        check_conformance(GOOD_VIDEO, "tiktok")


def test_good_video_passes_every_rule_of_every_video_placement():
    for key, spec in PLACEMENTS.items():
        if spec.kinds == {"video"}:
            failing = [
                r.message for r in check_conformance(GOOD_VIDEO, key) if not (r.ok or r.advisory)
            ]
            assert failing == [], key


def test_fitting_placements():
    assert fitting_placements(GOOD_VIDEO) == [
        "ig_reel",
        "ig_feed_video",
        "ig_story_video",
        "ig_carousel_video",
        "fb_feed_video",
        "fb_reel",
        "ad_feed_video",
        "ad_story_video",
    ]
    # 75 s: too long for stories, carousels, ad stories; fine for reels (FB: 90 s).
    assert fitting_placements(video(duration_seconds=75.0)) == [
        "ig_reel",
        "ig_feed_video",
        "fb_feed_video",
        "fb_reel",
        "ad_feed_video",
    ]
    # A 4:5 JPEG 1080 px wide fits every image placement (stories only recommend 9:16).
    assert fitting_placements(GOOD_IMAGE) == [
        "ig_feed_image",
        "ig_carousel_image",
        "ig_story_image",
        "fb_feed_photo",
        "ad_feed_image",
        "ad_story_image",
    ]
    assert fitting_placements(image(container="png")) == [
        "fb_feed_photo",
        "ad_feed_image",
        "ad_story_image",
    ]


def test_ok_results_explain_too():
    messages = {r.rule: r.message for r in check_conformance(GOOD_VIDEO, "ig_reel")}

    assert messages == {
        "kind": "A video, as needed.",
        "container": "MP4, as needed.",
        "file_size": "20 MB, within the 300 MB limit.",
        "aspect_ratio": "9:16, within 0.01:1 to 10:1.",
        "recommended_aspect": "9:16, the recommended ratio.",
        "width": "1,080 px wide, within the 1,920 px limit.",
        "duration": "20 s, within 3 s to 15 min.",
        "video_codec": "H.264, as needed.",
        "chroma": "4:2:0 colour (yuv420p), as needed.",
        "frame_rate": "30 fps, within 23-60 fps.",
        "bitrate": "8 Mbps, within the 25 Mbps limit.",
        "faststart": "Set up for streaming, as needed.",
        "audio_codec": "AAC audio, as needed.",
        "audio_sample_rate": "48 kHz, within the 48 kHz limit.",
        "audio_channels": "Stereo, as needed.",
    }


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "0.5 s"),
        (2, "2 s"),
        (90, "90 s"),
        (119.9, "119.9 s"),
        (125, "2 min 5 s"),
        (900, "15 min"),
        (3660, "1 h 1 min"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (512, "512 bytes"),
        (1536, "1.5 KB"),
        (8 * MIB, "8 MB"),
        (int(140.3 * MIB), "140.3 MB"),
        (4096 * MIB, "4 GB"),
    ],
)
def test_format_bytes(size, text):
    assert format_bytes(size) == text


@pytest.mark.parametrize(
    ("width", "height", "text"),
    [
        (1080, 1920, "9:16"),
        (1920, 1080, "16:9"),
        (1080, 1350, "4:5"),
        (1000, 523, "1.91:1"),
        (2390, 1000, "2.39:1"),
        (1082, 1350, "4:5"),
    ],
)
def test_describe_aspect(width, height, text):
    assert describe_aspect(width, height) == text
