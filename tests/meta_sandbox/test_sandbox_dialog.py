"""The OAuth consent dialog: rendering, allow, cancel, switching person, rerequest."""

from urllib.parse import urlsplit

from meta_sandbox import seed
from tests.meta_sandbox.helpers import APP_ID, REDIRECT_URI, query_of


def test_dialog_renders_every_requested_scope_ticked(graph):
    params = graph.dialog_params(["pages_show_list", "ads_read"])
    response = graph.session.get(f"{graph.base}/dialog/oauth", params=params)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.text
    assert 'name="scope" value="pages_show_list" checked>' in html
    assert 'name="scope" value="ads_read" checked>' in html
    assert 'value="instagram_basic"' not in html
    assert '<select name="user" id="user"' in html
    assert f'<option value="{seed.ALEX_ID}" selected>Alex Rivera</option>' in html
    assert 'name="action" value="allow"' in html
    assert 'name="action" value="cancel"' in html


def test_dialog_lists_only_the_asset_kinds_the_scopes_need(graph):
    params = graph.dialog_params(["pages_show_list"])
    html = graph.session.get(f"{graph.base}/dialog/oauth", params=params).text

    assert f'name="page" value="{seed.PAGE_BAKERY_ID}" checked>' in html
    assert 'name="ad_account"' not in html
    assert 'name="instagram_account"' not in html


def test_versioned_and_unversioned_dialog_paths_both_render(graph):
    params = graph.dialog_params(["pages_show_list"])
    versioned = graph.session.get(f"{graph.sandbox.url}/v23.0/dialog/oauth", params=params)
    unversioned = graph.session.get(f"{graph.sandbox.url}/dialog/oauth", params=params)

    assert versioned.status_code == 200
    assert versioned.headers["Facebook-API-Version"] == "v23.0"
    assert unversioned.status_code == 200
    assert unversioned.headers["Facebook-API-Version"] == "v25.0"


def test_unknown_client_id_shows_an_error_page(graph):
    params = graph.dialog_params(["pages_show_list"], client_id="999")
    response = graph.session.get(f"{graph.base}/dialog/oauth", params=params)

    assert response.status_code == 400
    assert "Invalid App ID" in response.text


def test_missing_redirect_uri_shows_an_error_page(graph):
    params = graph.dialog_params(["pages_show_list"])
    del params["redirect_uri"]
    response = graph.session.get(f"{graph.base}/dialog/oauth", params=params)

    assert response.status_code == 400
    assert "redirect_uri parameter is missing" in response.text


def test_redirect_uri_outside_the_valid_list_is_blocked(graph):
    graph.sandbox_post("/settings", {"valid_redirect_uris": ["https://app.example.com/cb/"]})
    params = graph.dialog_params(["pages_show_list"])

    blocked = graph.session.get(f"{graph.base}/dialog/oauth", params=params)
    params["redirect_uri"] = "https://app.example.com/cb/"
    allowed = graph.session.get(f"{graph.base}/dialog/oauth", params=params)

    assert blocked.status_code == 400
    assert "redirect URI is not whitelisted" in blocked.text
    assert allowed.status_code == 200


def test_allow_redirects_with_code_and_state(graph):
    response = graph.consent()

    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    assert parts.fragment == "_=_"
    query = query_of(location)
    assert sorted(query) == ["code", "state"]
    assert query["state"] == ["st-123"]
    assert len(query["code"][0]) > 100


def test_allow_with_granted_scopes_response_type_lists_granted_and_denied(graph):
    response = graph.consent(
        scopes=["pages_show_list", "ads_read"],
        ticked=["pages_show_list"],
        response_type="code,granted_scopes",
    )

    query = query_of(response.headers["Location"])
    assert query["granted_scopes"] == ["public_profile,pages_show_list"]
    assert query["denied_scopes"] == ["ads_read"]


def test_cancel_redirects_with_access_denied(graph):
    response = graph.consent(action="cancel")

    assert response.status_code == 302
    assert query_of(response.headers["Location"]) == {
        "error": ["access_denied"],
        "error_code": ["200"],
        "error_description": ["Permissions error"],
        "error_reason": ["user_denied"],
        "state": ["st-123"],
    }
    assert "error_description=Permissions+error" in response.headers["Location"]


def test_switch_re_renders_the_dialog_for_the_chosen_person(graph):
    response = graph.consent(user=seed.SAM_ID, action="switch")

    assert response.status_code == 200
    assert f'<option value="{seed.SAM_ID}" selected>Sam Okafor</option>' in response.text
    assert f'value="{seed.PAGE_FITNESS_ID}"' in response.text
    assert f'value="{seed.PAGE_COFFEE_ID}"' not in response.text


def test_unticked_scope_is_declined(graph):
    token = graph.login(scopes=["pages_show_list", "ads_read"], ticked=["pages_show_list"])

    permissions = graph.get("/me/permissions", token).json()["data"]
    assert permissions == [
        {"permission": "public_profile", "status": "granted"},
        {"permission": "pages_show_list", "status": "granted"},
        {"permission": "ads_read", "status": "declined"},
    ]


def test_declined_scope_is_locked_without_rerequest_and_offered_again_with_it(graph):
    graph.login(scopes=["pages_show_list", "ads_read"], ticked=["pages_show_list"])
    params = graph.dialog_params(["pages_show_list", "ads_read"], user=seed.ALEX_ID)

    plain = graph.session.get(f"{graph.base}/dialog/oauth", params=params).text
    params["auth_type"] = "rerequest"
    rerequest = graph.session.get(f"{graph.base}/dialog/oauth", params=params).text

    assert 'name="scope" value="ads_read" disabled>' in plain
    assert 'name="scope" value="ads_read" checked>' in rerequest


def test_rerequest_grants_the_previously_declined_scope(graph):
    graph.login(scopes=["pages_show_list", "ads_read"], ticked=["pages_show_list"])
    token = graph.login(scopes=["ads_read"], auth_type="rerequest")

    permissions = graph.get("/me/permissions", token).json()["data"]
    assert {"permission": "ads_read", "status": "granted"} in permissions
    assert {"permission": "pages_show_list", "status": "granted"} in permissions


def test_declined_scope_stays_declined_when_submitted_without_rerequest(graph):
    graph.login(scopes=["pages_show_list", "ads_read"], ticked=["pages_show_list"])
    token = graph.login(scopes=["ads_read"], ticked=["ads_read"])

    permissions = graph.get("/me/permissions", token).json()["data"]
    assert {"permission": "ads_read", "status": "declined"} in permissions


def test_only_ticked_assets_of_the_chosen_person_are_granted(graph):
    token = graph.login(
        assets={
            "page": [seed.PAGE_COFFEE_ID, seed.PAGE_FITNESS_ID],  # Sam's Page is not Alex's
            "instagram_account": [seed.IG_COFFEE_ID],
            "ad_account": [seed.ACT_COFFEE_US],
        }
    )

    debug = graph.session.get(
        f"{graph.base}/debug_token",
        params={"input_token": token, "access_token": f"{APP_ID}|sandbox-app-secret"},
    ).json()["data"]
    targets = {entry["scope"]: entry.get("target_ids") for entry in debug["granular_scopes"]}
    assert targets["pages_show_list"] == [seed.PAGE_COFFEE_ID]
    assert targets["instagram_basic"] == [seed.IG_COFFEE_ID]
    assert targets["ads_read"] == [seed.ACT_COFFEE_US]
