"""The edit document: parsing (every rule, hostile values) and the pure edit operations."""

import copy
import json

import pytest

from creatives.editor import document as d
from creatives.editor.document import (
    Caption,
    DocumentError,
    EndCard,
    Framing,
    SourceFacts,
    clip_at,
    parse_document,
    timeline_duration,
    to_json,
)


def base(**changes):
    data = {
        "version": 1,
        "ratios": ["9:16", "1:1"],
        "clips": [
            {"id": "c1", "asset": 1, "in": 0.0, "out": 4.0},
            {"id": "c2", "asset": 2, "in": 1.0, "out": 5.0, "speed": 2.0},
            {"id": "c3", "asset": 3, "in": 0.0, "out": 3.0},
        ],
        "transitions": [{"after": "c1", "kind": "fade", "duration": 0.5}],
        "texts": [
            {
                "id": "t1",
                "text": "Spring sale",
                "style": "title",
                "x": 0.5,
                "y": 0.15,
                "start": 0.0,
                "end": 3.0,
            }
        ],
        "logo": {"asset": 9, "x": 0.9, "y": 0.08, "scale": 0.15},
        "captions": [{"start": 0.0, "end": 1.5, "text": "Hello there"}],
        "caption_style": {"position": "bottom", "size": "m"},
        "audio": [
            {
                "id": "a1",
                "asset": 7,
                "role": "music",
                "start": 0.0,
                "in": 0.0,
                "out": 30.0,
                "volume": 0.8,
                "fade_in": 0.5,
                "fade_out": 1.0,
                "duck": True,
            }
        ],
        "end_card": {"text": "Shop now at example.com", "duration": 2.0},
    }
    data.update(changes)
    return data


SOURCES = {
    1: SourceFacts(kind="video", duration=10.0, has_audio=True, width=1920, height=1080),
    2: SourceFacts(kind="video", duration=6.0, has_audio=False, width=1080, height=1920),
    3: SourceFacts(kind="image", width=1080, height=1080),
    7: SourceFacts(kind="audio", duration=60.0, has_audio=True),
    9: SourceFacts(kind="image", width=200, height=200),
}


def error_of(data, **kwargs) -> str:
    with pytest.raises(DocumentError) as info:
        parse_document(data, **kwargs)
    return info.value.message


def with_clip(index, **changes):
    data = base()
    data["clips"][index].update(changes)
    return data


# --- parsing --------------------------------------------------------------------------------


def test_contract_example_parses_and_round_trips():
    doc = parse_document(base(), sources=SOURCES)
    assert doc.clips[1].speed == 2.0
    assert doc.clips[0].framing_for("9:16") == Framing(mode="fill")
    assert parse_document(to_json(doc)) == doc
    assert parse_document(json.dumps(to_json(doc))) == doc
    assert parse_document(json.dumps(to_json(doc)).encode()) == doc


def test_defaults_fill_missing_optional_fields():
    doc = parse_document(
        {"version": 1, "ratios": ["1:1"], "clips": [{"id": "c1", "asset": 1, "in": 0, "out": 2}]}
    )
    clip = doc.clips[0]
    assert (clip.speed, clip.volume, clip.muted, dict(clip.framing)) == (1.0, 1.0, False, {})
    assert doc.caption_style == d.CaptionStyle("bottom", "m")
    assert (doc.logo, doc.end_card, doc.transitions, doc.audio) == (None, None, (), ())


def test_timeline_duration_subtracts_transitions_and_adds_end_card():
    doc = parse_document(base())
    # Clips of 4, 4 / 2 and 3 s, less a 0.5 s fade, plus a 2 s end card.
    assert timeline_duration(doc) == 10.5
    assert d.clip_starts(doc) == [0.0, 3.5, 5.5]


def test_clip_at_maps_timeline_to_source_time():
    doc = parse_document(base())
    assert clip_at(doc, 1.0).clip.id == "c1"
    at = clip_at(doc, 4.0)  # inside the fade: the incoming clip
    assert (at.clip.id, at.start, at.source_time) == ("c2", 3.5, 2.0)
    assert clip_at(doc, 6.0).clip.id == "c3"
    assert clip_at(doc, 9.0) is None  # the end card
    assert clip_at(doc, -1) is None
    assert clip_at(doc, float("nan")) is None


