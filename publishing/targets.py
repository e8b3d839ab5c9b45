"""What each publishing target needs: one row per ``Target``, read by everything that asks.

The editor (``publishing.forms``), preflight (``publishing.checks``) and the "publish this
video" prefill (``publishing.views``) all read ``TARGETS``; the rules that refuse a draft
(``item_problems``, ``link_problems``) are written here once, so the editor and preflight
refuse the same drafts for the same reason.

Facts: GRAPH_NOTES §2.1 (Instagram: captions 2,200 characters / 30 hashtags / 20 @-mentions, no
caption on stories, carousels of 2 to 10, no link parameter anywhere), §3.1-§3.3 (Page posts:
``/feed`` takes ``link`` and ``call_to_action``; ``/photos`` takes neither, only ``caption``;
``/videos`` takes ``description``, and ``call_to_action`` per Meta's Python Business SDK v25
``Page.create_video``), §4.3 (ads: a link and a button). Media specs per placement live in
``creatives.library.media.specs``; this table names the placement each file must meet.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from publishing.models import Target

IMAGE, VIDEO = "image", "video"
TEXT = "text"  # "no file": a text or link post (as a ``cta_with`` entry)
# ProSocial's own cap on a message (the model field's length), where Meta's is larger.
MESSAGE_MAX = 5000


@dataclass(frozen=True)
class TargetSpec:
    """What one target needs and accepts."""

    target: str
    label: str | Promise  # as the "Where" menu says it
    noun: str  # as a sentence names it: "a carousel", "an Instagram reel"
    help: str | Promise  # one line under the "Where" menu
    accounts: tuple[str, ...]  # the Publication account fields to choose (ACCOUNT_FIELDS order)
    media_kinds: frozenset[str]  # MediaAsset kinds its files may be
    min_items: int
    max_items: int
    # Placement spec key (creatives.library.media.specs) a file of each kind must meet.
    placements: dict[str, str]
    # Recommended aspect ratios, best first.
    aspects: tuple[str, ...]
    # A finished studio video of these ratios starts as a draft for this target.
    drafts_for: tuple[str, ...] = ()
    takes_caption: bool = True
    caption_max: int = MESSAGE_MAX
    hashtags_max: int | None = None
    mentions_max: int | None = None
    takes_link: bool = False
    link_required: bool = False
    # What the call-to-action button can be sent with: TEXT (no file), IMAGE, VIDEO.
    cta_with: frozenset[str] = frozenset()
    takes_cover: bool = False  # a cover image / cover frame (reels)
    # When it takes several files but only of these kinds (a Facebook post: several photos,
    # or one video); None: any of ``media_kinds``.
    several_kinds: frozenset[str] | None = None
    # Ads placed only in stories and reels: the placement spec per kind instead of
    # ``placements`` (both, when placed in these and others: see ``placement_keys``).
    story_placements: dict[str, str] = field(default_factory=dict)
    # When Meta can't download a file from our signed link (preflight's ``media_fetchable``, or
    # Instagram's 2207052 while publishing): the kinds ProSocial then uploads directly (the
    # publishers' ``uses_upload``), and what the pages say happens. The kinds it takes but
    # can't upload directly (Instagram images: by link only) stop the publication, saying so.
    direct_upload: frozenset[str] = frozenset()
    if_meta_cannot_download: str | Promise = ""

    @property
    def link_only_kinds(self) -> frozenset[str]:
        """The kinds Meta must download from our link (no direct upload exists for them)."""
        return self.media_kinds - self.direct_upload

    @property
    def count_rule(self) -> str:
        """The number of files it takes, as one sentence."""
        noun = _cap(self.noun)
        if self.min_items == self.max_items == 1:
            return _("%(noun)s takes exactly one file.") % {"noun": noun}
        if self.min_items == 0 and self.several_kinds:
            return _("%(noun)s takes up to %(max)d photos, or one video.") % {
                "noun": noun,
                "max": self.max_items,
            }
        if self.min_items == 0:
            return _("%(noun)s takes at most one %(kinds)s.") % {
                "noun": noun,
                "kinds": _KINDS_OR[self.media_kinds],
            }
        return _("%(noun)s needs %(min)d to %(max)d files, in order.") % {
            "noun": noun,
            "min": self.min_items,
            "max": self.max_items,
        }

    @property
    def takes_cta(self) -> bool:
        return bool(self.cta_with)


_KINDS_OR = {
    frozenset({IMAGE}): "image",
    frozenset({VIDEO}): "video",
    frozenset({IMAGE, VIDEO}): "image or video",
}
_KINDS_NEEDED = {
    frozenset({IMAGE}): "an image",
    frozenset({VIDEO}): "a video",
    frozenset({IMAGE, VIDEO}): "an image or a video",
}
_ARTICLES = {IMAGE: "an image", VIDEO: "a video", "audio": "an audio file"}
# Ad placements of the stories and reels spec (the form's ``PLACEMENT_CHOICES`` positions).
AD_VERTICAL_POSITIONS = frozenset({"story", "facebook_reels", "reels"})
# Instagram captions (GRAPH_NOTES §2.1).
IG_CAPTION_MAX, IG_HASHTAGS_MAX, IG_MENTIONS_MAX = 2200, 30, 20

TARGETS: dict[str, TargetSpec] = {
    spec.target: spec
    for spec in (
        TargetSpec(
            target=Target.FB_POST,
            label=Target.FB_POST.label,
            direct_upload=frozenset({IMAGE, VIDEO}),
            if_meta_cannot_download=gettext_lazy(
                "If Meta can't download a photo or the video from ProSocial's link, ProSocial "
                "uploads the file to Facebook directly instead."
            ),
            noun="a Facebook post",
            help=gettext_lazy(
                "Text, a link, one video, or 1 to 10 photos on the Page. The link goes in the "
                "text of a photo or video post; a button goes with a link post or a video, not "
                "photos."
            ),
            accounts=("page",),
            media_kinds=frozenset({IMAGE, VIDEO}),
            min_items=0,
            # Several photos make one multi-photo post (§3.1 ``attached_media``); the notes
            # state no Meta limit, so ProSocial's own file slots (10) cap it.
            max_items=10,
            several_kinds=frozenset({IMAGE}),
            placements={IMAGE: "fb_feed_photo", VIDEO: "fb_feed_video"},
            aspects=("1:1", "4:5", "16:9"),
            takes_link=True,
            # §3.2: /photos has no call_to_action; /feed (§3.1) and /videos do.
            cta_with=frozenset({TEXT, VIDEO}),
        ),
        TargetSpec(
            target=Target.FB_REEL,
            label=Target.FB_REEL.label,
            direct_upload=frozenset({VIDEO}),
            if_meta_cannot_download=gettext_lazy(
                "If Meta can't download the video from ProSocial's link, ProSocial uploads it to "
                "Facebook directly instead."
            ),
            noun="a Facebook reel",
            help=gettext_lazy("One vertical 9:16 video of 3 to 90 seconds, as a reel on the Page."),
            accounts=("page",),
            media_kinds=frozenset({VIDEO}),
            min_items=1,
            max_items=1,
            placements={VIDEO: "fb_reel"},
            aspects=("9:16",),
        ),
        TargetSpec(
            target=Target.IG_FEED,
            label=Target.IG_FEED.label,
            direct_upload=frozenset({VIDEO}),
            if_meta_cannot_download=gettext_lazy(
                "If Instagram can't download the file from ProSocial's link, a video is uploaded "
                "to Instagram directly instead; an image can't be (Instagram takes images only by "
                "link), so the post stops with that reason until media is served from a public "
                "https address."
            ),
            noun="an Instagram feed post",
            help=gettext_lazy("One JPEG image (4:5 to 1.91:1) or one video, in the feed. No link."),
            accounts=("instagram_account",),
            media_kinds=frozenset({IMAGE, VIDEO}),
            min_items=1,
            max_items=1,
            # A feed video is published as a reel shared to the feed (§2.1).
            placements={IMAGE: "ig_feed_image", VIDEO: "ig_feed_video"},
            aspects=("4:5", "1:1"),
            drafts_for=("1:1", "4:5"),
            caption_max=IG_CAPTION_MAX,
            hashtags_max=IG_HASHTAGS_MAX,
            mentions_max=IG_MENTIONS_MAX,
        ),
        TargetSpec(
            target=Target.IG_CAROUSEL,
            label=Target.IG_CAROUSEL.label,
            direct_upload=frozenset({VIDEO}),
            if_meta_cannot_download=gettext_lazy(
                "If Instagram can't download the files from ProSocial's links, videos are "
                "uploaded to Instagram directly instead; images can't be (Instagram takes images "
                "only by link), so a carousel with an image stops with that reason until media is "
                "served from a public https address."
            ),
            noun="a carousel",
            help=gettext_lazy(
                "2 to 10 images or videos, swiped through in the order given. No link."
            ),
            accounts=("instagram_account",),
            media_kinds=frozenset({IMAGE, VIDEO}),
            min_items=2,
            max_items=10,
            placements={IMAGE: "ig_carousel_image", VIDEO: "ig_carousel_video"},
            aspects=("4:5", "1:1"),
            caption_max=IG_CAPTION_MAX,
            hashtags_max=IG_HASHTAGS_MAX,
            mentions_max=IG_MENTIONS_MAX,
        ),
        TargetSpec(
            target=Target.IG_REEL,
            label=Target.IG_REEL.label,
            direct_upload=frozenset({VIDEO}),
            if_meta_cannot_download=gettext_lazy(
                "If Instagram can't download the video from ProSocial's link, ProSocial uploads "
                "it to Instagram directly instead."
            ),
            noun="an Instagram reel",
            help=gettext_lazy(
                "One video of 3 seconds to 15 minutes; 9:16 fills the screen. No link."
            ),
            accounts=("instagram_account",),
            media_kinds=frozenset({VIDEO}),
            min_items=1,
            max_items=1,
            placements={VIDEO: "ig_reel"},
            aspects=("9:16",),
            drafts_for=("9:16",),
            takes_cover=True,
            caption_max=IG_CAPTION_MAX,
            hashtags_max=IG_HASHTAGS_MAX,
            mentions_max=IG_MENTIONS_MAX,
        ),
        TargetSpec(
            target=Target.IG_STORY,
            label=Target.IG_STORY.label,
            direct_upload=frozenset({VIDEO}),
            if_meta_cannot_download=gettext_lazy(
                "If Instagram can't download the file from ProSocial's link, a video is uploaded "
                "to Instagram directly instead; an image can't be (Instagram takes images only by "
                "link), so the story stops with that reason until media is served from a public "
                "https address."
            ),
            noun="an Instagram story",
            help=gettext_lazy(
                "One 9:16 image or video (up to 60 seconds), gone after 24 hours. Stories show "
                "no caption and no link."
            ),
            accounts=("instagram_account",),
            media_kinds=frozenset({IMAGE, VIDEO}),
            min_items=1,
            max_items=1,
            placements={IMAGE: "ig_story_image", VIDEO: "ig_story_video"},
            aspects=("9:16",),
            takes_caption=False,  # §2.1: no caption on stories
        ),
        TargetSpec(
            target=Target.META_AD,
            label=Target.META_AD.label,
            direct_upload=frozenset({IMAGE, VIDEO}),
            if_meta_cannot_download=gettext_lazy(
                "Images (and a video's thumbnail) are always uploaded to the ad account directly; "
                "if Meta can't download the video from ProSocial's link, ProSocial uploads it "
                "directly instead."
            ),
            noun="an ad",
            help=gettext_lazy(
                "One image or video, paid for by an ad account, with the link people go to "
                "and a button."
            ),
            accounts=("page", "ad_account"),
            media_kinds=frozenset({IMAGE, VIDEO}),
            min_items=1,
            max_items=1,
            placements={IMAGE: "ad_feed_image", VIDEO: "ad_feed_video"},
            story_placements={IMAGE: "ad_story_image", VIDEO: "ad_story_video"},
            aspects=("4:5", "1:1", "9:16"),
            takes_link=True,
            link_required=True,
            cta_with=frozenset({IMAGE, VIDEO}),
        ),
        # A post already published on a Page or Instagram, run as an ad as it is (§4.3
        # ``object_story_id``, or ``source_instagram_media_id``): no files and no text of its
        # own; the Page or Instagram account is the post's (``publishing.promotion``). Only an
        # Instagram post's ad takes a link and a button (a Page post keeps its own).
        TargetSpec(
            target=Target.META_AD_PROMOTE,
            label=Target.META_AD_PROMOTE.label,
            if_meta_cannot_download=gettext_lazy(
                "No file is sent: the ad uses the post as it already is on Facebook or Instagram."
            ),
            noun="a promoted post",
            help=gettext_lazy(
                "A post already published on your Page or Instagram, run as an ad just as it "
                "is (its text, files and link). An Instagram post's ad can add a link and a "
                "button."
            ),
            accounts=("ad_account",),
            media_kinds=frozenset(),
            min_items=0,
            max_items=0,
            placements={},
            aspects=(),
            takes_caption=False,
            takes_link=True,
            cta_with=frozenset({TEXT}),
        ),
    )
}

# The most files any target takes (the editor's number of file slots).
MAX_ITEMS = max(spec.max_items for spec in TARGETS.values())
INSTAGRAM_TARGETS = frozenset(t for t, s in TARGETS.items() if "instagram_account" in s.accounts)
# Organic Page targets (ads name a Page too, but publish through the ad account).
FACEBOOK_TARGETS = frozenset(t for t, s in TARGETS.items() if s.accounts == ("page",))
# Ads: paid for by an ad account (a new ad, or a promoted post).
AD_TARGETS = frozenset(t for t, s in TARGETS.items() if "ad_account" in s.accounts)
# Published organic posts an ad can promote as they are (stories are gone in a day).
PROMOTABLE_TARGETS = frozenset((FACEBOOK_TARGETS | INSTAGRAM_TARGETS) - {Target.IG_STORY})

# The account fields: how a sentence names each, and what the editor asks for when it is missing.
ACCOUNT_NAMES = {
    "page": "Facebook Page",
    "instagram_account": "Instagram account",
    "ad_account": "ad account",
}
ACCOUNT_PROMPTS = {
    "page": gettext_lazy("Choose the Facebook Page."),
    "instagram_account": gettext_lazy("Choose the Instagram account."),
    "ad_account": gettext_lazy("Choose the ad account that pays for the ad."),
}


def target_spec(target: str) -> TargetSpec:
    return TARGETS[target]


def placement_keys(target: str, kind: str, *, ad_placements: Sequence[str] = ()) -> tuple[str, ...]:
    """Return the placement specs a file of ``kind`` must meet on ``target`` (one or two).

    A file of a kind the target doesn't take gets the target's own spec (which then reports
    the wrong kind). An ad is checked against the placements it runs in (issue #13, bug 12a):
    only stories and reels (``AD_VERTICAL_POSITIONS``) → the stories and reels spec; those and
    others → both specs; others only, or none chosen (automatic placements) → the feed spec.
    """
    spec = TARGETS[target]

    def key(placements: dict[str, str]) -> str:
        return placements.get(kind) or next(iter(placements.values()))

    if not spec.story_placements or not ad_placements:
        return (key(spec.placements),)
    vertical = [p.partition(":")[2] in AD_VERTICAL_POSITIONS for p in ad_placements]
    if all(vertical):
        return (key(spec.story_placements),)
    if any(vertical):
        return (key(spec.placements), key(spec.story_placements))
    return (key(spec.placements),)


def caption_limits() -> dict[str, dict[str, int | None]]:
    """Return each target's caption limits, for the editor's live counter (``publishing.js``).

    ``chars`` is 0 where the target shows no caption.
    """
    return {
        key: {
            "chars": spec.caption_max if spec.takes_caption else 0,
            "hashtags": spec.hashtags_max,
            "mentions": spec.mentions_max,
        }
        for key, spec in TARGETS.items()
    }


@dataclass(frozen=True)
class Problem:
    """Why a draft doesn't suit its target, in the editor's words and in preflight's."""

    field: str  # the editor input it belongs to
    message: str  # the rule ("An Instagram reel needs a video.")
    detail: str = ""  # with what this draft has, for preflight; "" means the message
    # The editor saves the draft anyway (preflight still blocks publishing): the problem is
    # the combination with the files, which may still change (a photo post's button goes
    # once the photo is swapped for a video).
    draft_ok: bool = False

    @property
    def preflight_message(self) -> str:
        return self.detail or self.message


def caption_problems(spec: TargetSpec, caption: str) -> list[Problem]:
    """Return the caption's length problem (the editor's; preflight also counts hashtags).

    Said once, with the numbers: a message pasted past the limit is kept as pasted (the
    browser doesn't cut it) so the person chooses what to cut.
    """
    if not spec.takes_caption or len(caption) <= spec.caption_max:
        return []
    message = _(
        "The message is %(length)s characters; %(noun)s takes at most %(max)s. "
        "Shorten it by %(over)s."
    ) % {
        "length": f"{len(caption):,}",
        "noun": spec.noun,
        "max": f"{spec.caption_max:,}",
        "over": f"{len(caption) - spec.caption_max:,}",
    }
    return [Problem("caption", message)]


def target_for_aspect(aspect: str) -> str | None:
    """Return the target a finished video of ``aspect`` (e.g. "9:16") starts as a draft for."""
    return next((t for t, spec in TARGETS.items() if aspect in spec.drafts_for), None)


def item_problems(spec: TargetSpec, kinds: Sequence[str], *, has_text: bool) -> list[Problem]:
    """Return what is wrong with the number and kinds of files (at most one problem).

    ``kinds`` are the files' MediaAsset kinds in order; ``has_text`` says whether the draft
    has a caption or a link (a post without files needs one).
    """
    count = len(kinds)
    if spec.max_items == 0:  # a promoted post: the post carries its own files
        message = _("%(noun)s takes no files: the post is shown as it is.") % {
            "noun": _cap(spec.noun)
        }
        return [Problem("item_1", message)] if count else []
    if not spec.min_items <= count <= spec.max_items:
        found = _("It has %(n)d.") % {"n": count}
        return [Problem("item_1", spec.count_rule, f"{spec.count_rule} {found}")]
    if count == 0 and not has_text:
        things = ["a link"] if spec.takes_link else []
        things += ["photo" if kind == IMAGE else kind for kind in sorted(spec.media_kinds)]
        listed = f"{', '.join(things[:-1])} or {things[-1]}" if len(things) > 1 else things[0]
        return [Problem("caption", _("Write a message, or add %(things)s.") % {"things": listed})]
    wrong = next((kind for kind in kinds if kind not in spec.media_kinds), None)
    if wrong is not None:
        needed = _("%(noun)s needs %(kinds)s.") % {
            "noun": _cap(spec.noun),
            "kinds": _KINDS_NEEDED[spec.media_kinds],
        }
        detail = _("%(label)s needs %(kinds)s, not %(kind)s.") % {
            "label": spec.label,
            "kinds": " or ".join(sorted(spec.media_kinds)),
            "kind": wrong,
        }
        return [Problem("item_1", needed, detail)]
    if count > 1 and spec.several_kinds and any(k not in spec.several_kinds for k in kinds):
        message = _("%(noun)s with several files takes photos only; a video goes alone.") % {
            "noun": _cap(spec.noun)
        }
        return [Problem("item_1", message)]
    return []


def link_problems(spec: TargetSpec, *, link: str, cta: str, kinds: Sequence[str]) -> list[Problem]:
    """Return what is wrong with the link and the call-to-action button.

    A target that can't send a link or a button refuses one rather than dropping it (issue
    #13): a Facebook photo post carries its link in the text but can't carry a button (that
    one blocks publishing, not saving: see ``Problem.draft_ok``).
    """
    noun = _cap(spec.noun)
    problems: list[Problem] = []
    if link and not spec.takes_link:
        problems.append(
            Problem("link_url", _("%(noun)s takes no link; clear it.") % {"noun": noun})
        )
    elif not link and spec.link_required:
        problems.append(
            Problem(
                "link_url",
                _("%(noun)s needs a link: the page it sends people to.") % {"noun": noun},
            )
        )
    carrier = kinds[0] if kinds else TEXT
    if cta and not spec.takes_cta:
        problems.append(
            Problem("cta_type", _("%(noun)s has no button; choose “No button”.") % {"noun": noun})
        )
    elif cta and not link and not spec.link_required:  # (a missing required link says it all)
        # Meta's call_to_action is {type, value: {link}}: a button opens the link.
        problems.append(
            Problem("cta_type", _("A button opens the link: add the link, or choose “No button”."))
        )
    elif cta and carrier not in spec.cta_with:
        problems.append(
            Problem(
                "cta_type",
                _("%(noun)s with %(file)s can't carry a button; choose “No button”.")
                % {"noun": noun, "file": _ARTICLES.get(carrier, carrier)},
                draft_ok=True,
            )
        )
    return problems


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
