"""Text on generated creatives: it fits its safe area without "…", bands never overlap, a
line shows once. Real Pillow layouts, real ffmpeg/libass renders, pixels measured.

Colours are chosen so each element can be found in a frame: a solid green background, a
pure blue product shot, white headline text (the layout's pick on that green), captions in
libass's black box. Hostile lines: very long words, a 200-character headline, CJK, emoji,
right-to-left scripts and a single word.
"""

import io
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image, ImageChops, ImageFilter

from creatives.studio import frames
from creatives.studio.ai import layout
from creatives.studio.ai.base import Brief, Cohort
from creatives.studio.ai.base import Scene as AIScene
from creatives.studio.ai.offline import OfflineProvider
from creatives.studio.compose import Caption, CompositionSpec, Scene, compose_video
from creatives.studio.compose import text as compose_text
from creatives.studio.compose.render import prepare_inputs
from creatives.studio.compose.spec import SIZES

Box = frames.Box
GREEN = "#145A32"
BUTTON = "#E0A000"
HEADLINES = {
    "long_word": "Supercalifragilisticexpialidocious" * 4,
    "200_chars": (
        "Grip that holds on wet rock, loose gravel and muddy switchbacks every single weekend "
        "of the year, so you can stop worrying about your footing and start enjoying the view "
        "from the very top of the ridge"
    ),
    "cjk": "超轻折叠自行车十秒折叠放在桌下通勤从未如此轻松" * 3,
    "emoji": "Ride more 🚲🔥✨ worry less 😎🙌 " * 4,
    "rtl": "دراجة قابلة للطي في عشر ثوان تناسب مكتبك وتجعل تنقلك اليومي أسهل بكثير من أي وقت مضى",
    "one_word": "Ride",
}
# Spoken lines unlike their scene's headline, so every scene has a caption to measure.
CAPTIONS = {
    "long_word": "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "200_chars": (
        "Our new outsole compound was tested on wet granite, limestone and sandstone across "
        "three seasons, and it kept its grip where every other shoe we tried slipped, which is "
        "why we are so proud of it today"
    ),
    "cjk": "今天下单明天送达。" * 6,
    "emoji": "😎 " * 40,
    "rtl": "הזמינו עכשיו וקבלו משלוח חינם עד הבית בתוך יומיים בלבד",
    "one_word": "Go",
}
MOTIONS = ("zoom_in", "pan_right", "zoom_out", "pan_left")
SCENE_S = 0.6
FPS = 30
RATIOS = pytest.mark.parametrize("aspect", list(SIZES), ids=["9x16", "1x1", "4x5"])


@pytest.fixture(scope="module")
def brief() -> Brief:
    return Brief(
        product_name="Acme Fold",
        key_message="Folds in ten seconds",
        brand_colours=(GREEN, GREEN, BUTTON),
        cohort=Cohort(name="Young urban commuters", age_min=18, age_max=34),
    )


@pytest.fixture(scope="module")
def product() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 600), (0, 0, 255)).save(out, format="PNG")
    return out.getvalue()


def inside(box: Box | None, outer: Box) -> bool:
    return box is not None and all(
        (box[0] >= outer[0], box[1] >= outer[1], box[2] <= outer[2], box[3] <= outer[3])
    )


def mask(channel: Image.Image, test) -> Image.Image:
    return channel.point(lambda v: 255 if test(v) else 0)


def measure(frame: Image.Image) -> dict[str, Box | None]:
    """Return the bounding boxes of the caption box, the product shot and the headline ink.

    Areas (the caption's black box, the blue product) are eroded by a pixel first, so the odd
    dark or blue pixel of compression ringing around white letters does not count.
    """
    r, g, b = frame.convert("RGB").split()
    brightest = ImageChops.lighter(ImageChops.lighter(r, g), b)
    dimmest = ImageChops.darker(ImageChops.darker(r, g), b)
    solid = ImageFilter.MinFilter(3)
    caption = mask(brightest, lambda v: v < 30).filter(solid).getbbox()  # libass's black box
    product = (
        ImageChops.multiply(
            mask(b, lambda v: v > 170), mask(ImageChops.lighter(r, g), lambda v: v < 80)
        )
        .filter(solid)
        .getbbox()
    )
    white = mask(dimmest, lambda v: v > 170)
    if caption is not None:
        white.paste(0, caption)  # the caption's own white letters
    return {"caption": caption, "product": product, "headline": white.getbbox()}


