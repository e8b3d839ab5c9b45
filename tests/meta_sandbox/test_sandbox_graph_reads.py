"""Graph reads: /me, permissions, Pages, the IG link, ad accounts, field expansion, ids."""

from meta_sandbox import seed
from tests.meta_sandbox.helpers import APP_ID, APP_TOKEN, assert_error, proof, query_of

UNSUPPORTED = (
    "Unsupported get request. Object with ID '{}' does not exist, cannot be loaded due to "
    "missing permissions, or does not support this operation. Please read the Graph API "
    "documentation at https://developers.facebook.com/docs/graph-api"
)


def test_me_returns_id_and_name(graph):
    token = graph.login()

    response = graph.get("/me", token, fields="id,name")

    assert response.status_code == 200
    assert response.json() == {"id": seed.ALEX_ID, "name": "Alex Rivera"}
    assert response.headers["Facebook-API-Version"] == "v25.0"


def test_user_can_be_read_by_id_and_email_needs_its_scope(graph):
    token = graph.login(scopes=["pages_show_list", "email"])
    other = graph.login(user=seed.SAM_ID, scopes=["pages_show_list"])

    assert graph.get(f"/{seed.ALEX_ID}", token, fields="name,email").json() == {
        "name": "Alex Rivera",
        "email": "alex.rivera@example.com",
        "id": seed.ALEX_ID,
    }
    assert graph.get("/me", other, fields="name,email").json() == {
        "name": "Sam Okafor",
        "id": seed.SAM_ID,
    }


def test_another_persons_id_is_unsupported(graph):
    token = graph.login()

    error = assert_error(graph.get(f"/{seed.SAM_ID}", token), 400, 100, 33)

    assert error["type"] == "GraphMethodException"
    assert error["message"] == UNSUPPORTED.format(seed.SAM_ID)


def test_unknown_object_is_unsupported(graph):
    token = graph.login()

    error = assert_error(graph.get("/123456789", token), 400, 100, 33)

    assert error["message"] == UNSUPPORTED.format("123456789")


def test_nonexisting_field_is_rejected(graph):
    token = graph.login()

    error = assert_error(graph.get("/me", token, fields="id,shoe_size"), 400, 100)

    assert (
        error["message"]
        == "(#100) Tried accessing nonexisting field (shoe_size) on node type (User)"
    )


def test_missing_token_on_me_is_2500(graph):
    error = assert_error(graph.get("/me"), 400, 2500)
    assert (
        error["message"]
        == "An active access token must be used to query information about the current user."
    )


def test_unknown_token_is_190_without_subcode(graph):
    error = assert_error(graph.get("/me", "EAAbogus"), 400, 190)
    assert error["message"] == "Invalid OAuth access token - Cannot parse access token"


def test_app_token_cannot_read_me(graph):
    response = graph.session.get(f"{graph.base}/me", params={"access_token": APP_TOKEN})
    assert_error(response, 400, 2500)


def test_bearer_header_authenticates(graph):
    token = graph.login()
    headers = {"Authorization": f"Bearer {token}"}

    response = graph.session.get(
        f"{graph.base}/me", params={"appsecret_proof": proof(token)}, headers=headers
    )

    assert response.json() == {"name": "Alex Rivera", "id": seed.ALEX_ID}


def test_permissions_list_granted_and_declined(graph):
    token = graph.login(scopes=["pages_show_list", "ads_read", "email"], ticked=["ads_read"])

    assert graph.get("/me/permissions", token).json() == {
        "data": [
            {"permission": "public_profile", "status": "granted"},
            {"permission": "ads_read", "status": "granted"},
            {"permission": "pages_show_list", "status": "declined"},
            {"permission": "email", "status": "declined"},
        ]
    }


def test_delete_permissions_revokes_every_token_of_the_person(graph):
    token = graph.long_lived(graph.login())
    page_token = graph.get("/me/accounts", token).json()["data"][0]["access_token"]

    response = graph.request("DELETE", "/me/permissions", token)

    assert response.status_code == 200
    assert response.json() == {"success": True}
    error = assert_error(graph.get("/me", token), 400, 190, 458)
    assert (
        error["message"]
        == f"Error validating access token: The user has not authorized application {APP_ID}."
    )
    assert '"invalid_token"' in graph.get("/me", token).headers["WWW-Authenticate"]
    assert_error(graph.get(f"/{seed.PAGE_COFFEE_ID}", page_token), 400, 190, 458)


def test_delete_one_permission_declines_it(graph):
    token = graph.login(scopes=["pages_show_list", "ads_read"])

    response = graph.request("DELETE", "/me/permissions/ads_read", token)

    assert response.json() == {"success": True}
    assert {"permission": "ads_read", "status": "declined"} in graph.get(
        "/me/permissions", token
    ).json()["data"]
    assert_error(graph.get("/me/adaccounts", token), 403, 200)


