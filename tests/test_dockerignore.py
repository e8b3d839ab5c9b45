"""The production image's build context: what `docker build` would send, from .dockerignore.

Docker's rules (moby/patternmatcher): patterns are relative to the context root; ``*`` and
``?`` stay within one path segment, ``**`` spans any number of them; a pattern also matches
everything below a directory it matches; the last matching pattern wins, and ``!`` re-includes.
"""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEVER_SENT = ("var/", ".venv/", ".git/", "node_modules/", ".env", "tests/", ".mypy_cache/")


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = pattern[i]
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            i += 1
    return re.compile("".join(out))


def _rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((negated, _regex(os.path.normpath(line.lstrip("!")).lstrip("/"))))
    return rules


def is_sent(path: str, rules=None) -> bool:
    """Whether the context includes ``path`` (relative, with / separators)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    sent = True
    for negated, regex in rules if rules is not None else _rules():
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            sent = negated
    return sent


def build_context() -> list[str]:
    """Every file under the checkout that `docker build .` would send."""
    rules = _rules()
    sent = []
    for folder, dirs, files in os.walk(ROOT):
        relative = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        # An excluded directory is skipped whole: our rules re-include only whole folders.
        dirs[:] = [d for d in dirs if is_sent(f"{prefix}{d}", rules)]
        sent += [f"{prefix}{name}" for name in files if is_sent(f"{prefix}{name}", rules)]
    return sorted(sent)


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("var/secret_key", False),
        ("var/db.sqlite3", False),
        ("var/media/workspaces/1/photo.jpg", False),
        (".env", False),
        (".venv/bin/python", False),
        (".git/config", False),
        ("node_modules/htmx.org/dist/htmx.min.js", False),
        ("tests/conftest.py", False),
        ("prosocial/__pycache__/settings.cpython-313.pyc", False),
        ("manage.py", True),
        ("prosocial/settings.py", True),
        ("creatives/library/models.py", True),
        ("templates/base.html", True),
        ("static/css/app.css", True),
        ("package-lock.json", True),
    ],
)
def test_the_rules_keep_secrets_and_caches_out(path, sent):
    assert is_sent(path) is sent


def test_the_build_context_sends_the_code_and_nothing_of_var():
    context = build_context()

    leaked = [path for path in context if path.startswith(NEVER_SENT)]
    assert leaked == []
    assert {"manage.py", "pyproject.toml", "prosocial/settings.py", "templates/base.html"} <= set(
        context
    )


def test_everything_the_dockerfile_copies_is_in_the_context():
    copied = [
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line and line.split()[1] != "."
    ]
    context = build_context()

    missing = [source for source in copied if not any(p.startswith(source) for p in context)]
    assert copied
    assert missing == []
