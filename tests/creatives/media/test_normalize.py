"""normalize_image (metadata gone, orientation applied) and make_poster."""

import pytest
from PIL import Image, PngImagePlugin

from creatives.library.media.errors import FfmpegError, MediaRejected
from creatives.library.media.inspect import make_poster, normalize_image

RED = (255, 0, 0)


def is_red(pixel) -> bool:
    red, green, blue = pixel[:3]
    return red > 200 and green < 60 and blue < 60


def test_normalize_applies_orientation_and_strips_exif_and_gps(media, tmp_path):
    source = media("photo.jpg")
    with Image.open(source) as original:
        assert original.getexif()[0x0112] == 6
        assert original.getexif().get_ifd(0x8825)  # GPS is there to begin with

    facts = normalize_image(source, tmp_path / "out.jpg")

    assert (facts.kind, facts.container) == ("image", "jpeg")
    assert (facts.width, facts.height, facts.rotation) == (48, 64, 0)  # upright in the pixels
    with Image.open(tmp_path / "out.jpg") as result:
        assert dict(result.getexif()) == {}  # no orientation, make, model or GPS
        assert "exif" not in result.info
        assert "icc_profile" not in result.info
        assert result.applist == [("APP0", result.applist[0][1])]  # only the JFIF header
        # Stored 64x48 with the red block top-left and "rotate 90° clockwise": upright, the
        # block is in the top-right corner.
        assert is_red(result.getpixel((44, 3)))
        assert not is_red(result.getpixel((3, 3)))


def test_normalize_drops_trailing_data_and_text_chunks(media, tmp_path):
    # Re-encoding from pixels leaves nothing of the original bytes behind.
    source = media("photo_plain.jpg")
    padded = tmp_path / "padded.jpg"
    padded.write_bytes(source.read_bytes() + b"TRAILING-SECRET")

    normalize_image(padded, tmp_path / "out.jpg")

    assert b"TRAILING-SECRET" not in (tmp_path / "out.jpg").read_bytes()


def test_normalize_keeps_real_transparency_as_png(media, tmp_path):
    facts = normalize_image(media("alpha.png"), tmp_path / "out")

    assert (facts.container, facts.pixel_format) == ("png", "RGBA")
    with Image.open(tmp_path / "out") as result:
        assert result.getpixel((0, 0))[3] == 0
        assert result.getpixel((20, 20)) == (0, 0, 255, 255)
        assert not result.text  # no tEXt/iTXt chunks


def test_normalize_turns_unused_alpha_into_jpeg(media, tmp_path):
    facts = normalize_image(media("opaque_alpha.png"), tmp_path / "out")

    assert (facts.container, facts.pixel_format) == ("jpeg", "RGB")


@pytest.mark.parametrize("name", ["photo.webp", "still.gif"])
def test_normalize_other_formats_to_jpeg(media, tmp_path, name):
    facts = normalize_image(media(name), tmp_path / "out")

    assert (facts.container, facts.pixel_format) == ("jpeg", "RGB")


def test_normalize_refuses_what_inspect_refuses(media, tmp_path):
    with pytest.raises(MediaRejected) as caught:
        normalize_image(media("bomb.png"), tmp_path / "out")

    assert caught.value.code == "decompression_bomb"
    assert not (tmp_path / "out").exists()


def test_normalize_refuses_video(media, tmp_path):
    with pytest.raises(MediaRejected) as caught:
        normalize_image(media("clip.mp4"), tmp_path / "out")

    assert (caught.value.code, caught.value.message) == (
        "wrong_kind",
        "Only images can be normalised; this file is video.",
    )


def test_video_poster_is_an_upright_jpeg(media, tmp_path):
    make_poster(media("rotated.mp4"), tmp_path / "poster.jpg")

    with Image.open(tmp_path / "poster.jpg") as poster:
        assert poster.format == "JPEG"
        assert poster.size == (180, 320)  # rotation applied


def test_video_poster_is_scaled_to_max_width(media, tmp_path):
    make_poster(media("clip.mp4"), tmp_path / "poster.jpg", at_seconds=0.5, max_width=100)

    with Image.open(tmp_path / "poster.jpg") as poster:
        assert poster.size == (100, 56)  # 16:9, even height


def test_video_poster_position_past_the_end_is_clamped(media, tmp_path):
    make_poster(media("clip.mp4"), tmp_path / "poster.jpg", at_seconds=30)

    assert (tmp_path / "poster.jpg").stat().st_size > 0


def test_poster_with_a_percent_in_its_name_is_one_file(media, tmp_path):
    # image2 would read "%d" as a sequence pattern; -update 1 writes exactly this path.
    make_poster(media("clip.mp4"), tmp_path / "poster%d.jpg")

    assert [path.name for path in tmp_path.iterdir()] == ["poster%d.jpg"]


def test_image_poster_is_an_upright_smaller_copy(media, tmp_path):
    make_poster(media("photo.jpg"), tmp_path / "poster.jpg", max_width=24)

    with Image.open(tmp_path / "poster.jpg") as poster:
        assert (poster.format, poster.size) == ("JPEG", (24, 32))
        assert dict(poster.getexif()) == {}


def test_audio_has_no_poster(media, tmp_path):
    with pytest.raises(MediaRejected) as caught:
        make_poster(media("tone.mp3"), tmp_path / "poster.jpg")

    assert caught.value.code == "wrong_kind"


def test_poster_timeout_is_an_ffmpeg_error(media, tmp_path):
    with pytest.raises(FfmpegError) as caught:
        make_poster(media("clip.mp4"), tmp_path / "poster.jpg", timeout=0.001)

    assert caught.value.code == "timeout"


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", "jpg"), ("PNG", "png")])
def test_normalize_drops_comments_and_text(tmp_path, fmt, suffix):
    source = tmp_path / f"commented.{suffix}"
    image = Image.new("RGBA" if fmt == "PNG" else "RGB", (32, 24), (10, 120, 200, 128))
    if fmt == "JPEG":
        image.save(source, format="JPEG", comment=b"shot at 12 Elm Street by Jo")
    else:
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "shot at 12 Elm Street by Jo")
        image.save(source, format="PNG", pnginfo=text)

    facts = normalize_image(source, tmp_path / "out")

    written = (tmp_path / "out").read_bytes()
    assert b"Elm Street" not in written
    with Image.open(tmp_path / "out") as result:
        assert result.format.lower() == facts.container
        assert not {"comment", "Comment"} & set(result.info)