def test_numbers_are_rounded_to_milliseconds():
    doc = parse_document(with_clip(0, out=3.14159265))
    assert doc.clips[0].out == 3.142


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"speed": 3}, "clips[0].speed: must be between 0.5 and 2 (got 3)"),
        ({"speed": 0.25}, "clips[0].speed: must be between 0.5 and 2 (got 0.25)"),
        ({"speed": float("nan")}, "clips[0].speed: must be a finite number"),
        ({"speed": float("inf")}, "clips[0].speed: must be a finite number"),
        ({"speed": "1"}, "clips[0].speed: must be a number, not a string"),
        ({"speed": True}, "clips[0].speed: must be a number, not a boolean"),
        ({"speed": None}, "clips[0].speed: must be a number, not null"),
        ({"volume": 2.5}, "clips[0].volume: must be between 0 and 2 (got 2.5)"),
        ({"volume": -0.1}, "clips[0].volume: must be between 0 and 2 (got -0.1)"),
        ({"in": -1}, "clips[0].in: must be at least 0 (got -1)"),
        ({"in": 10**30}, "clips[0].in: is out of range (got 1000000000000000000000000000000)"),
        ({"in": 1e300}, "clips[0].out: must be after in (1e+300 s; got 4 s)"),
        ({"out": 0.0}, "clips[0].out: must be after in (0 s; got 0 s)"),
        ({"in": 5.0, "out": 4.0}, "clips[0].out: must be after in (5 s; got 4 s)"),
        ({"muted": "no"}, "clips[0].muted: must be true or false, not a string"),
        ({"asset": "1"}, "clips[0].asset: must be a media library id (got 1)"),
        ({"asset": -3}, "clips[0].asset: must be a media library id (got -3)"),
        (
            {"asset": 2**70},
            "clips[0].asset: must be a media library id (got 1180591620717411303424)",
        ),
        ({"id": ""}, "clips[0].id: must be 1-32 letters, digits, - or _ (got )"),
        ({"id": 5}, "clips[0].id: must be 1-32 letters, digits, - or _ (got 5)"),
        (
            {"id": "x" * 33},
            "clips[0].id: must be 1-32 letters, digits, - or _ (got xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)",
        ),
        ({"colour": "red"}, "clips[0]: unknown field colour"),
        (
            {"out": 0.05},
            "clips[0]: the clip lasts 0.050 s on the timeline; at least 0.1 s is needed",
        ),
        ({"framing": []}, "clips[0].framing: must be an object, not a list"),
        (
            {"framing": {"3:2": {"mode": "fill"}}},
            "clips[0].framing: 3:2 is not an aspect ratio (9:16, 1:1, 4:5, 16:9)",
        ),
        (
            {"framing": {"9:16": {"mode": "zoom"}}},
            "clips[0].framing.9:16.mode: must be one of crop, fit, blur, fill (got zoom)",
        ),
        (
            {"framing": {"9:16": {"mode": "fit", "x": 0}}},
            "clips[0].framing.9:16: only a crop has x, y, w and h",
        ),
        (
            {"framing": {"9:16": {"mode": "crop", "x": 0.5, "y": 0, "w": 0.6, "h": 1}}},
            "clips[0].framing.9:16: the crop leaves the source on the right (x + w > 1)",
        ),
        (
            {"framing": {"9:16": {"mode": "crop", "x": 0, "y": 0.5, "w": 0.5, "h": 0.6}}},
            "clips[0].framing.9:16: the crop leaves the source at the bottom (y + h > 1)",
        ),
        (
            {"framing": {"9:16": {"mode": "crop", "x": 0, "y": 0, "w": 0, "h": 1}}},
            "clips[0].framing.9:16.w: must be between 0.01 and 1 (got 0)",
        ),
        (
            {"framing": {"9:16": {"mode": "crop", "x": 0, "y": 0, "h": 1}}},
            "clips[0].framing.9:16.w: is required",
        ),
    ],
)
def test_hostile_clip_values_are_refused(change, expected):
    assert error_of(with_clip(0, **change)) == expected


