"""Fixtures for publishing: a connected workspace, conforming media, and a job driver.

Media reach the sandbox the way they reach Meta: the sandbox downloads our signed URLs from the
live test server. ``drive`` runs the publish job step by step in this process, skipping the
waits (and moving the sandbox clock past Meta's processing time instead).
"""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from creatives.library import services as media_services
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from meta_sandbox import seed
from publishing import services
from publishing.models import Publication
from tests.conftest import client_for
from tests.media_samples import make_image, make_video
from tests.meta_integration.helpers import connect

TERMINAL = {Publication.Status.PUBLISHED, Publication.Status.FAILED}


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("publishing-samples")
    return {
        "square.jpg": make_image(root / "square.jpg", width=1080, height=1080),
        "square-2.jpg": make_image(root / "square-2.jpg", width=1080, height=1080),
        "reel.mp4": make_video(root / "reel.mp4", width=540, height=960, seconds=4),
        "wide.mp4": make_video(root / "wide.mp4", width=640, height=360, seconds=4),
    }


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def published_media(settings, live_server, media_root):
    """Signed media URLs point at the live server, so the sandbox can download them."""
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def connected(owner, sandbox, published_media):
    """The owner's workspace connected to the sandbox; Meta processing takes no sandbox time."""
    connect(client_for(owner), sandbox)
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    sandbox.state.update_settings(
        ig_image_processing_seconds=0,
        ig_video_processing_seconds=0,
        video_processing_seconds=0,
    )
    return owner


@pytest.fixture
def upload(sample_files, tmp_path):
    def _upload(membership, name):
        data = sample_files[name].read_bytes()
        content_type = "video/mp4" if name.endswith(".mp4") else "image/jpeg"
        return media_services.upload_media(
            actor=membership, uploaded=SimpleUploadedFile(name, data, content_type=content_type)
        )

    return _upload


def accounts(workspace):
    return {
        "page": MetaPage.objects.get(workspace=workspace, page_id=seed.PAGE_COFFEE_ID),
        "instagram_account": InstagramAccount.objects.get(
            workspace=workspace, ig_user_id=seed.IG_COFFEE_ID
        ),
        "ad_account": MetaAdAccount.objects.get(
            workspace=workspace, ad_account_id=seed.ACT_COFFEE_US
        ),
    }


AD_FIELDS = {
    "objective": "OUTCOME_TRAFFIC",
    "budget_type": "daily",
    "budget_minor": 2500,
    "special_ad_categories": ["NONE"],
    "targeting": {"countries": ["US"], "age_min": 21, "age_max": 55},
    "link_url": "live:/terms/",
    "cta_type": "SHOP_NOW",
}


def make_publication(membership, target, assets, **fields):
    found = accounts(membership.workspace)
    defaults = {
        "title": f"Launch {target}",
        "target": target,
        "caption": f"Spring launch on {target} #coffee",
        "page": found["page"],
        "instagram_account": found["instagram_account"],
        "ad_account": found["ad_account"],
        **(AD_FIELDS if target == "meta_ad" else {}),
    }
    values = {**defaults, **fields}
    if values.get("link_url", "").startswith("live:"):
        # A page of the live test server: the link check really fetches it.
        values["link_url"] = settings.PUBLIC_BASE_URL + values["link_url"].removeprefix("live:")
    publication = services.create_publication(actor=membership, fields=values, assets=assets)
    services.run_full_preflight(publication_id=publication.pk)
    publication.refresh_from_db()
    return publication


def drive(publication, sandbox, *, until=None, max_steps=60):
    """Run the publish job until published or failed (or ``until`` is in ``remote``)."""
    for _ in range(max_steps):
        publication.refresh_from_db()
        if publication.status in TERMINAL or publication.paused_reason:
            return publication
        if until is not None and until in publication.remote:
            return publication
        now = timezone.now()
        if publication.next_attempt_at and publication.next_attempt_at > now:
            wait = (publication.next_attempt_at - now).total_seconds()
            sandbox.state.advance_clock(wait)
            Publication.objects.filter(pk=publication.pk).update(next_attempt_at=now)
        services.advance_publication(publication_id=publication.pk)
    raise AssertionError(f"not done after {max_steps} steps: {publication.status}")
