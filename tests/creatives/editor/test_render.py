"""The edit renderer (creatives/editor/render.py) with real ffmpeg on tiny samples.

Every output is re-probed: size per ratio and framing, duration against the timeline,
streams (H.264 + AAC 48 kHz, a silent track when every clip is muted), and a frame at *t*
from the same graph. Hostile text never reaches the filter graph.
"""

import re
import subprocess
from pathlib import Path

import pytest
from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image, ImageChops, ImageStat

from creatives.editor import render as editor_render
from creatives.editor.render import (
    PLACEMENT_SIZES,
    PROXY_SIZES,
    RenderError,
    SourceMedia,
    build_render,
    render,
    render_frame,
    timeline_duration,
)
from creatives.library.media.inspect import inspect_file
from tests.media_samples import make_image, make_video

HOSTILE = "'[0:v]drawtext=text=x:fontfile=/etc/passwd; {\\an8}{\\pos(0,0)}\\N,[out];"


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[int, SourceMedia]:
    folder = tmp_path_factory.mktemp("edit-samples")
    wide = make_video(folder / "wide.mp4", width=320, height=180, seconds=3)
    tall = make_video(folder / "tall.mp4", width=180, height=320, seconds=3, audio=False)
    picture = make_image(folder / "logo.png", width=200, height=100, fmt="PNG")
    music = folder / "music.m4a"
    subprocess.run(  # noqa: S603
        [
            get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=220:d=8",
            "-c:a",
            "aac",
            str(music),
        ],
        check=True,
        timeout=60,
    )
    return {
        asset: SourceMedia(path, inspect_file(path))
        for asset, path in {1: wide, 2: tall, 3: picture, 4: music}.items()
    }


def clip(cid: str, asset: int, start: float, end: float, **extra) -> dict:
    return {
        "id": cid,
        "asset": asset,
        "in": start,
        "out": end,
        "speed": 1.0,
        "volume": 1.0,
        "muted": False,
        "framing": {},
        **extra,
    }


def document(*clips: dict, **extra) -> dict:
    return {
        "version": 1,
        "ratios": ["9:16", "1:1", "4:5", "16:9"],
        "clips": list(clips),
        "transitions": [],
        "texts": [],
        "logo": None,
        "captions": [],
        "caption_style": {"position": "bottom", "size": "m"},
        "audio": [],
        "end_card": None,
        **extra,
    }


def graph_of(plan) -> str:
    return plan.args[plan.args.index("-filter_complex") + 1]


def shape_of(plan, *, shift: bool = False) -> list[str]:
    """The graph's chains with every number blanked (a window's differ only in numbers)."""
    graph = graph_of(plan)
    if shift:
        graph = re.sub(r"setpts=PTS\+round\([0-9.]+/TB\),", "", graph)
    return re.sub(r"-?\d+(\.\d+)?", "#", graph).split(";")


def test_hostile_text_never_enters_the_graph(samples):
    doc = document(
        clip("c1", 1, 0, 2),
        texts=[
            {
                "id": "t1",
                "text": HOSTILE,
                "style": "title",
                "x": 0.5,
                "y": 0.2,
                "start": 0,
                "end": 2,
            }
        ],
        captions=[{"start": 0, "end": 1, "text": HOSTILE}],
        end_card={"text": HOSTILE, "duration": 1.0},
    )
    plan = build_render(doc, "9:16", samples, proxy=True)
    everything = " ".join(plan.command(Path("/work"), Path("/work/out.mp4")))
    for piece in ("drawtext", "/etc/passwd", "fontfile", "\\an8", "[out]"):
        assert piece not in everything
    # In the ASS script, escaped: braces can't open an override block, "\" can't escape.
    dialogue = [line for line in plan.ass.splitlines() if line.startswith("Dialogue:")]
    assert len(dialogue) == 3
    for line in dialogue:
        body = line.split(",,", 1)[1]
        user = body.split("}", 1)[1] if body.startswith("{\\an5") else body.split(",", 4)[-1]
        assert "\\{" in user
        assert "{\\an8}" not in user.replace("\\{", "")


def test_hostile_text_renders_literally(samples, tmp_path):
    doc = document(
        clip("c1", 1, 0, 1),
        texts=[
            {"id": "t1", "text": HOSTILE, "style": "body", "x": 0.5, "y": 0.5, "start": 0, "end": 1}
        ],
    )
    frame = render_frame(doc, "1:1", samples, 0.5, tmp_path / "f.png", proxy=True)
    assert Image.open(frame).size == PROXY_SIZES["1:1"]