# --- Pictures (Pillow) ------------------------------------------------------------------------


@RATIOS
@pytest.mark.parametrize("kind", list(HEADLINES))
def test_still_ad_headline_fits_its_safe_area_without_an_ellipsis(brief, product, aspect, kind):
    size = SIZES[aspect]
    provider = OfflineProvider()

    image, placed = layout.render_creative(
        size=size,
        colours=brief.brand_colours,
        headline=HEADLINES[kind],
        cta="Shop now",
        product_image=product,
        shorten=lambda line, budget: provider.shorten(brief, line, budget),
    )

    assert "…" not in placed.headline_text
    assert "…" not in "".join(placed.headline_lines)
    assert placed.headline_px >= layout.MIN_HEADLINE_PX
    # The text chosen is the headline or a shorter line made of its words, never cut mid-word
    # unless a single word was longer than the box.
    assert placed.headline_text.replace(" ", "") in HEADLINES[kind].replace(" ", "")
    for box in (placed.headline, placed.cta, placed.product):
        assert inside(box, placed.safe), (box, placed.safe)
    assert not frames.intersects(placed.headline, placed.product)
    assert not frames.intersects(placed.headline, placed.cta)
    # Pixels: the white headline ink lies inside its placed box.
    white = measure(image)["headline"]
    assert inside(white, placed.headline), (white, placed.headline)


@RATIOS
@pytest.mark.parametrize("kind", list(HEADLINES))
def test_video_frame_keeps_the_caption_band_empty(brief, product, aspect, kind):
    size = SIZES[aspect]
    width, height = size

    image, placed = layout.render_creative(
        size=size,
        colours=brief.brand_colours,
        headline=HEADLINES[kind],
        cta="Shop now",
        product_image=product,
        video=True,
    )

    content = frames.content_area(width, height, video=True)
    assert placed.cta is None  # the end card carries the call to action
    assert "…" not in placed.headline_text
    for box in (placed.headline, placed.product):
        assert inside(box, content), (box, content)
    assert placed.headline[3] <= placed.product[1]  # headline above the product
    assert placed.bottom == frames.bottom_band(width, height, video=True)
    band = image.crop(placed.bottom)
    assert band.getcolors() == [(band.width * band.height, (20, 90, 50))]  # only background


def test_a_headline_too_long_for_its_box_is_shortened_by_the_provider(brief):
    asked: list[tuple[str, int]] = []

    def shorten(line: str, budget: int) -> str:
        asked.append((line, budget))
        return "Folds in ten seconds."

    _image, placed = layout.render_creative(
        size=(1080, 1080),
        colours=brief.brand_colours,
        headline="Folds in ten seconds, " * 20,
        cta="",
        video=True,
        shorten=shorten,
    )

    assert placed.headline_text == "Folds in ten seconds."
    assert len(asked) == 1
    assert asked[0][0] == ("Folds in ten seconds, " * 20).strip()
    assert 50 < asked[0][1] < len(asked[0][0])  # a budget of what fits the box


def test_a_provider_line_that_still_does_not_fit_falls_back_to_the_rules(brief):
    _image, placed = layout.render_creative(
        size=(1080, 1080),
        colours=brief.brand_colours,
        headline="Folds in ten seconds, " * 20,
        cta="",
        video=True,
        shorten=lambda line, budget: line + "…",  # ignores the budget and adds an ellipsis
    )

    assert placed.headline_text.startswith("Folds in ten seconds")
    assert "…" not in placed.headline_text
    assert len(placed.headline_text) < len(("Folds in ten seconds, " * 20).strip())
    assert len(placed.headline_lines) <= layout.MAX_HEADLINE_LINES


# --- Composed videos (ffmpeg, libass) ---------------------------------------------------------


