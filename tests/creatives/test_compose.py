"""compose_video: real renders, re-probed, checked against the placements; hostile parts."""

import subprocess
from pathlib import Path

import pytest
from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image, ImageFont

from creatives.library.media.inspect import inspect_file
from creatives.library.media.specs import check_conformance
from creatives.studio.compose import (
    Caption,
    ComposeError,
    CompositionSpec,
    EndCard,
    Scene,
    compose_video,
)
from creatives.studio.compose import text as compose_text
from creatives.studio.compose.render import build_compose_args, prepare_inputs

HOSTILE = (
    "It's 50% off: {\\b1}now\\N, \\h; [out] a,b 'x'\nsecond line %{pts} : \\ ; drawtext=text=pwned"
)
TRANSITION_S = 0.5


def tone(path: Path, *, seconds: float, frequency: int, codec: str) -> Path:
    command = [get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}"]
    subprocess.run([*command, "-c:a", codec, str(path)], check=True, timeout=60)  # noqa: S603
    return path


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("compose-parts")
    found = {}
    for index, colour in enumerate([(200, 60, 60), (60, 180, 90), (60, 90, 200)]):
        image = Image.new("RGB", (640, 480), colour)
        image.paste((240, 240, 240), (0, 0, 160, 120))
        found[f"scene{index}"] = root / f"scene{index}.png"
        image.save(found[f"scene{index}"])
    Image.new("RGBA", (300, 120), (255, 210, 0, 220)).save(root / "logo.png")
    found["logo"] = root / "logo.png"
    # No espeak-ng on our machines: the "voice" is a 4 s tone, the music a 3 s one (looped).
    found["voice"] = tone(root / "voice.mp3", seconds=4, frequency=330, codec="libmp3lame")
    found["music"] = tone(root / "music.m4a", seconds=3, frequency=660, codec="aac")
    (root / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really an image" * 50)
    found["garbage"] = root / "garbage.png"
    return found


def three_scenes(parts: dict[str, Path], *, size: tuple[int, int], **changes) -> CompositionSpec:
    scenes = [
        Scene(
            parts["scene0"],
            2.0,
            "Tired of slow mornings?",
            Caption("Meet the one-touch brewer.", 0.1, 1.9),
            "zoom_in",
        ),
        Scene(parts["scene1"], 2.0, HOSTILE, Caption(HOSTILE), "pan_left"),
        Scene(parts["scene2"], 2.0, "", Caption("Fresh coffee in 60 seconds"), "zoom_out"),
    ]
    values = {
        "size": size,
        "scenes": scenes,
        "end_card": EndCard("Shop now: " + HOSTILE, 1.5, "#1A2B3C", parts["logo"]),
        "transition": "fade",
        "transition_s": TRANSITION_S,
        "voice_over": parts["voice"],
        "music": parts["music"],
    }
    values.update(changes)
    return CompositionSpec(**values)


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


@pytest.mark.parametrize(
    ("size", "placements", "transition"),
    [
        ((1080, 1920), ["ig_reel"], "fade"),
        ((1080, 1080), ["ig_feed_video", "ad_feed_video"], "slide"),
        ((1080, 1350), ["ig_feed_video", "ad_feed_video"], "fade"),
    ],
)
def test_composed_video_is_conforming(parts, tmp_path, size, placements, transition):
    spec = three_scenes(parts, size=size, transition=transition)
    seen: list[float] = []

    facts = compose_video(spec, tmp_path / "ad.mp4", on_progress=seen.append)

    expected = 3 * 2.0 + 1.5 - 3 * TRANSITION_S  # scenes + end card - one fade per join
    assert spec.duration_s == pytest.approx(expected)
    assert facts.duration_seconds == pytest.approx(expected, abs=0.15)
    assert (facts.width, facts.height) == size
    assert facts.fps == pytest.approx(30.0)
    assert (facts.container, facts.video_codec, facts.pixel_format) == ("mp4", "h264", "yuv420p")
    assert (facts.audio_codec, facts.sample_rate, facts.audio_channels) == ("aac", 48_000, 2)
    assert facts.faststart is True
    assert inspect_file(tmp_path / "ad.mp4") == facts  # what the caller gets is re-probed
    for placement in placements:
        failing = [r for r in check_conformance(facts, placement) if not r.ok and not r.advisory]
        assert failing == [], placement
    assert seen == sorted(seen)
    assert seen[-1] == 100.0
    assert leftovers(tmp_path) == ["ad.mp4"]  # no partial or temporary file stays behind


def test_no_audio_parts_still_get_a_silent_track(parts, tmp_path):
    spec = CompositionSpec(
        size=(1080, 1920),
        scenes=[Scene(parts["scene0"], 3.5, "Only a picture", None, "none")],
        transition="none",
    )

    facts = compose_video(spec, tmp_path / "ad.mp4")

    assert facts.duration_seconds == pytest.approx(3.5, abs=0.15)
    assert facts.has_audio
    assert (facts.audio_codec, facts.sample_rate) == ("aac", 48_000)
    assert all(r.ok or r.advisory for r in check_conformance(facts, "ig_reel"))


def test_ducking_lowers_the_music_under_the_voice(parts, tmp_path):
    # A 1.5 s voice in a 5 s video (music fades out from 3.5 s): louder music once it stops.
    voice = tone(tmp_path / "short_voice.mp3", seconds=1.5, frequency=330, codec="libmp3lame")
    spec = three_scenes(parts, size=(1080, 1080), end_card=None, voice_over=voice)
    compose_video(spec, tmp_path / "ad.mp4")

    def music_level(start: float) -> float:
        # 660 Hz is the music; a narrow band-pass ignores the 330 Hz voice.
        command = [get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-ss", str(start), "-t", "0.8"]
        command += ["-i", str(tmp_path / "ad.mp4"), "-af", "bandpass=f=660:w=40,volumedetect"]
        command += ["-f", "null", "-"]
        result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
        line = next(x for x in result.stderr.splitlines() if "mean_volume" in x)
        return float(line.split("mean_volume:")[1].split()[0])

    assert music_level(2.4) - music_level(0.3) > 6  # dB


def test_hostile_text_is_escaped_into_the_script_not_the_graph(parts, tmp_path):
    spec = three_scenes(parts, size=(1080, 1080))
    prepared = prepare_inputs(spec, tmp_path)
    args = build_compose_args(spec, prepared, tmp_path / "out.mp4")

    graph = args[args.index("-filter_complex") + 1]
    assert "pwned" not in " ".join(args)
    assert "50%" not in graph
    script = prepared.ass_script.read_text(encoding="utf-8")
    events = [line for line in script.splitlines() if line.startswith("Dialogue:")]
    hostile = [line for line in events if "pwned" in line or "second line" in line]
    assert hostile
    for line in hostile:
        body = line.split(",,0,0,0,,", 1)[1]
        assert "{\\b1}" not in body  # no override block from user text
        assert "\\{\\" + compose_text.WORD_JOINER + "b1\\}" in body
        assert "\\" + compose_text.WORD_JOINER + "N" in body  # a literal backslash-N
        assert "\n" not in body


def test_text_wraps_inside_its_band_and_pages_instead_of_cutting():
    font_file = compose_text.default_font_file()
    long = "Unbelievably " * 12 + "Supercalifragilisticexpialidocious" * 3
    for style in compose_text.STYLES:
        for size in ((1080, 1920), (1080, 1080), (1080, 1350)):
            pages, px = compose_text.fit_pages(long, style, size=size, font_file=font_file)
            font = ImageFont.truetype(str(font_file), px)
            left, top, right, bottom = compose_text.band(style, size)
            inset = compose_text._inset(style)
            lines = [line for page in pages for line in page]
            assert px >= round(style.size * style.min_scale)
            assert all(font.getlength(line) <= right - left - 2 * inset for line in lines)
            assert all(
                len(page) * compose_text.line_height(px) <= bottom - top - 2 * inset
                for page in pages
            )
            # Nothing is cut: every character is on some page, and no ellipsis was added.
            assert "".join(lines).replace(" ", "") == long.replace(" ", "")
            assert not any("…" in line for line in lines)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scene0": "garbage"}, "Scene 1's image was refused"),
        ({"scene0": "missing"}, "Scene 1's image is missing"),
        ({"music": "scene1"}, "The music must be an audio file"),
        ({"voice": "missing"}, "The voice-over is missing"),
    ],
)
def test_bad_parts_fail_clearly_without_output(parts, tmp_path, change, message):
    broken = dict(parts)
    for key, replacement in change.items():
        broken[key] = tmp_path / "nope.png" if replacement == "missing" else parts[replacement]
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    with pytest.raises(ComposeError) as caught:
        compose_video(three_scenes(broken, size=(1080, 1920)), out_dir / "ad.mp4")

    assert caught.value.code == "bad_input"
    assert caught.value.message.startswith(message)
    assert leftovers(out_dir) == []


def test_invalid_spec_is_refused_before_anything_runs(parts, tmp_path):
    with pytest.raises(ComposeError) as caught:
        compose_video(
            three_scenes(parts, size=(1080, 1920), end_card=EndCard("Buy", 2.0, "red:drawtext=x")),
            tmp_path / "ad.mp4",
        )
    assert caught.value.code == "invalid_spec"
    with pytest.raises(ComposeError, match="1080x1920"):
        compose_video(three_scenes(parts, size=(720, 1280)), tmp_path / "ad.mp4")
    with pytest.raises(ComposeError, match="can't be written"):
        compose_video(three_scenes(parts, size=(1080, 1920)), tmp_path / "no" / "ad.mp4")
    assert leftovers(tmp_path) == []


def test_a_render_that_times_out_leaves_nothing(parts, tmp_path):
    with pytest.raises(ComposeError) as caught:
        compose_video(three_scenes(parts, size=(1080, 1920)), tmp_path / "ad.mp4", timeout=0.05)
    assert caught.value.code == "render_failed"
    assert leftovers(tmp_path) == []
