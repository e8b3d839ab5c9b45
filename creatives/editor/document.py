"""The edit document, version 1: frozen dataclasses, strict parsing, and pure edit operations.

The contract with the renderer is in ``docs/editor.md`` ("The edit document"). This module has
no I/O and touches no database: ``parse_document(data, sources=…)`` turns untrusted JSON (a
dict, or the raw text/bytes of a request) into a ``Document`` or raises ``DocumentError``
naming the field and what is wrong (``clips[2].speed: must be between 0.5 and 2 (got 3)``);
``to_json`` turns a ``Document`` back into the JSON object, so
``parse_document(to_json(doc)) == doc``.

Rules beyond the types (decided here, relied on by the services and the renderer):

- Unknown keys are refused everywhere; optional keys get the defaults of the contract.
- Numbers are ints or floats (never booleans, NaN or infinities), rounded to 3 decimals.
- A clip shows for ``(out - in) / speed`` seconds, at least ``MIN_CLIP_S``. Source times are
  checked against the source's duration when it is known (``sources``).
- A transition sits between clip ``after`` and the clip that follows it (so never after the
  last clip), at most one per clip; fades and slides last 0.1-2 s and each clip's transitions
  together are shorter than the clip. A cut has duration 0.
- Texts, captions and audio may run past the end of the timeline (a trim must not invalidate
  them); the renderer cuts them at the end. They must start before ``MAX_TIMELINE_S``.
- The timeline lasts at most ``MAX_TIMELINE_S``. An **empty** timeline is a valid document
  while editing (a new project, or every clip removed) and is refused at render time:
  ``parse_document(..., for_render=True)`` (also refuses sources that are not ready).
- The document's JSON may be at most ``MAX_DOCUMENT_BYTES`` (compact UTF-8).

Every operation (``split_clip``, ``trim_clip``…) returns a new, re-validated document and
raises ``DocumentError`` for an impossible edit; the input is never changed.
"""

import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _

from creatives.editor.errors import DocumentError

DOCUMENT_VERSION = 1
RATIOS = ("9:16", "1:1", "4:5", "16:9")
FRAMING_MODES = ("crop", "fit", "blur", "fill")
TRANSITION_KINDS = ("cut", "fade", "slide")
TEXT_STYLES = ("title", "body", "cta")
AUDIO_ROLES = ("music", "voice")
CAPTION_POSITIONS = ("bottom", "middle", "top")
CAPTION_SIZES = ("s", "m", "l")

MAX_DOCUMENT_BYTES = 200 * 1024
MAX_TIMELINE_S = 180.0
MIN_CLIP_S = 0.1
SPEED_RANGE = (0.5, 2.0)
VOLUME_RANGE = (0.0, 2.0)
TRANSITION_RANGE = (0.1, 2.0)
END_CARD_RANGE = (0.5, 10.0)
LOGO_SCALE_RANGE = (0.02, 1.0)
MAX_CLIPS = 100
MAX_TEXTS = 50
MAX_AUDIO = 8
MAX_CUES = 1000
MAX_TEXT_CHARS = 200
MAX_TEXT_LINES = 4
MAX_CAPTION_CHARS = 300
MAX_END_CARD_CHARS = 120
# Source times may overshoot a probed duration by this much (container rounding).
DURATION_TOLERANCE_S = 0.05
_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
# Control characters other than newline and tab: never meaningful in on-screen text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class SourceFacts:
    """What the media library knows about an asset the document uses (MediaAsset facts)."""

    kind: str  # "video" | "image" | "audio" (MediaAsset.Kind)
    duration: float | None = None
    has_audio: bool = False
    width: int | None = None
    height: int | None = None
    ready: bool = True


@dataclass(frozen=True)
class Framing:
    """How a clip fills one aspect ratio; ``x``/``y``/``w``/``h`` (source-relative) only for crop."""

    mode: str = "fill"
    x: float | None = None
    y: float | None = None
    w: float | None = None
    h: float | None = None


