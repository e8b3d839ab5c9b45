"""A workspace with one of everything, and the pages the e2e journeys visit, for page-wide checks.

``seed_tour`` gives the owner a campaign, a connected Meta sandbox, a video and an image in the
media library and a Facebook reel draft using the video; ``TOUR`` names each page with a
function from those rows to its path. The accessibility and layout tests walk these pages.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import Page

from accounts.models import Membership
from campaigns.models import Campaign
from creatives.library import services as media_services
from creatives.library.models import MediaAsset
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from meta_sandbox import seed
from publishing import services as publishing_services
from publishing.models import Publication, PublicationEvent
from tests.conftest import client_for
from tests.factories import PASSWORD
from tests.media_samples import make_image, make_video
from tests.meta_integration.helpers import connect


@dataclass(frozen=True)
class Tour:
    campaign: Campaign
    video: MediaAsset
    publication: Publication


def seed_tour(owner: Membership, sandbox, folder: Path) -> Tour:
    """Connect the sandbox, upload a 9:16 video and a photo, draft a reel and a campaign."""
    connect(client_for(owner), sandbox)
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    video = _upload(
        owner, make_video(folder / "spring-teaser.mp4", width=540, height=960, seconds=3)
    )
    _upload(owner, make_image(folder / "spring-photo.jpg", width=1080, height=1080))
    campaign = Campaign.objects.create(
        workspace=owner.workspace,
        created_by=owner.user,
        name="Spring blend launch",
        product_name="Spring Blend",
        key_message="A bright, floral coffee for spring mornings.",
        brand_colors=["#7A3E12"],
    )
    page = MetaPage.objects.get(workspace=owner.workspace, page_id=seed.PAGE_COFFEE_ID)
    publication = publishing_services.create_publication(
        actor=owner,
        fields={
            "title": "Spring teaser reel",
            "target": "fb_reel",
            "caption": "Our spring blend is here #coffee",
            "page": page,
        },
        assets=[video],
    )
    # A Graph call on its timeline, as a publish leaves: long paths and answers must wrap.
    PublicationEvent.objects.create(
        publication=publication,
        kind=PublicationEvent.Kind.GRAPH,
        method="POST",
        path=f"/v23.0/{page.page_id}/video_reels?upload_phase=finish&video_id=1234567890123456",
        params={"description": "Our spring blend is here #coffee", "video_state": "PUBLISHED"},
        status_code=200,
        duration_ms=41.0,
        fbtrace_id="AbCdEfGhIjKlMnOpQrStUvWx",
        response_excerpt=json.dumps(
            {"success": True, "video_id": "1234567890123456", "post_id": f"{page.page_id}_98765"}
        ),
    )
    return Tour(campaign=campaign, video=video, publication=publication)


def _upload(owner: Membership, path: Path) -> MediaAsset:
    content_type = "video/mp4" if path.suffix == ".mp4" else "image/jpeg"
    uploaded = SimpleUploadedFile(path.name, path.read_bytes(), content_type=content_type)
    return media_services.upload_media(actor=owner, uploaded=uploaded)


TOUR: dict[str, Callable[[Tour], str]] = {
    "dashboard": lambda t: reverse("accounts:dashboard", args=["acme"]),
    "members": lambda t: reverse("accounts:members", args=["acme"]),
    "campaigns": lambda t: reverse("campaigns:list", args=["acme"]),
    "campaign": lambda t: reverse("campaigns:detail", args=["acme", t.campaign.pk]),
    "media library": lambda t: reverse("creatives:library", args=["acme"]),
    "media detail": lambda t: reverse("creatives:detail", args=["acme", t.video.pk]),
    "publications": lambda t: reverse("publishing:list", args=["acme"]),
    "publish form": lambda t: reverse("publishing:new", args=["acme"]),
    "publication": lambda t: reverse("publishing:detail", args=["acme", t.publication.pk]),
    "waiting for you": lambda t: reverse("publishing:approvals", args=["acme"]),
    "calendar week": lambda t: reverse("publishing:calendar", args=["acme"]) + "?view=week",
    "deleted publications": lambda t: reverse("publishing:tombstones", args=["acme"]),
    "results": lambda t: reverse("insights:overview", args=["acme"]),
    "campaign results": lambda t: reverse("insights:campaign", args=["acme", t.campaign.pk]),
    "publication results": lambda t: reverse(
        "insights:publication", args=["acme", t.publication.pk]
    ),
    "meta connections": lambda t: reverse("meta_integration:connections", args=["acme"]),
    "meta permissions": lambda t: reverse("meta_integration:connect_permissions", args=["acme"]),
    "workspace privacy": lambda t: reverse("privacy:workspace", args=["acme"]),
    "privacy centre": lambda t: reverse("privacy:centre"),
}


def sign_in(page: Page, base_url: str, membership: Membership) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", membership.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
