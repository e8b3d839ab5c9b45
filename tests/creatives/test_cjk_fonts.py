"""Chinese, Japanese, Korean and emoji in composed videos (#13): the composer picks a face per
script so CJK text is drawn with real glyphs, not "tofu" boxes; the Dockerfile installs the
fonts. The pixel check needs Debian's fonts-noto-cjk, and is skipped (saying so) without it."""

import subprocess
from pathlib import Path

import pytest
from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

from creatives.studio.compose import CompositionSpec, Scene, compose_video
from creatives.studio.compose import text as compose_text
from creatives.studio.compose.text import ON_SCREEN, Cue

ROOT = Path(__file__).resolve().parents[2]
CJK_FONT = next((path for path in compose_text.CJK_FONT_CANDIDATES if path.is_file()), None)
needs_cjk_font = pytest.mark.skipif(
    CJK_FONT is None,
    reason="No Noto Sans CJK collection on this machine (fc-list | grep -i 'Noto Sans CJK' finds "
    "none): install Debian's fonts-noto-cjk, as the Dockerfile does, to run the pixel check.",
)
SIZE = (1080, 1920)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("新品上市\uff0c限时优惠", "zh"),  # with a fullwidth comma
        ("今日から発売\uff01", "ja"),  # Han and kana: Japanese
        ("セール", "ja"),
        ("지금 구매하세요", "ko"),
        ("Shop now — 50% off", "latin"),
        ("Ελληνικά и кириллица", "latin"),  # DejaVu covers these
        ("New: 新品", "zh"),
        ("", "latin"),
    ],
)
def test_text_script_names_the_script_a_face_is_needed_for(text, script):
    assert compose_text.text_script(text) == script


def test_emoji_are_told_apart_from_text():
    assert compose_text.has_emoji("Fresh coffee ☕️🔥")
    assert compose_text.has_emoji("👍")
    assert not compose_text.has_emoji("Fresh coffee — 50% off ©")


def test_latin_text_keeps_the_default_face():
    default = compose_text.default_font_file()

    assert compose_text.face_for_text("Shop now", default) == compose_text.Face(default)


def test_cjk_text_keeps_the_default_face_when_no_cjk_font_is_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(compose_text, "CJK_FONT_CANDIDATES", (tmp_path / "missing.ttc",))
    default = compose_text.default_font_file()

    assert compose_text.face_for_text("新品上市", default) == compose_text.Face(default)
    script = compose_text.build_ass(
        [Cue(ON_SCREEN, 0.0, 2.0, "新品上市")], size=SIZE, font_file=default
    )
    assert "\\fn" not in script


def test_the_image_installs_the_cjk_and_emoji_fonts():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    install = next(line for line in dockerfile.splitlines() if "apt-get install" in line)

    for package in (
        "fonts-dejavu-core",
        "fonts-noto-cjk",
        "fonts-noto-color-emoji",
        "fonts-symbola",
    ):
        assert package in install, package


def test_emoji_runs_are_switched_to_the_emoji_face_and_back(monkeypatch):
    default = compose_text.default_font_file()
    # Any outline font stands in for Symbola here: the markup is what is checked.
    monkeypatch.setattr(compose_text, "OUTLINE_EMOJI_FONT_CANDIDATES", (default,))
    family = compose_text.font_family(default)[0]

    script = compose_text.build_ass(
        [Cue(ON_SCREEN, 0.0, 2.0, "Hot 🔥🔥 deals 👍🏽")], size=SIZE, font_file=default
    )

    line = next(row for row in script.splitlines() if row.startswith("Dialogue:"))
    assert f"Hot {{\\fn{family}}}🔥🔥{{\\fn{family}}} deals" in line
    assert f"{{\\fn{family}}}👍🏽{{\\fn{family}}}" in line


def test_without_an_emoji_font_emoji_are_left_to_the_main_face(monkeypatch, tmp_path):
    monkeypatch.setattr(compose_text, "OUTLINE_EMOJI_FONT_CANDIDATES", (tmp_path / "no.ttf",))
    default = compose_text.default_font_file()

    script = compose_text.build_ass(
        [Cue(ON_SCREEN, 0.0, 2.0, "Hot 🔥 deals")], size=SIZE, font_file=default
    )

    assert "\\fn" not in script
    assert "Hot 🔥 deals" in script


