"""Time travel, token expiry, reset, the state dump, the console and the seeded world."""

from meta_sandbox import config, seed
from tests.meta_sandbox.helpers import assert_error


def _advance(graph, seconds):
    response = graph.sandbox_post("/clock", {"advance_seconds": seconds})
    assert response.status_code == 200
    return response.json()


def test_short_lived_token_expires_by_sandbox_time(graph):
    token = graph.login()
    _advance(graph, config.SHORT_LIVED_TOKEN_SECONDS - 5)
    assert graph.get("/me", token).status_code == 200

    _advance(graph, 5)

    error = assert_error(graph.get("/me", token), 400, 190, 463)
    assert "Session has expired on" in error["message"]


def test_long_lived_token_lasts_sixty_days_and_its_page_token_forever(graph):
    user_token = graph.long_lived(graph.login())
    page_token = graph.get("/me/accounts", user_token).json()["data"][0]["access_token"]
    _advance(graph, 59 * 86400)
    assert graph.get("/me", user_token).status_code == 200

    _advance(graph, 2 * 86400)

    assert_error(graph.get("/me", user_token), 400, 190, 463)
    assert graph.get(f"/{seed.PAGE_COFFEE_ID}", page_token).status_code == 200


def test_page_token_from_a_short_lived_token_dies_with_it(graph):
    user_token = graph.login()
    page_token = graph.get("/me/accounts", user_token).json()["data"][0]["access_token"]

    _advance(graph, config.SHORT_LIVED_TOKEN_SECONDS)

    assert_error(graph.get(f"/{seed.PAGE_COFFEE_ID}", page_token), 400, 190, 463)


def test_clock_refuses_to_go_back(graph):
    response = graph.sandbox_post("/clock", {"advance_seconds": -1})
    assert response.status_code == 400


def test_expire_by_token_affects_only_that_token(graph):
    first = graph.login()
    second = graph.login()

    response = graph.sandbox_post("/tokens/expire", {"access_token": first})

    assert response.json() == {"expired": 1}
    assert_error(graph.get("/me", first), 400, 190, 463)
    assert graph.get("/me", second).status_code == 200


def test_expire_by_user_affects_all_their_tokens(graph):
    alex = graph.login()
    alex_again = graph.long_lived(alex)
    sam = graph.login(user=seed.SAM_ID)

    response = graph.sandbox_post("/tokens/expire", {"user_id": seed.ALEX_ID})

    assert response.json() == {"expired": 2}
    assert_error(graph.get("/me", alex), 400, 190, 463)
    assert_error(graph.get("/me", alex_again), 400, 190, 463)
    assert graph.get("/me", sam).status_code == 200


def test_reset_forgets_tokens_faults_clock_and_settings(graph, sandbox):
    token = graph.login()
    graph.sandbox_post("/faults", {"path": "/nothing", "times": None})
    graph.sandbox_post("/settings", {"require_appsecret_proof": False})
    _advance(graph, 3600)

    response = graph.sandbox_post("/reset")

    assert response.json() == {"success": True}
    state = graph.session.get(f"{sandbox.url}/_sandbox/state").json()
    assert state["tokens"] == []
    assert state["faults"] == []
    assert state["authorizations"] == []
    assert state["clock_offset_seconds"] == 0
    assert state["settings"]["require_appsecret_proof"] is True
    assert_error(graph.get("/me", token), 400, 190)


def test_state_dump_lists_world_tokens_and_requests(graph, sandbox):
    token = graph.login(scopes=["pages_show_list"])
    graph.get("/me", token)

    state = graph.session.get(f"{sandbox.url}/_sandbox/state").json()

    assert state["app_id"] == config.DEFAULT_APP_ID
    assert [u["id"] for u in state["users"]] == [seed.ALEX_ID, seed.SAM_ID, seed.JORDAN_ID]
    assert [t["access_token"] for t in state["tokens"]] == [token]
    assert state["tokens"][0]["user_id"] == seed.ALEX_ID
    assert state["authorizations"][0]["granted"] == ["public_profile", "pages_show_list"]
    assert [(r["method"], r["path"], r["status"]) for r in state["requests"]] == [
        ("GET", "/dialog/oauth", 200),
        ("POST", "/dialog/oauth", 302),
        ("GET", "/oauth/access_token", 200),
        ("GET", "/me", 200),
    ]