def test_crop_framing_is_kept():
    crop = {"mode": "crop", "x": 0.2, "y": 0.0, "w": 0.3164, "h": 1.0}
    doc = parse_document(with_clip(0, framing={"9:16": crop, "1:1": {"mode": "blur"}}))
    assert doc.clips[0].framing["9:16"] == Framing("crop", 0.2, 0.0, 0.316, 1.0)
    assert to_json(doc)["clips"][0]["framing"] == {
        "9:16": {"mode": "crop", "x": 0.2, "y": 0.0, "w": 0.316, "h": 1.0},
        "1:1": {"mode": "blur"},
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "the document must be a JSON object, not a list"),
        ("[1, 2", "the document is not valid JSON"),
        ('{"version": NaN}', "the document contains NaN, which is not a number"),
        ('{"version": Infinity}', "the document contains Infinity, which is not a number"),
        (b"\xff\xfe", "the document is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "the document is not valid JSON"),
        ({"version": 1, "ratios": ["9:16"], "extra": 1}, "unknown field extra"),
        ({"version": 2, "ratios": ["9:16"]}, "version: must be 1 (got 2)"),
        ({"version": True, "ratios": ["9:16"]}, "version: must be 1 (got True)"),
        ({"ratios": ["9:16"]}, "version: is required"),
        ({"version": 1}, "ratios: is required"),
        ({"version": 1, "ratios": []}, "ratios: must be a non-empty list of aspect ratios"),
        ({"version": 1, "ratios": "9:16"}, "ratios: must be a non-empty list of aspect ratios"),
        ({"version": 1, "ratios": ["9:16", "9:16"]}, "ratios[1]: 9:16 is listed twice"),
        (
            {"version": 1, "ratios": ["2:1"]},
            "ratios[0]: must be one of 9:16, 1:1, 4:5, 16:9 (got 2:1)",
        ),
        ({"version": 1, "ratios": ["1:1"], "clips": {}}, "clips: must be a list, not an object"),
        (
            {"version": 1, "ratios": ["1:1"], "clips": [1]},
            "clips[0]: must be an object, not a number",
        ),
        ({1: 2}, "unknown field 1"),
        ({"version": 1, "ratios": ["1:1"], "x": {1, 2}}, "the document is not plain JSON data"),
    ],
)
def test_hostile_documents_are_refused(data, expected):
    assert error_of(data) == expected


def test_oversize_document_is_refused_before_parsing():
    huge = base(
        texts=[
            {"id": "t1", "text": "x" * (10 * 1024 * 1024), "x": 0.5, "y": 0.5, "start": 0, "end": 1}
        ]
    )
    assert error_of(huge) == "the document is 10241 KB; at most 200 KB are allowed"
    assert error_of(json.dumps(huge)) == "the document is 10241 KB; at most 200 KB are allowed"


def test_duplicate_ids_across_tracks_are_refused():
    data = base()
    data["texts"][0]["id"] = "c2"
    assert error_of(data) == "texts[0].id: c2 is already used by clips[1]"
    data = base()
    data["clips"][2]["id"] = "c1"
    assert error_of(data) == "clips[2].id: c1 is already used by clips[0]"


