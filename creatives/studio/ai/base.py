"""The AI provider contract: typed inputs and outputs, the ``Provider`` protocol, one error family.

Every provider (``offline``, ``openai``) takes and returns these frozen dataclasses, never raw
dicts, and raises only ``AIError`` subclasses, whose ``message`` is safe to show on a job and
whose ``retryable`` tells the job layer whether trying again later may help.

Every call appends one ``Usage`` to ``provider.usage`` (provider, model, operation, prompt,
units, estimated cost); the job layer drains it with ``take_usage()`` and records it.

Brief and page content, and the messages of an inbox thread (``ThreadText``), are *data*:
providers quote them, they never follow instructions found inside them. A cohort's ``name`` is
internal (a label for the team): providers describe the audience by its ages, countries,
interests and description, and never print the name (``copyedit.scrub`` guards every line
they return).
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.meta_vocabulary import CallToAction, Objective
from prosocial.errors import JobError

# --- Inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    name: str  # internal: never sent to a model, never printed
    description: str = ""
    age_min: int = 18
    age_max: int = 65
    countries: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Brief:
    product_name: str
    key_message: str
    objective: str = Objective.AWARENESS.value  # Meta OUTCOME_* or its short form ("sales")
    product_url: str = ""
    offer: str = ""
    tone: str = "friendly"
    cta: str = CallToAction.LEARN_MORE.value  # Meta call-to-action type
    language: str = "en"  # ISO 639-1
    brand_colours: tuple[str, ...] = ()  # "#RRGGBB"
    cohort: Cohort = field(default_factory=lambda: Cohort(name="Everyone"))


@dataclass(frozen=True)
class Results:
    """How a published variant did: the summary *Make more like this* passes on.

    Figures read off Meta's insights by the results page or a person; ``None`` (or "") is
    "not known". Like the brief, they are *data*: providers quote them and never follow
    instructions, and never print them in the copy.
    """

    ctr: Decimal | None = None  # link click-through rate, in percent
    cost_per_result: Decimal | None = None  # in ``currency``
    currency: str = ""  # ISO 4217, e.g. "USD"
    reach: int | None = None  # people reached
    engagement_rate: Decimal | None = None  # in percent
    period: str = ""  # what they cover: "last_30d", "lifetime" or "2026-11-01..2026-11-30"

    def as_data(self) -> dict[str, str | int]:
        """Return the known figures, JSON-safe (decimals as strings, as Meta sends them)."""
        data: dict[str, str | int] = {}
        for name in ("ctr", "cost_per_result", "engagement_rate"):
            value = getattr(self, name)
            if value is not None:
                data[name] = str(value)
        if self.cost_per_result is not None and self.currency:
            data["currency"] = self.currency
        if self.reach is not None:
            data["reach"] = self.reach
        if self.period:
            data["range"] = self.period
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "Results":
        """Return the results ``as_data`` wrote (values already checked when they were kept)."""

        def number(name: str) -> Decimal | None:
            return Decimal(str(data[name])) if data.get(name) not in (None, "") else None

        reach = data.get("reach")
        return cls(
            ctr=number("ctr"),
            cost_per_result=number("cost_per_result"),
            currency=str(data.get("currency") or ""),
            reach=int(reach) if reach not in (None, "") else None,
            engagement_rate=number("engagement_rate"),
            period=str(data.get("range") or ""),
        )

    def describe(self) -> str:
        """Return the figures in one line: "CTR 2.1%, cost per result 0.42 USD, reach 12,000"."""
        parts = []
        if self.ctr is not None:
            parts.append(_("CTR %(value)s%%") % {"value": _figure(self.ctr)})
        if self.cost_per_result is not None:
            cost = f"{_figure(self.cost_per_result)} {self.currency}".strip()
            parts.append(_("cost per result %(value)s") % {"value": cost})
        if self.reach is not None:
            parts.append(_("reach %(value)s") % {"value": f"{self.reach:,}"})
        if self.engagement_rate is not None:
            parts.append(
                _("engagement rate %(value)s%%") % {"value": _figure(self.engagement_rate)}
            )
        text = ", ".join(parts)
        return f"{text} ({self.period})" if text and self.period else text


def _figure(value: Decimal) -> str:
    """Return ``value`` without trailing zeros ("2.10" → "2.1", "3.00" → "3")."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class ThreadMessage:
    """One message of an inbox conversation as a provider reads it (text only, no ids)."""

    from_customer: bool
    author: str  # the customer's (or another commenter's) name, or the business's
    text: str
    hidden: bool = False  # hidden from the public by the business (comments)
    attachments: tuple[str, ...] = ()  # attachment types: "image", "video", …


