"""Meta ad: media → creative → campaign → ad set → ad, created PAUSED unless asked otherwise.

GRAPH_NOTES §4. Images go to ``adimages`` as bytes (the hash is the same for the same bytes, so
a repeat is harmless); videos go to ``advideos`` by URL or upload and are polled until ready,
with their poster uploaded as the thumbnail.

Every object is named after the publication and nothing else: Ads Manager shows these names
(issue #13, bug 12c). A create whose answer was lost is reconciled by listing the account's
objects of that name and recognising ours by what Meta echoes back of it (``_is_ours``), so a
retry never makes a second campaign or ad.
"""

import base64
import json
from datetime import datetime
from typing import Any, ClassVar

from campaigns.meta_vocabulary import (
    BID_STRATEGY,
    BILLING_EVENT,
    DEFAULT_OPTIMIZATION_GOAL,
    OBJECTIVE_NEEDS,
    OPTIMIZATION_GOALS,
    CallToAction,
)
from creatives.library.models import MediaAsset
from meta_integration.models import MetaAdAccount
from publishing.errors import PublishFailure
from publishing.models import Publication, Target
from publishing.publishers.base import (
    CONTINUE,
    RECONCILE_MAX_PAGES,
    RECONCILE_PAGE_SIZE,
    PublishContext,
    Publisher,
    StepResult,
    graph_time,
    poll_delay,
    wait,
)
from publishing.targeting import build_targeting_spec

Status = Publication.Status
MAX_VIDEO_POLLS = 40
# Progress of the media steps, in the order they run (the bar only rises: issue #13, 12b).
UPLOAD_PROGRESS, PROCESSING_PROGRESS, THUMBNAIL_PROGRESS = 20, 40, 45
# Each create: (remote key, account edge, progress, what the user sees).
STEPS = (
    ("creative_id", "adcreatives", 55, "Creating the ad creative"),
    ("campaign_id", "campaigns", 65, "Creating the campaign"),
    ("adset_id", "adsets", 75, "Creating the ad set"),
    ("ad_id", "ads", 90, "Creating the ad"),
)
EDGES = {"video": "advideos", **{key: edge for key, edge, _p, _m in STEPS}}
# What a lost create is recognised by, as Meta echoes it back (``_is_ours``).
RECONCILE_FIELDS = {
    "video": "id,title,created_time",
    "creative_id": "id,name,object_story_spec",
    "campaign_id": "id,name,objective,created_time",
    "adset_id": "id,name,campaign_id",
    "ad_id": "id,name,adset_id",
}


def _account(ctx: PublishContext) -> MetaAdAccount:
    account = ctx.publication.ad_account
    if account is None:
        raise PublishFailure(
            item="Ad account",
            cause="The ad account is no longer connected to this workspace.",
            fix="Reconnect Meta, select the ad account, and choose it on this publication again.",
        )
    return account


