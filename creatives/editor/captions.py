"""SRT and WebVTT captions: import into edit-document cues, and export from them.

Import is tolerant of what real files carry (a UTF-8 BOM, CRLF or CR line ends, cue numbers or
none, WebVTT cue identifiers and settings, ``NOTE``/``STYLE``/``REGION`` blocks, ``,`` or ``.``
before the milliseconds, hours left out, inline tags such as ``<i>``) and strict about what
would make a wrong caption track: a cue without a valid time line, an end not after its start,
times past ``MAX_TIMELINE_S``, more than ``MAX_CUES`` cues, or a file that is not text. Each
refusal is a ``CaptionError`` naming the cue and what is wrong. No Django, no I/O.
"""

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from creatives.editor.document import (
    MAX_CAPTION_CHARS,
    MAX_CUES,
    MAX_TEXT_LINES,
    MAX_TIMELINE_S,
    Caption,
)
from creatives.editor.errors import EditorError

# A caption file of MAX_CUES cues of MAX_CAPTION_CHARS is far below this.
MAX_FILE_BYTES = 1024 * 1024

_TIME = r"(?:(\d{1,2}):)?([0-5]?\d):([0-5]\d)[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}[^<>]*>")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " ", "&lrm;": "", "&rlm;": ""}


class CaptionError(EditorError):
    """A caption file that can't be imported; the message says which cue and why."""


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise CaptionError(
                _("The caption file is larger than {limit} KB.").format(
                    limit=MAX_FILE_BYTES // 1024
                )
            )
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CaptionError(_("The caption file is not UTF-8 text.")) from error
    elif len(data) > MAX_FILE_BYTES:
        raise CaptionError(
            _("The caption file is larger than {limit} KB.").format(limit=MAX_FILE_BYTES // 1024)
        )
    text = data.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise CaptionError(_("The caption file is not text."))
    return text


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    fraction = int(millis.ljust(3, "0"))
    return round(int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + fraction / 1000, 3)


def _clean(lines: list[str], *, vtt: bool) -> str:
    text = "\n".join(_TAG.sub("", line).strip() for line in lines)
    if vtt:
        for entity, char in _ENTITIES.items():
            text = text.replace(entity, char)
    return "\n".join(line for line in text.split("\n") if line.strip()).strip()


def parse_captions(data: bytes | str) -> list[Caption]:
    """Return the cues of an SRT or WebVTT file, or raise ``CaptionError``."""
    text = _decode(data)
    blocks = [b for b in re.split(r"\n[ \t]*\n", text.strip("\n")) if b.strip()]
    if not blocks:
        raise CaptionError(_("The caption file has no cues."))
    is_vtt = blocks[0].lstrip().startswith("WEBVTT")
    if is_vtt:
        blocks = blocks[1:]
    cues: list[Caption] = []
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if is_vtt and lines[0].split(" ", 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing_at = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing_at is None:
            raise CaptionError(
                _("Cue {n}: no time line like 00:00:01,000 --> 00:00:02,500.").format(n=number)
            )
        match = _TIMING.match(lines[timing_at])
        if match is None:
            raise CaptionError(
                _("Cue {n}: the time line {line} can't be read.").format(
                    n=number, line=lines[timing_at].strip()[:60]
                )
            )
        start = _seconds(*match.group(1, 2, 3, 4))
        end = _seconds(*match.group(5, 6, 7, 8))
        if end <= start:
            raise CaptionError(_("Cue {n}: it ends before it starts.").format(n=number))
        if start >= MAX_TIMELINE_S:
            raise CaptionError(
                _("Cue {n}: it starts after {max:g} s, longer than any video here.").format(
                    n=number, max=MAX_TIMELINE_S
                )
            )
        body = _clean(lines[timing_at + 1 :], vtt=is_vtt)
        if not body:
            continue  # an empty cue shows nothing; players skip it too
        if len(body) > MAX_CAPTION_CHARS or body.count("\n") >= MAX_TEXT_LINES:
            raise CaptionError(
                _(
                    "Cue {n}: its text is too long (at most {chars} characters on {lines} lines)."
                ).format(n=number, chars=MAX_CAPTION_CHARS, lines=MAX_TEXT_LINES)
            )
        cues.append(Caption(start=start, end=min(end, MAX_TIMELINE_S), text=body))
        if len(cues) > MAX_CUES:
            raise CaptionError(_("The caption file has more than {max} cues.").format(max=MAX_CUES))
    if not cues:
        raise CaptionError(_("The caption file has no cues."))
    return sorted(cues, key=lambda c: (c.start, c.end))


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _lines(text: str) -> str:
    # A blank line ends a cue in both formats.
    return "\n".join(line for line in text.split("\n") if line.strip())


def to_srt(cues: Iterable[Caption]) -> str:
    """Return ``cues`` as an SRT file (numbered from 1, CRLF-free, UTF-8 without BOM)."""
    blocks = [
        f"{n}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{_lines(c.text)}"
        for n, c in enumerate(cues, start=1)
    ]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Iterable[Caption]) -> str:
    """Return ``cues`` as a WebVTT file (``-->`` can't occur in a cue: it is escaped)."""
    blocks = ["WEBVTT"]
    for c in cues:
        text = _vtt_escape(_lines(c.text)).replace("-->", "--&gt;")
        blocks.append(f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"
