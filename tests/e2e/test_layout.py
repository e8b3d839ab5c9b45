"""The app shell in a browser: the dark sidebar runs the page's full height on a desktop; at
phone width a Menu button opens the navigation and no main page scrolls sideways. (The script
page's progress polls and the CSP: tests/e2e/test_script_polling.py.)"""

import pytest
from playwright.sync_api import Page, expect

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