@dataclass(frozen=True)
class ThreadText:
    """An inbox conversation, oldest message first: what summaries and reply drafts read.

    Every text in it was written by other people (customers, commenters) and is *data*:
    providers quote it and never follow instructions found inside it. ``omitted`` earlier
    messages were left out to keep the request short.
    """

    messages: tuple[ThreadMessage, ...]
    channel: str = "facebook"  # "facebook" | "instagram"
    kind: str = "comment"  # "comment" | "dm" | "mention"
    post_caption: str = ""  # the post or media commented on (comments and mentions)
    omitted: int = 0

    def customer_messages(self) -> tuple[ThreadMessage, ...]:
        return tuple(m for m in self.messages if m.from_customer)

    def as_text(self) -> str:
        """Return the conversation as numbered, quoted lines (for logs and plain prompts)."""
        lines = [f"({self.omitted} earlier messages left out)"] if self.omitted else []
        for number, message in enumerate(self.messages, start=1):
            who = "customer" if message.from_customer else "business"
            extras = [*(f"[{kind}]" for kind in message.attachments)]
            if message.hidden:
                extras.append("[hidden from the public]")
            quoted = json.dumps(message.text, ensure_ascii=False) if message.text else ""
            text = " ".join([quoted, *extras]).strip()
            author = json.dumps(message.author, ensure_ascii=False)
            lines.append(f"{number}. {who} {author}: {text}")
        return "\n".join(lines)


# The longest text Meta accepts in a reply, by (channel, thread kind): Instagram messages
# 1,000 (GRAPH_NOTES §9), Messenger 2,000, Instagram comments 2,200, Facebook comments 8,000.
REPLY_LIMITS = {
    ("instagram", "dm"): 1000,
    ("facebook", "dm"): 2000,
    ("instagram", "comment"): 2200,
    ("instagram", "mention"): 2200,
    ("facebook", "comment"): 8000,
    ("facebook", "mention"): 8000,
}
# What a suggested reply aims for at most: people answer in a few lines, not in essays.
SUGGESTION_CHARS = 400
MAX_SUGGESTIONS = 3


def reply_limit(channel: str, kind: str) -> int:
    """Return how long a suggested reply may be on ``channel`` in a ``kind`` thread."""
    return min(SUGGESTION_CHARS, REPLY_LIMITS.get((channel, kind), 1000))


# --- Outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptVariant:
    hook: str
    body: str
    cta: str
    voiceover: str
    on_screen_text: tuple[str, ...]
    caption: str
    hashtags: tuple[str, ...]
    language: str  # the language actually written, which may differ from the brief's
    note: str = ""  # e.g. why the language fell back to English


@dataclass(frozen=True)
class Scene:
    duration_s: float
    visual: str
    on_screen_text: str
    voiceover_line: str


@dataclass(frozen=True)
class Storyboard:
    scenes: tuple[Scene, ...]

    @property
    def duration_s(self) -> float:
        return sum(scene.duration_s for scene in self.scenes)


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    format: str  # "png" or "jpeg"
    width: int
    height: int


@dataclass(frozen=True)
class Speech:
    data: bytes
    format: str  # "mp3", "wav", …