@pytest.mark.parametrize(
    ("transitions", "expected"),
    [
        (
            [{"after": "c9", "kind": "fade", "duration": 0.5}],
            "transitions[0].after: there is no clip c9",
        ),
        (
            [{"after": "c3", "kind": "fade", "duration": 0.5}],
            "transitions[0].after: c3 is the last clip; a transition needs a clip after it",
        ),
        (
            [
                {"after": "c1", "kind": "fade", "duration": 0.5},
                {"after": "c1", "kind": "slide", "duration": 0.5},
            ],
            "transitions[1].after: clip c1 already has a transition after it",
        ),
        (
            [{"after": "c1", "kind": "wipe", "duration": 0.5}],
            "transitions[0].kind: must be one of cut, fade, slide (got wipe)",
        ),
        (
            [{"after": "c1", "kind": "fade", "duration": 0.05}],
            "transitions[0].duration: must be between 0.1 and 2 (got 0.05)",
        ),
        ([{"after": "c1", "kind": "fade"}], "transitions[0].duration: is required"),
        (
            [{"after": "c1", "kind": "cut", "duration": 1}],
            "transitions[0].duration: must be between 0 and 0 (got 1)",
        ),
        # c2 lasts 2 s on the timeline: 1.5 + 0.6 of transitions leave nothing of it.
        (
            [
                {"after": "c1", "kind": "fade", "duration": 1.5},
                {"after": "c2", "kind": "slide", "duration": 0.6},
            ],
            "clips[1]: its transitions (2.1 s) are not shorter than the clip (2.000 s); shorten them or lengthen the clip",
        ),
        (
            [{"after": "c2", "kind": "fade", "duration": 2.0}],
            "clips[1]: its transitions (2 s) are not shorter than the clip (2.000 s); shorten them or lengthen the clip",
        ),
    ],
)
def test_bad_transitions_are_refused(transitions, expected):
    assert error_of(base(transitions=transitions)) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            [{"id": "t1", "text": "", "x": 0.5, "y": 0.5, "start": 0, "end": 1}],
            "texts[0].text: must not be empty",
        ),
        (
            [{"id": "t1", "text": "   \n ", "x": 0.5, "y": 0.5, "start": 0, "end": 1}],
            "texts[0].text: must not be empty",
        ),
        (
            [{"id": "t1", "text": "x" * 201, "x": 0.5, "y": 0.5, "start": 0, "end": 1}],
            "texts[0].text: is 201 characters long; at most 200 are allowed",
        ),
        (
            [{"id": "t1", "text": "a\nb\nc\nd\ne", "x": 0.5, "y": 0.5, "start": 0, "end": 1}],
            "texts[0].text: has more than 4 lines",
        ),
        (
            [{"id": "t1", "text": "bell\x07", "x": 0.5, "y": 0.5, "start": 0, "end": 1}],
            "texts[0].text: contains control characters",
        ),
        (
            [{"id": "t1", "text": ["x"], "x": 0.5, "y": 0.5, "start": 0, "end": 1}],
            "texts[0].text: must be a string, not a list",
        ),
        (
            [{"id": "t1", "text": "x", "x": 1.5, "y": 0.5, "start": 0, "end": 1}],
            "texts[0].x: must be between 0 and 1 (got 1.5)",
        ),
        (
            [{"id": "t1", "text": "x", "x": 0.5, "y": 0.5, "start": 2, "end": 1}],
            "texts[0].end: must be after start (2 s; got 1 s)",
        ),
        (
            [{"id": "t1", "text": "x", "x": 0.5, "y": 0.5, "start": 0, "end": 500}],
            "texts[0].end: must be between 0 and 180 (got 500)",
        ),
        (
            [{"id": "t1", "text": "x", "style": "huge", "x": 0.5, "y": 0.5, "start": 0, "end": 1}],
            "texts[0].style: must be one of title, body, cta (got huge)",
        ),
    ],
)
def test_bad_texts_are_refused(texts, expected):
    assert error_of(base(texts=texts)) == expected


