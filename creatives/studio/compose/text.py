r"""Every word on screen, as one ASS subtitle script rendered by libass (the ``ass`` filter).

Why ASS and not ``drawtext``: user text never enters the filter graph. It goes into a file
we write, so ``'``, ``:``, ``,``, ``;``, ``[``, ``%`` and newlines need no filter-graph
escaping and can't inject options or filters; only our own temporary path is in the graph.
libass (the imageio-ffmpeg build has it, with fontconfig, FreeType, HarfBuzz and FriBiDi)
shapes any script, draws outlines and caption boxes, and times every line in one pass.

Where: each style owns a band of the frame (``creatives.studio.frames``): on-screen titles
the top of the safe area, captions its bottom band (the band the image layout keeps empty in
every scene picture), the end card's call to action the safe area. Bands don't overlap, so
a caption never covers a title, a headline drawn into the picture, or the product.

Wrapping is ours, not libass's: lines are measured with Pillow against the same font file
and broken (long words too) to fit the band's width, then written with ``\\N`` and
``WrapStyle: 2`` (no further wrapping). Too many lines shrink the font down to
``min_scale`` of the style's size, then take as many lines as the band holds; text longer
than that is shown in successive pages over the cue's time (captions are what the voice
says, so they are never shortened, and nothing is cut with an ellipsis).

Inside the script, user text is escaped for ASS: ``\\`` is followed by a WORD JOINER
(U+2060, invisible) so ``\\N``, ``\\n``, ``\\h`` stay literal, and ``{``/``}`` (which open
override blocks) are written ``\\{``/``\\}``, libass's literal-brace escapes (checked with
the imageio-ffmpeg build).
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

from creatives.studio import frames
from creatives.studio.compose.errors import ComposeError

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
# Chinese, Japanese and Korean need a font that has them (DejaVu has none: each character
# would be a "tofu" box). Debian's fonts-noto-cjk (in the Dockerfile) installs these
# collections; each face (JP, KR, SC, TC) covers all four scripts, with the regional glyph
# shapes of its name, so the face is picked by the text's script.
CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Black.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
# Emoji: libass draws outlines only, so the colour bitmaps of Debian's fonts-noto-color-emoji
# come out as boxes in videos; Symbola (fonts-symbola) has them as outlines, and emoji runs
# are switched to it explicitly (``_with_emoji_font``). Both are in the Dockerfile.
EMOJI_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
)
OUTLINE_EMOJI_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),
    Path("/usr/share/fonts/truetype/symbola/Symbola.ttf"),
)
_EMOJI_RUN = re.compile("[\U0001f000-\U0001faff\ufe0f\u200d]+")
MIN_SCALE = 0.6
WORD_JOINER = "\u2060"
TOP_BAND = 0.30  # of the width: the on-screen title's band, from the top of the safe area
# libass sizes a font by its cell (ascent + descent), so a line is about its size tall.
LINE_HEIGHT = 1.05


@dataclass(frozen=True)
class TextStyle:
    name: str
    size: int  # px at 1080 wide
    max_lines: int  # preferred; more (smaller) lines before a second page
    alignment: int  # ASS numpad alignment: 8 top centre, 2 bottom centre, 5 middle
    band: str  # "top", "bottom" (captions) or "middle": see ``band``
    box: bool  # an opaque box behind the text (captions) or an outline (titles)
    min_scale: float = MIN_SCALE  # of ``size``: the smallest size still comfortable to read


ON_SCREEN = TextStyle("OnScreen", 76, 3, 8, "top", box=False)
# Above the reel UI at the bottom; 40 px (at 1080 wide) at the least, the size of
# Instagram's own captions, with further pages rather than smaller text.
CAPTION = TextStyle("Caption", 54, 3, 2, "bottom", box=True, min_scale=0.75)
CTA = TextStyle("Cta", 88, 4, 5, "middle", box=False)
STYLES = (ON_SCREEN, CAPTION, CTA)
_OUTLINE = 4
_BOX_PAD = 12


def band(style: TextStyle, size: tuple[int, int]) -> frames.Box:
    """Return the box a style's text stays inside on a ``size`` frame."""
    width, height = size
    left, top, right, bottom = frames.safe_area(width, height)
    if style.band == "bottom":
        return frames.bottom_band(width, height, video=True)
    if style.band == "top":
        return (left, top, right, top + round(width * TOP_BAND))
    return (left, top, right, bottom)


