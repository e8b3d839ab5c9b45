"""The app shell in a browser: the dark sidebar runs the page's full height on a desktop; at
phone width a Menu button opens the navigation and no main page scrolls sideways; a progress
poll on the script page keeps the CSP quiet."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from campaigns.models import AudienceCohort, Campaign
from creatives.studio import generation
from creatives.studio.models import GenerationJob, Script, Storyboard, StoryboardScene
from tests.e2e.tour import TOUR, seed_tour, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The outermost elements that stick out past the right edge of the window (for the failure).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > innerWidth + 1)
  .filter(el => el.parentElement.getBoundingClientRect().right <= innerWidth + 1)
  .slice(0, 5).map(el => el.outerHTML.slice(0, 120))"""
SCREENSHOTS = None  # a folder to keep full-page screenshots in, while working on the UI


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OPENAI_API_KEY = ""  # the built-in offline provider
    return settings.MEDIA_ROOT


@pytest.fixture
def tour(live_server, settings, owner, sandbox, media_root, tmp_path):
    settings.PUBLIC_BASE_URL = live_server.url
    return seed_tour(owner, sandbox, tmp_path)


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=full_page)


def test_sidebar_runs_the_full_height_of_long_pages(page: Page, live_server, owner, tour):
    page.set_viewport_size({"width": 1280, "height": 600})
    sign_in(page, live_server.url, owner)

    for name in ("media library", "publication", "publish form"):
        page.goto(live_server.url + TOUR[name](tour))
        heights = page.evaluate(
            """() => ({page: document.documentElement.scrollHeight,
                       window: window.innerHeight,
                       sidebar: document.querySelector('.app-sidebar').getBoundingClientRect().height})"""
        )
        assert heights["page"] > heights["window"], name  # long enough to show the problem
        assert abs(heights["sidebar"] - heights["page"]) < 1, name  # sub-pixel rounding
        _shot(page, f"desktop-{name}")
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        expect(page.get_by_role("link", name="Dashboard")).to_be_in_viewport()  # still in view


def test_phone_menu_opens_the_navigation(page: Page, live_server, owner, tour):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, owner)
    page.goto(live_server.url + TOUR["dashboard"](tour))
    nav_link = page.get_by_test_id("sidebar").get_by_role("link", name="Media")
    menu = page.get_by_test_id("menu-button")

    expect(nav_link).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")  # keyboard first: the button is a real <button>
    expect(nav_link).to_be_visible()
    expect(page.get_by_test_id("sidebar")).to_be_focused()  # focus moves into the open menu
    _shot(page, "phone-menu-open", full_page=False)
    page.keyboard.press("Escape")
    expect(nav_link).to_be_hidden()
    expect(menu).to_be_focused()  # focus returns to the button

    menu.click()
    nav_link.click()
    expect(page).to_have_url(live_server.url + TOUR["media library"](tour))


def test_main_pages_do_not_scroll_sideways_on_a_phone(page: Page, live_server, owner, tour):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, owner)

    too_wide = {}
    for name, path in TOUR.items():
        page.goto(live_server.url + path(tour))
        if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
            too_wide[name] = page.evaluate(WIDEST)
        _shot(page, f"phone-{name}")

    assert too_wide == {}


def test_progress_polls_keep_the_csp_quiet(
    page: Page, live_server, editor, media_root, csp_violations
):
    """htmx settled attributes by copying the old element's ``style`` with setAttribute, which
    style-src 'self' refuses: any element with an id and a style (a textarea the user resized,
    anything Bootstrap sized) raised a CSP error on every 2 s poll."""
    campaign = Campaign.objects.create(
        workspace=editor.workspace,
        created_by=editor.user,
        name="Trail launch",
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
        brand_colors=["#0B3D2E"],
    )
    cohort = AudienceCohort.objects.create(
        campaign=campaign, name="Weekend hikers", countries=["DE"], interests=["hiking"]
    )
    generation.run_generation_job(
        job_id=generation.start_scripts(actor=editor, cohort=cohort, variants=1).pk
    )
    script = Script.objects.get()
    storyboard = Storyboard.objects.create(script=script, script_version=script.current)
    StoryboardScene.objects.create(
        storyboard=storyboard, position=1, duration_s=3.0, visual="Boots on a wet boulder."
    )
    job = GenerationJob.objects.create(
        workspace=editor.workspace,
        campaign=campaign,
        script=script,
        kind=GenerationJob.Kind.VIDEO,
        status=GenerationJob.Status.RUNNING,
        progress=10,
        message="Drawing pictures",
    )
    sign_in(page, live_server.url, editor)
    page.goto(live_server.url + reverse("creatives:script", args=["acme", script.pk]))

    page.get_by_text("Edit scene").click()
    # What dragging the textarea's corner does: the browser writes a style attribute on it.
    page.locator("textarea[name=visual]").evaluate("el => { el.style.height = '7rem' }")
    for progress in (40, 70):
        GenerationJob.objects.filter(pk=job.pk).update(progress=progress)
        expect(page.get_by_test_id("job-progress")).to_have_attribute(
            "value", str(progress), timeout=6000
        )

    assert csp_violations == []
