"""Disconnect Meta, see the history intact, reconnect, see it attached again (issue #13 bug 1)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Notification
from meta_integration.models import MetaPage
from meta_sandbox import seed
from publishing import services
from publishing.models import Publication
from tests.e2e.test_meta_connect import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COFFEE = "Rivera Coffee Roasters"


def connect_in_browser(page: Page, base: str) -> None:
    page.goto(f"{base}/w/acme/meta/")
    page.get_by_test_id("connect-meta").click()
    page.get_by_test_id("continue-to-meta").click()  # past the page naming the permissions
    expect(page).to_have_url(re.compile(r"/dialog/oauth"))
    page.click("#allow")
    expect(page).to_have_url(re.compile(r"/w/acme/meta/\d+/$"))


def test_disconnect_keeps_history_and_reconnect_reattaches(
    page: Page, live_server, sandbox, owner, settings, csp_violations
):
    settings.PUBLIC_BASE_URL = live_server.url
    sign_in(page, live_server.url, owner.user.email)
    connect_in_browser(page, live_server.url)
    MetaPage.objects.update(is_selected=True)
    coffee = MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID)
    post = services.create_publication(
        actor=owner,
        fields={"title": "Spring launch", "target": "fb_post", "caption": "Hi", "page": coffee},
        assets=[],
    )
    Publication.objects.filter(pk=post.pk).update(status="published", published_at=timezone.now())

    # Disconnect: the confirmation says what goes and that history stays.
    page.goto(f"{live_server.url}/w/acme/meta/{coffee.connection_id}/")
    page.get_by_test_id("disconnect").click()
    expect(page.get_by_test_id("disconnect-assets")).to_contain_text(COFFEE)
    expect(page.get_by_test_id("disconnect-impact")).to_contain_text(
        "1 published or finished publication(s) keep their history"
    )
    page.get_by_test_id("confirm-disconnect").click()
    expect(page.get_by_test_id("connection-status")).to_have_text("Disconnected")

    # History intact: the post still says where it went, marked as no longer connected.
    page.goto(f"{live_server.url}/w/acme/publish/")
    row = page.get_by_test_id(f"publication-{post.pk}")
    expect(row).to_contain_text(COFFEE)
    expect(row.get_by_test_id("account-disconnected")).to_be_visible()
    # The owner was told, under the bell.
    expect(page.get_by_test_id("notification-count")).to_have_text("1")
    page.get_by_test_id("notification-bell").click()
    expect(page.get_by_test_id("notifications")).to_contain_text(
        "Meta was disconnected from Acme Marketing"
    )

    # Reconnect the same Facebook account: the post is attached to the new Page row.
    connect_in_browser(page, live_server.url)
    page.goto(f"{live_server.url}/w/acme/publish/")
    row = page.get_by_test_id(f"publication-{post.pk}")
    expect(row).to_contain_text(COFFEE)
    expect(row.get_by_test_id("account-disconnected")).to_have_count(0)
    post.refresh_from_db()
    assert post.page_id == MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID).pk
    assert Notification.objects.filter(kind="meta.disconnected").count() == 1
    assert csp_violations == []