@dataclass(frozen=True)
class Clip:
    id: str
    asset: int
    in_: float
    out: float
    speed: float = 1.0
    volume: float = 1.0
    muted: bool = False
    framing: Mapping[str, Framing] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Seconds the clip lasts on the timeline."""
        return (self.out - self.in_) / self.speed

    def framing_for(self, ratio: str) -> Framing:
        return self.framing.get(ratio, Framing())


@dataclass(frozen=True)
class Transition:
    after: str
    kind: str = "cut"
    duration: float = 0.0


@dataclass(frozen=True)
class Text:
    id: str
    text: str
    style: str = "body"
    x: float = 0.5
    y: float = 0.5
    start: float = 0.0
    end: float = 3.0


@dataclass(frozen=True)
class Logo:
    asset: int
    x: float = 0.9
    y: float = 0.08
    scale: float = 0.15


@dataclass(frozen=True)
class Caption:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class CaptionStyle:
    position: str = "bottom"
    size: str = "m"


@dataclass(frozen=True)
class AudioTrack:
    id: str
    asset: int
    role: str
    in_: float
    out: float
    start: float = 0.0
    volume: float = 1.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    duck: bool = False


@dataclass(frozen=True)
class EndCard:
    text: str
    duration: float = 2.0


@dataclass(frozen=True)
class Document:
    ratios: tuple[str, ...]
    clips: tuple[Clip, ...] = ()
    transitions: tuple[Transition, ...] = ()
    texts: tuple[Text, ...] = ()
    logo: Logo | None = None
    captions: tuple[Caption, ...] = ()
    caption_style: CaptionStyle = CaptionStyle()
    audio: tuple[AudioTrack, ...] = ()
    end_card: EndCard | None = None
    version: int = DOCUMENT_VERSION

    def clip(self, clip_id: str) -> Clip:
        for clip in self.clips:
            if clip.id == clip_id:
                return clip
        raise DocumentError("clips", _("there is no clip {id}").format(id=_show(clip_id)))

    def transition_after(self, clip_id: str) -> Transition | None:
        return next((t for t in self.transitions if t.after == clip_id), None)


@dataclass(frozen=True)
class ClipAt:
    """The clip showing at a timeline time: its index, timeline start and the source time."""

    clip: Clip
    index: int
    start: float
    source_time: float


# ---------------------------------------------------------------------------------------------
# Parsing


def _show(value: Any) -> str:
    """Return a short, safe rendering of a user value for an error message."""
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "…"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


class _Reader:
    """Typed access to one JSON object at ``path``; refuses unknown keys when ``done``."""

    def __init__(self, data: Any, path: str, allowed: Iterable[str]) -> None:
        if not isinstance(data, dict):
            problem = (
                _("must be an object, not {t}")
                if path
                else _("the document must be a JSON object, not {t}")
            )
            raise DocumentError(path, problem.format(t=_type_name(data)))
        unknown = sorted(str(k) for k in data if k not in set(allowed))
        if unknown:
            raise DocumentError(
                path, _("unknown field {names}").format(names=", ".join(_show(k) for k in unknown))
            )
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def required(self, key: str) -> Any:
        if key not in self.data:
            raise DocumentError(self.at(key), _("is required"))
        return self.data[key]

    def number(
        self,
        key: str,
        *,
        default: float | None = None,
        low: float | None = None,
        high: float | None = None,
    ) -> float:
        value = self.data.get(key, default) if default is not None else self.required(key)
        return _number(value, self.at(key), low=low, high=high)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise DocumentError(
                self.at(key), _("must be true or false, not {t}").format(t=_type_name(value))
            )
        return value

    def choice(self, key: str, choices: Sequence[str], default: str | None = None) -> str:
        value = self.data.get(key, default) if default is not None else self.required(key)
        if not isinstance(value, str) or value not in choices:
            raise DocumentError(
                self.at(key),
                _("must be one of {choices} (got {value})").format(
                    choices=", ".join(choices), value=_show(value)
                ),
            )
        return value

    def asset(self, key: str) -> int:
        value = self.required(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise DocumentError(
                self.at(key),
                _("must be a media library id (got {value})").format(value=_show(value)),
            )
        return value

    def ident(self, key: str) -> str:
        value = self.required(key)
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise DocumentError(
                self.at(key),
                _("must be 1-32 letters, digits, - or _ (got {value})").format(value=_show(value)),
            )
        return value

    def text(self, key: str, *, limit: int, lines: int | None = None) -> str:
        value = self.required(key)
        return _text(value, self.at(key), limit=limit, lines=lines)

    def items(self, key: str, limit: int) -> list[Any]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise DocumentError(
                self.at(key), _("must be a list, not {t}").format(t=_type_name(value))
            )
        if len(value) > limit:
            raise DocumentError(
                self.at(key),
                _("has {count} items; at most {limit} are allowed").format(
                    count=len(value), limit=limit
                ),
            )
        return value


def _number(value: Any, path: str, *, low: float | None, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DocumentError(path, _("must be a number, not {t}").format(t=_type_name(value)))
    if isinstance(value, int) and abs(value) > 10**9:
        raise DocumentError(path, _("is out of range (got {value})").format(value=_show(value)))
    number = float(value)
    if not math.isfinite(number):
        raise DocumentError(path, _("must be a finite number"))
    number = round(number, 3) + 0.0  # + 0.0 turns -0.0 into 0.0
    if low is not None and high is not None and not low <= number <= high:
        raise DocumentError(
            path,
            _("must be between {low:g} and {high:g} (got {value:g})").format(
                low=low, high=high, value=number
            ),
        )
    if low is not None and number < low:
        raise DocumentError(
            path, _("must be at least {low:g} (got {value:g})").format(low=low, value=number)
        )
    return number


def _text(value: Any, path: str, *, limit: int, lines: int | None = None) -> str:
    if not isinstance(value, str):
        raise DocumentError(path, _("must be a string, not {t}").format(t=_type_name(value)))
    if len(value) > limit:
        raise DocumentError(
            path,
            _("is {count} characters long; at most {limit} are allowed").format(
                count=len(value), limit=limit
            ),
        )
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise DocumentError(path, _("must not be empty"))
    if _CONTROL.search(text):
        raise DocumentError(path, _("contains control characters"))
    if lines is not None and text.count("\n") >= lines:
        raise DocumentError(path, _("has more than {lines} lines").format(lines=lines))
    return text


def _load(data: Any) -> Any:
    """Return the JSON value of ``data`` (text/bytes are decoded), refusing oversize documents."""
    if isinstance(data, str | bytes | bytearray):
        size = len(data.encode() if isinstance(data, str) else data)
        if size > MAX_DOCUMENT_BYTES:
            raise _too_big(size)

        def refuse_constant(name: str) -> None:
            raise DocumentError(
                "", _("the document contains {name}, which is not a number").format(name=name)
            )

        try:
            return json.loads(data, parse_constant=refuse_constant)
        except (ValueError, RecursionError) as error:
            raise DocumentError("", _("the document is not valid JSON")) from error
    try:
        size = len(
            json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=True).encode()
        )
    except (TypeError, ValueError, RecursionError) as error:
        raise DocumentError("", _("the document is not plain JSON data")) from error
    if size > MAX_DOCUMENT_BYTES:
        raise _too_big(size)
    return data


def _too_big(size: int) -> DocumentError:
    return DocumentError(
        "",
        _("the document is {size} KB; at most {limit} KB are allowed").format(
            size=math.ceil(size / 1024), limit=MAX_DOCUMENT_BYTES // 1024
        ),
    )


def parse_document(
    data: Any,
    *,
    sources: Mapping[int, SourceFacts] | None = None,
    for_render: bool = False,
) -> Document:
    """Return the validated ``Document`` of ``data`` or raise ``DocumentError``.

    ``sources`` (asset id → facts) checks every referenced asset exists, has the right kind
    and that source times lie within its duration; without it only the document's own rules
    are checked. ``for_render`` also refuses an empty timeline and sources that aren't ready.
    """
    root = _Reader(
        _load(data),
        "",
        (
            "version",
            "ratios",
            "clips",
            "transitions",
            "texts",
            "logo",
            "captions",
            "caption_style",
            "audio",
            "end_card",
        ),
    )
    version = root.required("version")
    if isinstance(version, bool) or version != DOCUMENT_VERSION:
        raise DocumentError(
            "version",
            _("must be {version} (got {value})").format(
                version=DOCUMENT_VERSION, value=_show(version)
            ),
        )
    ratios = _parse_ratios(root.required("ratios"))
    clips = tuple(
        _parse_clip(item, f"clips[{i}]") for i, item in enumerate(root.items("clips", MAX_CLIPS))
    )
    transitions = tuple(
        _parse_transition(item, f"transitions[{i}]")
        for i, item in enumerate(root.items("transitions", MAX_CLIPS))
    )
    texts = tuple(
        _parse_text(item, f"texts[{i}]") for i, item in enumerate(root.items("texts", MAX_TEXTS))
    )
    logo = None if root.data.get("logo") is None else _parse_logo(root.data["logo"], "logo")
    captions = tuple(
        _parse_caption(item, f"captions[{i}]")
        for i, item in enumerate(root.items("captions", MAX_CUES))
    )
    style = root.data.get("caption_style")
    caption_style = CaptionStyle() if style is None else _parse_caption_style(style)
    audio = tuple(
        _parse_audio(item, f"audio[{i}]") for i, item in enumerate(root.items("audio", MAX_AUDIO))
    )
    end_card = (
        None
        if root.data.get("end_card") is None
        else _parse_end_card(root.data["end_card"], "end_card")
    )
    document = Document(
        version=DOCUMENT_VERSION,
        ratios=ratios,
        clips=clips,
        transitions=transitions,
        texts=texts,
        logo=logo,
        captions=captions,
        caption_style=caption_style,
        audio=audio,
        end_card=end_card,
    )
    _check_document(document)
    if sources is not None:
        _check_sources(document, sources, for_render=for_render)
    if for_render and not document.clips:
        raise DocumentError("clips", _("the timeline is empty; add a clip before rendering"))
    return document


def _parse_ratios(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise DocumentError("ratios", _("must be a non-empty list of aspect ratios"))
    ratios: list[str] = []
    for i, ratio in enumerate(value):
        if not isinstance(ratio, str) or ratio not in RATIOS:
            raise DocumentError(
                f"ratios[{i}]",
                _("must be one of {choices} (got {value})").format(
                    choices=", ".join(RATIOS), value=_show(ratio)
                ),
            )
        if ratio in ratios:
            raise DocumentError(f"ratios[{i}]", _("{ratio} is listed twice").format(ratio=ratio))
        ratios.append(ratio)
    return tuple(ratios)


def _parse_clip(data: Any, path: str) -> Clip:
    r = _Reader(data, path, ("id", "asset", "in", "out", "speed", "volume", "muted", "framing"))
    clip_id = r.ident("id")
    asset = r.asset("asset")
    in_ = r.number("in", low=0.0)
    out = r.number("out", low=0.0)
    if out <= in_:
        raise DocumentError(
            r.at("out"),
            _("must be after in ({in_:g} s; got {out:g} s)").format(in_=in_, out=out),
        )
    speed = r.number("speed", default=1.0, low=SPEED_RANGE[0], high=SPEED_RANGE[1])
    volume = r.number("volume", default=1.0, low=VOLUME_RANGE[0], high=VOLUME_RANGE[1])
    muted = r.boolean("muted", False)
    raw_framing = r.data.get("framing", {})
    if not isinstance(raw_framing, dict):
        raise DocumentError(
            r.at("framing"), _("must be an object, not {t}").format(t=_type_name(raw_framing))
        )
    framing: dict[str, Framing] = {}
    for ratio, item in raw_framing.items():
        if ratio not in RATIOS:
            raise DocumentError(
                r.at("framing"),
                _("{value} is not an aspect ratio ({choices})").format(
                    value=_show(ratio), choices=", ".join(RATIOS)
                ),
            )
        framing[ratio] = _parse_framing(item, f"{r.at('framing')}.{ratio}")
    clip = Clip(
        id=clip_id,
        asset=asset,
        in_=in_,
        out=out,
        speed=speed,
        volume=volume,
        muted=muted,
        framing=framing,
    )
    if clip.duration < MIN_CLIP_S:
        raise DocumentError(
            path,
            _("the clip lasts {s:.3f} s on the timeline; at least {min:g} s is needed").format(
                s=clip.duration, min=MIN_CLIP_S
            ),
        )
    return clip


def _parse_framing(data: Any, path: str) -> Framing:
    r = _Reader(data, path, ("mode", "x", "y", "w", "h"))
    mode = r.choice("mode", FRAMING_MODES)
    if mode != "crop":
        if any(r.has(key) for key in ("x", "y", "w", "h")):
            raise DocumentError(path, _("only a crop has x, y, w and h"))
        return Framing(mode=mode)
    x = r.number("x", low=0.0, high=1.0)
    y = r.number("y", low=0.0, high=1.0)
    w = r.number("w", low=0.01, high=1.0)
    h = r.number("h", low=0.01, high=1.0)
    if x + w > 1.0 + 1e-6:
        raise DocumentError(path, _("the crop leaves the source on the right (x + w > 1)"))
    if y + h > 1.0 + 1e-6:
        raise DocumentError(path, _("the crop leaves the source at the bottom (y + h > 1)"))
    return Framing(mode=mode, x=x, y=y, w=w, h=h)


def _parse_transition(data: Any, path: str) -> Transition:
    r = _Reader(data, path, ("after", "kind", "duration"))
    after = r.ident("after")
    kind = r.choice("kind", TRANSITION_KINDS)
    if kind == "cut":
        duration = r.number("duration", default=0.0, low=0.0, high=0.0)
    else:
        duration = r.number("duration", low=TRANSITION_RANGE[0], high=TRANSITION_RANGE[1])
    return Transition(after=after, kind=kind, duration=duration)


def _parse_text(data: Any, path: str) -> Text:
    r = _Reader(data, path, ("id", "text", "style", "x", "y", "start", "end"))
    text = Text(
        id=r.ident("id"),
        text=r.text("text", limit=MAX_TEXT_CHARS, lines=MAX_TEXT_LINES),
        style=r.choice("style", TEXT_STYLES, default="body"),
        x=r.number("x", low=0.0, high=1.0),
        y=r.number("y", low=0.0, high=1.0),
        start=r.number("start", low=0.0, high=MAX_TIMELINE_S),
        end=r.number("end", low=0.0, high=MAX_TIMELINE_S),
    )
    _check_span(text.start, text.end, r.at("end"))
    return text


def _check_span(start: float, end: float, path: str) -> None:
    if end <= start:
        raise DocumentError(
            path, _("must be after start ({start:g} s; got {end:g} s)").format(start=start, end=end)
        )


def _parse_logo(data: Any, path: str) -> Logo:
    r = _Reader(data, path, ("asset", "x", "y", "scale"))
    return Logo(
        asset=r.asset("asset"),
        x=r.number("x", low=0.0, high=1.0),
        y=r.number("y", low=0.0, high=1.0),
        scale=r.number("scale", low=LOGO_SCALE_RANGE[0], high=LOGO_SCALE_RANGE[1]),
    )


def _parse_caption(data: Any, path: str) -> Caption:
    r = _Reader(data, path, ("start", "end", "text"))
    caption = Caption(
        start=r.number("start", low=0.0, high=MAX_TIMELINE_S),
        end=r.number("end", low=0.0, high=MAX_TIMELINE_S),
        text=r.text("text", limit=MAX_CAPTION_CHARS, lines=MAX_TEXT_LINES),
    )
    _check_span(caption.start, caption.end, r.at("end"))
    return caption


def _parse_caption_style(data: Any) -> CaptionStyle:
    r = _Reader(data, "caption_style", ("position", "size"))
    return CaptionStyle(
        position=r.choice("position", CAPTION_POSITIONS, default="bottom"),
        size=r.choice("size", CAPTION_SIZES, default="m"),
    )


def _parse_audio(data: Any, path: str) -> AudioTrack:
    r = _Reader(
        data,
        path,
        ("id", "asset", "role", "start", "in", "out", "volume", "fade_in", "fade_out", "duck"),
    )
    track = AudioTrack(
        id=r.ident("id"),
        asset=r.asset("asset"),
        role=r.choice("role", AUDIO_ROLES),
        start=r.number("start", default=0.0, low=0.0, high=MAX_TIMELINE_S),
        in_=r.number("in", low=0.0),
        out=r.number("out", low=0.0),
        volume=r.number("volume", default=1.0, low=VOLUME_RANGE[0], high=VOLUME_RANGE[1]),
        fade_in=r.number("fade_in", default=0.0, low=0.0, high=MAX_TIMELINE_S),
        fade_out=r.number("fade_out", default=0.0, low=0.0, high=MAX_TIMELINE_S),
        duck=r.boolean("duck", False),
    )
    if track.out <= track.in_:
        raise DocumentError(
            r.at("out"),
            _("must be after in ({in_:g} s; got {out:g} s)").format(in_=track.in_, out=track.out),
        )
    if track.fade_in + track.fade_out > track.out - track.in_ + 1e-9:
        raise DocumentError(path, _("the fades are longer than the track"))
    return track


def _parse_end_card(data: Any, path: str) -> EndCard:
    r = _Reader(data, path, ("text", "duration"))
    return EndCard(
        text=r.text("text", limit=MAX_END_CARD_CHARS, lines=MAX_TEXT_LINES),
        duration=r.number("duration", default=2.0, low=END_CARD_RANGE[0], high=END_CARD_RANGE[1]),
    )


def _check_document(doc: Document) -> None:
    """Check the rules that span fields: unique ids, transitions, the total duration."""
    seen: dict[str, str] = {}
    groups: tuple[tuple[str, Sequence[Clip | Text | AudioTrack]], ...] = (
        ("clips", doc.clips),
        ("texts", doc.texts),
        ("audio", doc.audio),
    )
    for group, items in groups:
        for i, item in enumerate(items):
            if item.id in seen:
                raise DocumentError(
                    f"{group}[{i}].id",
                    _("{id} is already used by {other}").format(id=item.id, other=seen[item.id]),
                )
            seen[item.id] = f"{group}[{i}]"
    index = {clip.id: i for i, clip in enumerate(doc.clips)}
    overlaps = [0.0] * len(doc.clips)
    followed: set[str] = set()
    for i, transition in enumerate(doc.transitions):
        path = f"transitions[{i}]"
        position = index.get(transition.after)
        if position is None:
            raise DocumentError(
                f"{path}.after", _("there is no clip {id}").format(id=transition.after)
            )
        if position == len(doc.clips) - 1:
            raise DocumentError(
                f"{path}.after",
                _("{id} is the last clip; a transition needs a clip after it").format(
                    id=transition.after
                ),
            )
        if transition.after in followed:
            raise DocumentError(
                f"{path}.after",
                _("clip {id} already has a transition after it").format(id=transition.after),
            )
        followed.add(transition.after)
        overlaps[position] += transition.duration
        overlaps[position + 1] += transition.duration
    for i, clip in enumerate(doc.clips):
        if overlaps[i] and overlaps[i] >= clip.duration - 1e-9:
            raise DocumentError(
                f"clips[{i}]",
                _(
                    "its transitions ({t:g} s) are not shorter than the clip ({s:.3f} s); "
                    "shorten them or lengthen the clip"
                ).format(t=round(overlaps[i], 3), s=clip.duration),
            )
    total = timeline_duration(doc)
    if total > MAX_TIMELINE_S + 1e-6:
        raise DocumentError(
            "clips",
            _("the video lasts {s:.1f} s; at most {max:g} s is allowed").format(
                s=total, max=MAX_TIMELINE_S
            ),
        )


def _check_sources(doc: Document, sources: Mapping[int, SourceFacts], *, for_render: bool) -> None:
    def facts(asset: int, path: str, kinds: Sequence[str], what: str) -> SourceFacts:
        source = sources.get(asset)
        if source is None:
            raise DocumentError(
                path,
                _("media {id} is not in this workspace's library (deleted?)").format(id=asset),
            )
        if source.kind not in kinds:
            raise DocumentError(
                path,
                _("media {id} is {kind}, not {what}").format(id=asset, kind=source.kind, what=what),
            )
        if for_render and not source.ready:
            raise DocumentError(
                path,
                _("media {id} is still processing or failed; wait for it or replace it").format(
                    id=asset
                ),
            )
        return source

    def within(source: SourceFacts, out: float, path: str) -> None:
        if source.duration is not None and out > source.duration + DURATION_TOLERANCE_S:
            raise DocumentError(
                path,
                _("is past the end of the source ({d:.3f} s; got {out:g} s)").format(
                    d=source.duration, out=out
                ),
            )

    for i, clip in enumerate(doc.clips):
        source = facts(clip.asset, f"clips[{i}].asset", ("video", "image"), _("a video or image"))
        if source.kind == "video":
            within(source, clip.out, f"clips[{i}].out")
    for i, track in enumerate(doc.audio):
        path = f"audio[{i}].asset"
        source = facts(track.asset, path, ("audio", "video"), _("audio"))
        if source.kind == "video" and not source.has_audio:
            raise DocumentError(path, _("media {id} has no sound").format(id=track.asset))
        within(source, track.out, f"audio[{i}].out")
    if doc.logo is not None:
        facts(doc.logo.asset, "logo.asset", ("image",), _("an image"))


# ---------------------------------------------------------------------------------------------
# Serialising


def _framing_json(framing: Framing) -> dict[str, Any]:
    if framing.mode != "crop":
        return {"mode": framing.mode}
    return {"mode": "crop", "x": framing.x, "y": framing.y, "w": framing.w, "h": framing.h}


def to_json(doc: Document) -> dict[str, Any]:
    """Return the JSON object of ``doc`` (every key written, defaults included)."""
    return {
        "version": doc.version,
        "ratios": list(doc.ratios),
        "clips": [
            {
                "id": c.id,
                "asset": c.asset,
                "in": c.in_,
                "out": c.out,
                "speed": c.speed,
                "volume": c.volume,
                "muted": c.muted,
                "framing": {ratio: _framing_json(f) for ratio, f in c.framing.items()},
            }
            for c in doc.clips
        ],
        "transitions": [
            {"after": t.after, "kind": t.kind, "duration": t.duration} for t in doc.transitions
        ],
        "texts": [
            {
                "id": t.id,
                "text": t.text,
                "style": t.style,
                "x": t.x,
                "y": t.y,
                "start": t.start,
                "end": t.end,
            }
            for t in doc.texts
        ],
        "logo": None
        if doc.logo is None
        else {"asset": doc.logo.asset, "x": doc.logo.x, "y": doc.logo.y, "scale": doc.logo.scale},
        "captions": [{"start": c.start, "end": c.end, "text": c.text} for c in doc.captions],
        "caption_style": {
            "position": doc.caption_style.position,
            "size": doc.caption_style.size,
        },
        "audio": [
            {
                "id": a.id,
                "asset": a.asset,
                "role": a.role,
                "start": a.start,
                "in": a.in_,
                "out": a.out,
                "volume": a.volume,
                "fade_in": a.fade_in,
                "fade_out": a.fade_out,
                "duck": a.duck,
            }
            for a in doc.audio
        ],
        "end_card": None
        if doc.end_card is None
        else {"text": doc.end_card.text, "duration": doc.end_card.duration},
    }


def empty_document(ratios: Sequence[str]) -> Document:
    """Return a valid document with no clips for ``ratios``."""
    return parse_document({"version": DOCUMENT_VERSION, "ratios": list(ratios)})


# ---------------------------------------------------------------------------------------------
# Reading the timeline


def clip_starts(doc: Document) -> list[float]:
    """Return each clip's start on the timeline (a transition overlaps its two clips)."""
    starts, at = [], 0.0
    for clip in doc.clips:
        starts.append(round(at, 6))
        transition = doc.transition_after(clip.id)
        at += clip.duration - (transition.duration if transition else 0.0)
    return starts