def test_request_log_keeps_the_latest_entries(sandbox):
    for number in range(config.REQUEST_LOG_SIZE + 10):
        sandbox.state.log_request("GET", f"/{number}", 200, None)

    paths = [entry["path"] for entry in sandbox.state.snapshot()["requests"]]

    assert len(paths) == config.REQUEST_LOG_SIZE
    assert paths[0] == "/10"


def test_token_issued_by_the_test_api_works(graph):
    body = {"user_id": seed.SAM_ID, "scopes": "pages_show_list,ads_read"}

    issued = graph.sandbox_post("/tokens", body).json()

    assert issued["expires_in"] == config.LONG_LIVED_TOKEN_SECONDS
    assert graph.get("/me/adaccounts", issued["access_token"]).json()["data"] == [
        {"account_id": "4056102938475610", "id": seed.ACT_FITNESS}
    ]


def test_console_shows_people_tokens_and_faults(graph, sandbox):
    token = graph.login()
    graph.sandbox_post("/faults", {"path": "/me/accounts", "error": {"code": 4}})

    response = graph.session.get(f"{sandbox.url}/_sandbox/")

    assert response.status_code == 200
    html = response.text
    for text in (
        "Alex Rivera",
        "Sam Okafor",
        "Jordan Lee",
        "Rivera Family Bakery",
        "@okafor.fitness",
        seed.ACT_PHOTO_EU,
        token,
        "/me/accounts",
        "DISABLED",
    ):
        assert text in html


def test_console_forms_redirect_back(graph, sandbox):
    response = graph.session.post(
        f"{sandbox.url}/_sandbox/clock", data={"advance_seconds": "3600"}, allow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/_sandbox/")
    assert sandbox.state.snapshot()["clock_offset_seconds"] == 3600


def test_console_fault_form_adds_a_fault(graph, sandbox):
    form = {
        "method": "GET",
        "path": "/me",
        "times": "",
        "code": "4",
        "http_status": "",
        "latency_ms": "",
    }

    graph.session.post(f"{sandbox.url}/_sandbox/faults", data=form, allow_redirects=False)

    faults = sandbox.state.snapshot()["faults"]
    assert [(f["method"], f["path"], f["times"], f["error"]) for f in faults] == [
        ("GET", "/me", None, {"code": 4})
    ]


def test_unknown_sandbox_endpoint_is_404(graph, sandbox):
    assert graph.session.get(f"{sandbox.url}/_sandbox/nope").status_code == 404


def test_seeded_world_has_the_documented_shape(sandbox):
    world = sandbox.state.world
    alex, sam = world.users[seed.ALEX_ID], world.users[seed.SAM_ID]

    assert [world.pages[p].ig_user_id for p in alex.page_ids] == [
        seed.IG_COFFEE_ID,
        seed.IG_PHOTO_ID,
        None,
    ]
    assert [world.ig_accounts[i].account_type for i in (seed.IG_COFFEE_ID, seed.IG_PHOTO_ID)] == [
        "BUSINESS",
        "MEDIA_CREATOR",
    ]
    assert [
        (world.ad_accounts[a].account_status, world.ad_accounts[a].currency)
        for a in alex.ad_account_ids
    ] == [
        (1, "USD"),
        (2, "EUR"),
        (3, "GBP"),
    ]
    assert world.ad_accounts[seed.ACT_PHOTO_EU].disable_reason == 3
    assert sam.page_ids == [seed.PAGE_FITNESS_ID]
    assert world.pages[seed.PAGE_FITNESS_ID].ig_user_id == seed.IG_FITNESS_ID
    assert sam.ad_account_ids == [seed.ACT_FITNESS]