@needs_cjk_font
@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("新品上市", "Noto Sans CJK SC"),
        ("セール中", "Noto Sans CJK JP"),
        ("세일", "Noto Sans CJK KR"),
    ],
)
def test_cjk_cues_are_measured_and_drawn_with_the_face_for_their_script(text, family):
    default = compose_text.default_font_file()

    script = compose_text.build_ass([Cue(ON_SCREEN, 0.0, 2.0, text)], size=SIZE, font_file=default)

    assert f"\\fn{family}}}{text}" in script
    latin = compose_text.build_ass([Cue(ON_SCREEN, 0.0, 2.0, "Sale")], size=SIZE, font_file=default)
    assert "\\fn" not in latin


def _middle_frame(video: Path, out: Path) -> Image.Image:
    command = [get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-ss", "0.5", "-i", str(video), "-frames:v", "1", str(out)]
    subprocess.run(command, check=True, timeout=120)  # noqa: S603
    return Image.open(out).convert("L")


def _ink(image: Image.Image) -> Image.Image:
    """White text on a dark ground, cut to the text and brought to one size for comparing."""
    ink = image.convert("L").point(lambda value: 255 if value > 200 else 0)
    box = ink.getbbox()
    assert box is not None, "no text was drawn at all"
    return ink.crop(box).resize((240, 60))


def _drawn_with(font_file: Path, index: int, text: str) -> Image.Image:
    """``text`` drawn by Pillow with one face only (DejaVu: .notdef boxes for CJK)."""
    image = Image.new("L", (900, 200), 0)
    face = ImageFont.truetype(str(font_file), 80, index=index)
    ImageDraw.Draw(image).text((20, 40), text, font=face, fill=255)
    return _ink(image)


def _difference(first: Image.Image, second: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(first, second)).sum[0] / (255 * 240 * 60)


@needs_cjk_font
def test_a_cjk_headline_renders_real_glyphs_not_tofu(tmp_path):
    scene = tmp_path / "scene.png"
    Image.new("RGB", (1080, 1920), (25, 30, 40)).save(scene)
    headline = "新品上市"
    spec = CompositionSpec(size=SIZE, scenes=[Scene(scene, 1.5, headline)], transition="none")

    compose_video(spec, tmp_path / "cjk.mp4")
    drawn = _ink(_middle_frame(tmp_path / "cjk.mp4", tmp_path / "frame.png"))

    face = compose_text.face_for_text(headline, compose_text.default_font_file())
    glyphs = _drawn_with(face.file, face.index, headline)
    tofu = _drawn_with(compose_text.default_font_file(), 0, headline)
    assert face.file != compose_text.default_font_file()
    # Much closer to the real glyphs than to a row of .notdef boxes.
    assert _difference(drawn, glyphs) < 0.5 * _difference(drawn, tofu)


EMOJI_FONT = compose_text.emoji_font_file()


@pytest.mark.skipif(
    EMOJI_FONT is None,
    reason="No outline emoji font on this machine (fc-list | grep -i symbola finds none): "
    "install Debian's fonts-symbola, as the Dockerfile does, to run the pixel check.",
)
def test_an_emoji_renders_as_a_picture_not_a_box(tmp_path):
    scene = tmp_path / "scene.png"
    Image.new("RGB", (1080, 1920), (25, 30, 40)).save(scene)
    spec = CompositionSpec(size=SIZE, scenes=[Scene(scene, 1.5, "🔥")], transition="none")

    compose_video(spec, tmp_path / "emoji.mp4")
    drawn = _ink(_middle_frame(tmp_path / "emoji.mp4", tmp_path / "frame.png"))

    emoji = _drawn_with(EMOJI_FONT, 0, "🔥")
    tofu = _drawn_with(compose_text.default_font_file(), 0, "🔥")
    assert _difference(drawn, emoji) < 0.5 * _difference(drawn, tofu)


@needs_cjk_font
def test_a_cjk_headline_on_a_still_picture_renders_real_glyphs_not_tofu():
    """The scene pictures (creatives.studio.ai.layout) pick the CJK face too, not only videos."""
    from creatives.studio.ai import layout

    headline = "新品上市"
    image, placed = layout.render_creative(
        size=(1080, 1080), colours=("#191e28", "#191e28"), headline=headline, cta="购买"
    )
    assert placed.headline_text == headline
    # Only the headline's own box: white letters on the dark brand colour.
    drawn = _ink(image.crop(placed.headline))

    face = compose_text.face_for_text(headline, compose_text.default_font_file())
    glyphs = _drawn_with(face.file, face.index, headline)
    tofu = _drawn_with(compose_text.default_font_file(), 0, headline)
    assert _difference(drawn, glyphs) < 0.5 * _difference(drawn, tofu)
