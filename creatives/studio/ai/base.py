"""The AI provider contract: typed inputs and outputs, the ``Provider`` protocol, one error family.

Every provider (``offline``, ``openai``) takes and returns these frozen dataclasses, never raw
dicts, and raises only ``AIError`` subclasses, whose ``message`` is safe to show on a job and
whose ``retryable`` tells the job layer whether trying again later may help.

Every call appends one ``Usage`` to ``provider.usage`` (provider, model, operation, prompt,
units, estimated cost); the job layer drains it with ``take_usage()`` and records it.

Brief and page content are *data*: providers quote them, they never follow instructions
found inside them. A cohort's ``name`` is internal (a label for the team): providers describe
the audience by its ages, countries, interests and description, and never print the name
(``copyedit.scrub`` guards every line they return).
"""

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

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
class Usage:
    """What one call consumed. ``cost_micro_usd`` is an estimate from our price table."""

    provider: str
    model: str
    # "write_scripts", "make_storyboard", "make_image", "shorten", "speak", "summarize"
    operation: str
    prompt: str
    unit: str  # "tokens", "images", "characters"
    input_units: int = 0
    output_units: int = 0
    cost_micro_usd: int = 0

    @property
    def units(self) -> int:
        return self.input_units + self.output_units


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


@runtime_checkable
class Provider(Protocol):
    name: str
    free: bool
    usage: list[Usage]

    def write_scripts(self, brief: Brief, n: int, offset: int = 0) -> list[ScriptVariant]: ...

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


def cta_label(cta: str) -> str:
    """Return the English button label for a Meta CTA type (or the text itself)."""
    if cta.upper() in CallToAction.values:
        with translation.override("en"):
            return str(CallToAction(cta.upper()).label)
    return cta.replace("_", " ").capitalize()


def short_objective(objective: str) -> str:
    """Return "sales" for "OUTCOME_SALES" (and for "sales")."""
    return objective.strip().upper().removeprefix("OUTCOME_").lower()