def test_text_with_ffmpeg_syntax_is_kept_verbatim():
    hostile = "50% off: [0:v]drawtext='x';\\ {\\b1}"
    data = base(texts=[{"id": "t1", "text": hostile, "x": 0.5, "y": 0.5, "start": 0, "end": 1}])
    assert parse_document(data).texts[0].text == hostile


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"logo": {"asset": 9, "x": 0.9, "y": 0.1, "scale": 5}},
            "logo.scale: must be between 0.02 and 1 (got 5)",
        ),
        ({"logo": {"asset": 9, "x": 0.9, "y": 0.1}}, "logo.scale: is required"),
        (
            {"caption_style": {"position": "side"}},
            "caption_style.position: must be one of bottom, middle, top (got side)",
        ),
        ({"caption_style": {"size": "xl"}}, "caption_style.size: must be one of s, m, l (got xl)"),
        (
            {"captions": [{"start": 1, "end": 1, "text": "x"}]},
            "captions[0].end: must be after start (1 s; got 1 s)",
        ),
        (
            {"captions": [{"start": 0, "end": 1, "text": "x" * 301}]},
            "captions[0].text: is 301 characters long; at most 300 are allowed",
        ),
        (
            {"captions": [{"start": 0, "end": 1, "text": "x"}] * 1001},
            "captions: has 1001 items; at most 1000 are allowed",
        ),
        (
            {"end_card": {"text": "x" * 121}},
            "end_card.text: is 121 characters long; at most 120 are allowed",
        ),
        (
            {"end_card": {"text": "Go", "duration": 60}},
            "end_card.duration: must be between 0.5 and 10 (got 60)",
        ),
        (
            {"audio": [{"id": "a1", "asset": 7, "role": "sfx", "in": 0, "out": 1}]},
            "audio[0].role: must be one of music, voice (got sfx)",
        ),
        (
            {"audio": [{"id": "a1", "asset": 7, "role": "music", "in": 3, "out": 1}]},
            "audio[0].out: must be after in (3 s; got 1 s)",
        ),
        (
            {
                "audio": [
                    {
                        "id": "a1",
                        "asset": 7,
                        "role": "music",
                        "in": 0,
                        "out": 1,
                        "fade_in": 0.6,
                        "fade_out": 0.6,
                    }
                ]
            },
            "audio[0]: the fades are longer than the track",
        ),
        (
            {"audio": [{"id": "a1", "asset": 7, "role": "music", "in": 0, "out": 1, "volume": 3}]},
            "audio[0].volume: must be between 0 and 2 (got 3)",
        ),
        (
            {"audio": [{"id": "a1", "asset": 7, "role": "music", "in": 0, "out": 1, "duck": 1}]},
            "audio[0].duck: must be true or false, not a number",
        ),
        (
            {
                "audio": [
                    {"id": f"a{i}", "asset": 7, "role": "music", "in": 0, "out": 1}
                    for i in range(9)
                ]
            },
            "audio: has 9 items; at most 8 are allowed",
        ),
    ],
)
def test_bad_other_parts_are_refused(change, expected):
    assert error_of(base(**change)) == expected


def test_total_duration_is_capped_at_180_seconds():
    clips = [{"id": f"c{i}", "asset": 1, "in": 0, "out": 10} for i in range(18)]
    assert (
        timeline_duration(parse_document(base(clips=clips, transitions=[], end_card=None))) == 180
    )
    clips.append({"id": "c99", "asset": 1, "in": 0, "out": 1})
    assert error_of(base(clips=clips, transitions=[], end_card=None)) == (
        "clips: the video lasts 181.0 s; at most 180 s is allowed"
    )


def test_empty_timeline_is_allowed_while_editing_and_refused_for_render():
    data = {"version": 1, "ratios": ["9:16"]}
    assert parse_document(data).clips == ()
    assert error_of(data, sources={}, for_render=True) == (
        "clips: the timeline is empty; add a clip before rendering"
    )


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (
            {**SOURCES, 1: SourceFacts(kind="video", duration=3.0)},
            "clips[0].out: is past the end of the source (3.000 s; got 4 s)",
        ),
        (
            {k: v for k, v in SOURCES.items() if k != 2},
            "clips[1].asset: media 2 is not in this workspace's library (deleted?)",
        ),
        (
            {**SOURCES, 1: SourceFacts(kind="audio", duration=30.0)},
            "clips[0].asset: media 1 is audio, not a video or image",
        ),
        (
            {**SOURCES, 7: SourceFacts(kind="video", duration=60.0, has_audio=False)},
            "audio[0].asset: media 7 has no sound",
        ),
        (
            {**SOURCES, 7: SourceFacts(kind="audio", duration=20.0)},
            "audio[0].out: is past the end of the source (20.000 s; got 30 s)",
        ),
        (
            {**SOURCES, 9: SourceFacts(kind="video", duration=2.0)},
            "logo.asset: media 9 is video, not an image",
        ),
    ],
)
def test_sources_are_checked(sources, expected):
    assert error_of(base(), sources=sources) == expected