@pytest.mark.parametrize(
    ("ratio", "framing"),
    [
        ("9:16", {"mode": "crop", "x": 0.3, "y": 0.0, "w": 0.3, "h": 1.0}),
        ("1:1", {"mode": "fit"}),
        ("4:5", {"mode": "blur"}),
        ("16:9", {"mode": "fill"}),
    ],
)
def test_each_framing_gives_the_ratio_size(samples, tmp_path, ratio, framing):
    doc = document(clip("c1", 2, 0, 1.0, framing={ratio: framing}))
    facts = render(doc, ratio, samples, tmp_path / "out.mp4", proxy=True)
    assert (facts.width, facts.height) == PROXY_SIZES[ratio]
    assert facts.video_codec == "h264"
    assert facts.pixel_format == "yuv420p"


def test_full_size_is_the_placement_size(samples, tmp_path):
    facts = render(document(clip("c1", 1, 0, 0.5)), "9:16", samples, tmp_path / "out.mp4")
    assert (facts.width, facts.height) == PLACEMENT_SIZES["9:16"] == (1080, 1920)
    assert facts.faststart is True


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_speed_changes_duration(samples, tmp_path, speed):
    doc = document(clip("c1", 1, 0.5, 2.5, speed=speed))
    facts = render(doc, "1:1", samples, tmp_path / "out.mp4", proxy=True)
    assert timeline_duration(doc) == pytest.approx(2.0 / speed)
    assert facts.duration_seconds == pytest.approx(2.0 / speed, abs=0.1)


@pytest.mark.parametrize("kind", ["fade", "slide"])
def test_transitions_shorten_the_timeline_by_their_overlap(samples, tmp_path, kind):
    doc = document(
        clip("c1", 1, 0, 2),
        clip("c2", 2, 0, 2),
        clip("c3", 3, 0, 1),
        transitions=[
            {"after": "c1", "kind": kind, "duration": 0.5},
            {"after": "c2", "kind": "cut", "duration": 0},
        ],
    )
    assert timeline_duration(doc) == pytest.approx(4.5)
    facts = render(doc, "9:16", samples, tmp_path / "out.mp4", proxy=True)
    assert facts.duration_seconds == pytest.approx(4.5, abs=0.1)


def test_muted_clips_still_have_an_aac_48k_track(samples, tmp_path):
    doc = document(clip("c1", 1, 0, 1, muted=True), clip("c2", 2, 0, 1))
    facts = render(doc, "1:1", samples, tmp_path / "out.mp4", proxy=True)
    assert facts.has_audio
    assert facts.audio_codec == "aac"
    assert facts.sample_rate == 48_000
    assert facts.audio_channels == 2


def test_everything_on_matches_the_timeline(samples, tmp_path):
    doc = document(
        clip("c1", 1, 0.5, 2.5, speed=2.0, framing={"9:16": {"mode": "blur"}}),
        clip(
            "c2",
            2,
            0,
            2,
            volume=0.5,
            framing={"9:16": {"mode": "crop", "x": 0, "y": 0.2, "w": 1, "h": 0.6}},
        ),
        clip("c3", 3, 0, 1.5, framing={"9:16": {"mode": "fit"}}),
        transitions=[
            {"after": "c1", "kind": "fade", "duration": 0.3},
            {"after": "c2", "kind": "slide", "duration": 0.4},
        ],
        texts=[
            {
                "id": "t1",
                "text": "Spring sale",
                "style": "title",
                "x": 0.5,
                "y": 0.15,
                "start": 0,
                "end": 2,
            }
        ],
        logo={"asset": 3, "x": 0.9, "y": 0.08, "scale": 0.15},
        captions=[{"start": 0, "end": 1.5, "text": "Hello there"}],
        audio=[
            {
                "id": "a1",
                "asset": 4,
                "role": "music",
                "start": 0.5,
                "in": 0,
                "out": 8,
                "volume": 0.8,
                "fade_in": 0.5,
                "fade_out": 1.0,
                "duck": True,
            },
            {
                "id": "a2",
                "asset": 1,
                "role": "voice",
                "start": 1.0,
                "in": 0,
                "out": 2,
                "volume": 1.0,
                "fade_in": 0,
                "fade_out": 0,
                "duck": False,
            },
        ],
        end_card={"text": "Shop now at example.com", "duration": 1.0},
    )
    total = timeline_duration(doc)
    assert total == pytest.approx(1.0 + 2.0 + 1.5 - 0.7 + 1.0)
    facts = render(doc, "9:16", samples, tmp_path / "out.mp4", proxy=True)
    assert facts.duration_seconds == pytest.approx(total, abs=0.1)
    assert facts.has_audio
    assert facts.sample_rate == 48_000
    # The music runs past the end: it is cut, not the video lengthened.
    assert not list(tmp_path.glob(".*"))  # no partial file, no work folder left


