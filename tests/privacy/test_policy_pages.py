"""The public legal pages: privacy policy, terms and data-deletion instructions."""

import re

import pytest
from django.test import Client
from django.urls import resolve, reverse

from privacy import pages
from tests.conftest import client_for

POLICY = "/privacy/"
TERMS = "/terms/"
DELETION = "/privacy/data-deletion/"
CONTACT = "/contact/"
ALL_PAGES = [
    pytest.param(POLICY, id="policy"),
    pytest.param(TERMS, id="terms"),
    pytest.param(DELETION, id="data_deletion"),
]


def _html(path: str) -> str:
    response = Client().get(path)
    assert response.status_code == 200
    return response.content.decode()


def _article(html: str) -> str:
    """The page's own text, without the layout's header and footer."""
    return html[html.index("<article") : html.index("</article>")]


def _legal_links(html: str) -> str:
    match = re.search(r'<nav[^>]*data-testid="legal-links"[^>]*>(.*?)</nav>', html, re.S)
    assert match, "no legal links in the footer"
    return match.group(1)


def test_paths_are_the_ones_other_systems_depend_on():
    assert reverse("privacy:policy") == POLICY
    assert reverse("privacy:terms") == TERMS
    assert reverse("privacy:data_deletion_instructions") == DELETION
    assert resolve(DELETION).func is pages.data_deletion_instructions
    assert resolve(POLICY).func is pages.privacy_policy
    assert resolve(TERMS).func is pages.terms


@pytest.mark.parametrize("path", ALL_PAGES)
def test_page_shows_the_operator_and_effective_date_to_anonymous_visitors(db, settings, path):
    settings.OPERATOR_NAME = "Northwind Media GmbH"
    settings.OPERATOR_ADDRESS = "Hauptstrasse 5, 10115 Berlin, Germany"
    settings.PRIVACY_EMAIL = "privacy@northwind.example"
    settings.POLICY_EFFECTIVE_DATE = "2027-03-05"

    html = _html(path)

    assert "Northwind Media GmbH" in html
    assert "Hauptstrasse 5, 10115 Berlin, Germany" in html
    assert 'href="mailto:privacy@northwind.example"' in html
    assert 'Effective date: <time datetime="2027-03-05">March 5, 2027</time>' in html


def test_effective_date_that_is_not_iso_is_shown_as_written(db, settings):
    settings.POLICY_EFFECTIVE_DATE = "1 March 2027"

    assert '<time datetime="1 March 2027">1 March 2027</time>' in _html(POLICY)


@pytest.mark.parametrize("path", ALL_PAGES)
def test_page_answers_only_reads(db, path):
    assert Client().post(path).status_code == 405


def test_policy_periods_follow_the_settings(db, settings):
    settings.RETENTION_UNUSED_GENERATED_MEDIA_DAYS = 41
    settings.RETENTION_PUBLISH_TRACE_DAYS = 123
    settings.RETENTION_WEBHOOK_EVENT_DAYS = 1
    settings.RETENTION_AUDIT_EVENT_DAYS = 555
    settings.RETENTION_DELETION_RECEIPT_YEARS = 7
    settings.EXPORT_LINK_TTL_HOURS = 36
    settings.MEDIA_SIGNED_URL_TTL_SECONDS = 2 * 60 * 60

    html = _html(POLICY)

    assert 'data-testid="retention-unused-media">41 days*' in html
    assert 'data-testid="retention-publish-traces">123 days*' in html
    assert 'data-testid="retention-webhook-events">1 day*' in html
    assert 'data-testid="retention-audit-events">555 days' in html
    assert 'data-testid="retention-deletion-receipts">7 years*' in html
    assert "The download link works for 36 hours" in html
    assert "They stop working after 2 hours" in html


def test_media_link_lifetime_in_minutes_when_hours_do_not_divide(db, settings):
    settings.MEDIA_SIGNED_URL_TTL_SECONDS = 90 * 60

    assert "expires after 90 minutes" in _html(POLICY)


def test_deletion_page_periods_follow_the_settings(db, settings):
    settings.RETENTION_DELETION_RECEIPT_YEARS = 1
    settings.EXPORT_LINK_TTL_HOURS = 12

    html = _html(DELETION)

    assert 'data-testid="retention-deletion-receipts">1 year</span>' in html
    assert "The download link works for 12 hours" in html