def frames_at(video: Path, numbers: list[int], out: Path) -> list[Image.Image]:
    select = "+".join(f"eq(n\\,{n})" for n in numbers)
    command = [get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-i", str(video), "-vf", f"select={select}", "-fps_mode", "passthrough"]
    subprocess.run([*command, str(out / "frame-%02d.png")], check=True, timeout=120)  # noqa: S603
    return [Image.open(out / f"frame-{i:02d}.png") for i in range(1, len(numbers) + 1)]


@RATIOS
def test_composed_frames_keep_headline_caption_and_product_apart(brief, product, tmp_path, aspect):
    size = SIZES[aspect]
    width, height = size
    provider = OfflineProvider()
    scenes = []
    for index, kind in enumerate(HEADLINES):
        scene = AIScene(SCENE_S, "A bike", HEADLINES[kind], CAPTIONS[kind])
        image = provider.make_image(brief, scene, size, HEADLINES[kind], "", product_image=product)
        path = tmp_path / f"scene-{index}.png"
        path.write_bytes(image.data)
        scenes.append(
            Scene(
                path,
                SCENE_S,
                caption=Caption(CAPTIONS[kind]),
                motion=MOTIONS[index % len(MOTIONS)],
                picture_text=HEADLINES[kind],
            )
        )
    spec = CompositionSpec(size=size, scenes=scenes, transition="none")
    (tmp_path / "work").mkdir()
    prepared = prepare_inputs(spec, tmp_path / "work")
    script = prepared.ass_script.read_text(encoding="utf-8")
    compose_video(spec, tmp_path / "ad.mp4")

    # The text chosen: every caption is there, whole, and nothing was cut with "…".
    assert "…" not in script
    assert script.count(",Caption,,") >= len(scenes)
    # Each scene's first and last frame: the motion's extremes (zoom 1 and 1.12, pan ends).
    per_scene = round(SCENE_S * FPS)
    numbers = [n for i in range(len(scenes)) for n in (i * per_scene, (i + 1) * per_scene - 1)]
    safe = frames.safe_area(width, height)
    band = frames.bottom_band(width, height, video=True)
    for number, frame in zip(
        numbers, frames_at(tmp_path / "ad.mp4", numbers, tmp_path), strict=True
    ):
        found = measure(frame)
        where = f"{aspect} frame {number}: {found}"
        assert found["headline"] is not None, where
        assert found["caption"] is not None, where
        assert found["product"] is not None, where
        assert inside(found["headline"], safe), where
        assert inside(found["caption"], band), where
        assert found["headline"][3] < band[1], where
        assert found["product"][3] < band[1], where
        assert not frames.intersects(found["headline"], found["caption"]), where
        assert not frames.intersects(found["product"], found["caption"]), where
        assert not frames.intersects(found["product"], found["headline"]), where


# --- One line, shown once ---------------------------------------------------------------------


def test_a_scene_line_is_not_both_in_the_picture_and_the_captions(brief, tmp_path):
    provider = OfflineProvider()
    script = provider.write_scripts(replace(brief, offer="20% off this week"), 1)[0]
    storyboard = provider.make_storyboard(brief, script)
    picture = tmp_path / "scene.png"
    Image.new("RGB", (1080, 1920), (20, 90, 50)).save(picture)
    spoken = "A different spoken line, about the weekend."
    scenes = [
        Scene(
            picture,
            scene.duration_s,
            caption=Caption(scene.voiceover_line),
            picture_text=scene.on_screen_text,
        )
        for scene in storyboard.scenes
    ]
    scenes.append(Scene(picture, 2.0, caption=Caption(spoken), picture_text="Weekend ready"))
    spec = CompositionSpec(size=(1080, 1920), scenes=scenes, transition="none")

    script_text = prepare_inputs(spec, tmp_path).ass_script.read_text(encoding="utf-8")

    captions = [line for line in script_text.splitlines() if ",Caption,," in line]
    # The offline storyboard's headlines are its spoken lines (or shorter forms of them):
    # the picture shows each once and no caption repeats it; the one new line is captioned.
    start = spec.scene_starts()[-2]
    times = f"{compose_text.ass_time(start)},{compose_text.ass_time(start + 2.0)}"
    assert captions == [
        f"Dialogue: 0,{times},Caption,,0,0,0,,A different spoken line, about\\Nthe weekend."
    ]


@pytest.mark.parametrize(
    ("caption", "shown", "repeated"),
    [
        ("Grip that holds.", "grip that holds", True),
        (
            "Folds in ten seconds flat, so your commute ends at the door.",
            "Folds in ten seconds",
            True,
        ),
        ("Acme just made hiking way more fun.", "Acme made hiking more fun", True),
        ("Shop now while it lasts.", "Shop now", True),
        ("Meet Acme, trail shoes that grip on wet rock.", "Acme", False),
        ("Our soles were tested on three continents.", "Grip that holds", False),
        ("Anything at all", "", False),
    ],
)
def test_repeats_tells_a_shortened_line_from_a_new_one(caption, shown, repeated):
    assert compose_text.repeats(caption, shown) is repeated
