r"""Every word on screen, as one ASS subtitle script rendered by libass (the ``ass`` filter).

Why ASS and not ``drawtext``: user text never enters the filter graph. It goes into a file
we write, so ``'``, ``:``, ``,``, ``;``, ``[``, ``%`` and newlines need no filter-graph
escaping and can't inject options or filters; only our own temporary path is in the graph.
libass (the imageio-ffmpeg build has it, with fontconfig, FreeType, HarfBuzz and FriBiDi)
shapes any script, draws outlines and caption boxes, and times every line in one pass.

Wrapping is ours, not libass's: lines are measured with Pillow against the same font file
and broken (long words too) to fit inside the safe margins, then written with ``\\N`` and
``WrapStyle: 2`` (no further wrapping). Too many lines shrink the font down to
``MIN_SCALE``; past that the text is cut with an ellipsis. Inside the script, user text is
escaped for ASS: ``\\`` is followed by a WORD JOINER (U+2060, invisible) so ``\\N``,
``\\n``, ``\\h`` stay literal, and ``{``/``}`` (which open override blocks) are written
``\\{``/``\\}``, libass's literal-brace escapes (checked with the imageio-ffmpeg build).
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

from creatives.studio.compose.errors import ComposeError

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
MIN_SCALE = 0.6
SIDE_MARGIN = 0.08  # of the width, each side: Meta's safe zone keeps text off the edges
WORD_JOINER = "\u2060"


@dataclass(frozen=True)
class TextStyle:
    name: str
    size: int  # px at 1080 wide
    max_lines: int
    alignment: int  # ASS numpad alignment: 8 top centre, 2 bottom centre, 5 middle
    margin_v: float  # of the height (top/bottom styles)
    box: bool  # an opaque box behind the text (captions) or an outline (titles)


ON_SCREEN = TextStyle("OnScreen", 76, 3, 8, 0.10, box=False)
CAPTION = TextStyle("Caption", 54, 3, 2, 0.20, box=True)  # above the reel UI at the bottom
CTA = TextStyle("Cta", 88, 4, 5, 0.0, box=False)
STYLES = (ON_SCREEN, CAPTION, CTA)
_OUTLINE = 4
_BOX_PAD = 12


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


@cache
def font_family(font_file: Path) -> tuple[str, bool]:
    """Return the family name libass looks the file up by, and whether it is a bold face."""
    try:
        family, style = ImageFont.truetype(str(font_file), 20).getname()
    except OSError as error:
        raise ComposeError("The font file can't be read.", code="invalid_spec") from error
    return family or "Sans", "bold" in (style or "").lower()


@cache
def _font(font_file: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file), size)


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


def fit_lines(text: str, style: TextStyle, *, width: int, font_file: Path) -> tuple[list[str], int]:
    """Return the wrapped lines and the font size (px) that fit ``style``'s line limit at ``width``."""
    base = round(style.size * width / 1080)
    max_width = width * (1 - 2 * SIDE_MARGIN) - 2 * (_BOX_PAD if style.box else _OUTLINE)
    smallest = max(8, round(base * MIN_SCALE))
    size = base
    while True:
        font = _font(font_file, size)
        lines = wrap(text, font, max_width)
        if len(lines) <= style.max_lines or size <= smallest:
            break
        size = max(smallest, min(size - 1, round(size * 0.9)))
    if len(lines) > style.max_lines:
        lines = lines[: style.max_lines]
        last = lines[-1]
        while last and font.getlength(last + "…") > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines, size


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
    margin_lr = round(width * SIDE_MARGIN)
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
        out.append(
            f"Style: {style.name},{family},{base},&H00FFFFFF,&H00FFFFFF,&H00000000,{back},"
            f"{-1 if bold else 0},0,0,0,100,100,0,0,{border},{style.alignment},"
            f"{margin_lr},{margin_lr},{round(height * style.margin_v)},1"
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
        lines, px = fit_lines(text, cue.style, width=width, font_file=font_file)
        base = round(cue.style.size * width / 1080)
        tags = f"\\fs{px}" if px != base else ""
        if cue.position is not None:
            tags += f"\\an8\\pos({cue.position[0]},{cue.position[1]})"
        prefix = "{" + tags + "}" if tags else ""
        body = "\\N".join(escape_ass(line) for line in lines)
        out.append(
            f"Dialogue: 0,{ass_time(cue.start_s)},{ass_time(cue.end_s)},{cue.style.name},,"
            f"0,0,0,,{prefix}{body}"
        )
    return "\n".join(out) + "\n"