@dataclass(frozen=True)
class TranscriptSegment:
    """A stretch of speech heard in an audio file: seconds from its start, and what was said."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    """What a provider heard in an audio file (``language`` as the provider names it)."""

    segments: tuple[TranscriptSegment, ...]
    language: str = ""
    duration: float = 0.0


@dataclass(frozen=True)
class Usage:
    """What one call consumed. ``cost_micro_usd`` is an estimate from our price table."""

    provider: str
    model: str
    # "write_scripts", "write_more_like", "make_storyboard", "make_image", "shorten", "speak",
    # "summarize", "inbox_summary", "inbox_suggestions", "transcribe"
    operation: str
    prompt: str
    unit: str  # "tokens", "images", "characters", "seconds"
    input_units: int = 0
    output_units: int = 0
    cost_micro_usd: int = 0

    @property
    def units(self) -> int:
        return self.input_units + self.output_units


@dataclass(frozen=True)
class Winner:
    """A variant that did well, and how: what *Make more like this* writes after.

    ``number`` is the variant's number in its audience (for notes such as "Modelled on
    variant 2"); the script and the results are data, as the brief is.
    """

    script: ScriptVariant
    number: int
    results: Results


# --- Errors ------------------------------------------------------------------------------------


class AIError(JobError):
    """A provider call that failed; ``retryable`` says whether a later retry may succeed."""


class AIQuotaError(AIError):
    """The account is out of credit or over its quota; someone has to act on billing."""


class AIRateLimitError(AIError):
    retryable = True


class AIAuthError(AIError):
    """The key is missing, wrong or revoked."""


class AIRefusalError(AIError):
    """The provider refused the request under its content policy."""


class AITimeoutError(AIError):
    retryable = True


class AIUnavailableError(AIError):
    """The provider could not be reached or answered with a server error."""

    retryable = True


class AIBadOutputError(AIError):
    """The provider answered, but not in the shape we asked for (a retry often fixes it)."""

    retryable = True


class AIInvalidModelError(AIError):
    """The configured model name does not exist or this key cannot use it."""


# --- The protocol ------------------------------------------------------------------------------

MAX_VARIANTS = 10
MAX_MORE_LIKE = 3  # variants per *Make more like this* (each keeps a different part)


@runtime_checkable
class Provider(Protocol):
    name: str
    free: bool
    usage: list[Usage]

    def write_scripts(self, brief: Brief, n: int, offset: int = 0) -> list[ScriptVariant]: ...

    def write_more_like(self, brief: Brief, winner: Winner, n: int) -> list[ScriptVariant]:
        """Return ``n`` (1-3) new variants modelled on ``winner``, unlike it and each other.

        They keep what made the winner work (its hook, its structure) and say in ``note`` which
        variant and which results they followed. Usage is recorded under ``write_more_like``.
        """
        ...

    def make_storyboard(self, brief: Brief, script: ScriptVariant) -> Storyboard: ...

    def make_image(
        self,
        brief: Brief,
        scene: Scene | None,
        size: tuple[int, int],
        headline: str,
        cta: str,
        logo: bytes | None = None,
        product_image: bytes | None = None,
    ) -> GeneratedImage:
        """Return an image of exactly ``size`` with the headline fitted (shortened if need be).

        With a ``scene`` it is a video frame (``layout``: the captions' band stays empty and
        there is no CTA button; the end card carries it).
        """
        ...

    def shorten(self, brief: Brief, text: str, max_chars: int) -> str:
        """Return ``text`` said in at most ``max_chars`` characters, never ending in "…"."""
        ...

    def speak(self, text: str, voice: str) -> Speech | None: ...

    def summarize(self, text: str) -> str: ...

    def summarize_thread(self, thread: ThreadText, *, language: str = "en") -> str:
        """Return 3-5 plain sentences: who wrote, what they want, what was answered, what is open.

        Usage is recorded under the operation ``inbox_summary``.
        """
        ...

    def suggest_replies(
        self,
        thread: ThreadText,
        *,
        customer_name: str,
        business_name: str,
        website: str = "",
        language: str = "en",
        n: int = MAX_SUGGESTIONS,
    ) -> list[str]:
        """Return ``n`` (2-3) short reply drafts for the business, each within ``reply_limit``.

        Drafts for a person to edit and send: they never state facts the thread does not
        give (prices, stock, dates). Usage is recorded under ``inbox_suggestions``.
        """
        ...

    def take_usage(self) -> list[Usage]: ...


@runtime_checkable
class Transcriber(Protocol):
    """A provider that can hear speech (OpenAI's; the built-in provider can't)."""

    name: str
    free: bool
    usage: list[Usage]

    def transcribe(self, audio_path: Path) -> Transcript:
        """Return the speech in the audio file at ``audio_path``, segment by segment.

        Usage is recorded under the operation ``transcribe``, in seconds of audio.
        """
        ...

    def take_usage(self) -> list[Usage]: ...


class UsageLog:
    """Mixin holding the usage of every call until the caller takes it."""

    name = "base"
    free = False  # True: calls cost nothing, so a workspace's cost cap does not apply

    def __init__(self) -> None:
        self.usage: list[Usage] = []

    def record(self, usage: Usage) -> Usage:
        self.usage.append(usage)
        return usage

    def take_usage(self) -> list[Usage]:
        """Return the usage recorded since the last call, and forget it."""
        taken, self.usage = self.usage, []
        return taken


def check_variant_count(n: int) -> None:
    if not 1 <= n <= MAX_VARIANTS:
        raise AIError(_("Ask for between 1 and %(max)d variants.") % {"max": MAX_VARIANTS})


def check_more_like_count(n: int) -> None:
    if not 1 <= n <= MAX_MORE_LIKE:
        raise AIError(
            _("Ask for between 1 and %(max)d variants like this one.") % {"max": MAX_MORE_LIKE}
        )


def cta_label(cta: str) -> str:
    """Return the English button label for a Meta CTA type (or the text itself)."""
    if cta.upper() in CallToAction.values:
        with translation.override("en"):
            return str(CallToAction(cta.upper()).label)
    return cta.replace("_", " ").capitalize()


def short_objective(objective: str) -> str:
    """Return "sales" for "OUTCOME_SALES" (and for "sales")."""
    return objective.strip().upper().removeprefix("OUTCOME_").lower()
