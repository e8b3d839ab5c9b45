"""Links in the README and docs/ lead somewhere: every relative link names a file in the repository.

A link that leaves the repository (``../shared/…``) fails even when the file exists on this
machine: a reader of the repository doesn't have it. A link to a heading (``file.md#part``) must
name a heading that exists. Web links (``https://…``) are not fetched. No database needed.
"""

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
# [text](target) and ![alt](target), with an optional "title"; and [label]: target definitions.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _prose(text: str) -> str:
    """Return ``text`` without fenced code blocks and code spans (links there are examples)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def _targets(text: str) -> list[str]:
    """Return the target of every link in markdown ``text``, outside code."""
    prose = _prose(text)
    return INLINE_LINK.findall(prose) + DEFINITION.findall(prose)


def _anchors(document: Path) -> set[str]:
    """Return the heading anchors GitHub generates for ``document``."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in _prose(document.read_text(encoding="utf-8")).splitlines():
        if match := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line):
            title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1))  # links: keep text
            slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _ignored_by_git(path: Path) -> bool:
    try:
        result = subprocess.run(  # noqa: S603
            ["git", "-C", str(ROOT), "check-ignore", "-q", str(path)],  # noqa: S607
            check=False,
            capture_output=True,
        )
    except OSError:  # no git here (e.g. an exported tree): existence is all we can check
        return False
    return result.returncode == 0


def _problem(document: Path, target: str) -> str | None:
    """Return why ``target`` (a link in ``document``) is broken, or None when it is fine."""
    if SCHEME.match(target) or target.startswith("//"):
        return None  # a web or mail link: not ours to check
    path_part, _, fragment = target.partition("#")
    path_part = unquote(path_part.split("?", 1)[0])
    if not path_part:
        destination = document
    elif path_part.startswith("/"):
        destination = (ROOT / path_part.lstrip("/")).resolve()
    else:
        destination = (document.parent / path_part).resolve()
    if not destination.is_relative_to(ROOT):
        return "points outside the repository"
    if not destination.exists():
        return "names a file that does not exist"
    if _ignored_by_git(destination):
        return "names a file git ignores (not in the repository)"
    if fragment and destination.suffix == ".md" and fragment not in _anchors(destination):
        return f"names a heading #{fragment} that {destination.relative_to(ROOT)} does not have"
    return None


def test_there_are_documents_to_check():
    assert ROOT / "README.md" in DOCUMENTS
    assert any(path.parent == ROOT / "docs" for path in DOCUMENTS)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(document):
    broken = [
        f"{target}: {problem}"
        for target in _targets(document.read_text(encoding="utf-8"))
        if (problem := _problem(document, target)) is not None
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("../shared/ARCHITECTURE.md", "points outside the repository"),
        ("docs/no-such-page.md", "names a file that does not exist"),
        ("docs/configuration.md", None),
        ("https://example.com/anything", None),
    ],
    ids=["outside", "missing", "present", "web"],
)
def test_the_checker_tells_broken_from_sound(target, expected):
    assert _problem(ROOT / "README.md", target) == expected


def test_links_inside_code_are_not_links():
    text = "See [a](docs/a.md), not `[b](../b.md)`.\n```\n[c](../c.md)\n```\n[d]: docs/d.md\n"
    assert _targets(text) == ["docs/a.md", "docs/d.md"]