def timeline_duration(doc: Document) -> float:
    """Return the video's length: clips minus transition overlaps, plus the end card."""
    total = sum(clip.duration for clip in doc.clips)
    total -= sum(t.duration for t in doc.transitions)
    if doc.end_card is not None:
        total += doc.end_card.duration
    return round(max(total, 0.0), 6)


def clip_at(doc: Document, t: float) -> ClipAt | None:
    """Return the clip showing at timeline time ``t`` (the incoming one during a transition).

    None before 0, over the end card and after the end.
    """
    if not math.isfinite(t) or t < 0:
        return None
    starts = clip_starts(doc)
    for index in range(len(doc.clips) - 1, -1, -1):
        clip, start = doc.clips[index], starts[index]
        if start <= t < start + clip.duration:
            return ClipAt(
                clip=clip,
                index=index,
                start=start,
                source_time=round(clip.in_ + (t - start) * clip.speed, 6),
            )
    return None


# ---------------------------------------------------------------------------------------------
# Operations: each returns a new, validated document.


def _rebuild(doc: Document, **changes: Any) -> Document:
    """Return ``doc`` with ``changes``, validated like a saved document."""
    return parse_document(to_json(replace(doc, **changes)))


def _free_id(doc: Document, prefix: str) -> str:
    used = {c.id for c in doc.clips} | {t.id for t in doc.texts} | {a.id for a in doc.audio}
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


