"""The full decode check: MP4s whose frames break after the first second are found, with the time.

The damaged file is real: an H.264 MP4 made by ffmpeg, then random bytes written over the
video samples from 3.0 s to 3.1 s inside ``mdat`` (their offsets read with PyAV).
"""

import random
import shutil
from pathlib import Path

import av
import pytest

from creatives.library.media.decode import Damage, find_damage, format_position
from creatives.library.media.inspect import inspect_file
from tests.media_samples import make_video

TIMEOUT = 60


def damage_video(src: Path, dst: Path, *, start: float, end: float) -> Path:
    """Copy ``src`` to ``dst`` with the video samples whose time is in [start, end) scrambled."""
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        spans = [
            (packet.pos, packet.size)
            for packet in container.demux(stream)
            if packet.pts is not None and start <= float(packet.pts * stream.time_base) < end
        ]
    assert spans, "no video samples in that range"
    data = bytearray(src.read_bytes())
    rng = random.Random(1)  # the same damage every run
    for pos, size in spans:
        for offset in range(pos + 8, pos + size):  # keep each NAL unit's length and header
            data[offset] = rng.randrange(256)
    dst.write_bytes(bytes(data))
    return dst


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("decode")
    whole = make_video(root / "whole.mp4", width=320, height=180, seconds=5)
    damaged = damage_video(whole, root / "damaged.mp4", start=3.0, end=3.1)
    return whole, damaged


def test_a_whole_file_has_no_damage(clips):
    whole, _ = clips

    assert find_damage(whole, timeout=TIMEOUT, has_video=True) is None


def test_damage_after_the_first_second_passes_the_upload_check(clips):
    _, damaged = clips

    facts = inspect_file(damaged, max_bytes_by_kind={"video": 10**9})

    assert facts.kind == "video"  # the upload check only decodes the start


def test_the_full_decode_finds_the_damaged_second(clips):
    _, damaged = clips

    damage = find_damage(damaged, timeout=TIMEOUT, has_video=True, duration_seconds=5)

    assert damage is not None
    assert damage.stream == "video"
    assert 3.0 <= damage.seconds < 3.2
    assert damage.errors  # ffmpeg's own lines, for the log
    assert damage.message == "The video is damaged around 0:03; re-export it and upload again."


def test_a_file_ffmpeg_gives_up_on_is_damaged(clips, tmp_path):
    whole, _ = clips
    cut = tmp_path / "cut.mp4"
    shutil.copyfile(whole, cut)
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) // 3])  # the index (moov) is up front: faststart

    damage = find_damage(cut, timeout=TIMEOUT, has_video=True)

    assert damage is not None
    assert damage.message.startswith("The video is damaged")


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0:00"), (3.99, "0:03"), (61, "1:01"), (3725.5, "1:02:05")]
)
def test_positions_read_as_minutes_and_seconds(seconds, text):
    assert format_position(seconds) == text


def test_audio_damage_says_audio():
    assert Damage("audio", 12.5, ()).message == (
        "The audio is damaged around 0:12; re-export it and upload again."
    )
