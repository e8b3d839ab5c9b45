"""Connect Meta through the sandbox's consent page in Chromium, see the gap, fix it, disconnect."""

import re

import pytest
from playwright.sync_api import Page, expect

from meta_integration.models import MetaConnection
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    expect(page).to_have_url(re.compile(r"/w/acme/$"))


def test_connect_health_reconnect_disconnect(
    page: Page, live_server, sandbox, owner, settings, csp_violations
):
    settings.PUBLIC_BASE_URL = live_server.url  # the OAuth redirect_uri points at this server
    sign_in(page, live_server.url, owner.user.email)

    # Connect, unticking one permission on Meta's consent page.
    page.goto(f"{live_server.url}/w/acme/meta/")
    page.get_by_test_id("connect-meta").click()
    # First ProSocial says which permissions it will ask for, and why.
    expect(page.get_by_test_id("permissions-publishing")).to_contain_text("pages_manage_posts")
    page.get_by_test_id("continue-to-meta").click()
    expect(page).to_have_url(re.compile(r"/dialog/oauth"))
    page.uncheck("input[name=scope][value=instagram_content_publish]")
    page.click("#allow")

    # The health page flags exactly that gap.
    expect(page).to_have_url(re.compile(r"/w/acme/meta/\d+/$"))
    expect(page.get_by_test_id("connection-gaps")).to_contain_text(
        "Permissions declined: instagram_content_publish."
    )
    expect(page.get_by_test_id("feature-publishing")).to_contain_text(
        "missing instagram_content_publish"
    )
    expect(page.get_by_test_id("feature-ads")).to_contain_text("granted")

    # Choose the Page to publish to.
    page.locator("input[name=pages]").first.check()
    page.get_by_test_id("save-assets").click()
    expect(page.get_by_text("Saved which assets this workspace uses.")).to_be_visible()

    # Reconnect: Meta asks again for the declined permission, which stays ticked this time.
    page.get_by_test_id("reconnect").click()
    page.get_by_test_id("continue-to-meta").click()
    expect(page).to_have_url(re.compile(r"auth_type=rerequest"))
    expect(page.locator("input[name=scope][value=instagram_content_publish]")).to_be_checked()
    page.click("#allow")
    expect(page.get_by_test_id("feature-publishing")).to_contain_text("granted")
    expect(page.get_by_text("Nothing: the connection is healthy.")).to_be_visible()
    assert MetaConnection.objects.get().declined_scopes == []

    # Disconnect, after a confirmation page that says what will happen.
    page.get_by_test_id("disconnect").click()
    expect(page.get_by_test_id("disconnect-preview")).to_contain_text("History is kept")
    page.get_by_test_id("confirm-disconnect").click()
    expect(page).to_have_url(re.compile(r"/w/acme/meta/$"))
    expect(page.get_by_test_id("connection-status")).to_have_text("Disconnected")
    connection = MetaConnection.objects.get()
    assert (connection.status, connection.access_token) == ("disconnected", "")
    assert csp_violations == []