def _keep_transitions(
    doc: Document, clips: Sequence[Clip], renamed: Mapping[str, str] | None = None
) -> tuple[Transition, ...]:
    """Keep the transitions whose two clips are still neighbours in ``clips``."""
    renamed = renamed or {}
    before = {a.id: b.id for a, b in itertools.pairwise(doc.clips)}
    after = {a.id: b.id for a, b in itertools.pairwise(clips)}
    kept = []
    for transition in doc.transitions:
        at = renamed.get(transition.after, transition.after)
        if after.get(at) is not None and after.get(at) == before.get(transition.after):
            kept.append(replace(transition, after=at))
    return tuple(kept)


def _index(doc: Document, clip_id: str) -> int:
    for i, clip in enumerate(doc.clips):
        if clip.id == clip_id:
            return i
    raise DocumentError("clips", _("there is no clip {id}").format(id=_show(clip_id)))


def add_clip(
    doc: Document,
    *,
    asset: int,
    in_: float,
    out: float,
    index: int | None = None,
    clip_id: str | None = None,
) -> Document:
    """Return ``doc`` with a new clip of ``asset`` at ``index`` (default: the end)."""
    clip = Clip(id=clip_id or _free_id(doc, "c"), asset=asset, in_=in_, out=out)
    clips = list(doc.clips)
    clips.insert(len(clips) if index is None else max(0, min(index, len(clips))), clip)
    return _rebuild(doc, clips=tuple(clips), transitions=_keep_transitions(doc, clips))


