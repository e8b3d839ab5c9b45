"""Code exchange, long-lived exchange and debug_token (GRAPH_NOTES §1.2-§1.5)."""

from meta_sandbox import config, seed
from tests.meta_sandbox.helpers import (
    ALL_SCOPES,
    APP_ID,
    APP_SECRET,
    APP_TOKEN,
    assert_error,
    proof,
    query_of,
)


def _code(graph, **consent):
    return query_of(graph.consent(**consent).headers["Location"])["code"][0]


def _debug(graph, token, access_token=APP_TOKEN):
    params = {"input_token": token, "access_token": access_token}
    return graph.session.get(f"{graph.base}/debug_token", params=params)


def test_code_exchange_returns_a_short_lived_bearer_token(graph):
    response = graph.exchange(_code(graph))

    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ["access_token", "expires_in", "token_type"]
    assert body["access_token"].startswith("EAA")
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == config.SHORT_LIVED_TOKEN_SECONDS


def test_code_is_single_use(graph):
    code = _code(graph)
    assert graph.exchange(code).status_code == 200

    again = graph.exchange(code)

    error = assert_error(again, 400, 100, 36009)
    assert error["message"] == "This authorization code has been used."
    assert error["type"] == "OAuthException"
    assert '"invalid_code"' in again.headers["WWW-Authenticate"]


def test_wrong_client_secret_is_refused(graph):
    error = assert_error(graph.exchange(_code(graph), client_secret="nope"), 400, 1)
    assert error["message"] == "Error validating client secret."
    assert error["is_transient"] is False


def test_unknown_client_id_is_refused(graph):
    error = assert_error(graph.exchange(_code(graph), client_id="42"), 400, 101)
    assert error["message"] == "Error validating application. Invalid application ID."


def test_different_redirect_uri_is_refused(graph):
    response = graph.exchange(_code(graph), redirect_uri="http://127.0.0.1:9/other/")
    error = assert_error(response, 400, 100, 36008)
    assert "redirect_uri is identical" in error["message"]


def test_code_expires_after_ten_minutes_of_sandbox_time(graph):
    code = _code(graph)
    graph.sandbox_post("/clock", {"advance_seconds": config.CODE_TTL_SECONDS})

    error = assert_error(graph.exchange(code), 400, 100, 36007)
    assert error["message"] == "This authorization code has expired."


def test_code_minted_by_the_test_api_can_be_exchanged(graph):
    body = {
        "user_id": seed.SAM_ID,
        "scopes": ["pages_show_list"],
        "redirect_uri": "http://127.0.0.1:9/meta/oauth/callback/",
    }
    code = graph.sandbox_post("/codes", body).json()["code"]

    token = graph.exchange(code).json()["access_token"]

    assert graph.get("/me", token).json() == {"name": "Sam Okafor", "id": seed.SAM_ID}


def test_long_lived_exchange_returns_a_new_sixty_day_token(graph):
    short = graph.login()
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
        "fb_exchange_token": short,
    }
    response = graph.session.get(f"{graph.sandbox.url}/oauth/access_token", params=params)

    assert response.status_code == 200
    body = response.json()
    assert body["access_token"] != short
    assert body["access_token"].startswith("EAA")
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 5_183_944


def test_long_lived_exchange_refuses_an_expired_token(graph):
    short = graph.login()
    graph.sandbox_post("/clock", {"advance_seconds": config.SHORT_LIVED_TOKEN_SECONDS})
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
        "fb_exchange_token": short,
    }
    response = graph.session.get(f"{graph.base}/oauth/access_token", params=params)

    error = assert_error(response, 400, 190, 463)
    assert error["message"].startswith("Error validating access token: Session has expired on ")


