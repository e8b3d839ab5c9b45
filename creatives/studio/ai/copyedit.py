"""Deterministic copy edits every provider shares: shorter lines, and no internal names.

``shorten_by_rules(text, max_chars)`` returns a line of at most ``max_chars`` characters that
still reads as a line: filler words dropped, then the first sentence, then whole leading
clauses, then whole leading words; a word is cut only when a single word is longer than the
budget (a very long word, or CJK written without spaces). It never adds an ellipsis: an ad
that ends in "…" looks broken, not shortened. The offline provider shortens with these rules;
the OpenAI provider asks its model first and falls back to them.

``scrub`` is the guard against internal names in copy: a cohort's name ("Young urban
commuters") labels a segment for the team, and printing it addresses people by a label they
never chose. Providers get the audience as a description (ages, interests, countries) and run
every line they return through ``scrub``, which removes the name and tidies the punctuation
left behind, and drops a hashtag made of it. A name the brief's own customer-facing copy
uses (product name, key message, offer) is not internal, so it is left alone.
"""

import re
import unicodedata
from dataclasses import replace
from functools import lru_cache

from creatives.studio.ai.base import Brief, Scene, ScriptVariant, Storyboard

ELLIPSES = ("…", "...")
# Words a line can lose without changing what it says (English and Spanish, the languages
# the offline templates write).
FILLERS = frozenset(
    {"just", "really", "very", "truly", "simply", "actually", "quite", "way", "so"}
    | {"totally", "literally", "muy", "realmente", "simplemente", "totalmente"}
)
# A line should not end on one of these once words are dropped from its end.
DANGLING = frozenset(
    {"a", "an", "the", "and", "or", "but", "so", "to", "of", "for", "with", "in", "on", "at"}
    | {"by", "your", "our", "my", "its", "from", "that", "y", "o", "pero", "de", "del"}
    | {"para", "con", "en", "el", "la", "los", "las", "un", "una", "tu", "su", "que"}
)
# Dashes: em (U+2014), en (U+2013), hyphen; sentence ends include the CJK full stop,
# exclamation and question marks (U+3002, U+FF01, U+FF1F).
_DASHES = "\u2014\u2013-"
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+")
_CLAUSE_END = re.compile(rf"(?<=[,;:])\s+|\s+[{_DASHES}]\s+")
_TRAILING = f",;:{_DASHES} "


def _squash(text: str) -> str:
    return " ".join(text.split())


def _tidy_end(text: str) -> str:
    words = text.rstrip(_TRAILING).split()
    while len(words) > 1 and words[-1].lower().strip(",;:") in DANGLING:
        words.pop()
    return " ".join(words).rstrip(_TRAILING)


def _without_fillers(text: str) -> str:
    return " ".join(w for w in text.split() if w.lower().strip(",.!?;:") not in FILLERS)


def _without_ellipsis(text: str) -> str:
    stripped = text.rstrip()
    for mark in ELLIPSES:
        stripped = stripped.removesuffix(mark)
    return stripped.rstrip()


def _leading(parts: list[str], max_chars: int) -> str:
    taken = ""
    for part in parts:
        candidate = f"{taken} {part}" if taken else part
        if len(_tidy_end(candidate)) > max_chars:
            break
        taken = candidate
    return _tidy_end(taken)


def _clause_runs(sentence: str) -> list[str]:
    """Return every run of consecutive whole clauses of ``sentence``."""
    clauses = [c for c in _CLAUSE_END.split(sentence) if c.strip()]
    return [
        _tidy_end(" ".join(clauses[start:stop]))
        for start in range(len(clauses))
        for stop in range(start + 1, len(clauses) + 1)
    ]


def shorten_by_rules(text: str, max_chars: int) -> str:
    """Return ``text`` in at most ``max_chars`` characters, shortened without an ellipsis.

    In order: the whole line without filler words; its first sentence (with, then without
    fillers); the longest run of whole clauses that fits, when it keeps at least half the
    budget; else the leading words; a word is cut only when not even one whole word fits.
    """
    text = _without_ellipsis(_squash(text))
    max_chars = max(1, max_chars)
    if len(text) <= max_chars:
        return text
    first = next(s for s in _SENTENCE_END.split(text) if s)
    for candidate in (_without_fillers(text), first, _without_fillers(first)):
        if len(candidate) <= max_chars and len(candidate.split()) >= 2:
            return candidate
    lean = _without_fillers(first)
    runs = [run for run in _clause_runs(lean) if run and len(run) <= max_chars]
    clause = max(runs, key=len, default="")
    if len(clause) >= max_chars / 2 and len(clause.split()) >= 2:
        return clause
    words = _leading(lean.split(), max_chars)
    if words or clause:
        return max(words, clause, key=len)
    # Not one whole word fits (a very long word, or CJK written without spaces).
    return lean[:max_chars].rstrip(_TRAILING)