class MetaAdPublisher(Publisher):
    target = Target.META_AD
    # What a lost create is recognised by (``_find_lost``); a promotion's creative differs.
    reconcile_fields: ClassVar[dict[str, str]] = RECONCILE_FIELDS

    def advance(self, ctx: PublishContext) -> StepResult:
        remote = ctx.remote
        if remote.get("ad_id"):
            return self._finish(ctx)
        if remote.get("pending"):
            return self._reconcile(ctx)
        asset = ctx.items()[0]
        if asset.kind == MediaAsset.Kind.IMAGE and "image_hash" not in remote:
            return self._upload_image(ctx, asset, key="image_hash")
        if asset.kind == MediaAsset.Kind.VIDEO:
            if "video_id" not in remote:
                return self._upload_video(ctx, asset)
            if not remote.get("video_ready"):
                return self._poll_video(ctx, asset)
            if "thumb_hash" not in remote:
                return self._upload_image(ctx, asset, key="thumb_hash", poster=True)
        return self._next_create(ctx, asset)

    def _next_create(self, ctx: PublishContext, asset: MediaAsset | None) -> StepResult:
        """Create the first of creative, campaign, ad set and ad not made yet."""
        for key, edge, progress, message in STEPS:
            if key not in ctx.remote:
                ctx.status(Status.PUBLISHING, progress=progress, message=message)
                return self._create(ctx, key, edge, self._params(ctx, key, asset))
        raise AssertionError("unreachable: every step is done")

    # --- media -----------------------------------------------------------------------------------

    def _upload_image(
        self, ctx: PublishContext, asset: MediaAsset, *, key: str, poster: bool = False
    ) -> StepResult:
        account = _account(ctx)
        if poster:
            ctx.status(
                Status.UPLOADING,
                progress=THUMBNAIL_PROGRESS,
                message="Uploading the video's thumbnail to the ad account",
            )
        else:
            ctx.status(
                Status.UPLOADING,
                progress=UPLOAD_PROGRESS,
                message="Uploading the image to the ad account",
            )
        with ctx.open_media(asset, poster=poster) as handle:
            encoded = base64.b64encode(handle.read()).decode()
        images = ctx.client.post(f"/{account.ad_account_id}/adimages", {"bytes": encoded})
        info: dict[str, Any] = next(iter((images.get("images") or {}).values()), {})
        ctx.remember(**{key: info["hash"]})
        return CONTINUE

    def _upload_video(self, ctx: PublishContext, asset: MediaAsset) -> StepResult:
        account = _account(ctx)
        ctx.status(
            Status.UPLOADING,
            progress=UPLOAD_PROGRESS,
            message="Uploading the video to the ad account",
        )
        params = {"name": ctx.publication.title}
        with ctx.sending("video"):
            created = ctx.send_file(
                f"/{account.ad_account_id}/advideos", params, asset, url_param="file_url"
            )
        ctx.sent(video_id=created["id"], polls=0)
        return CONTINUE

    def _poll_video(self, ctx: PublishContext, asset: MediaAsset) -> StepResult:
        ctx.status(
            Status.PROCESSING, progress=PROCESSING_PROGRESS, message="Meta is processing the video"
        )
        status = ctx.client.get(f"/{ctx.remote['video_id']}", {"fields": "status"}).get("status")
        state = (status or {}).get("video_status", "")
        if state == "ready":
            ctx.remember(video_ready=True)
            return CONTINUE
        polls = int(ctx.remote.get("polls", 0)) + 1
        if state in ("error", "expired") or polls > MAX_VIDEO_POLLS:
            raise PublishFailure(
                item=asset.original_filename,
                cause=f"Meta could not process the ad video (status: {state or 'unknown'}).",
                fix="Convert it for ad placements with the fix button in the media library.",
            )
        ctx.remember(polls=polls)
        return wait(poll_delay(polls))

    # --- creative, campaign, ad set, ad ----------------------------------------------------------

    def _params(self, ctx: PublishContext, key: str, asset: MediaAsset | None) -> dict[str, Any]:
        publication = ctx.publication
        name = publication.title
        status = "ACTIVE" if publication.ad_active else "PAUSED"
        if key == "creative_id":
            return self._creative(ctx, asset)
        if key == "campaign_id":
            return {
                "name": name,
                "objective": publication.objective,
                "status": status,
                "special_ad_categories": json.dumps(publication.special_ad_categories or []),
                "is_adset_budget_sharing_enabled": "false",
            }
        if key == "adset_id":
            return self._adset(ctx, name, status)
        return {
            "name": name,
            "adset_id": ctx.remote["adset_id"],
            "creative": json.dumps({"creative_id": ctx.remote["creative_id"]}),
            "status": status,
        }

    def _creative(self, ctx: PublishContext, asset: MediaAsset | None) -> dict[str, Any]:
        """Return the creative's parameters: a new (dark) post made from ``asset``."""
        if asset is None:
            raise AssertionError("an ad's creative is made from its file")
        story = json.dumps(self._story(ctx, asset))
        return {"name": ctx.publication.title, "object_story_spec": story}

    @staticmethod
    def _story(ctx: PublishContext, asset: MediaAsset) -> dict[str, Any]:
        publication = ctx.publication
        if publication.page is None:
            raise PublishFailure(
                item="Facebook Page",
                cause="An ad needs the Facebook Page it runs as, and none is chosen.",
                fix="Choose the Page on this publication.",
            )
        cta = {
            "type": publication.cta_type or CallToAction.LEARN_MORE.value,
            "value": {"link": publication.link_url},
        }
        spec: dict[str, Any] = {"page_id": publication.page.page_id}
        if publication.instagram_account is not None:
            spec["instagram_user_id"] = publication.instagram_account.ig_user_id
        if asset.kind == MediaAsset.Kind.IMAGE:
            spec["link_data"] = {
                "link": publication.link_url,
                "message": publication.caption,
                "name": publication.title,
                "image_hash": ctx.remote["image_hash"],
                "call_to_action": cta,
            }
        else:
            spec["video_data"] = {
                "video_id": ctx.remote["video_id"],
                "image_hash": ctx.remote["thumb_hash"],
                "message": publication.caption,
                "title": publication.title,
                "call_to_action": cta,
            }
        return spec

    @staticmethod
    def _adset(ctx: PublishContext, name: str, status: str) -> dict[str, Any]:
        publication = ctx.publication
        if needs := OBJECTIVE_NEEDS.get(publication.objective):
            # Preflight refuses these; a publication that got here anyway fails, saying why.
            raise PublishFailure(
                item="Objective", cause=needs, fix="Choose Traffic, then publish again."
            )
        params: dict[str, Any] = {
            "name": name,
            "campaign_id": ctx.remote["campaign_id"],
            "billing_event": BILLING_EVENT,
            "optimization_goal": OPTIMIZATION_GOALS.get(
                publication.objective, DEFAULT_OPTIMIZATION_GOAL
            ),
            "bid_strategy": BID_STRATEGY,
            "targeting": json.dumps(
                build_targeting_spec(publication.targeting, list(publication.placements))
            ),
            "status": status,
        }
        budget_key = (
            "lifetime_budget"
            if publication.budget_type == Publication.BudgetType.LIFETIME
            else "daily_budget"
        )
        params[budget_key] = str(publication.budget_minor)
        if publication.ad_starts_at:
            params["start_time"] = publication.ad_starts_at.isoformat()
        if publication.ad_ends_at:
            params["end_time"] = publication.ad_ends_at.isoformat()
        return params

    def _create(
        self, ctx: PublishContext, key: str, edge: str, params: dict[str, Any]
    ) -> StepResult:
        account = _account(ctx)
        with ctx.sending(key):
            created = ctx.client.post(f"/{account.ad_account_id}/{edge}", params)
        ctx.sent(**{key: created["id"]})
        ctx.note(f"{edge[:-1].capitalize()} {created['id']} created")
        return CONTINUE

    def _reconcile(self, ctx: PublishContext) -> StepResult:
        """Look for what the lost create made before creating again."""
        key = ctx.remote["pending"]
        edge = EDGES[key]
        found = self._find_lost(ctx, key)
        if found is None and (settle := ctx.pending_settle_seconds()):
            ctx.note(f"The last {edge[:-1]} call may still be landing at Meta; checking again soon")
            return wait(settle)
        if found is not None:
            ctx.sent(**({"video_id": found, "polls": 0} if key == "video" else {key: found}))
            ctx.note(f"Found the {edge[:-1]} {found} the lost call created; not re-sending")
        else:
            ctx.forget("pending", "pending_since")
            ctx.note(f"The last {edge[:-1]} call did not go through; sending it again")
        return CONTINUE

    def _find_lost(self, ctx: PublishContext, key: str) -> str | None:
        """Return the id of what the lost ``key`` create made, or None if it made nothing.

        Lists the account's objects with the publication's name (the list edges filter on
        ``name``; on ``advideos`` that is the title), newest first.
        """
        account = _account(ctx)
        filtering = [{"field": "name", "operator": "EQUAL", "value": ctx.publication.title}]
        listed = ctx.client.paginate(
            f"/{account.ad_account_id}/{EDGES[key]}",
            {
                "fields": self.reconcile_fields[key],
                "filtering": json.dumps(filtering),
                "limit": RECONCILE_PAGE_SIZE,
            },
            max_pages=RECONCILE_MAX_PAGES,
        )
        window = ctx.lost_call_window()
        ours = [{"id": str(item["id"])} for item in listed if self._is_ours(ctx, key, item, window)]
        found = ctx.adopt_one(ours, where=ctx.where())
        return found["id"] if found else None

    def _is_ours(
        self, ctx: PublishContext, key: str, item: dict[str, Any], window: tuple[datetime, datetime]
    ) -> bool:
        """Whether the listed ``item`` is what our lost ``key`` create made.

        The ad set and the ad belong to our campaign and ad set, which nobody else uses. The
        creative repeats our story spec (our video id or image hash, Page, text and link: an
        identical creative would serve the ad identically). The campaign and the video were
        made while the lost call was in flight (the account's slot for that kind kept our other
        publications' creates out of that time, ``publishing.locks``), with our objective, and
        no other publication recorded them. More than one such is left to a person.
        """
        remote = ctx.remote
        if key == "adset_id":
            return str(item.get("campaign_id")) == remote["campaign_id"]
        if key == "ad_id":
            return str(item.get("adset_id")) == remote["adset_id"]
        if key == "creative_id":
            return _echoes(
                self._story(ctx, ctx.items()[0]), item.get("object_story_spec")
            ) and not _recorded_elsewhere(ctx.publication, key, str(item["id"]))
        created = graph_time(item.get("created_time"))
        start, end = window
        if created is None or not start <= created <= end:
            return False
        if key == "campaign_id" and item.get("objective") != ctx.publication.objective:
            return False
        recorded_as = "video_id" if key == "video" else key
        return not _recorded_elsewhere(ctx.publication, recorded_as, str(item["id"]))

    def _finish(self, ctx: PublishContext) -> StepResult:
        account = _account(ctx)
        ad_id = ctx.remote["ad_id"]
        # The creative's post (and Instagram media) is where people comment on the ad: the
        # inbox marks comments there as the ad's (inbox.ingest links threads by these ids).
        ad = ctx.client.get(
            f"/{ad_id}",
            {
                "fields": "id,effective_status,"
                "creative{effective_object_story_id,effective_instagram_media_id}"
            },
        )
        creative = ad.get("creative") or {}
        ctx.remember(
            effective_status=ad.get("effective_status", ""),
            **{
                key: str(creative[key])
                for key in ("effective_object_story_id", "effective_instagram_media_id")
                if creative.get(key)
            },
        )
        link = (
            "https://adsmanager.facebook.com/adsmanager/manage/ads"
            f"?act={account.account_id}&selected_ad_ids={ad_id}"
        )
        return ctx.finish(remote_id=ad_id, permalink=link)


def _echoes(sent: Any, echoed: Any) -> bool:
    """Whether ``echoed`` repeats everything in ``sent`` (Meta may add keys of its own)."""
    if isinstance(sent, dict):
        return isinstance(echoed, dict) and all(
            _echoes(value, echoed.get(name)) for name, value in sent.items()
        )
    return bool(sent == echoed)


def _recorded_elsewhere(publication: Publication, key: str, remote_id: str) -> bool:
    """Whether another publication of the ad account already holds ``remote_id`` as ``key``."""
    return (
        Publication.objects.filter(
            ad_account_id=publication.ad_account_id, **{f"remote__{key}": remote_id}
        )
        .exclude(pk=publication.pk)
        .exists()
    )
