"""Schedule an ad in the browser; when its time comes it is created on Meta, PAUSED.

The time is typed in the workspace's time zone; the test then moves the clock past it (by
moving the publication's time, as beat's sweeper would find it) and a real worker publishes.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from creatives.library.models import MediaAsset
from meta_integration.models import MetaAdAccount
from meta_sandbox import seed
from publishing import services
from publishing.models import Publication
from tests.e2e.test_publish_reel import _connect
from tests.factories import PASSWORD
from tests.media_samples import make_image

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_schedule_an_ad_that_publishes_paused_at_its_time(
    page: Page, live_server, settings, owner, sandbox, media_root, tmp_path, start_worker,
    csp_violations,
):  # fmt: skip
    settings.PUBLIC_BASE_URL = live_server.url
    owner.workspace.timezone = "America/New_York"
    owner.workspace.save()
    coffee = _connect(owner, sandbox)
    start_worker()
    image = make_image(tmp_path / "spring-sale.jpg", width=1080, height=1080)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", owner.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.goto(f"{live_server.url}/w/acme/media/")
    page.get_by_test_id("upload-input").set_input_files(str(image))
    page.get_by_test_id("upload-button").click()
    expect(page.locator("#media-grid [data-testid^=media-]").first).to_contain_text(
        "spring-sale.jpg", timeout=20000
    )
    asset = MediaAsset.objects.get(original_filename="spring-sale.jpg")

    page.goto(f"{live_server.url}/w/acme/publish/new/")
    page.fill("input[name=title]", "Spring sale ad")
    page.select_option("select[name=target]", "meta_ad")
    page.select_option("select[name=page]", str(coffee.pk))
    account = MetaAdAccount.objects.get(ad_account_id=seed.ACT_COFFEE_US)
    page.select_option("select[name=ad_account]", str(account.pk))
    page.select_option("select[name=item_1]", str(asset.pk))
    page.fill("textarea[name=caption]", "20% off every bag this week")
    page.fill("input[name=link_url]", f"{live_server.url}/privacy/")
    page.select_option("select[name=objective]", "OUTCOME_TRAFFIC")
    page.select_option("select[name=budget_type]", "daily")
    page.fill("input[name=budget]", "15")
    page.fill("input[name=countries]", "US, CA")
    page.check("input[name=special_ad_categories][value=NONE]")
    page.get_by_test_id("save-publication").click()

    # Set a time tomorrow at 09:30 New York time, then schedule once the checks pass.
    zone = ZoneInfo("America/New_York")
    local = (datetime.now(zone) + timedelta(days=1)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    page.locator("[data-testid=schedule-form] input[name=when]").fill(
        local.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_test_id("schedule").click()
    expect(page.get_by_test_id("publish-now")).to_be_enabled(timeout=30000)
    expect(page.get_by_test_id("publish-now")).to_contain_text("09:30")
    page.get_by_test_id("publish-now").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Scheduled")
    publication = Publication.objects.get(title="Spring sale ad")
    assert publication.scheduled_at == local.astimezone(timezone.UTC)
    assert sandbox.state.describe_objects(kind="campaign") == []

    # Its time comes: the sweeper queues it and the worker creates everything, paused.
    Publication.objects.filter(pk=publication.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.sweep_publications() == 1
    page.reload()
    expect(page.get_by_test_id("live")).to_have_attribute("data-status", "published", timeout=30000)
    expect(page.get_by_test_id("permalink")).to_contain_text("Ads Manager")
    expect(page.get_by_text("Meta's review: PENDING_REVIEW")).to_be_visible()
    (ad,) = sandbox.state.describe_objects(kind="ad", owner_id=seed.ACT_COFFEE_US)
    assert ad["data"]["status"] == "PAUSED"
    assert csp_violations == []
