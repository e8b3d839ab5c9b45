"""The page shell every signed-in page shares (base.html, layouts/app.html): language, icons,
the phone menu. Browser behaviour (axe, the menu opening, no sideways scroll) is in tests/e2e."""

import re
from pathlib import Path

from django.urls import reverse

from tests.conftest import client_for

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ICON = re.compile(r"<i class=\"bi[ \"][^>]*>")


def test_page_language_is_the_active_language(owner, settings):
    settings.LANGUAGES = [("en", "English"), ("de", "German")]

    german = client_for(owner).get(
        reverse("accounts:dashboard", args=["acme"]), HTTP_ACCEPT_LANGUAGE="de"
    )

    assert '<html lang="de">' in german.content.decode()


def test_unsupported_browser_languages_fall_back_to_english(owner):
    page = client_for(owner).get(
        reverse("accounts:dashboard", args=["acme"]), HTTP_ACCEPT_LANGUAGE="de"
    )

    assert '<html lang="en">' in page.content.decode()


def test_every_icon_is_hidden_from_screen_readers():
    missing = [
        f"{path.relative_to(TEMPLATES)}: {icon}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for icon in ICON.findall(path.read_text())
        if 'aria-hidden="true"' not in icon
    ]

    assert missing == []


def test_phone_menu_button_opens_the_sidebar_panel(owner):
    body = client_for(owner).get(reverse("accounts:dashboard", args=["acme"])).content.decode()

    assert 'data-bs-toggle="offcanvas" data-bs-target="#app-sidebar"' in body
    assert (
        'class="offcanvas-md offcanvas-start app-sidebar-panel" tabindex="-1" id="app-sidebar"'
        in body
    )
