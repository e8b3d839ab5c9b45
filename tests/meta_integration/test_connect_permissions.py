"""The connect flow asks only for what existing features use, and says why before Meta's dialog."""

import html

import pytest
from django.urls import reverse

from meta_integration.scopes import FEATURES
from tests.conftest import client_for
from tests.meta_integration.helpers import start_connect

pytestmark = pytest.mark.usefixtures("sandbox")

# What ProSocial can do with Meta today: publishing to Pages and Instagram, the inbox
# (comments and direct messages, issue #16), ads, and results (insights, issue #18).
EXISTING_FEATURE_SCOPES = [
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "instagram_basic",
    "instagram_content_publish",
    "pages_manage_metadata",
    "pages_manage_engagement",
    "pages_messaging",
    "instagram_manage_comments",
    "instagram_manage_messages",
    "ads_management",
    "ads_read",
    "read_insights",
    "instagram_manage_insights",
]


def table_scopes():
    return list(dict.fromkeys(p.scope for f in FEATURES for p in f.permissions))


def test_the_oauth_url_asks_for_exactly_the_scopes_of_existing_features(owner):
    dialog = start_connect(client_for(owner))

    assert dialog["scope"].split(",") == table_scopes() == EXISTING_FEATURE_SCOPES
    assert {f.key for f in FEATURES} == {"publishing", "inbox", "ads", "insights"}


def test_every_permission_has_a_one_line_reason():
    for feature in FEATURES:
        for permission in feature.permissions:
            reason = str(permission.reason)
            assert reason.strip(), permission
            assert "\n" not in reason, permission
            assert len(reason) <= 120, permission


def test_the_page_before_meta_lists_each_permission_with_its_reason(owner):
    url = reverse("meta_integration:connect_permissions", args=["acme"])

    response = client_for(owner).get(url)

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    for feature in FEATURES:
        assert str(feature.label) in page
        for permission in feature.permissions:
            assert f"<code>{permission.scope}</code>" in page
            assert str(permission.reason) in page
    assert "<code>instagram_manage_insights</code>" in page  # results read Instagram insights
    continue_url = reverse("meta_integration:connect", args=["acme"])
    assert f'href="{continue_url}"' in page
    assert 'data-testid="continue-to-meta"' in page


def test_reconnecting_keeps_the_rerequest_through_the_page(owner):
    url = reverse("meta_integration:connect_permissions", args=["acme"])

    response = client_for(owner).get(url, {"rerequest": "1"})

    continue_url = reverse("meta_integration:connect", args=["acme"]) + "?rerequest=1"
    assert f'href="{continue_url}"' in response.content.decode()


def test_connect_buttons_lead_to_the_permissions_page(owner):
    client = client_for(owner)
    permissions_url = reverse("meta_integration:connect_permissions", args=["acme"])

    response = client.get(reverse("meta_integration:connections", args=["acme"]))

    assert f'href="{permissions_url}"' in response.content.decode()


def test_viewers_and_editors_cannot_open_it(viewer, editor):
    url = reverse("meta_integration:connect_permissions", args=["acme"])

    assert client_for(viewer).get(url).status_code == 403
    assert client_for(editor).get(url).status_code == 403