def split_clip(doc: Document, clip_id: str, at: float) -> Document:
    """Return ``doc`` with clip ``clip_id`` cut in two at timeline time ``at``.

    The second part gets a new id and keeps the transition that followed the clip.
    """
    index = _index(doc, clip_id)
    clip = doc.clips[index]
    start = clip_starts(doc)[index]
    at = _number(at, "at", low=None, high=None)
    if not start + MIN_CLIP_S <= at <= start + clip.duration - MIN_CLIP_S:
        raise DocumentError(
            "at",
            _(
                "split between {a:.3f} s and {b:.3f} s, inside clip {id} "
                "(each part needs {min:g} s)"
            ).format(
                a=start + MIN_CLIP_S,
                b=start + clip.duration - MIN_CLIP_S,
                id=clip.id,
                min=MIN_CLIP_S,
            ),
        )
    cut = round(clip.in_ + (at - start) * clip.speed, 3)
    second_id = _free_id(doc, "c")
    first = replace(clip, out=cut)
    second = replace(clip, id=second_id, in_=cut)
    clips = [*doc.clips[:index], first, second, *doc.clips[index + 1 :]]
    transitions = tuple(
        replace(t, after=second_id) if t.after == clip.id else t for t in doc.transitions
    )
    return _rebuild(doc, clips=tuple(clips), transitions=transitions)