@pytest.mark.parametrize("ratio", ["9:16", "4:5"])
def test_frame_at_t_is_an_image_of_the_ratio(samples, tmp_path, ratio):
    doc = document(
        clip("c1", 1, 0, 2),
        clip("c2", 2, 0, 2),
        transitions=[{"after": "c1", "kind": "fade", "duration": 0.5}],
    )
    frame = render_frame(doc, ratio, samples, 1.7, tmp_path / "frame.png")
    with Image.open(frame) as picture:
        assert picture.format == "PNG"
        assert picture.size == PLACEMENT_SIZES[ratio]
    whole = build_render(doc, ratio, samples, frame_at=1.7, whole_timeline=True)
    window = build_render(doc, ratio, samples, frame_at=1.7)
    render_plan = build_render(doc, ratio, samples)
    # The same graph as the render, less the audio.
    assert set(graph_of(whole).split(";")) <= set(graph_of(render_plan).split(";"))
    # The window around 1.7 s (inside the fade): the same filters, other numbers (seeks,
    # lengths, the fade's offset), plus the shift that gives the words their timeline time.
    assert set(shape_of(window, shift=True)) <= set(shape_of(render_plan))
    assert "-ss" not in window.args[window.args.index("-filter_complex") :]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"clips": []}, "empty"),
        ({"clips": [clip("c1", 99, 0, 1)]}, "missing"),
        ({"clips": [clip("c1", 1, 0, 9)]}, "past the end"),
        ({"clips": [clip("c1", 1, 0, 1, speed=3)]}, "speed"),
        ({"clips": [clip("c1", 1, 1, 1)]}, "at least"),
        ({"clips": [clip("c1", 4, 0, 1)]}, "video or an image"),
        (
            {
                "clips": [clip("c1", 1, 0, 1), clip("c2", 1, 0, 1)],
                "transitions": [{"after": "c1", "kind": "fade", "duration": 1.0}],
            },
            "longer than",
        ),
    ],
)
def test_bad_documents_are_refused_with_a_message(samples, change, message):
    with pytest.raises(RenderError) as caught:
        build_render({**document(), **change}, "9:16", samples)
    assert message in caught.value.message


def test_failed_render_leaves_nothing(samples, tmp_path, monkeypatch):
    broken = SourceMedia(tmp_path / "gone.mp4", samples[1].facts)  # inspected, then deleted
    with pytest.raises(RenderError) as caught:
        render(document(clip("c1", 1, 0, 1)), "1:1", {1: broken}, tmp_path / "out.mp4")
    assert caught.value.code == "render_failed"
    assert list(tmp_path.iterdir()) == []


def test_plan_is_pure(samples):
    plan = build_render(document(clip("c1", 1, 0, 1)), "1:1", samples)
    assert plan.duration == 1.0
    assert plan.size == (1080, 1080)
    assert editor_render.PLACEMENT_FOR_RATIO["1:1"] == "ig_feed_video"


# --- A frame at t: the window of the graph around t ------------------------------------------


def mean_difference(first: Path, second: Path) -> float:
    with Image.open(first) as a, Image.open(second) as b:
        return max(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean)


@pytest.fixture(scope="module")
def busy_edit() -> dict:
    """A cut then a fade, a slide, speed 2, a picture, a logo, words, CJK, an end card."""
    return document(
        clip("c1", 1, 0.4, 1.733),
        clip("c2", 1, 1.0, 3.0, speed=2.0, framing={"9:16": {"mode": "blur"}}),
        clip("c3", 3, 0, 1.5, framing={"9:16": {"mode": "fit"}}),
        clip(
            "c4",
            2,
            0.3,
            2.8,
            framing={"9:16": {"mode": "crop", "x": 0, "y": 0.2, "w": 1, "h": 0.5}},
        ),
        transitions=[
            {"after": "c1", "kind": "cut", "duration": 0},
            {"after": "c2", "kind": "fade", "duration": 0.4},
            {"after": "c3", "kind": "slide", "duration": 0.5},
        ],
        texts=[
            {
                "id": "t1",
                "text": "Sale 春",
                "style": "title",
                "x": 0.5,
                "y": 0.2,
                "start": 0.5,
                "end": 4,
            }
        ],
        logo={"asset": 3, "x": 0.85, "y": 0.1, "scale": 0.2},
        captions=[{"start": 2.0, "end": 3.5, "text": "Hello there"}],
        end_card={"text": "Shop now", "duration": 0.8},
    )


@pytest.mark.parametrize(
    ("at", "what"),
    [
        (0.0, "the first frame"),
        (1.5, "after the cut, at speed 2"),
        (2.2, "inside the fade, a caption showing"),
        (2.9, "the picture, text in CJK"),
        (3.2, "inside the slide"),
        (4.5, "the last clip"),
        (5.8, "the end card"),
        (60.0, "past the end: the last frame"),
    ],
)
def test_a_frame_is_the_whole_timelines_frame_pixel_for_pixel(
    samples, busy_edit, tmp_path, at, what
):
    window = render_frame(busy_edit, "9:16", samples, at, tmp_path / "window.png", proxy=True)
    whole = render_frame(
        busy_edit, "9:16", samples, at, tmp_path / "whole.png", proxy=True, whole_timeline=True
    )
    assert mean_difference(window, whole) < 0.25, what