def test_deletion_page_names_the_privacy_centre_status_url_and_callbacks(db, settings):
    settings.PUBLIC_BASE_URL = "https://ads.northwind.example"

    html = _html(DELETION)

    assert 'href="/account/privacy/"' in html  # the privacy centre
    assert (
        "<code>https://ads.northwind.example/privacy/deletion/<var>confirmation-code</var>/</code>"
        in html
    )
    assert "https://ads.northwind.example/w/<var>your-workspace</var>/privacy/" in html
    assert "https://ads.northwind.example/privacy/meta/data-deletion/" in html
    assert "https://ads.northwind.example/privacy/meta/deauthorize/" in html


def test_policy_lists_only_the_cookies_the_app_sets(db, settings):
    html = _html(POLICY)
    cookies = re.findall(
        r"<tr><td><code>([^<]+)</code>", html.split('data-testid="cookie-table"')[1]
    )

    assert cookies == [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages"]


def test_policy_message_cookie_disappears_with_session_message_storage(db, settings):
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

    assert "<code>messages</code>" not in _html(POLICY)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("", "currently uses the <strong>built-in provider</strong>", id="offline"),
        pytest.param("sk-test", "currently uses <strong>OpenAI</strong>", id="openai"),
    ],
)
def test_policy_says_which_ai_provider_is_on(db, settings, key, expected):
    settings.OPENAI_API_KEY = key

    assert expected in _html(POLICY)


def test_policy_lists_the_meta_permissions_asked_for(db):
    html = _html(POLICY)

    for scope in ("pages_manage_posts", "instagram_content_publish", "ads_management"):
        assert f"<code>{scope}</code>" in html


@pytest.mark.parametrize(
    ("path", "links"),
    [
        pytest.param(POLICY, [TERMS, DELETION, CONTACT], id="policy"),
        pytest.param(TERMS, [POLICY, DELETION, CONTACT], id="terms"),
        pytest.param(DELETION, [POLICY, TERMS, CONTACT], id="data_deletion"),
    ],
)
def test_pages_link_to_each_other(db, path, links):
    article = _article(_html(path))

    for link in links:
        assert f'href="{link}' in article


@pytest.mark.parametrize("path", ALL_PAGES)
def test_pages_use_no_inline_script_or_style(db, path):
    html = _html(path)

    assert "style=" not in html
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


@pytest.mark.parametrize("path", [POLICY, CONTACT, "/accounts/login/"])
def test_public_footer_links_the_legal_pages(db, path):
    links = _legal_links(_html(path))

    for link in (POLICY, TERMS, DELETION, CONTACT):
        assert f'href="{link}"' in links


def test_signed_in_layout_links_the_legal_pages(owner):
    response = client_for(owner).get(reverse("accounts:dashboard", args=[owner.workspace.slug]))

    links = _legal_links(response.content.decode())
    for link in (POLICY, TERMS, DELETION, CONTACT):
        assert f'href="{link}"' in links


def test_signup_page_says_creating_an_account_accepts_terms_and_policy(db):
    html = _html(reverse("account_signup"))

    match = re.search(r'data-testid="signup-agreement">(.*?)</p>', html, re.S)
    assert match
    agreement = match.group(1)
    assert agreement.startswith("By creating an account you agree to the")
    assert f'<a href="{TERMS}">Terms</a>' in agreement
    assert f'<a href="{POLICY}">Privacy Policy</a>' in agreement


def test_policy_names_the_workspace_contact_details_it_stores(db):
    """Each contact field a workspace can fill in is named in "What we collect" (#13)."""
    from accounts.models import WORKSPACE_CONTACT_FIELDS

    text = Client().get(reverse("privacy:policy")).content.decode()
    said = {
        "contact_email": "email address",
        "contact_phone": "phone number",
        "website": "website",
        "postal_address": "postal address",
    }
    assert set(WORKSPACE_CONTACT_FIELDS) == set(said)
    sentence = next(line for line in text.splitlines() if "Workspace details" in line)
    assert [words for words in said.values() if words not in sentence] == []
