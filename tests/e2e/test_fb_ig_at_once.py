"""One draft to Facebook and Instagram at once, with previews (issue #13 journey).

Draft a Facebook post that "also posts to" the Instagram feed: the previews of both show (and
follow the caption as it is typed), saving makes two linked publications, the checks run for
each on a real worker, each is published and watched until published. Every page visited
passes axe-core (``tests/e2e/test_accessibility.py``) with no CSP violation.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from creatives.library import services as media_services
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from meta_sandbox import seed
from publishing.models import Publication
from tests.conftest import client_for
from tests.e2e.test_accessibility import AXE, axe_violations
from tests.e2e.tour import sign_in
from tests.media_samples import make_image
from tests.meta_integration.helpers import connect

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _connect(owner, sandbox):
    connect(client_for(owner), sandbox)
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)
    sandbox.state.update_settings(
        ig_image_processing_seconds=0, ig_video_processing_seconds=0, video_processing_seconds=0
    )
    return (
        MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID),
        InstagramAccount.objects.get(ig_user_id=seed.IG_COFFEE_ID),
    )


def _publish_and_wait(page: Page, worker) -> None:
    expect(page.get_by_test_id("publish-now")).to_be_enabled(timeout=60000)
    with page.expect_navigation():
        page.get_by_test_id("publish-now").click()
    live = page.get_by_test_id("live")
    expect(live).to_have_attribute("data-status", "published", timeout=120000)


def test_one_draft_to_facebook_and_instagram_with_previews(
    page: Page, live_server, settings, owner, sandbox, media_root, tmp_path, start_worker,
    csp_violations,
):  # fmt: skip
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci)")
    settings.PUBLIC_BASE_URL = live_server.url  # the sandbox downloads our signed media URLs
    coffee, insta = _connect(owner, sandbox)
    worker = start_worker()
    photo = make_image(tmp_path / "spring-beans.jpg", width=1080, height=1350)
    asset = media_services.upload_media(
        actor=owner,
        uploaded=SimpleUploadedFile(
            "spring-beans.jpg", photo.read_bytes(), content_type="image/jpeg"
        ),
    )
    axe_found: dict[str, list[str]] = {}

    def check_axe(name: str) -> None:
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            axe_found[name] = violations

    sign_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/w/acme/publish/new/")
    page.fill("input[name=title]", "Spring beans everywhere")
    page.select_option("select[name=target]", "fb_post")
    page.select_option("select[name=also_target]", "ig_feed")
    # Each network's account is asked for.
    expect(page.locator("select[name=instagram_account]")).to_be_visible()
    page.select_option("select[name=page]", str(coffee.pk))
    page.select_option("select[name=instagram_account]", str(insta.pk))
    page.select_option("select[name=item_1]", str(asset.pk))
    page.fill("textarea[name=caption]", "Spring beans are here, roasted this morning #coffee")
    # The same text goes to both: the counter counts against the stricter (Instagram's) limits.
    expect(page.get_by_test_id("caption-counter")).to_contain_text("/ 2,200 characters")
    expect(page.get_by_test_id("caption-counter")).to_contain_text("1 / 30 hashtags")

    # Both previews, with the real thumbnail, the account names and the caption as typed.
    panel = page.locator("#preview-panel")
    fb_preview = panel.get_by_test_id("preview-fb_post")
    ig_preview = panel.get_by_test_id("preview-ig_feed")
    expect(fb_preview).to_contain_text("roasted this morning", timeout=10000)
    expect(ig_preview).to_contain_text("roasted this morning")
    expect(fb_preview.get_by_test_id("preview-account")).to_have_text(coffee.name)
    expect(ig_preview.get_by_test_id("preview-account")).to_have_text("riveracoffee")
    expect(ig_preview.locator("img")).to_have_count(1)
    expect(ig_preview.get_by_test_id("preview-media")).to_have_attribute("data-shape", "4x5")
    check_axe("new publication")

    with page.expect_navigation():
        page.get_by_test_id("save-publication").click()
    fb, ig = Publication.objects.order_by("created_at", "id")
    assert (fb.target, ig.target) == ("fb_post", "ig_feed")
    assert fb.sibling_group == ig.sibling_group is not None

    # The Facebook post's page: its own checks, its preview, and the Instagram one beside it.
    expect(page.get_by_test_id("siblings")).to_be_visible()
    expect(page.get_by_test_id("sibling-ig_feed")).to_contain_text("Instagram feed post")
    expect(page.get_by_test_id("preview").get_by_test_id("preview-fb_post")).to_be_visible()
    with page.expect_navigation():
        page.get_by_test_id("run-checks").click()
    expect(page.locator("[data-status=pending]")).to_have_count(0, timeout=60000)
    expect(page.locator("[data-testid=preflight] [data-status=fail]")).to_have_count(0)
    check_axe("facebook detail")
    _publish_and_wait(page, worker)
    check_axe("facebook published")

    # Over to the Instagram one: its own checks, then publish it too.
    with page.expect_navigation():
        page.get_by_test_id("sibling-ig_feed").get_by_role("link").click()
    assert page.url.endswith(f"/publish/{ig.pk}/")
    expect(page.get_by_test_id("preview").get_by_test_id("preview-ig_feed")).to_be_visible()
    sibling = page.get_by_test_id("sibling-fb_post")
    expect(sibling).to_have_attribute("data-status", "published")
    expect(page.locator("[data-status=pending]")).to_have_count(0, timeout=60000)
    expect(page.locator("[data-testid=preflight] [data-status=fail]")).to_have_count(0)
    check_axe("instagram detail")
    _publish_and_wait(page, worker)
    check_axe("instagram published")

    fb.refresh_from_db()
    ig.refresh_from_db()
    assert (fb.status, ig.status) == ("published", "published"), (
        fb.error_detail,
        ig.error_detail,
        worker.log.read_text()[-3000:],
    )
    assert fb.permalink.startswith("https://www.facebook.com/")
    assert ig.permalink.startswith("https://www.instagram.com/")
    assert axe_found == {}, "\n".join(
        f"{name}: {line}" for name, lines in axe_found.items() for line in lines
    )
    assert csp_violations == []