def trim_clip(doc: Document, clip_id: str, in_: float, out: float) -> Document:
    """Return ``doc`` with clip ``clip_id`` showing source ``in_`` to ``out``."""
    index = _index(doc, clip_id)
    clips = list(doc.clips)
    clips[index] = replace(clips[index], in_=in_, out=out)
    return _rebuild(doc, clips=tuple(clips))


def move_clip(doc: Document, clip_id: str, new_index: int) -> Document:
    """Return ``doc`` with clip ``clip_id`` moved to ``new_index``.

    Transitions whose two clips are no longer neighbours are dropped.
    """
    if isinstance(new_index, bool) or not isinstance(new_index, int):
        raise DocumentError("new_index", _("must be a whole number"))
    index = _index(doc, clip_id)
    if not 0 <= new_index < len(doc.clips):
        raise DocumentError(
            "new_index",
            _("must be between 0 and {last} (got {value})").format(
                last=len(doc.clips) - 1, value=new_index
            ),
        )
    clips = list(doc.clips)
    clips.insert(new_index, clips.pop(index))
    return _rebuild(doc, clips=tuple(clips), transitions=_keep_transitions(doc, clips))


def remove_clip(doc: Document, clip_id: str) -> Document:
    """Return ``doc`` without clip ``clip_id`` (and the transitions that touched it)."""
    index = _index(doc, clip_id)
    clips = [c for i, c in enumerate(doc.clips) if i != index]
    return _rebuild(doc, clips=tuple(clips), transitions=_keep_transitions(doc, clips))


