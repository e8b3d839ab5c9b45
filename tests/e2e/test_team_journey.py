"""Sign up → verify email → create a workspace → invite a teammate → they accept → viewers can't edit."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import Membership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-unique-pass-91"


def _link(pattern: str) -> str:
    return re.search(pattern, mail.outbox[-1].body).group(0)


def test_team_journey(page: Page, live_server, browser, csp_violations, settings):
    settings.PUBLIC_BASE_URL = live_server.url  # absolute links in emails point at this server
    # Olivia signs up and verifies her email.
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=email]", "olivia@example.com")
    page.fill("input[name=contact_name]", "Olivia Owner")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.check("input[name=old_enough]")
    page.click("main form [type=submit]")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")

    page.goto(_link(r"http://\S+/accounts/confirm-email/\S+/"))
    page.click("main form [type=submit]")

    # She lands on workspace creation and creates one.
    expect(page).to_have_url(re.compile(r"/workspaces/new/$"))
    page.fill("input[name=name]", "Acme Marketing")
    page.select_option("select[name=timezone]", "Europe/Berlin")
    page.select_option("select[name=currency]", "EUR")
    page.click("main form [type=submit]")
    expect(page).to_have_url(re.compile(r"/w/acme-marketing/$"))
    expect(page.get_by_test_id("member-count")).to_have_text("1")

    # She invites Vic as a viewer.
    page.goto(f"{live_server.url}/w/acme-marketing/members/")
    page.fill("input[name=email]", "vic@example.com")
    page.select_option("select[name=role]", "viewer")
    page.click("#invite form [type=submit]")
    expect(page.get_by_test_id("invitation-vic@example.com")).to_be_visible()
    invitation_url = _link(r"http://\S+/invitations/[\w-]+/")

    # Vic, in another browser context, signs up from the link and accepts.
    vic = browser.new_context().new_page()
    vic.goto(invitation_url)
    vic.get_by_test_id("signup-to-accept").click()
    expect(vic.locator("input[name=email]")).to_have_value("vic@example.com")
    vic.fill("input[name=password1]", PASSWORD)
    vic.fill("input[name=password2]", PASSWORD)
    vic.check("input[name=old_enough]")
    vic.click("main form [type=submit]")
    vic.get_by_test_id("accept-invitation").click()
    expect(vic).to_have_url(re.compile(r"/w/acme-marketing/$"))
    assert Membership.objects.get(user__email="vic@example.com").role == "viewer"

    # As a viewer, Vic sees read-only settings and no member controls.
    vic.goto(f"{live_server.url}/w/acme-marketing/settings/")
    expect(vic.locator("input[name=name]")).to_be_disabled()
    expect(vic.get_by_text("Only owners and admins can change these settings.")).to_be_visible()
    vic.goto(f"{live_server.url}/w/acme-marketing/members/")
    expect(vic.get_by_text("Invite a teammate")).to_have_count(0)
    expect(vic.locator("select[name=role]")).to_have_count(0)

    # Olivia sees Vic on the members page.
    page.reload()
    expect(page.get_by_test_id("member-vic@example.com")).to_be_visible()
    assert csp_violations == []
