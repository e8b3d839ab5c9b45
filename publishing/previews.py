"""How a post will look: mock frames of the Facebook feed, Instagram feed, carousel, reel, story.

Server-rendered by ``templates/publishing/_preview.html`` from ``Preview`` rows, in the editor
(updated as the form changes, ``static/js/preview.js``) and on the detail page. The frames use
the real thumbnail or poster, the Page / Instagram account name and an avatar initial, the
caption cut where the apps cut it with "… more", and for Facebook the link card and button.

Two facts drive the warnings, both about Instagram's display, not its API:

- a carousel shows every card in the first card's shape: a card of another shape is cropped
  to it (``carousel_crops``);
- the feed shows shapes from 4:5 (portrait) to 1.91:1 (landscape); taller or wider is cropped
  to the nearest of the two.

The "… more" cut points are where the apps fold a caption in the feed today (a number of
characters or lines, whichever comes first); they change with the apps, so they are display
approximations kept here in one place.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from campaigns.meta_vocabulary import CallToAction
from creatives.library.models import MediaAsset
from publishing.models import Target
from publishing.targets import AD_TARGETS, INSTAGRAM_TARGETS, TARGETS

# Where each frame folds the caption: (characters, lines). None: the frame shows no caption.
FOLD = {
    "fb_feed": (480, 5),
    "ig_feed": (125, 2),
    "reel": (60, 1),
    "story": None,
}
FRAMES: dict[str, str] = {
    Target.FB_POST: "fb_feed",
    Target.META_AD: "fb_feed",
    Target.META_AD_PROMOTE: "fb_feed",
    Target.FB_REEL: "reel",
    Target.IG_FEED: "ig_feed",
    Target.IG_CAROUSEL: "ig_feed",
    Target.IG_REEL: "reel",
    Target.IG_STORY: "story",
}
# The shapes a frame is drawn in (CSS classes ``pv-shape-<name>``), as width / height.
SHAPES = {"9x16": 9 / 16, "4x5": 4 / 5, "1x1": 1.0, "191x100": 1.91, "16x9": 16 / 9}
SHAPE_LABELS = {
    "9x16": "9:16",
    "4x5": "4:5",
    "1x1": "1:1",
    "191x100": "1.91:1",
    "16x9": "16:9",
}
IG_FEED_TALLEST, IG_FEED_WIDEST = 4 / 5, 1.91
# Two shapes within 1 % are the same shape (1080x1350 and 1080x1349).
SAME_SHAPE_TOLERANCE = 0.01


@dataclass(frozen=True)
class PreviewMedia:
    """One file as a frame shows it."""

    name: str
    kind: str  # "image" | "video"
    thumb: str  # the image, or the video's poster ("" while not ready)
    width: int
    height: int

    @property
    def ratio(self) -> float | None:
        return self.width / self.height if self.width and self.height else None


@dataclass(frozen=True)
class CardCrop:
    position: int  # 1-based
    name: str
    shape: str  # its own shape, as "1:1"


@dataclass(frozen=True)
class CarouselCrops:
    first_shape: str
    cards: list[CardCrop]

    @property
    def message(self) -> str:
        cards = ", ".join(
            _("card %(n)d (%(name)s, %(shape)s)")
            % {"n": card.position, "name": card.name, "shape": card.shape}
            for card in self.cards
        )
        return _(
            "Instagram shows every card of a carousel in the first card's shape (%(first)s): "
            "it will crop %(cards)s. Use files of one shape, or put the shape you want first."
        ) % {"first": self.first_shape, "cards": cards}


@dataclass
class Preview:
    """One mock frame."""

    target: str
    frame: str  # fb_feed | ig_feed | reel | story
    label: str
    account_name: str
    caption: str  # as shown, folded
    folded: bool  # cut with "… more"
    media: list[PreviewMedia] = field(default_factory=list)
    shape: str = "1x1"  # the media box's shape (SHAPES key)
    link_domain: str = ""
    cta_label: str = ""
    sponsored: bool = False
    notes: list[str] = field(default_factory=list)  # what the frame leaves out or crops
    crops: CarouselCrops | None = None

    @property
    def initial(self) -> str:
        name = self.account_name.lstrip("@").strip()
        return (name[:1] or "?").upper()

    @property
    def more_label(self) -> str:
        return _("See more") if self.frame == "fb_feed" else _("more")

    @property
    def is_instagram(self) -> bool:
        return self.target in INSTAGRAM_TARGETS

    @property
    def extra_count(self) -> int:
        """Photos beyond the four a Facebook multi-photo post shows ("+2")."""
        return max(0, len(self.media) - 4)


def ratio_label(width: int, height: int) -> str:
    """Name a shape as people say it: "4:5", "1:1", "9:16", else "1200x900"."""
    if not (width and height):
        return "?"
    ratio = width / height
    for key, value in SHAPES.items():
        if abs(ratio - value) / value <= SAME_SHAPE_TOLERANCE:
            return SHAPE_LABELS[key]
    return f"{width}\u00d7{height}"


def nearest_shape(ratio: float | None) -> str:
    if ratio is None:
        return "1x1"
    return min(SHAPES, key=lambda key: abs(SHAPES[key] - ratio))


def _same_shape(a: float, b: float) -> bool:
    return abs(a - b) / b <= SAME_SHAPE_TOLERANCE


def carousel_crops(cards: Sequence[PreviewMedia]) -> CarouselCrops | None:
    """Return the cards Instagram will crop to the first card's shape, or None if none.

    Cards whose size is unknown (still processing) are left out, as is a first card of
    unknown size (nothing to compare with).
    """
    if len(cards) < 2 or cards[0].ratio is None:
        return None
    first = cards[0].ratio
    cropped = [
        CardCrop(position, card.name, ratio_label(card.width, card.height))
        for position, card in enumerate(cards, start=1)
        if position > 1 and card.ratio is not None and not _same_shape(card.ratio, first)
    ]
    if not cropped:
        return None
    return CarouselCrops(ratio_label(cards[0].width, cards[0].height), cropped)


def fold_caption(text: str, frame: str) -> tuple[str, bool]:
    """Return the caption as ``frame`` shows it before "… more", and whether it was cut."""
    fold = FOLD.get(frame)
    if fold is None:
        return "", bool(text)
    chars, lines = fold
    text = text.strip()
    kept_lines = text.split("\n")
    cut = len(kept_lines) > lines
    shown = "\n".join(kept_lines[:lines])
    if len(shown) > chars:
        shown, cut = shown[:chars], True
        if " " in shown[chars // 2 :]:  # end on a whole word where one ends late enough
            shown = shown[: shown.rindex(" ")]
    return shown.rstrip(), cut


def build_preview(
    *,
    target: str,
    caption: str,
    link_url: str,
    cta_type: str,
    media: Sequence[PreviewMedia],
    page_name: str,
    instagram_name: str,
) -> Preview:
    """Return the frame for ``target`` with this text, link, button and files."""
    spec = TARGETS[target]
    frame = FRAMES[target]
    instagram = target in INSTAGRAM_TARGETS
    account = (instagram_name.lstrip("@") or _("your_instagram")) if instagram else page_name
    shown, folded = fold_caption(caption if spec.takes_caption else "", frame)
    files = list(media)
    preview = Preview(
        target=target,
        frame=frame,
        label=str(spec.label),
        account_name=account or _("your Facebook Page"),
        caption=shown,
        folded=folded,
        media=files,
        sponsored=target in AD_TARGETS,
    )
    first_ratio = files[0].ratio if files else None
    if frame in ("reel", "story"):
        preview.shape = "9x16"
        if first_ratio is not None and not _same_shape(first_ratio, 9 / 16):
            preview.notes.append(
                _("This file is %(shape)s, not 9:16: it shows with bars or cropped.")
                % {"shape": ratio_label(files[0].width, files[0].height)}
            )
    elif frame == "ig_feed":
        clamped = min(max(first_ratio or 1.0, IG_FEED_TALLEST), IG_FEED_WIDEST)
        preview.shape = nearest_shape(clamped)
        if first_ratio is not None and clamped != first_ratio:
            preview.notes.append(
                _("Instagram's feed shows 4:5 to 1.91:1: this %(shape)s file is cropped to %(to)s.")
                % {
                    "shape": ratio_label(files[0].width, files[0].height),
                    "to": SHAPE_LABELS[preview.shape],
                }
            )
        if target == Target.IG_CAROUSEL:
            preview.crops = carousel_crops(files)
    else:
        preview.shape = nearest_shape(first_ratio)
    if frame == "story" and caption.strip():
        preview.notes.append(_("Stories show no caption: the text isn't published."))
    if spec.takes_link and link_url:
        preview.link_domain = (urlsplit(link_url).hostname or "").removeprefix("www.").upper()
    if spec.takes_cta and cta_type and link_url:
        try:
            preview.cta_label = str(CallToAction(cta_type).label)
        except ValueError:
            preview.cta_label = ""
    return preview


def build_previews(
    *,
    targets: Sequence[str],
    caption: str,
    link_url: str,
    cta_type: str,
    media: Sequence[PreviewMedia],
    page_name: str,
    instagram_name: str,
) -> list[Preview]:
    """Return one frame per target (the publication's, and the one "Also post to" adds)."""
    return [
        build_preview(
            target=target,
            caption=caption,
            link_url=link_url,
            cta_type=cta_type,
            media=media,
            page_name=page_name,
            instagram_name=instagram_name,
        )
        for target in dict.fromkeys(targets)
        if target in TARGETS
    ]


def media_of(
    assets: Sequence[MediaAsset], thumb: Callable[[MediaAsset], str]
) -> list[PreviewMedia]:
    """Return the frames' view of files (``thumb`` gives each one's browser URL)."""
    return [
        PreviewMedia(
            name=asset.original_filename,
            kind=asset.kind,
            thumb=thumb(asset),
            width=asset.width or 0,
            height=asset.height or 0,
        )
        for asset in assets
    ]
