"""SRT and WebVTT: tolerant import, strict refusals, and export that imports back unchanged."""

import pytest

from creatives.editor.captions import CaptionError, parse_captions, to_srt, to_vtt
from creatives.editor.document import Caption

SRT = (
    "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\nHello <i>there</i>\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:05,250\r\nTwo\r\nlines\r\n\r\n"
)
CUES = [Caption(1.0, 2.5, "Hello there"), Caption(3.0, 5.25, "Two\nlines")]


def test_srt_with_bom_crlf_and_tags():
    assert parse_captions(SRT.encode()) == CUES
    assert parse_captions(SRT) == CUES


def test_srt_without_numbers_with_dots_and_cr_line_ends():
    text = "00:00:01.000 --> 00:00:02.500\rHello there\r\r00:00:03.000 --> 00:00:05.250\rTwo\rlines"
    assert parse_captions(text) == CUES


def test_vtt_with_header_settings_identifiers_notes_and_short_times():
    text = (
        "WEBVTT - my captions\n\nNOTE made by hand\nover two lines\n\n"
        "STYLE\n::cue { color: red }\n\n"
        "intro\n00:01.000 --> 00:02.500 align:start position:10%\nHello <v Bob>there</v>\n\n"
        "00:00:03.000 --> 00:00:05.250 line:0\nTwo\nlines\n"
    )
    assert parse_captions(text) == CUES


def test_vtt_entities_are_decoded_and_cues_sorted():
    text = "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nFish &amp; chips &lt;3\n\n00:00:01.000 --> 00:00:02.000\nfirst\n"
    assert parse_captions(text) == [
        Caption(1.0, 2.0, "first"),
        Caption(5.0, 6.0, "Fish & chips <3"),
    ]


def test_empty_cues_are_skipped():
    text = "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nkept\n"
    assert parse_captions(text) == [Caption(3.0, 4.0, "kept")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("", "The caption file has no cues."),
        ("WEBVTT\n", "The caption file has no cues."),
        ("just some words\nand more", "Cue 1: no time line like 00:00:01,000 --> 00:00:02,500."),
        (
            "1\n00:00:01,000 --> soon\nHi",
            "Cue 1: the time line 00:00:01,000 --> soon can't be read.",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:05,000 --> 00:00:04,000\nback",
            "Cue 2: it ends before it starts.",
        ),
        (
            "1\n00:99:01,000 --> 00:99:02,000\nHi",
            "Cue 1: the time line 00:99:01,000 --> 00:99:02,000 can't be read.",
        ),
        (
            "1\n01:00:00,000 --> 01:00:01,000\nHi",
            "Cue 1: it starts after 180 s, longer than any video here.",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\n" + "x" * 301,
            "Cue 1: its text is too long (at most 300 characters on 4 lines).",
        ),
        (b"\xff\xfe\x00\x00garbage", "The caption file is not UTF-8 text."),
        ("1\n00:00:01,000 --> 00:00:02,000\nnul\x00", "The caption file is not text."),
        (b"x" * (1024 * 1024 + 1), "The caption file is larger than 1024 KB."),
        ("x" * (1024 * 1024 + 1), "The caption file is larger than 1024 KB."),
    ],
)
def test_garbage_is_refused_with_a_clear_message(data, expected):
    with pytest.raises(CaptionError) as info:
        parse_captions(data)
    assert info.value.message == expected


def test_too_many_cues_are_refused():
    text = "\n\n".join(
        f"00:{n // 600:02d}:{n // 10 % 60:02d}.{n % 10}00 --> 00:{n // 600:02d}:{n // 10 % 60:02d}.{n % 10}50\nc{n}"
        for n in range(1001)
    )
    with pytest.raises(CaptionError, match="more than 1000 cues"):
        parse_captions(text)


def test_srt_export():
    assert to_srt(CUES) == (
        "1\n00:00:01,000 --> 00:00:02,500\nHello there\n\n"
        "2\n00:00:03,000 --> 00:00:05,250\nTwo\nlines\n"
    )
    assert to_srt([]) == ""


def test_vtt_export_escapes_markup():
    assert to_vtt([Caption(61.5, 3600.0, "a < b & c -->")]) == (
        "WEBVTT\n\n00:01:01.500 --> 01:00:00.000\na &lt; b &amp; c --&gt;\n"
    )


ROUND_TRIP = [
    Caption(0.0, 0.001, "tiny"),
    Caption(1.234, 2.5, "Fish & chips <3 -->"),
    Caption(59.999, 61.0, "Über 50 % — ünïcödé 🎉"),
    Caption(170.0, 180.0, "two\nlines"),
]


@pytest.mark.parametrize("export", [to_srt, to_vtt])
def test_round_trip(export):
    cues = [c for c in ROUND_TRIP if export is to_vtt or "<" not in c.text]
    assert parse_captions(export(cues)) == cues
    assert parse_captions(export(cues).encode("utf-8")) == cues