def _set_clip(doc: Document, clip_id: str, **changes: Any) -> Document:
    index = _index(doc, clip_id)
    clips = list(doc.clips)
    clips[index] = replace(clips[index], **changes)
    return _rebuild(doc, clips=tuple(clips))


def set_speed(doc: Document, clip_id: str, speed: float) -> Document:
    """Return ``doc`` with clip ``clip_id`` playing at ``speed`` (0.5-2)."""
    return _set_clip(doc, clip_id, speed=speed)


def set_volume(doc: Document, clip_id: str, volume: float, muted: bool = False) -> Document:
    """Return ``doc`` with clip ``clip_id``'s sound at ``volume`` (0-2), or muted."""
    return _set_clip(doc, clip_id, volume=volume, muted=muted)


def set_framing(doc: Document, clip_id: str, ratio: str, framing: Framing | None) -> Document:
    """Return ``doc`` with how clip ``clip_id`` fills ``ratio`` (None: back to the default)."""
    if ratio not in RATIOS:
        raise DocumentError(
            "ratio", _("must be one of {choices}").format(choices=", ".join(RATIOS))
        )
    clip = doc.clip(clip_id)
    framings = dict(clip.framing)
    if framing is None:
        framings.pop(ratio, None)
    else:
        framings[ratio] = framing
    return _set_clip(doc, clip_id, framing=framings)