def test_source_still_processing_is_allowed_while_editing_but_not_for_render():
    sources = {**SOURCES, 1: SourceFacts(kind="video", duration=None, ready=False)}
    parse_document(base(), sources=sources)
    assert error_of(base(), sources=sources, for_render=True) == (
        "clips[0].asset: media 1 is still processing or failed; wait for it or replace it"
    )


def test_probed_duration_rounding_is_tolerated():
    sources = {**SOURCES, 1: SourceFacts(kind="video", duration=3.98)}
    parse_document(base(), sources=sources)


# --- operations -----------------------------------------------------------------------------


@pytest.fixture
def doc():
    return parse_document(base())


def test_operations_never_change_their_input(doc):
    before = copy.deepcopy(to_json(doc))
    d.split_clip(doc, "c1", 2.0)
    d.trim_clip(doc, "c3", 0.5, 2.0)
    d.move_clip(doc, "c3", 0)
    d.remove_clip(doc, "c2")
    d.add_text(doc, text="New")
    assert to_json(doc) == before


def test_split_clip_at_timeline_time(doc):
    # c2 starts at 3.5 on the timeline, plays source 1..5 at 2x.
    result = d.split_clip(doc, "c2", 4.5)
    assert [(c.id, c.in_, c.out) for c in result.clips] == [
        ("c1", 0.0, 4.0),
        ("c2", 1.0, 3.0),
        ("c4", 3.0, 5.0),
        ("c3", 0.0, 3.0),
    ]
    assert timeline_duration(result) == timeline_duration(doc)
    assert result.clips[2].speed == 2.0


def test_split_keeps_the_following_transition_on_the_second_part(doc):
    result = d.split_clip(doc, "c1", 1.0)
    assert [c.id for c in result.clips] == ["c1", "c4", "c2", "c3"]
    assert result.transitions == (d.Transition(after="c4", kind="fade", duration=0.5),)


@pytest.mark.parametrize("at", [0.0, 0.05, 3.95, 4.0, 20.0, -1.0])
def test_split_outside_the_clip_is_refused(doc, at):
    with pytest.raises(DocumentError) as info:
        d.split_clip(doc, "c1", at)
    assert info.value.message == (
        "at: split between 0.100 s and 3.900 s, inside clip c1 (each part needs 0.1 s)"
    )


def test_split_refuses_nan_and_unknown_clips(doc):
    with pytest.raises(DocumentError, match="at: must be a finite number"):
        d.split_clip(doc, "c1", float("nan"))
    with pytest.raises(DocumentError, match="clips: there is no clip nope"):
        d.split_clip(doc, "nope", 1.0)


def test_trim_clip(doc):
    result = d.trim_clip(doc, "c1", 1.0, 3.0)
    assert (result.clips[0].in_, result.clips[0].out) == (1.0, 3.0)
    with pytest.raises(DocumentError, match=r"clips\[0\]\.out: must be after in"):
        d.trim_clip(doc, "c1", 3.0, 1.0)
    # Trimming c1 under its fade's length is refused, not silently fixed.
    with pytest.raises(DocumentError, match=r"clips\[0\]: its transitions \(0.5 s\)"):
        d.trim_clip(doc, "c1", 0.0, 0.4)


def test_move_clip_drops_transitions_between_clips_no_longer_neighbours(doc):
    result = d.move_clip(doc, "c3", 0)
    assert [c.id for c in result.clips] == ["c3", "c1", "c2"]
    assert result.transitions == doc.transitions  # c1 -> c2 still neighbours
    result = d.move_clip(doc, "c1", 2)
    assert [c.id for c in result.clips] == ["c2", "c3", "c1"]
    assert result.transitions == ()
    for bad in (3, -1, True, 1.5):
        with pytest.raises(DocumentError):
            d.move_clip(doc, "c1", bad)


def test_remove_clip(doc):
    result = d.remove_clip(doc, "c2")
    assert [c.id for c in result.clips] == ["c1", "c3"]
    assert result.transitions == ()
    assert d.remove_clip(d.remove_clip(result, "c1"), "c3").clips == ()