def test_debug_token_describes_a_user_token_with_granular_scopes(graph, sandbox):
    token = graph.login(
        scopes=["pages_show_list", "instagram_basic", "ads_read"],
        assets={
            "page": [seed.PAGE_COFFEE_ID, seed.PAGE_BAKERY_ID],
            "instagram_account": [seed.IG_PHOTO_ID],
            "ad_account": [seed.ACT_BAKERY_UK],
        },
    )
    now = int(sandbox.state.now())

    response = _debug(graph, token)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["app_id"] == APP_ID
    assert data["type"] == "USER"
    assert data["application"] == config.APP_NAME
    assert data["is_valid"] is True
    assert data["user_id"] == seed.ALEX_ID
    assert abs(data["issued_at"] - now) <= 2
    assert data["expires_at"] == data["issued_at"] + config.SHORT_LIVED_TOKEN_SECONDS
    # Data access runs 90 days from the consent, not from the token's issue.
    consent = sandbox.state.auth.active_authorization(seed.ALEX_ID)
    assert data["data_access_expires_at"] == consent.granted_at + 90 * 86400
    assert data["scopes"] == ["public_profile", "pages_show_list", "instagram_basic", "ads_read"]
    assert data["granular_scopes"] == [
        {"scope": "public_profile"},
        {"scope": "pages_show_list", "target_ids": [seed.PAGE_COFFEE_ID, seed.PAGE_BAKERY_ID]},
        {"scope": "instagram_basic", "target_ids": [seed.IG_PHOTO_ID]},
        {"scope": "ads_read", "target_ids": [seed.ACT_BAKERY_UK]},
    ]


def test_debug_token_accepts_a_user_token_as_access_token(graph):
    token = graph.login()
    params = {"input_token": token, "access_token": token, "appsecret_proof": proof(token)}

    response = graph.session.get(f"{graph.base}/debug_token", params=params)

    assert response.status_code == 200
    assert response.json()["data"]["is_valid"] is True


def test_debug_token_reports_a_page_token_that_never_expires(graph):
    user_token = graph.long_lived(graph.login())
    pages = graph.get("/me/accounts", user_token).json()["data"]

    data = _debug(graph, pages[0]["access_token"]).json()["data"]

    assert data["type"] == "PAGE"
    assert data["profile_id"] == seed.PAGE_COFFEE_ID
    assert data["expires_at"] == 0
    assert data["is_valid"] is True


def test_debug_token_reports_an_expired_token_as_invalid(graph):
    token = graph.login()
    graph.sandbox_post("/clock", {"advance_seconds": config.SHORT_LIVED_TOKEN_SECONDS + 1})

    data = _debug(graph, token).json()["data"]

    assert data["is_valid"] is False
    assert data["error"]["code"] == 190
    assert data["error"]["subcode"] == 463
    assert data["scopes"] == ["public_profile", *ALL_SCOPES]


def test_debug_token_reports_a_revoked_token_as_invalid(graph):
    token = graph.login()
    graph.request("DELETE", "/me/permissions", token)

    data = _debug(graph, token).json()["data"]

    assert data["is_valid"] is False
    assert data["error"] == {
        "code": 190,
        "message": f"Error validating access token: The user has not authorized application {APP_ID}.",
        "subcode": 458,
    }
    assert data["scopes"] == []


def test_debug_token_reports_an_unknown_token_as_invalid(graph):
    response = _debug(graph, "EAAnotatoken")

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "error": {
                "code": 190,
                "message": "Invalid OAuth access token - Cannot parse access token",
            },
            "is_valid": False,
            "scopes": [],
        }
    }


def test_debug_token_refuses_a_wrong_app_token(graph):
    token = graph.login()
    assert_error(_debug(graph, token, access_token=f"{APP_ID}|wrong"), 400, 190)


def test_client_credentials_returns_the_app_token(graph):
    params = {"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_SECRET}
    response = graph.session.get(f"{graph.base}/oauth/access_token", params=params)

    assert response.json() == {"access_token": APP_TOKEN, "token_type": "bearer"}


def test_debug_token_describes_the_app_token(graph):
    data = _debug(graph, APP_TOKEN).json()["data"]

    assert data == {
        "app_id": APP_ID,
        "type": "APP",
        "application": config.APP_NAME,
        "is_valid": True,
        "scopes": [],
    }