def test_accounts_paginate_through_granted_pages_only(graph):
    token = graph.login(assets={"page": [seed.PAGE_COFFEE_ID, seed.PAGE_BAKERY_ID]})
    seen, pages, url = [], 0, None
    response = graph.get("/me/accounts", token, limit="1", fields="id,name")
    while True:
        pages += 1
        body = response.json()
        seen += [item["id"] for item in body["data"]]
        assert len(body["data"]) == 1
        url = body["paging"].get("next")
        if url is None:
            break
        assert query_of(url)["limit"] == ["1"]
        response = graph.session.get(url)

    assert pages == 2
    assert seen == [seed.PAGE_COFFEE_ID, seed.PAGE_BAKERY_ID]
    assert set(body["paging"]) == {"cursors", "previous"}


def test_accounts_previous_link_goes_back(graph):
    token = graph.login()
    first = graph.get("/me/accounts", token, limit="2").json()
    second = graph.session.get(first["paging"]["next"]).json()

    back = graph.session.get(second["paging"]["previous"]).json()

    assert [p["id"] for p in second["data"]] == [seed.PAGE_BAKERY_ID]
    assert [p["id"] for p in back["data"]] == [seed.PAGE_COFFEE_ID, seed.PAGE_PHOTO_ID]
    assert "previous" not in first["paging"]


def test_accounts_default_fields_carry_a_page_token(graph):
    token = graph.login(assets={"page": [seed.PAGE_BAKERY_ID]})

    body = graph.get("/me/accounts", token).json()

    assert body["data"] == [
        {
            "access_token": body["data"][0]["access_token"],
            "category": "Bakery",
            "category_list": [{"id": "197871390225897", "name": "Bakery"}],
            "name": "Rivera Family Bakery",
            "id": seed.PAGE_BAKERY_ID,
            "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT"],
        }
    ]
    assert body["data"][0]["access_token"].startswith("EAA")
    assert body["data"][0]["access_token"] != token


def test_accounts_of_a_person_with_no_pages_is_empty(graph):
    token = graph.login(user=seed.JORDAN_ID)

    assert graph.get("/me/accounts", token).json() == {"data": []}


def test_accounts_need_pages_show_list(graph):
    token = graph.login(scopes=["ads_read"])

    error = assert_error(graph.get("/me/accounts", token), 403, 10)
    assert error["message"] == "(#10) Application does not have permission for this action"


def test_page_expands_its_instagram_account(graph, sandbox):
    token = graph.login()

    response = graph.get(
        f"/{seed.PAGE_COFFEE_ID}",
        token,
        fields="instagram_business_account{id,username,name,profile_picture_url}",
    )

    assert response.json() == {
        "instagram_business_account": {
            "id": seed.IG_COFFEE_ID,
            "username": "riveracoffee",
            "name": "Rivera Coffee Roasters",
            "profile_picture_url": f"{sandbox.url}/_sandbox/media/profile/{seed.IG_COFFEE_ID}.png",
        },
        "id": seed.PAGE_COFFEE_ID,
    }


def test_page_plain_instagram_field_gives_only_the_id(graph):
    token = graph.login()

    response = graph.get(f"/{seed.PAGE_PHOTO_ID}", token, fields="instagram_business_account")

    assert response.json() == {
        "instagram_business_account": {"id": seed.IG_PHOTO_ID},
        "id": seed.PAGE_PHOTO_ID,
    }


def test_page_without_instagram_has_no_key(graph):
    token = graph.login()

    response = graph.get(f"/{seed.PAGE_BAKERY_ID}", token, fields="name,instagram_business_account")

    assert response.json() == {"name": "Rivera Family Bakery", "id": seed.PAGE_BAKERY_ID}


def test_ungranted_page_is_unsupported(graph):
    token = graph.login(assets={"page": [seed.PAGE_COFFEE_ID]})

    assert_error(graph.get(f"/{seed.PAGE_BAKERY_ID}", token), 400, 100, 33)


def test_page_token_reads_its_page_as_me(graph):
    token = graph.login(assets={"page": [seed.PAGE_PHOTO_ID]})
    page_token = graph.get("/me/accounts", token).json()["data"][0]["access_token"]

    assert graph.get("/me", page_token).json() == {
        "name": "Alex Rivera Photography",
        "id": seed.PAGE_PHOTO_ID,
    }
    assert_error(graph.get(f"/{seed.PAGE_COFFEE_ID}", page_token), 400, 100, 33)


def test_instagram_account_fields(graph):
    token = graph.login()

    response = graph.get(
        f"/{seed.IG_PHOTO_ID}",
        token,
        fields="id,username,name,followers_count,media_count,account_type",
    )

    assert response.json() == {
        "id": seed.IG_PHOTO_ID,
        "username": "alexrivera.photo",
        "name": "Alex Rivera",
        "followers_count": 8120,
        "media_count": 1204,
        "account_type": "MEDIA_CREATOR",
    }


