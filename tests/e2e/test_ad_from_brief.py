"""Make an ad from an approved studio video: the brief fills it in, the caption is counted live.

The audience of the script's cohort and the campaign's objective are in the ad's inputs; the
caption counter follows the target chosen (publishing.js, limits from publishing/targets.py);
the budget names the chosen ad account's currency. No inline script or style (CSP).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from meta_integration.models import MetaAdAccount
from meta_sandbox import seed
from tests.e2e.test_publish_reel import _connect
from tests.factories import PASSWORD
from tests.publishing.test_targets import _approved_video

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_ad_from_a_studio_video_carries_the_brief_and_counts_the_caption(
    page: Page, live_server, owner, sandbox, csp_violations
):
    _connect(owner, sandbox)
    creative = _approved_video(owner, "9:16")
    cohort = creative.script.cohort
    cohort.countries, cohort.age_min, cohort.age_max, cohort.genders = ["DE", "AT"], 25, 44, [2]
    cohort.save(update_fields=["countries", "age_min", "age_max", "genders"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", owner.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")

    page.goto(f"{live_server.url}/w/acme/publish/new/?creative={creative.pk}&target=meta_ad")

    expect(page.get_by_test_id("ad-setup")).to_be_visible()
    expect(page.locator("input[name=countries]")).to_have_value("DE, AT")
    expect(page.locator("input[name=age_min]")).to_have_value("25")
    expect(page.locator("input[name=age_max]")).to_have_value("44")
    expect(page.locator("select[name=genders]")).to_have_value("2")
    expect(page.locator("select[name=objective]")).to_have_value("OUTCOME_TRAFFIC")
    euros = MetaAdAccount.objects.get(ad_account_id=seed.ACT_PHOTO_EU)
    page.select_option("select[name=ad_account]", str(euros.pk))
    expect(page.locator("#id_budget_helptext")).to_have_text("In EUR, the ad account's currency.")

    # A long message is kept whole, counted, and flagged; the limits follow the target.
    counter = page.get_by_test_id("caption-counter")
    expect(counter).to_have_text("16 / 5,000 characters")  # the script's caption
    page.fill("textarea[name=caption]", "x" * 5001 + " #trail")
    expect(page.locator("textarea[name=caption]")).to_have_value(re.compile(r"^x{5001} #trail$"))
    expect(counter).to_have_text("5,008 / 5,000 characters. Too long: shorten it by 8 characters.")
    expect(counter).to_have_class(re.compile(r"\btext-danger\b"))
    page.select_option("select[name=target]", "ig_reel")
    expect(counter).to_have_text(
        "5,008 / 2,200 characters · 1 / 30 hashtags · 0 / 20 @-mentions. "
        "Too long: shorten it by 2,808 characters."
    )
    page.fill("textarea[name=caption]", "Grip that holds. #trail")
    expect(counter).to_have_text("23 / 2,200 characters · 1 / 30 hashtags · 0 / 20 @-mentions")
    expect(counter).not_to_have_class(re.compile(r"\btext-danger\b"))
    assert csp_violations == []