def has_ellipsis(text: str) -> bool:
    return any(mark in text for mark in ELLIPSES)


# --- Internal names ----------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _name_pattern(name: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in name.split()]
    # A one-word name ("Students", "All") is often an ordinary word too: only its exact
    # spelling counts. A phrase ("Weekend hikers") is a label in any case.
    flags = re.IGNORECASE if len(words) > 1 else 0
    return re.compile(r"(?<!\w)" + r"[\s\-]+".join(words) + r"(?!\w)", flags)


def _key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def internal_names(brief: Brief) -> tuple[str, ...]:
    """Return the names copy must not print: the cohort's.

    Words the provider is told anyway are not internal: a name that the brief's own copy
    (product name, key message, offer) or the audience's description or interests use is
    left alone.
    """
    name = _squash(brief.cohort.name)
    if not _key(name):
        return ()
    told = (
        brief.product_name,
        brief.key_message,
        brief.offer,
        brief.cohort.description,
        *brief.cohort.interests,
    )
    if _name_pattern(name).search("\n".join(told)):
        return ()
    return (name,)


def _is_name_tag(word: str, names: tuple[str, ...]) -> bool:
    return word.startswith("#") and any(_key(word) == _key(name) for name in names)


def mentions(text: str, names: tuple[str, ...]) -> bool:
    """Return whether ``text`` prints any of ``names``, as words or as a hashtag."""
    return any(_name_pattern(name).search(text) for name in names) or any(
        _is_name_tag(word, names) for word in text.split()
    )


def _scrub_sentence(sentence: str, names: tuple[str, ...]) -> str:
    out = " ".join(word for word in sentence.split(" ") if not _is_name_tag(word, names))
    for name in names:
        out = _name_pattern(name).sub("", out)
    out = re.sub(r"[ \t]+([,.!?;:])", r"\1", out)
    out = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", out)
    out = re.sub(r"[,;:]\s*([.!?])", r"\1", out)
    out = re.sub(rf"^[\s,.;:!?{_DASHES}]+", "", out)
    out = re.sub(r"[ \t]{2,}", " ", out).strip()
    if out[:1].islower() and sentence.lstrip()[:1].isupper():
        out = out[0].upper() + out[1:]
    return out


def scrub(text: str, names: tuple[str, ...]) -> str:
    """Return ``text`` without ``names``, its punctuation and capitals tidied.

    "Hey Young urban commuters! Meet Acme." becomes "Hey! Meet Acme."; "Young urban
    commuters, this one's for you." becomes "This one's for you.".
    """
    if not names or not mentions(text, names):
        return text
    lines = []
    for line in text.split("\n"):
        sentences = [_scrub_sentence(s, names) for s in _SENTENCE_END.split(line)]
        lines.append(" ".join(s for s in sentences if s))
    return "\n".join(lines).strip()


def scrub_tags(tags: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(tag for tag in tags if not mentions(tag, names))


def scrub_variant(variant: ScriptVariant, names: tuple[str, ...]) -> ScriptVariant:
    """Return ``variant`` with ``names`` removed from every line a person will see or hear."""
    if not names:
        return variant
    return replace(
        variant,
        hook=scrub(variant.hook, names),
        body=scrub(variant.body, names),
        cta=scrub(variant.cta, names),
        voiceover=scrub(variant.voiceover, names),
        on_screen_text=tuple(scrub(line, names) for line in variant.on_screen_text),
        caption=scrub(variant.caption, names),
        hashtags=scrub_tags(variant.hashtags, names),
    )


def scrub_storyboard(storyboard: Storyboard, names: tuple[str, ...]) -> Storyboard:
    """Return ``storyboard`` with ``names`` removed from its on-screen and spoken lines."""
    if not names:
        return storyboard
    return Storyboard(
        scenes=tuple(
            Scene(
                duration_s=scene.duration_s,
                visual=scrub(scene.visual, names),
                on_screen_text=scrub(scene.on_screen_text, names),
                voiceover_line=scrub(scene.voiceover_line, names),
            )
            for scene in storyboard.scenes
        )
    )