def _inset(style: TextStyle) -> int:
    """Return how far the box (captions) or outline and shadow (titles) reach past the glyphs."""
    return _BOX_PAD if style.box else _OUTLINE + 2


@dataclass(frozen=True)
class Cue:
    style: TextStyle
    start_s: float
    end_s: float
    text: str
    position: tuple[int, int] | None = None  # \pos for the CTA under a logo


def default_font_file() -> Path:
    for candidate in FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise ComposeError("No font is installed to draw text with.", code="invalid_spec")


# Unicode blocks by script, for picking a face: (first, last, script).
_SCRIPT_RANGES = (
    (0x1100, 0x11FF, "ko"),  # Hangul Jamo
    (0x3040, 0x30FF, "ja"),  # Hiragana, Katakana
    (0x3130, 0x318F, "ko"),  # Hangul Compatibility Jamo
    (0x31F0, 0x31FF, "ja"),  # Katakana Phonetic Extensions
    (0xA960, 0xA97F, "ko"),  # Hangul Jamo Extended-A
    (0xAC00, 0xD7FF, "ko"),  # Hangul Syllables, Jamo Extended-B
    (0xFF65, 0xFF9F, "ja"),  # halfwidth Katakana
    (0x2E80, 0x2FDF, "zh"),  # CJK radicals
    (0x3000, 0x303F, "zh"),  # CJK symbols and punctuation
    (0x3100, 0x312F, "zh"),  # Bopomofo
    (0x3200, 0x33FF, "zh"),  # enclosed CJK, compatibility
    (0x3400, 0x4DBF, "zh"),  # CJK Extension A
    (0x4E00, 0x9FFF, "zh"),  # CJK Unified Ideographs
    (0xF900, 0xFAFF, "zh"),  # CJK Compatibility Ideographs
    (0xFF00, 0xFF64, "zh"),  # fullwidth forms
    (0x20000, 0x3134F, "zh"),  # CJK Extensions B-G
)
_FACE_BY_SCRIPT = {"ja": "JP", "ko": "KR", "zh": "SC"}


def text_script(text: str) -> str:
    """Return "ja", "ko" or "zh" for text with CJK characters, else "latin".

    Kana makes it Japanese and Hangul Korean, whatever else is there (Japanese is written
    with Han characters too); Han characters alone are taken as Chinese.
    """
    found: set[str] = set()
    for ch in text:
        code = ord(ch)
        if code < 0x1100:
            continue
        for first, last, script in _SCRIPT_RANGES:
            if first <= code <= last:
                found.add(script)
                break
    for script in ("ja", "ko", "zh"):
        if script in found:
            return script
    return "latin"


def has_emoji(text: str) -> bool:
    """Whether ``text`` has pictographs (emoji) no text face draws."""
    return _EMOJI_RUN.search(text) is not None


def emoji_font_file() -> Path | None:
    """Return the installed emoji font libass can draw (outlines), or None."""
    return next((path for path in OUTLINE_EMOJI_FONT_CANDIDATES if path.is_file()), None)


def _with_emoji_font(line: str, *, emoji_family: str | None, family: str) -> str:
    """Switch each run of emoji in an (escaped) ASS line to the emoji face and back."""
    if emoji_family is None:
        return line
    return _EMOJI_RUN.sub(lambda run: f"{{\\fn{emoji_family}}}{run.group(0)}{{\\fn{family}}}", line)


@dataclass(frozen=True)
class Face:
    """One face of a font file (a ``.ttc`` collection holds several)."""

    file: Path
    index: int = 0


