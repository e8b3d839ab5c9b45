"""Connecting Meta end to end against the sandbox: dialog URL, callback, saved assets."""

import pytest
from django.conf import settings
from django.db import connection as db
from django.urls import reverse

from accounts.models import AuditEvent
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage
from meta_integration.scopes import requested_scopes
from meta_sandbox import seed
from prosocial import vault
from tests.conftest import client_for
from tests.meta_integration.helpers import callback, connect, consent, start_connect

pytestmark = pytest.mark.usefixtures("sandbox")


def test_dialog_url_asks_for_every_feature_scope_with_a_session_bound_state(owner, sandbox):
    client = client_for(owner)

    dialog = start_connect(client)

    assert dialog["client_id"] == settings.META_APP_ID
    assert dialog["redirect_uri"] == "http://127.0.0.1:8000/meta/oauth/callback/"
    assert dialog["scope"].split(",") == requested_scopes()
    assert dialog["response_type"] == "code"
    assert "auth_type" not in dialog
    assert client.session["meta_oauth"] == {"state": dialog["state"], "workspace": "acme"}


def test_connect_saves_the_connection_and_every_asset(owner, sandbox):
    client = client_for(owner)

    response = connect(client, sandbox)

    connection = MetaConnection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "meta_integration:connection", args=["acme", connection.pk]
    )
    assert (connection.meta_user_id, connection.display_name) == (seed.ALEX_ID, "Alex Rivera")
    assert connection.status == MetaConnection.Status.ACTIVE
    assert connection.token_type == MetaConnection.TokenType.LONG_LIVED
    assert connection.declined_scopes == []
    assert set(MetaPage.objects.values_list("page_id", flat=True)) == {
        seed.PAGE_COFFEE_ID,
        seed.PAGE_PHOTO_ID,
        seed.PAGE_BAKERY_ID,
    }
    coffee_ig = InstagramAccount.objects.get(ig_user_id=seed.IG_COFFEE_ID)
    assert (coffee_ig.username, coffee_ig.page.page_id) == ("riveracoffee", seed.PAGE_COFFEE_ID)
    statuses = dict(MetaAdAccount.objects.values_list("ad_account_id", "account_status"))
    assert statuses == {seed.ACT_COFFEE_US: 1, seed.ACT_PHOTO_EU: 2, seed.ACT_BAKERY_UK: 3}
    assert not MetaPage.objects.filter(is_selected=True).exists()  # the admin chooses next
    assert AuditEvent.objects.filter(action="meta.connected").count() == 1


def test_tokens_are_stored_encrypted(owner, sandbox):
    connect(client_for(owner), sandbox)
    connection = MetaConnection.objects.get()

    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token FROM meta_integration_metaconnection WHERE id = %s",
            [connection.pk],
        )
        (stored,) = cursor.fetchone()

    assert stored != connection.access_token
    assert vault.decrypt(stored) == connection.access_token
    assert connection.access_token in sandbox.state.auth.tokens


def test_declined_scope_is_recorded_and_flagged(owner, sandbox):
    scopes = [s for s in requested_scopes() if s != "instagram_content_publish"]
    client = client_for(owner)

    connect(client, sandbox, scopes=scopes)

    connection = MetaConnection.objects.get()
    assert connection.declined_scopes == ["instagram_content_publish"]
    page = client.get(reverse("meta_integration:connection", args=["acme", connection.pk]))
    body = page.content.decode()
    assert "Permissions declined: instagram_content_publish." in body
    assert "missing <code>instagram_content_publish</code>" in body


def test_reconnect_rerequests_and_keeps_the_selection(owner, sandbox):
    client = client_for(owner)
    connect(client, sandbox, scopes=[s for s in requested_scopes() if s != "ads_read"])
    MetaPage.objects.filter(page_id=seed.PAGE_COFFEE_ID).update(is_selected=True)

    dialog = start_connect(client, rerequest="1")
    code = consent(sandbox, dialog)
    callback(client, code=code, state=dialog["state"])

    assert dialog["auth_type"] == "rerequest"
    connection = MetaConnection.objects.get()
    assert connection.declined_scopes == []
    assert MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID).is_selected
    assert AuditEvent.objects.filter(action="meta.refreshed").count() == 1