@pytest.mark.parametrize("at", [0.7, 1.9, 3.2])
def test_a_frame_of_an_edit_of_cuts_is_the_whole_timelines_frame(samples, tmp_path, at):
    # No transition: composed in 4:2:0 (the other branch of the pixel format).
    doc = document(
        clip("c1", 2, 0.2, 1.5),
        clip("c2", 1, 0.5, 2.5, speed=2.0),
        clip("c3", 3, 0, 1.0),
        logo={"asset": 3, "x": 0.2, "y": 0.9, "scale": 0.3},
        captions=[{"start": 1.5, "end": 2.5, "text": "Cuts only"}],
        end_card={"text": "Bye", "duration": 0.6},
    )
    window = render_frame(doc, "4:5", samples, at, tmp_path / "window.png", proxy=True)
    whole = render_frame(
        doc, "4:5", samples, at, tmp_path / "whole.png", proxy=True, whole_timeline=True
    )
    assert mean_difference(window, whole) < 0.25


def test_a_frame_decodes_only_the_clips_showing(samples, busy_edit):
    def inputs(at: float) -> list[str]:
        plan = build_render(busy_edit, "9:16", samples, frame_at=at, proxy=True)
        return [plan.args[i + 1] for i, arg in enumerate(plan.args) if arg == "-i"]

    logo = str(samples[3].path)
    assert inputs(1.5) == [str(samples[1].path), logo]  # clip 2 alone
    assert inputs(2.2) == [str(samples[1].path), str(samples[3].path), logo]  # the fade's two
    assert inputs(3.2) == [str(samples[3].path), str(samples[2].path), logo]  # the slide's two
    assert inputs(5.8) == [logo]  # the end card: no source at all
    whole = build_render(busy_edit, "9:16", samples, frame_at=1.5, whole_timeline=True)
    assert whole.args.count("-i") == 5


def test_a_frame_is_the_rendered_videos_frame(samples, busy_edit, tmp_path):
    render(busy_edit, "9:16", samples, tmp_path / "proxy.mp4", proxy=True)
    for at in (2.2, 3.2):  # a caption over a fade; the slide
        subprocess.run(  # noqa: S603
            [
                get_ffmpeg_exe(),
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(tmp_path / "proxy.mp4"),
                "-vf",
                f"select=eq(n\\,{round(at * 30)})",
                "-frames:v",
                "1",
                str(tmp_path / "from-video.png"),
            ],
            check=True,
            timeout=60,
        )
        frame = render_frame(busy_edit, "9:16", samples, at, tmp_path / "frame.png", proxy=True)
        # The video went through x264 (CRF 30, ultrafast): close, not equal.
        assert mean_difference(frame, tmp_path / "from-video.png") < 4.0, at


def test_a_cut_then_a_fade_renders(samples, tmp_path):
    doc = document(
        clip("c1", 1, 0, 1),
        clip("c2", 2, 0, 1),
        clip("c3", 1, 1, 2),
        transitions=[
            {"after": "c1", "kind": "cut", "duration": 0},
            {"after": "c2", "kind": "fade", "duration": 0.5},
        ],
    )
    facts = render(doc, "1:1", samples, tmp_path / "out.mp4", proxy=True)
    assert facts.duration_seconds == pytest.approx(2.5, abs=0.1)


def test_a_jpeg_frame_has_the_pngs_colours(samples, busy_edit, tmp_path):
    png = render_frame(busy_edit, "16:9", samples, 2.2, tmp_path / "f.png", proxy=True)
    jpeg = render_frame(busy_edit, "16:9", samples, 2.2, tmp_path / "f.jpg", proxy=True)
    with Image.open(jpeg) as picture:
        assert picture.format == "JPEG"
        assert picture.size == PROXY_SIZES["16:9"]
    assert mean_difference(png, jpeg) < 1.5
    assert sorted(path.name for path in tmp_path.iterdir()) == ["f.jpg", "f.png"]


@pytest.mark.skipif(not editor_render.text.fallback_font_files(), reason="no CJK font installed")
def test_the_cjk_collection_is_loaded_only_for_a_line_that_needs_it(samples, busy_edit):
    collections = set(editor_render.text.CJK_FONT_CANDIDATES)

    def fonts(at: float) -> set:
        plan = build_render(busy_edit, "9:16", samples, frame_at=at, proxy=True)
        return set(plan.fonts) & collections

    assert fonts(2.9)  # "Sale 春" is showing
    assert not fonts(4.5)