@cache
def _collection_faces(font_file: Path) -> dict[str, int]:
    """Return ``{family name: index}`` for every face in ``font_file``."""
    faces: dict[str, int] = {}
    for index in range(32):
        try:
            family, _style = ImageFont.truetype(str(font_file), 20, index=index).getname()
        except OSError:
            break
        faces.setdefault(family or "", index)
    return faces


def cjk_face(script: str) -> Face | None:
    """Return the installed CJK face for ``script`` ("ja", "ko", "zh"), or None if none is."""
    region = _FACE_BY_SCRIPT.get(script)
    if region is None:
        return None
    for candidate in CJK_FONT_CANDIDATES:
        if not candidate.is_file():
            continue
        faces = _collection_faces(candidate)
        for family, index in faces.items():
            if family.endswith(f" {region}") and "Mono" not in family:
                return Face(candidate, index)
        return Face(candidate, 0)
    return None


def face_for_text(text: str, default: Path) -> Face:
    """Return the face to draw ``text`` with.

    A CJK face when the text needs one and one is installed, else ``default`` (DejaVu, which
    covers Latin, Greek and Cyrillic).
    """
    script = text_script(text)
    if script != "latin":
        face = cjk_face(script)
        if face is not None:
            return face
    return Face(default)


def fallback_font_files() -> list[Path]:
    """Return the installed CJK collection and emoji fonts, for libass's fontsdir."""
    cjk = next((path for path in CJK_FONT_CANDIDATES if path.is_file()), None)
    emoji = [path for path in EMOJI_FONT_CANDIDATES if path.is_file()]
    emoji += [
        path for path in OUTLINE_EMOJI_FONT_CANDIDATES if path.is_file() and path not in emoji
    ]
    return [*([cjk] if cjk else []), *emoji]


@cache
def font_family(font_file: Path, index: int = 0) -> tuple[str, bool]:
    """Return the family name libass looks the file up by, and whether it is a bold face."""
    try:
        family, style = ImageFont.truetype(str(font_file), 20, index=index).getname()
    except OSError as error:
        raise ComposeError("The font file can't be read.", code="invalid_spec") from error
    return family or "Sans", "bold" in (style or "").lower()


@cache
def _font(font_file: Path, size: int, index: int = 0) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file), size, index=index)