def test_instagram_account_not_ticked_in_the_dialog_is_unsupported(graph):
    token = graph.login(scopes=["pages_show_list"])

    assert_error(graph.get(f"/{seed.IG_COFFEE_ID}", token), 400, 100, 33)


def test_granted_instagram_account_without_instagram_basic_is_a_permission_error(graph, sandbox):
    token = sandbox.state.grant(user_id=seed.ALEX_ID, scopes=["pages_show_list"]).value

    error = assert_error(graph.get(f"/{seed.IG_COFFEE_ID}", token), 403, 10)
    assert error["type"] == "OAuthException"


def test_profile_picture_is_a_png(graph, sandbox):
    response = graph.session.get(f"{sandbox.url}/_sandbox/media/profile/{seed.IG_COFFEE_ID}.png")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(response.content[16:20]) == 150


AD_FIELDS = "id,account_id,name,account_status,currency,timezone_name,disable_reason,business"


def test_ad_accounts_show_status_currency_and_business(graph):
    token = graph.login()

    body = graph.get("/me/adaccounts", token, fields=AD_FIELDS).json()

    assert "next" not in body["paging"]
    assert body["data"] == [
        {
            "id": seed.ACT_COFFEE_US,
            "account_id": "1029384756102938",
            "name": "Rivera Coffee — US",
            "account_status": 1,
            "currency": "USD",
            "timezone_name": "America/Los_Angeles",
            "disable_reason": 0,
            "business": {"id": seed.BUSINESS_RIVERA_ID, "name": "Rivera Ventures LLC"},
        },
        {
            "id": seed.ACT_PHOTO_EU,
            "account_id": "2038475610293847",
            "name": "Rivera Photo — EU",
            "account_status": 2,
            "currency": "EUR",
            "timezone_name": "Europe/Berlin",
            "disable_reason": 3,
        },
        {
            "id": seed.ACT_BAKERY_UK,
            "account_id": "3047561029384756",
            "name": "Rivera Bakery — UK",
            "account_status": 3,
            "currency": "GBP",
            "timezone_name": "Europe/London",
            "disable_reason": 0,
            "business": {"id": seed.BUSINESS_RIVERA_ID, "name": "Rivera Ventures LLC"},
        },
    ]


def test_ad_accounts_default_fields_and_grants(graph):
    token = graph.login(user=seed.SAM_ID)

    body = graph.get("/me/adaccounts", token).json()

    assert body["data"] == [{"account_id": "4056102938475610", "id": seed.ACT_FITNESS}]


def test_ad_accounts_paginate(graph):
    token = graph.login(assets={"ad_account": [seed.ACT_COFFEE_US, seed.ACT_BAKERY_UK]})

    first = graph.get("/me/adaccounts", token, limit="1").json()
    second = graph.session.get(first["paging"]["next"]).json()

    assert [a["id"] for a in first["data"] + second["data"]] == [
        seed.ACT_COFFEE_US,
        seed.ACT_BAKERY_UK,
    ]
    assert "next" not in second["paging"]


def test_ad_accounts_need_an_ads_scope(graph):
    token = graph.login(scopes=["pages_show_list"])

    error = assert_error(graph.get("/me/adaccounts", token), 403, 200)
    assert (
        error["message"]
        == "(#200) Ad account owner has NOT grant ads_management or ads_read permission"
    )


def test_ad_account_node_read(graph):
    token = graph.login()

    response = graph.get(
        f"/{seed.ACT_PHOTO_EU}", token, fields="account_status,disable_reason,amount_spent"
    )

    assert response.json() == {
        "account_status": 2,
        "disable_reason": 3,
        "amount_spent": "48200",
        "id": seed.ACT_PHOTO_EU,
    }


def test_ids_read_returns_an_object_keyed_by_id(graph):
    token = graph.login()

    body = graph.get(
        "/", token, ids=f"{seed.PAGE_COFFEE_ID},{seed.IG_COFFEE_ID}", fields="id"
    ).json()

    assert body == {
        seed.PAGE_COFFEE_ID: {"id": seed.PAGE_COFFEE_ID},
        seed.IG_COFFEE_ID: {"id": seed.IG_COFFEE_ID},
    }


def test_ids_read_with_an_unknown_id_fails(graph):
    token = graph.login()

    error = assert_error(graph.get("/", token, ids=f"{seed.PAGE_COFFEE_ID},999"), 400, 803)
    assert error["message"] == "(#803) Some of the aliases you requested do not exist: 999"


def test_old_version_is_refused(graph, sandbox):
    token = graph.login()
    response = graph.session.get(
        f"{sandbox.url}/v19.0/me", params={"access_token": token, "appsecret_proof": proof(token)}
    )
    assert_error(response, 400, 2635)