def set_transition(doc: Document, after: str, kind: str, duration: float = 0.0) -> Document:
    """Return ``doc`` with a ``kind`` transition after clip ``after`` (a cut removes it)."""
    doc.clip(after)
    others = tuple(t for t in doc.transitions if t.after != after)
    if kind == "cut":
        return _rebuild(doc, transitions=others)
    return _rebuild(
        doc, transitions=(*others, Transition(after=after, kind=kind, duration=duration))
    )


def add_text(
    doc: Document,
    *,
    text: str,
    style: str = "body",
    x: float = 0.5,
    y: float = 0.5,
    start: float = 0.0,
    end: float = 3.0,
    text_id: str | None = None,
) -> Document:
    """Return ``doc`` with a new text overlay (id ``text_id`` or the next free ``t<n>``)."""
    item = Text(
        id=text_id or _free_id(doc, "t"), text=text, style=style, x=x, y=y, start=start, end=end
    )
    return _rebuild(doc, texts=(*doc.texts, item))


def _text_index(doc: Document, text_id: str) -> int:
    for i, item in enumerate(doc.texts):
        if item.id == text_id:
            return i
    raise DocumentError("texts", _("there is no text {id}").format(id=_show(text_id)))


_TEXT_FIELDS = frozenset({"text", "style", "x", "y", "start", "end"})


def update_text(doc: Document, text_id: str, **changes: Any) -> Document:
    """Return ``doc`` with text ``text_id`` changed (``text``, ``style``, ``x``, ``y``, times)."""
    if unknown := sorted(set(changes) - _TEXT_FIELDS):
        raise DocumentError("texts", _("unknown field {names}").format(names=", ".join(unknown)))
    index = _text_index(doc, text_id)
    texts = list(doc.texts)
    texts[index] = replace(texts[index], **changes)
    return _rebuild(doc, texts=tuple(texts))


def remove_text(doc: Document, text_id: str) -> Document:
    index = _text_index(doc, text_id)
    return _rebuild(doc, texts=tuple(t for i, t in enumerate(doc.texts) if i != index))


def add_audio(
    doc: Document,
    *,
    asset: int,
    role: str,
    in_: float,
    out: float,
    start: float = 0.0,
    volume: float = 1.0,
    fade_in: float = 0.0,
    fade_out: float = 0.0,
    duck: bool | None = None,
    audio_id: str | None = None,
) -> Document:
    """Return ``doc`` with a new audio track (music ducks under speech unless told otherwise)."""
    track = AudioTrack(
        id=audio_id or _free_id(doc, "a"),
        asset=asset,
        role=role,
        in_=in_,
        out=out,
        start=start,
        volume=volume,
        fade_in=fade_in,
        fade_out=fade_out,
        duck=(role == "music") if duck is None else duck,
    )
    return _rebuild(doc, audio=(*doc.audio, track))


def remove_audio(doc: Document, audio_id: str) -> Document:
    if not any(a.id == audio_id for a in doc.audio):
        raise DocumentError("audio", _("there is no audio track {id}").format(id=_show(audio_id)))
    return _rebuild(doc, audio=tuple(a for a in doc.audio if a.id != audio_id))


def set_captions(
    doc: Document, captions: Iterable[Caption], style: CaptionStyle | None = None
) -> Document:
    """Return ``doc`` with ``captions`` (sorted by start) and, if given, their style."""
    cues = tuple(sorted(captions, key=lambda c: (c.start, c.end)))
    return _rebuild(doc, captions=cues, caption_style=style or doc.caption_style)


def set_end_card(doc: Document, end_card: EndCard | None) -> Document:
    return _rebuild(doc, end_card=end_card)


def set_logo(doc: Document, logo: Logo | None) -> Document:
    return _rebuild(doc, logo=logo)


def set_ratios(doc: Document, ratios: Sequence[str]) -> Document:
    return _rebuild(doc, ratios=tuple(ratios))


def asset_ids(doc: Document) -> set[int]:
    """Return every media-library id the document uses."""
    ids = {c.asset for c in doc.clips} | {a.asset for a in doc.audio}
    if doc.logo is not None:
        ids.add(doc.logo.asset)
    return ids
