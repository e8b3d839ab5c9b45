"""Promoting a published post: which posts can be, what the ad runs as, and its checks.

A promotion is a publication of ``Target.META_AD_PROMOTE`` whose ``promoted`` is a published
organic publication of the same workspace: a Facebook Page post or reel, or an Instagram feed
post, carousel or reel (``PROMOTABLE_TARGETS``; stories are gone in a day). Its ad creative
names that post instead of uploading files (GRAPH_NOTES §4.3): ``object_story_id`` =
"<page-id>_<post-id>" for a Page post, ``source_instagram_media_id`` with the account's
``instagram_user_id`` for an Instagram post (``instagram_story_id`` and ``instagram_actor_id``
are the deprecated names). Its Page and Instagram account are the post's (``accounts_of``);
objective, audience, budget and dates are chosen as for any ad. A Page post keeps its own link
and button (``object_story_id`` takes none); an Instagram post's ad may add both.

Callers: the editor (``publishing.forms``, ``publishing.views``), preflight (``publishing.checks``
registers ``check_promoted_post`` and, as a network check, ``check_promoted_post_on_meta``) and
the publisher (``publishing.publishers.meta_ad_promote``).
"""

from meta_integration import graph
from meta_integration.error_catalogue import explain
from meta_integration.models import InstagramAccount, MetaPage
from publishing.models import Publication
from publishing.preflight import FAIL, OK, CheckResult
from publishing.targets import INSTAGRAM_TARGETS, PROMOTABLE_TARGETS

# The Page tasks that let the connected person run ads for the Page (GRAPH_NOTES §1.8).
ADVERTISE_TASKS = frozenset({"ADVERTISE", "MANAGE"})
# Graph's "does not exist, or you can't see it" (GRAPH_NOTES §5.2): a post deleted on Meta.
GONE_CODE, GONE_SUBCODE = 100, 33
CHOOSE_ANOTHER = "Choose another published post on this promotion, or delete the draft."


def is_instagram(source: Publication) -> bool:
    return source.target in INSTAGRAM_TARGETS


def network_name(source: Publication) -> str:
    return "Instagram" if is_instagram(source) else "Facebook"


def accounts_of(source: Publication) -> tuple[MetaPage | None, InstagramAccount | None]:
    """Return the Page and the Instagram account a promotion of ``source`` runs as.

    An Instagram post runs as its account, with the Page linked to it; a Page post as its Page.
    None where the account is gone (Meta disconnected).
    """
    if is_instagram(source):
        account = source.instagram_account
        return (account.page if account is not None else None, account)
    return source.page, None


def story_id_of(source: Publication) -> str:
    """Return a published Page post's id, "<page-id>_<post-id>"; "" for a video.

    Text, link and photo posts record it (``remote["post_id"]``). A video or a reel records
    the video's id: its post is asked from Meta when promoting (``GET /{video-id}?fields=post_id``).
    """
    post = str((source.remote or {}).get("post_id") or "")
    if post:
        return post
    return source.remote_id if "_" in source.remote_id else ""


def why_not_promotable(source: Publication | None, *, workspace_id: int) -> str:
    """Return why ``source`` can't be promoted from ``workspace_id`` ("" when it can)."""
    if source is None:
        return "The post to promote was deleted from ProSocial."
    if source.workspace_id != workspace_id:
        return "The post to promote belongs to another workspace."
    if source.target not in PROMOTABLE_TARGETS:
        return f"A {source.get_target_display().lower()} can't be promoted as a post."
    if source.status != Publication.Status.PUBLISHED or not source.remote_id:
        return f"“{source.title}” isn't published yet: promote it once it is live."
    return ""