def clean(text: str) -> str:
    """Normalise user text: newlines kept as line breaks, other control characters gone."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or ch.isprintable()).strip()


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``max_width`` px (words first, then characters)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            while font.getlength(word) > max_width:  # a word longer than the line: cut it
                cut = len(word) - 1
                while cut > 1 and font.getlength(word[:cut]) > max_width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        if line:
            lines.append(line)
    return lines


def line_height(px: int) -> int:
    return math.ceil(px * LINE_HEIGHT)


def fit_pages(
    text: str,
    style: TextStyle,
    *,
    size: tuple[int, int],
    font_file: Path,
    room: int | None = None,
    font_index: int = 0,
) -> tuple[list[list[str]], int]:
    """Return the pages of wrapped lines and the font size (px) that fit ``style``'s band.

    ``room`` overrides the band's height (text placed at a position inside it). The font
    shrinks down to ``min_scale`` of the style's size for the preferred number of lines, then
    the smallest size takes as many lines as the band holds; what is still left over goes on
    further pages. Every line fits the band's width; no text is dropped.
    """
    left, top, right, bottom = band(style, size)
    inset = _inset(style)
    max_width = right - left - 2 * inset
    height = (room if room is not None else bottom - top) - 2 * inset
    base = round(style.size * size[0] / 1080)
    smallest = max(8, round(base * style.min_scale))
    px = base
    while True:
        font = _font(font_file, px, font_index)
        lines = wrap(text, font, max_width)
        fits = max(1, min(style.max_lines, height // line_height(px)))
        if len(lines) <= fits:
            return [lines], px
        if px <= smallest:
            break
        px = max(smallest, min(px - 1, round(px * 0.9)))
    per_page = max(1, height // line_height(px))
    return [lines[i : i + per_page] for i in range(0, len(lines), per_page)], px


def page_times(start_s: float, end_s: float, pages: list[list[str]]) -> list[tuple[float, float]]:
    """Share ``start_s``-``end_s`` out between pages by their length (reading time)."""
    weights = [max(1, sum(len(line) for line in page)) for page in pages]
    total = sum(weights)
    span = end_s - start_s
    times, at = [], start_s
    for weight in weights:
        until = at + span * weight / total
        times.append((at, until))
        at = until
    return times


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


def _in_order(short: list[str], long: list[str]) -> bool:
    remaining = iter(long)
    return all(word in remaining for word in short)


def _contiguous(short: list[str], long: list[str]) -> bool:
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


def repeats(caption: str, shown: str) -> bool:
    """Return whether ``caption`` says the line already ``shown`` on screen.

    Same words (case and punctuation aside), or one is the other shortened: its opening
    words (two or more), a run of at least three of its words, or its words in order making
    up at least half of it. "Shop now" repeats "Shop now while it lasts"; "Folds in ten
    seconds" repeats "Folds in ten seconds flat, so your commute ends at the door"; "Acme"
    does not repeat "Meet Acme, shoes that grip on rock".
    """
    a, b = _words(caption), _words(shown)
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    if len(short) >= 2 and long[: len(short)] == short:
        return True
    if len(short) >= 3 and _contiguous(short, long):
        return True
    return _in_order(short, long) and len(short) * 2 >= len(long)


def escape_ass(line: str) -> str:
    return line.replace("\\", "\\" + WORD_JOINER).replace("{", "\\{").replace("}", "\\}")


def ass_time(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{centis:02d}"


def build_ass(cues: list[Cue], *, size: tuple[int, int], font_file: Path) -> str:
    """Return the whole ASS script for ``cues`` on a ``size`` frame."""
    width, height = size
    family, bold = font_family(font_file)
    emoji_file = emoji_font_file()
    emoji_family = font_family(emoji_file)[0] if emoji_file is not None else None
    out = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
    ]
    for style in STYLES:
        base = round(style.size * width / 1080)
        border = f"3,{_BOX_PAD},0" if style.box else f"1,{_OUTLINE},2"
        back = "&H60000000" if style.box else "&H80000000"
        left, top, right, bottom = band(style, size)
        inset = _inset(style)
        margin_v = {2: height - bottom + inset, 8: top + inset}.get(style.alignment, 0)
        out.append(
            f"Style: {style.name},{family},{base},&H00FFFFFF,&H00FFFFFF,&H00000000,{back},"
            f"{-1 if bold else 0},0,0,0,100,100,0,0,{border},{style.alignment},"
            f"{left + inset},{width - right + inset},{margin_v},1"
        )
    out += [
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for cue in cues:
        text = clean(cue.text)
        if not text or cue.end_s <= cue.start_s:
            continue
        room = None
        if cue.position is not None:
            room = band(cue.style, size)[3] - cue.position[1]
        face = face_for_text(text, font_file)
        pages, px = fit_pages(
            text, cue.style, size=size, font_file=face.file, room=room, font_index=face.index
        )
        base = round(cue.style.size * width / 1080)
        tags = f"\\fs{px}" if px != base else ""
        if face != Face(font_file):  # measured with this face, so drawn with it too
            tags += f"\\fn{font_family(face.file, face.index)[0]}"
        if cue.position is not None:
            tags += f"\\an8\\pos({cue.position[0]},{cue.position[1]})"
        prefix = "{" + tags + "}" if tags else ""
        for (start, end), page in zip(
            page_times(cue.start_s, cue.end_s, pages), pages, strict=True
        ):
            body = "\\N".join(
                _with_emoji_font(
                    escape_ass(line),
                    emoji_family=emoji_family,
                    family=font_family(face.file, face.index)[0],
                )
                for line in page
            )
            out.append(
                f"Dialogue: 0,{ass_time(start)},{ass_time(end)},{cue.style.name},,"
                f"0,0,0,,{prefix}{body}"
            )
    return "\n".join(out) + "\n"
