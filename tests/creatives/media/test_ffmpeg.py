"""run_ffmpeg: the locked-down runner. Real ffmpeg, no mocks."""

import time

import pytest

from creatives.library.media.errors import FfmpegError
from creatives.library.media.ffmpeg import PROTOCOL_WHITELIST, build_command, ffmpeg_exe, run_ffmpeg


def test_the_bundled_binary_is_used():
    assert "imageio_ffmpeg" in ffmpeg_exe()


def test_every_input_and_the_output_get_the_protocol_whitelist(tmp_path):
    command = build_command(["-i", "/a.mp4", "-i", "/b.wav", "-c", "copy", "/out.mp4"])

    assert command[0] == ffmpeg_exe()
    assert command[1:10] == [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostats",
        "-progress",
        "pipe:1",
        "-stats_period",
        "0.25",
    ]
    whitelist = ["-protocol_whitelist", PROTOCOL_WHITELIST]
    rest = command[10:]
    assert rest == [
        *whitelist,
        "-i",
        "/a.mp4",
        *whitelist,
        "-i",
        "/b.wav",
        "-c",
        "copy",
        *whitelist,
        "/out.mp4",
    ]
    assert PROTOCOL_WHITELIST == "file,pipe"


@pytest.mark.parametrize(
    "argument",
    [
        "http://127.0.0.1:9/video.mp4",
        "https://example.com/a.mp4",
        "rtmp://example.com/live",
        "file:///etc/passwd",
        "HTTP://EXAMPLE.COM/A.MP4",
        "movie=ftp://example.com/x.mp4",  # inside a filter argument too
    ],
)
def test_urls_are_refused_before_anything_runs(tmp_path, argument):
    with pytest.raises(FfmpegError) as caught:
        run_ffmpeg(["-i", argument, str(tmp_path / "out.mp4")], timeout=10)

    assert caught.value.code == "refused"
    assert caught.value.message == (
        "Refused to run ffmpeg on a URL: media is only ever processed from local files."
    )
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize(
    "source",
    [
        "concat:/etc/hostname|/etc/hostname",
        "subfile,,start,0,end,16,,:/etc/hostname",
        "data:video/mp4;base64,AAAAAA==",
    ],
)
def test_other_protocols_are_stopped_by_the_whitelist(tmp_path, source):
    with pytest.raises(FfmpegError) as caught:
        run_ffmpeg(["-i", source, "-c", "copy", str(tmp_path / "out.mp4")], timeout=20)

    assert caught.value.code == "failed"
    assert "not on whitelist" in caught.value.stderr_tail
    assert (
        caught.value.message == "Processing the media failed: ffmpeg could not read or convert it."
    )


def test_failure_keeps_the_stderr_tail_for_logs_not_for_users(tmp_path):
    missing = tmp_path / "missing.mp4"

    with pytest.raises(FfmpegError) as caught:
        run_ffmpeg(["-i", str(missing), str(tmp_path / "out.mp4")], timeout=20)

    assert caught.value.code == "failed"
    assert "No such file or directory" in caught.value.stderr_tail
    assert str(tmp_path) not in caught.value.message


def test_timeout_kills_ffmpeg(tmp_path):
    started = time.monotonic()

    with pytest.raises(FfmpegError) as caught:
        run_ffmpeg(
            [
                "-re",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=64x64:rate=25:duration=600",
                "-f",
                "null",
                str(tmp_path / "null"),
            ],
            timeout=1.0,
        )

    assert time.monotonic() - started < 10
    assert (caught.value.code, caught.value.message) == (
        "timeout",
        "Processing took longer than the 1 s allowed and was stopped.",
    )


def test_progress_rises_and_ends_at_100(tmp_path):
    seen: list[float] = []

    # -re reads the 2 s source in real time, so progress arrives over ~2 s.
    run_ffmpeg(
        [
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x64:rate=25:duration=2",
            "-f",
            "null",
            str(tmp_path / "null"),
        ],
        timeout=30,
        on_progress=seen.append,
        duration_seconds=2.0,
    )

    assert len(seen) >= 4
    assert seen == sorted(set(seen))  # strictly rising
    assert seen[-1] == 100.0
    assert all(0 <= value <= 100 for value in seen)
    assert 100.0 not in seen[:-1]  # 100 only once ffmpeg has exited cleanly


def test_without_a_duration_progress_is_just_done(tmp_path):
    seen: list[float] = []

    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x64:rate=25:duration=1",
            "-f",
            "null",
            str(tmp_path / "null"),
        ],
        timeout=30,
        on_progress=seen.append,
    )

    assert seen == [100.0]


def test_a_raising_progress_callback_stops_ffmpeg(tmp_path):
    class Cancelled(Exception):
        pass

    def cancel(percent: float) -> None:
        raise Cancelled

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_ffmpeg(
            [
                "-re",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=64x64:rate=25:duration=600",
                "-f",
                "null",
                str(tmp_path / "null"),
            ],
            timeout=60,
            on_progress=cancel,
            duration_seconds=600,
        )

    assert time.monotonic() - started < 10