def check_promoted_post(publication: Publication) -> list[CheckResult]:
    """Check the post to promote is this workspace's, published, and its account can advertise.

    Inline (no network): the post's own check on Meta is ``check_promoted_post_on_meta``.
    """
    source = publication.promoted
    if why := why_not_promotable(source, workspace_id=publication.workspace_id):
        return [CheckResult("promoted_post", FAIL, why, CHOOSE_ANOTHER)]
    assert source is not None  # noqa: S101 (why_not_promotable says so otherwise)
    page, instagram = accounts_of(source)
    network = network_name(source)
    account = instagram if is_instagram(source) else page
    if account is None or page is None or not account.is_selected:
        return [
            CheckResult(
                "promoted_post",
                FAIL,
                f"The {network} account that published “{source.title}” isn't connected to "
                "this workspace any more.",
                "Reconnect Meta and select that account on the Meta page.",
                {"kind": "link", "url_name": "meta_integration:connections"},
            )
        ]
    if publication.page_id != page.pk or publication.instagram_account_id != (
        instagram.pk if instagram else None
    ):
        return [
            CheckResult(
                "promoted_post",
                FAIL,
                f"This promotion doesn't run as the account that published “{source.title}”.",
                "Edit the promotion and save it again: it takes the post's account.",
            )
        ]
    if not ADVERTISE_TASKS & set(page.tasks or []):
        return [
            CheckResult(
                "promoted_post",
                FAIL,
                f"The connected person's role on {page.name} doesn't allow advertising.",
                "Ask a Page admin for a role with the Advertise task, then reconnect Meta.",
            )
        ]
    if not is_instagram(source) and (publication.link_url or publication.cta_type):
        return [
            CheckResult(
                "promoted_post",
                FAIL,
                "A promoted Facebook post keeps its own link and button; this promotion has "
                "its own.",
                "Clear the link and the button on this promotion.",
            )
        ]
    return [
        CheckResult(
            "promoted_post",
            OK,
            f"Promotes “{source.title}”, published on {network} {source.published_at:%b %d, %Y}."
            if source.published_at
            else f"Promotes “{source.title}”, published on {network}.",
        )
    ]


def check_promoted_post_on_meta(publication: Publication) -> list[CheckResult]:
    """Ask Meta whether the post is still there and published (network).

    A post deleted on Facebook or Instagram, or one Meta no longer shows the connected person,
    fails with what to do; nothing is checked for a post the inline check already refuses.
    """
    source = publication.promoted
    if source is None or why_not_promotable(source, workspace_id=publication.workspace_id):
        return []
    page, instagram = accounts_of(source)
    account = instagram if is_instagram(source) else page
    if account is None or not account.connection.access_token:
        return []
    client = graph.GraphClient(account.connection.access_token, max_retries=1)
    network = network_name(source)
    try:
        if is_instagram(source):
            media = client.get(f"/{source.remote_id}", {"fields": "id,owner"})
            if str((media.get("owner") or {}).get("id", "")) != source.instagram_meta_id:
                return [
                    CheckResult(
                        "promoted_post_live",
                        FAIL,
                        f"“{source.title}” isn't a post of {source.instagram_label} on Instagram.",
                        CHOOSE_ANOTHER,
                    )
                ]
        else:
            story = story_id_of(source)
            if not story:
                video = client.get(f"/{source.remote_id}", {"fields": "id,post_id"})
                story = str(video.get("post_id") or "")
            if not story:
                return [
                    CheckResult(
                        "promoted_post_live",
                        FAIL,
                        f"Meta doesn't say which Page post carries the video of “{source.title}”, "
                        "so it can't be promoted as a post yet.",
                        "Try again later, promote it in Meta Ads Manager, or make an ad from "
                        "its video file.",
                    )
                ]
            post = client.get(f"/{story}", {"fields": "id,is_published"})
            if post.get("is_published") is False:
                return [
                    CheckResult(
                        "promoted_post_live",
                        FAIL,
                        f"“{source.title}” isn't published on Facebook (it is scheduled or a "
                        "draft there).",
                        "Promote it once it is live.",
                    )
                ]
    except graph.GraphError as exc:
        if exc.code == GONE_CODE and exc.subcode == GONE_SUBCODE:
            return [
                CheckResult(
                    "promoted_post_live",
                    FAIL,
                    f"“{source.title}” is gone from {network}: it was deleted there, or the "
                    "connected person can no longer see it.",
                    CHOOSE_ANOTHER,
                )
            ]
        explanation = explain(exc)
        return [CheckResult("promoted_post_live", FAIL, explanation.cause, explanation.fix)]
    return [CheckResult("promoted_post_live", OK, f"The post is live on {network}.")]