def test_a_page_without_instagram_and_no_ad_scopes(owner, sandbox):
    scopes = [s for s in requested_scopes() if not s.startswith("ads_")]

    connect(client_for(owner), sandbox, scopes=scopes, pages=[seed.PAGE_BAKERY_ID], ig=[], ads=[])

    assert list(MetaPage.objects.values_list("page_id", flat=True)) == [seed.PAGE_BAKERY_ID]
    assert InstagramAccount.objects.count() == 0
    assert MetaAdAccount.objects.count() == 0


def test_cancel_on_meta_connects_nothing(owner, sandbox):
    client = client_for(owner)
    dialog = start_connect(client)

    response = callback(
        client, error="access_denied", error_reason="user_denied", state=dialog["state"]
    )

    assert response["Location"] == reverse("meta_integration:connections", args=["acme"])
    assert MetaConnection.objects.count() == 0


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"code": "x", "state": "forged"}, id="tampered-state"),
        pytest.param({"code": "x"}, id="missing-state"),
    ],
)
def test_bad_state_is_refused(owner, sandbox, params):
    client = client_for(owner)
    start_connect(client)

    response = callback(client, **params)

    assert response.status_code == 400
    assert "match a connection started in this browser" in response.content.decode()
    assert MetaConnection.objects.count() == 0


def test_callback_without_a_started_flow_is_refused(owner, sandbox):
    response = callback(client_for(owner), code="x", state="y")

    assert response.status_code == 400
    assert MetaConnection.objects.count() == 0


def test_reused_code_is_refused_with_an_explanation(owner, sandbox):
    client = client_for(owner)
    dialog = start_connect(client)
    code = consent(sandbox, dialog)
    callback(client, code=code, state=dialog["state"])
    MetaConnection.objects.all().delete()
    dialog_again = start_connect(client)

    response = callback(client, code=code, state=dialog_again["state"])

    assert response.status_code == 400
    assert "exchanging the login code" in response.content.decode()
    assert MetaConnection.objects.count() == 0


def test_meta_5xx_leaves_nothing_half_saved(owner, sandbox, settings):
    settings.META_MAX_RETRIES = 1
    sandbox.state.add_fault(method="GET", path="/me/adaccounts", http_status=503, times=None)

    response = connect(client_for(owner), sandbox)

    assert response.status_code == 400
    assert "listing your ad accounts" in response.content.decode()
    assert MetaConnection.objects.count() == 0
    assert MetaPage.objects.count() == 0


def test_token_expiring_mid_flow(owner, sandbox):
    sandbox.state.add_fault(
        method="GET",
        path="/me/accounts",
        error={
            "code": 190,
            "error_subcode": 463,
            "type": "OAuthException",
            "message": "Session has expired",
        },
        http_status=400,
    )

    response = connect(client_for(owner), sandbox)

    assert response.status_code == 400
    assert "listing your Pages" in response.content.decode()
    assert MetaConnection.objects.count() == 0


def test_graph_timeout_is_explained(owner, sandbox, settings):
    settings.META_READ_TIMEOUT = 1
    settings.META_MAX_RETRIES = 0
    sandbox.state.add_fault(method="GET", path="/me", latency_ms=2500)

    response = connect(client_for(owner), sandbox)

    assert response.status_code == 400
    assert "reading your profile" in response.content.decode()
    assert MetaConnection.objects.count() == 0


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_only_admins_can_connect(cast, sandbox, persona):
    response = client_for(cast[persona]).get(reverse("meta_integration:connect", args=["acme"]))

    assert response.status_code == 403
    assert "meta_oauth" not in client_for(cast[persona]).session


def test_code_issued_for_another_app_redirect_is_refused(owner, sandbox):
    client = client_for(owner)
    dialog = start_connect(client)
    foreign = sandbox.state.auth.issue_code(
        user_id=seed.ALEX_ID,
        client_id=sandbox.state.app_id,
        redirect_uri="https://elsewhere.example.com/callback/",
    ).code

    response = callback(client, code=foreign, state=dialog["state"])

    assert response.status_code == 400
    assert "exchanging the login code" in response.content.decode()
    assert MetaConnection.objects.count() == 0


def test_account_with_no_pages_connects_and_says_so(owner, sandbox):
    client = client_for(owner)

    connect(client, sandbox, user_id=seed.JORDAN_ID, pages=[], ig=[], ads=[])

    connection = MetaConnection.objects.get()
    page = client.get(reverse("meta_integration:connection", args=["acme", connection.pk]))
    assert connection.meta_user_id == seed.JORDAN_ID
    assert MetaPage.objects.count() == 0
    assert "No Pages were shared." in page.content.decode()
