"""Approval by notification: Eddie submits, Olivia sees it under the bell and in "Waiting for
you", opens it, approves it, and Eddie sees the "approved" notification.

Every page the two visit passes axe-core with no serious or critical violation.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from publishing.models import Publication
from tests.e2e.test_accessibility import AXE, axe_violations
from tests.e2e.tour import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _checked(page: Page, seen: dict[str, list[str]], name: str) -> None:
    page.wait_for_load_state("networkidle")
    if violations := axe_violations(page):
        seen[name] = violations


def test_approval_by_notification(page: Page, browser, live_server, owner, editor, csp_violations):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci)")
    workspace = owner.workspace
    workspace.requires_publish_approval = True
    workspace.save(update_fields=["requires_publish_approval"])
    publication = Publication.objects.create(
        workspace=workspace,
        created_by=editor.user,
        title="Spring teaser reel",
        target="fb_reel",
        approval_status=Publication.Approval.NEEDED,
    )
    detail = f"{live_server.url}/w/acme/publish/{publication.pk}/"
    found: dict[str, list[str]] = {}

    # Eddie (editor) submits it for approval.
    sign_in(page, live_server.url, editor)
    page.goto(detail)
    _checked(page, found, "detail (author)")
    page.get_by_test_id("submit-approval").click()
    expect(page.get_by_test_id("awaiting-approval")).to_be_visible()

    # Olivia (owner) sees the bell and the sidebar count, and opens the notification.
    olivia = browser.new_context().new_page()
    sign_in(olivia, live_server.url, owner)
    olivia.goto(f"{live_server.url}/w/acme/")
    _checked(olivia, found, "dashboard (approver)")
    expect(olivia.get_by_test_id("notification-count")).to_have_text("1")
    expect(olivia.get_by_test_id("waiting-count")).to_contain_text("1")
    olivia.get_by_test_id("notification-bell").click()
    _checked(olivia, found, "notifications (approver)")
    item = olivia.get_by_test_id("notifications").locator("li").first
    expect(item).to_contain_text("“Spring teaser reel” is waiting for your approval")
    item.get_by_role("button", name="Open").click()
    expect(olivia).to_have_url(re.compile(rf"/w/acme/publish/{publication.pk}/$"))
    _checked(olivia, found, "detail (approver)")

    # The queue lists it too, with a one-click open; she approves from the detail page.
    olivia.goto(f"{live_server.url}/w/acme/publish/waiting/")
    _checked(olivia, found, "waiting for you")
    olivia.get_by_test_id(f"open-{publication.pk}").click()
    olivia.get_by_test_id("approve").click()
    expect(olivia.get_by_text("Approved.")).to_be_visible()

    # Eddie sees the "approved" notification.
    page.goto(f"{live_server.url}/w/acme/")
    expect(page.get_by_test_id("notification-count")).to_have_text("1")
    page.get_by_test_id("notification-bell").click()
    expect(page.get_by_test_id("notifications")).to_contain_text(
        "“Spring teaser reel” was approved"
    )
    _checked(page, found, "notifications (author)")

    publication.refresh_from_db()
    assert publication.approval_status == Publication.Approval.APPROVED
    assert found == {}, "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )
    assert csp_violations == []