def test_set_speed_and_volume(doc):
    assert d.set_speed(doc, "c1", 0.5).clips[0].duration == 8.0
    with pytest.raises(
        DocumentError, match=r"clips\[0\]\.speed: must be between 0.5 and 2 \(got 4\)"
    ):
        d.set_speed(doc, "c1", 4)
    result = d.set_volume(doc, "c1", 0.0, muted=True)
    assert (result.clips[0].volume, result.clips[0].muted) == (0.0, True)


def test_set_framing_and_reset(doc):
    crop = Framing(mode="crop", x=0.1, y=0.0, w=0.3, h=1.0)
    result = d.set_framing(doc, "c1", "9:16", crop)
    assert result.clips[0].framing_for("9:16") == crop
    assert d.set_framing(result, "c1", "9:16", None).clips[0].framing == {}
    with pytest.raises(DocumentError, match="ratio: must be one of"):
        d.set_framing(doc, "c1", "3:2", crop)
    with pytest.raises(DocumentError, match="the crop leaves the source on the right"):
        d.set_framing(doc, "c1", "1:1", Framing(mode="crop", x=0.8, y=0, w=0.5, h=1))


def test_texts_add_update_remove(doc):
    result = d.add_text(doc, text="Buy", style="cta", x=0.5, y=0.9, start=1.0, end=2.0)
    assert result.texts[-1] == d.Text("t2", "Buy", "cta", 0.5, 0.9, 1.0, 2.0)
    result = d.update_text(result, "t2", text="Buy now", end=4.0)
    assert (result.texts[-1].text, result.texts[-1].end) == ("Buy now", 4.0)
    assert [t.id for t in d.remove_text(result, "t1").texts] == ["t2"]
    with pytest.raises(DocumentError, match="unknown field colour"):
        d.update_text(result, "t2", colour="red")
    with pytest.raises(DocumentError, match="there is no text t9"):
        d.remove_text(result, "t9")
    with pytest.raises(DocumentError, match="at most 200 KB are allowed"):
        d.add_text(doc, text="x" * (10 * 1024 * 1024))
    with pytest.raises(DocumentError, match=r"texts\[1\]\.text: is 201 characters long"):
        d.add_text(doc, text="x" * 201)


def test_audio_add_and_remove(doc):
    result = d.add_audio(doc, asset=8, role="voice", in_=0.0, out=5.0)
    assert result.audio[-1] == d.AudioTrack(id="a2", asset=8, role="voice", in_=0.0, out=5.0)
    assert d.add_audio(doc, asset=8, role="music", in_=0, out=5).audio[-1].duck is True
    assert [a.id for a in d.remove_audio(result, "a1").audio] == ["a2"]
    with pytest.raises(DocumentError, match="there is no audio track a9"):
        d.remove_audio(result, "a9")


def test_set_captions_sorts_cues_and_sets_style(doc):
    cues = [Caption(2.0, 3.0, "second"), Caption(0.0, 1.0, "first")]
    result = d.set_captions(doc, cues, d.CaptionStyle(position="top", size="l"))
    assert [c.text for c in result.captions] == ["first", "second"]
    assert result.caption_style == d.CaptionStyle("top", "l")


def test_transitions_and_end_card(doc):
    result = d.set_transition(doc, "c2", "slide", 0.4)
    assert result.transition_after("c2") == d.Transition("c2", "slide", 0.4)
    assert d.set_transition(result, "c1", "cut").transition_after("c1") is None
    assert d.set_end_card(doc, None).end_card is None
    assert d.set_end_card(doc, EndCard("Go", 3.0)).end_card == EndCard("Go", 3.0)


def test_add_clip_refuses_going_past_the_limit(doc):
    long = d.empty_document(["9:16"])
    for _ in range(18):
        long = d.add_clip(long, asset=1, in_=0.0, out=10.0)
    assert [c.id for c in long.clips][:3] == ["c1", "c2", "c3"]
    with pytest.raises(DocumentError, match="at most 180 s is allowed"):
        d.add_clip(long, asset=1, in_=0.0, out=1.0)
