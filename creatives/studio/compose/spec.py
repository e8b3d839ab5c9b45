"""What a composed video is made of: plain, validated dataclasses (no Django, no I/O).

Times are seconds. A ``Caption``'s ``start_s``/``end_s`` are relative to the start of its
scene (when the voice-over says that line); ``None`` means the scene's start / end. The
timeline is the scenes in order, each transition overlapping the next scene by
``transition_s``, then the end card (joined by the same transition), so the output lasts
``sum(scene durations) + end card - transition_s x (number of scenes)`` (one join per
scene: between scenes, and into the end card).

A line is shown once: a scene's ``caption`` is not drawn when it only repeats its
``on_screen_text`` or its ``picture_text`` (the headline already drawn into its image), see
``text.repeats``. Captions show what the voice says that the screen doesn't.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from creatives.studio.compose.errors import ComposeError

SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:5": (1080, 1350),
}
MOTIONS = frozenset({"zoom_in", "zoom_out", "pan_left", "pan_right", "none"})
TRANSITIONS = frozenset({"fade", "slide", "none"})
FPS = 30
MIN_SCENE_S = 0.5
MAX_TOTAL_S = 15 * 60.0
MAX_SCENES = 60
MAX_TEXT_CHARS = 500
_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Caption:
    text: str
    start_s: float | None = None  # relative to the scene's start; None: the scene's start
    end_s: float | None = None  # relative to the scene's start; None: the scene's end


@dataclass(frozen=True)
class Scene:
    image: Path
    duration_s: float
    on_screen_text: str = ""  # drawn by the composer at the top of the safe area
    caption: Caption | None = None  # drawn in the bottom band, unless it repeats the above
    motion: str = "none"
    picture_text: str = ""  # text ``image`` already shows (its headline); never drawn again


@dataclass(frozen=True)
class EndCard:
    cta_text: str
    duration_s: float = 2.0
    background: str = "#111111"  # "#RRGGBB"
    logo: Path | None = None


@dataclass(frozen=True)
class CompositionSpec:
    size: tuple[int, int]
    scenes: list[Scene]
    end_card: EndCard | None = None
    transition: str = "fade"
    transition_s: float = 0.5
    voice_over: Path | None = None
    music: Path | None = None
    music_gain: float = 0.35  # music level under no voice (linear), before ducking
    fps: int = FPS
    font_file: Path | None = None  # None: the bundled-with-the-OS default (DejaVu Sans Bold)
    max_video_bitrate: int = 8_000_000  # under every placement cap (IG: 25 Mbps)

    @property
    def joins(self) -> int:
        """Number of transitions: between scenes, and into the end card."""
        if self.transition == "none":
            return 0
        return len(self.scenes) - 1 + (1 if self.end_card else 0)

    @property
    def overlap_s(self) -> float:
        return 0.0 if self.transition == "none" else self.transition_s

    @property
    def duration_s(self) -> float:
        total = sum(scene.duration_s for scene in self.scenes)
        if self.end_card:
            total += self.end_card.duration_s
        return total - self.joins * self.overlap_s

    def scene_starts(self) -> list[float]:
        """Start time of each scene (and of the end card, last) on the output timeline."""
        starts, at = [], 0.0
        for scene in self.scenes:
            starts.append(at)
            at += scene.duration_s - self.overlap_s
        starts.append(at)
        return starts


def background_hex(colour: str) -> str:
    match = _COLOUR.fullmatch(colour.strip())
    if not match:
        raise ComposeError(
            "The end card colour must be a hex colour like #1A2B3C.", code="invalid_spec"
        )
    return match.group(1).upper()


def validate_spec(spec: CompositionSpec) -> None:
    """Refuse a spec that can't be rendered, with a message saying what to change."""

    def invalid(message: str) -> ComposeError:
        return ComposeError(message, code="invalid_spec")

    if tuple(spec.size) not in SIZES.values():
        raise invalid(
            "The video size must be 1080x1920 (9:16), 1080x1080 (1:1) or 1080x1350 (4:5)."
        )
    if spec.fps != FPS:
        raise invalid(f"Composed videos are rendered at {FPS} fps.")
    if not spec.scenes:
        raise invalid("A video needs at least one scene.")
    if len(spec.scenes) > MAX_SCENES:
        raise invalid(f"A video can have at most {MAX_SCENES} scenes.")
    if spec.transition not in TRANSITIONS:
        raise invalid("The transition must be fade, slide or none.")
    if spec.transition != "none" and not 0.1 <= spec.transition_s <= 2.0:
        raise invalid("Transitions last between 0.1 and 2 seconds.")
    if not 0.0 <= spec.music_gain <= 2.0:
        raise invalid("The music level must be between 0 and 2.")
    if spec.max_video_bitrate < 500_000:
        raise invalid("The video bitrate cap is too low.")
    for number, scene in enumerate(spec.scenes, start=1):
        if scene.motion not in MOTIONS:
            raise invalid(
                f"Scene {number}: the motion must be zoom_in, zoom_out, pan_left, pan_right or none."
            )
        if scene.duration_s < max(MIN_SCENE_S, 2 * spec.overlap_s + 0.1):
            raise invalid(f"Scene {number} is too short for its transitions.")
        texts = [
            scene.on_screen_text,
            scene.picture_text,
            scene.caption.text if scene.caption else "",
        ]
        if any(len(text) > MAX_TEXT_CHARS for text in texts):
            raise invalid(f"Scene {number}: text is limited to {MAX_TEXT_CHARS} characters.")
        if scene.caption is not None:
            start = scene.caption.start_s or 0.0
            end = scene.caption.end_s if scene.caption.end_s is not None else scene.duration_s
            if start < 0 or end <= start or end > scene.duration_s + 1e-6:
                raise invalid(f"Scene {number}: the caption's times must fall within the scene.")
    if spec.end_card is not None:
        background_hex(spec.end_card.background)
        if spec.end_card.duration_s < max(1.0, spec.overlap_s + 0.1):
            raise invalid("The end card must last at least 1 second.")
        if len(spec.end_card.cta_text) > MAX_TEXT_CHARS:
            raise invalid(f"The call to action is limited to {MAX_TEXT_CHARS} characters.")
    if spec.duration_s > MAX_TOTAL_S:
        raise invalid("A composed video can last at most 15 minutes.")
