"""The Graph client against the real sandbox over HTTP: calls, paging, batch, retries, secrets.

No mocks of `requests`: every call goes to meta_sandbox (or, for broken-network cases, to a
real local server answering canned pages, or to a closed port). Waits are recorded by the
`sleeps` fixture instead of slept, and jitter returns its upper bound, so backoff values are
exact.
"""

import json
import logging
import pickle
import time
import traceback
from datetime import UTC, datetime

import pytest
import requests

from meta_integration import graph
from meta_integration.graph import (
    AccessToken,
    AdAccountInfo,
    BatchRequest,
    ErrorKind,
    GraphClient,
    GraphError,
    InstagramInfo,
    MetaUser,
    PageInfo,
    PermissionStatus,
)
from meta_sandbox import seed

ALL_SCOPES = [
    "email",
    "pages_show_list",
    "pages_read_engagement",
    "instagram_basic",
    "instagram_content_publish",
    "ads_read",
]
REDIRECT_URI = "https://prosocial.example.com/meta/oauth/callback/"


@pytest.fixture(autouse=True)
def _graph_settings(sandbox, sleeps, settings):
    settings.META_MAX_RETRIES = 3
    settings.META_API_VERSION = "v25.0"
    settings.META_CONNECT_TIMEOUT = 3.05
    settings.META_READ_TIMEOUT = 10


@pytest.fixture
def token(sandbox) -> str:
    """A long-lived user token of Alex Rivera, granted every scope on every asset."""
    return sandbox.state.grant(user_id=seed.ALEX_ID, scopes=ALL_SCOPES).value


@pytest.fixture
def client(token, records) -> GraphClient:
    return GraphClient(token, on_call=records.append)


def logged(sandbox) -> list[tuple[str, str, int]]:
    return [(entry.method, entry.path, entry.status) for entry in sandbox.state.requests]


def attempts(records) -> list[tuple[int, int | None, int | None]]:
    return [(r.attempt, r.status_code, r.error_code) for r in records]


def wait_for_log(sandbox, count: int) -> None:
    """Wait until the sandbox has logged `count` requests (a timed-out one logs late).

    Tests with a latency fault call it so the late entry can't land in the next test's log.
    """
    deadline = time.monotonic() + 5
    while len(sandbox.state.requests) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sandbox.state.requests) >= count


# --- plain calls and appsecret_proof ---------------------------------------------------------


def test_appsecret_proof_matches_metas_test_vector():
    # GRAPH_NOTES §1.6, computed with Python's hmac.
    assert graph.appsecret_proof("access_token", "app_secret") == (
        "d52ddf968d622d8af8677906b7fbae09ac1f89f7cd5c1584b27544624cc23e5a"
    )


def test_get_sends_the_token_with_the_proof_the_sandbox_requires(sandbox, client, records):
    assert sandbox.state.settings.require_appsecret_proof is True

    body = client.get("/me")

    assert body == {"name": "Alex Rivera", "id": seed.ALEX_ID}
    assert logged(sandbox) == [("GET", "/me", 200)]
    assert records == [
        graph.GraphCallRecord(
            method="GET",
            path="/me",
            params={"access_token": "[redacted]", "appsecret_proof": "[redacted]"},
            status_code=200,
            duration_ms=records[0].duration_ms,
            fbtrace_id="",
            error_code=None,
            error_subcode=None,
            attempt=1,
            response_excerpt='{"name":"Alex Rivera","id":"10161234567890123"}',
        )
    ]
    assert records[0].duration_ms > 0


def test_a_wrong_app_secret_makes_the_proof_fail(sandbox, token, records, settings):
    settings.META_APP_SECRET = "not-the-sandbox-secret"

    with pytest.raises(GraphError) as caught:
        GraphClient(token, on_call=records.append).get("/me")

    error = caught.value
    assert (error.code, error.subcode, error.kind) == (100, None, ErrorKind.INVALID)
    assert error.message == "Invalid appsecret_proof provided in the API argument"
    assert error.type == "GraphMethodException"
    assert len(records) == 1


def test_query_in_the_path_becomes_params_and_the_version_comes_from_settings(
    sandbox, token, records, settings
):
    settings.META_API_VERSION = "v26.0"
    client = GraphClient(token, on_call=records.append)

    body = client.get("/me?fields=id")

    assert client.base_url == f"{sandbox.url}/v26.0"
    assert body == {"id": seed.ALEX_ID}
    assert (records[0].path, records[0].params["fields"]) == ("/me", "id")


def test_post_sends_form_fields(sandbox, records, settings):
    body = GraphClient(on_call=records.append).post(
        "/oauth/access_token",
        {
            "client_id": settings.META_APP_ID,
            "client_secret": settings.META_APP_SECRET,
            "grant_type": "client_credentials",
        },
    )

    assert body == {
        "access_token": f"{settings.META_APP_ID}|{settings.META_APP_SECRET}",
        "token_type": "bearer",
    }
    assert logged(sandbox) == [("POST", "/oauth/access_token", 200)]
    assert records[0].params == {
        "client_id": settings.META_APP_ID,
        "client_secret": "[redacted]",
        "grant_type": "client_credentials",
    }


def test_delete_takes_back_one_permission(client, token):
    assert client.delete("/me/permissions/ads_read") == {"success": True}

    statuses = {p.permission: p.status for p in graph.get_permissions(access_token=token)}
    assert statuses["ads_read"] == "declined"
    assert statuses["pages_show_list"] == "granted"


def test_a_failing_trace_hook_does_not_fail_the_call(token, caplog):
    def broken_hook(record):
        raise RuntimeError("database is down")

    body = GraphClient(token, on_call=broken_hook).get("/me", {"fields": "id"})

    assert body == {"id": seed.ALEX_ID}
    assert "Graph call hook failed for GET /me" in caplog.text


# --- pagination -------------------------------------------------------------------------------


def test_paginate_follows_next_across_pages(sandbox, client, records):
    ids = [page["id"] for page in client.paginate("/me/accounts", {"limit": 1, "fields": "id"})]

    assert ids == [seed.PAGE_COFFEE_ID, seed.PAGE_PHOTO_ID, seed.PAGE_BAKERY_ID]
    assert logged(sandbox) == [("GET", "/me/accounts", 200)] * 3
    assert [r.params.get("after") is not None for r in records] == [False, True, True]
    assert {r.params["limit"] for r in records} == {"1"}
    assert {r.params["access_token"] for r in records} == {"[redacted]"}


def test_paginate_stops_at_the_page_cap(sandbox, client, caplog):
    items = list(client.paginate("/me/accounts", {"limit": 1, "fields": "id"}, max_pages=2))

    assert [item["id"] for item in items] == [seed.PAGE_COFFEE_ID, seed.PAGE_PHOTO_ID]
    assert logged(sandbox) == [("GET", "/me/accounts", 200)] * 2
    assert "stopped at the cap of 2 pages" in caplog.text


def test_paginate_uses_only_the_cursor_of_the_next_link(canned_server, token, records, settings):
    # A next link naming another host (or with a different prefix) must not receive the token.
    settings.META_GRAPH_URL = f"{canned_server.url}/graph"
    first = {
        "data": [{"id": "1"}],
        "paging": {
            "next": "https://elsewhere.example.com/v25.0/me/accounts?limit=1&after=QUZUM&access_token=x"
        },
    }
    canned_server.answer(200, "application/json", json.dumps(first).encode())
    canned_server.answer(200, "application/json", b'{"data":[{"id":"2"}]}')

    items = list(GraphClient(token, on_call=records.append).paginate("/me/accounts", {"limit": 1}))

    assert items == [{"id": "1"}, {"id": "2"}]
    assert canned_server.paths == ["GET /graph/v25.0/me/accounts"] * 2
    assert records[1].params == {
        "limit": "1",
        "after": "QUZUM",
        "access_token": "[redacted]",
        "appsecret_proof": "[redacted]",
    }


def test_paginate_an_edge_without_paging(client):
    permissions = list(client.paginate("/me/permissions"))

    assert [p["permission"] for p in permissions] == ["public_profile", *ALL_SCOPES]


# --- batch ------------------------------------------------------------------------------------


def test_batch_answers_in_order_with_per_item_errors(sandbox, client, records, settings):
    responses = client.batch(
        [
            BatchRequest("GET", "me?fields=id,name"),
            BatchRequest("GET", f"{seed.PAGE_COFFEE_ID}?fields=name"),
            BatchRequest("GET", "999"),
            BatchRequest(
                "POST",
                "oauth/access_token",
                body={
                    "client_id": settings.META_APP_ID,
                    "client_secret": settings.META_APP_SECRET,
                    "grant_type": "client_credentials",
                },
            ),
        ]
    )

    assert [r.code for r in responses] == [200, 200, 400, 200]
    assert responses[0].body == {"id": seed.ALEX_ID, "name": "Alex Rivera"}
    assert responses[1].body == {"name": "Rivera Coffee Roasters", "id": seed.PAGE_COFFEE_ID}
    assert responses[3].body == {
        "access_token": f"{settings.META_APP_ID}|{settings.META_APP_SECRET}",
        "token_type": "bearer",
    }
    assert [r.error is None for r in responses] == [True, True, False, True]
    error = responses[2].error
    assert (error.code, error.subcode, error.kind, error.http_status) == (
        100,
        33,
        ErrorKind.INVALID,
        400,
    )
    assert responses[2].headers["Content-Type"] == "application/json; charset=UTF-8"
    assert logged(sandbox) == [
        ("GET", "/me", 200),
        ("GET", f"/{seed.PAGE_COFFEE_ID}", 200),
        ("GET", "/999", 400),
        ("POST", "/oauth/access_token", 200),
        ("POST", "/", 200),
    ]
    assert len(records) == 1


def test_batch_of_more_than_fifty_is_split(sandbox, client, records):
    responses = client.batch([BatchRequest("GET", f"me?fields=id&n={n}") for n in range(51)])

    assert [r.code for r in responses] == [200] * 51
    assert {r.body["id"] for r in responses} == {seed.ALEX_ID}
    # Items are logged as they run, each batch request after its items.
    assert logged(sandbox) == [
        *[("GET", "/me", 200)] * 50,
        ("POST", "/", 200),
        ("GET", "/me", 200),
        ("POST", "/", 200),
    ]
    assert len(records) == 2


def test_batch_item_whose_dependency_failed_is_null(client):
    responses = client.batch(
        [
            BatchRequest("GET", "999", name="missing"),
            BatchRequest("GET", "me", depends_on="missing"),
        ]
    )

    assert responses[0].error.code == 100
    assert responses[1] == graph.BatchResponse(code=None, headers={}, body=None, error=None)


def test_batch_item_throttled_carries_its_retry_after(sandbox, client):
    sandbox.state.add_fault(path="/me/accounts", error={"code": 80001})

    responses = client.batch([BatchRequest("GET", "me/accounts"), BatchRequest("GET", "me")])

    assert responses[0].error.kind is ErrorKind.THROTTLED
    assert responses[0].error.retry_after == 300.0  # the sandbox's default: 5 minutes
    assert responses[1].code == 200


# --- retries: transient failures --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"error": {"code": 1}}, 500, 1),
        ({"error": {"code": 2}}, 500, 2),
        ({"http_status": 500}, 500, 1),
        ({"http_status": 503}, 503, 2),
    ],
    ids=["code-1", "code-2", "http-500", "http-503"],
)
def test_transient_errors_are_retried_with_backoff(
    sandbox, client, records, sleeps, fault, status, code
):
    sandbox.state.add_fault(path="/me", times=2, **fault)

    body = client.get("/me", {"fields": "id"})

    assert body == {"id": seed.ALEX_ID}
    assert attempts(records) == [(1, status, code), (2, status, code), (3, 200, None)]
    assert logged(sandbox) == [("GET", "/me", status)] * 2 + [("GET", "/me", 200)]
    assert sleeps == [0.5, 1.0]
    assert all(r.fbtrace_id for r in records[:2])


def test_transient_errors_give_up_after_max_retries(sandbox, client, records, sleeps):
    sandbox.state.add_fault(path="/me", error={"code": 2}, times=None)

    with pytest.raises(GraphError) as caught:
        client.get("/me")

    assert caught.value.kind is ErrorKind.TRANSIENT
    assert caught.value.is_retryable is True
    assert [r.attempt for r in records] == [1, 2, 3, 4]
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(logged(sandbox)) == 4


def test_max_retries_and_backoff_cap_are_configurable(sandbox, token, records, sleeps, settings):
    settings.META_MAX_RETRIES = 5
    sandbox.state.add_fault(path="/me", error={"code": 1}, times=None)
    client = GraphClient(token, on_call=records.append, max_backoff_seconds=1.5)

    with pytest.raises(GraphError):
        client.get("/me")

    assert sleeps == [0.5, 1.0, 1.5, 1.5, 1.5]
    assert len(records) == 6


def test_jitter_is_full_jitter_between_zero_and_the_ceiling(monkeypatch):
    monkeypatch.undo()  # the real jitter, not the fixture's upper bound

    waits = [graph.jitter(2.0) for _ in range(200)]

    assert all(0.0 <= wait <= 2.0 for wait in waits)
    assert len(set(waits)) > 100


def test_dropped_connection_on_a_get_is_retried(sandbox, client, records, sleeps):
    sandbox.state.add_fault(path="/me", drop=True)

    assert client.get("/me", {"fields": "id"}) == {"id": seed.ALEX_ID}

    assert attempts(records) == [(1, None, None), (2, 200, None)]
    assert records[0].response_excerpt.startswith("Could not reach Meta (ConnectionError)")
    assert logged(sandbox) == [("GET", "/me", 0), ("GET", "/me", 200)]
    assert sleeps == [0.5]


def test_read_timeout_on_a_get_is_retried(sandbox, token, records, sleeps):
    sandbox.state.add_fault(path="/me", latency_ms=600)
    client = GraphClient(token, on_call=records.append, timeout=(2.0, 0.2))

    assert client.get("/me", {"fields": "id"}) == {"id": seed.ALEX_ID}

    assert attempts(records) == [(1, None, None), (2, 200, None)]
    assert records[0].response_excerpt.startswith("Could not reach Meta (ReadTimeout)")
    wait_for_log(sandbox, 2)
    assert logged(sandbox) == [("GET", "/me", 200), ("GET", "/me", 200)]


def test_read_timeout_from_settings(sandbox, token, records, settings):
    settings.META_READ_TIMEOUT = 0.2
    sandbox.state.add_fault(path="/me", latency_ms=600)

    assert GraphClient(token, on_call=records.append).get("/me", {"fields": "id"})["id"] == (
        seed.ALEX_ID
    )
    assert attempts(records) == [(1, None, None), (2, 200, None)]
    wait_for_log(sandbox, 2)


@pytest.mark.parametrize(
    "fault", [{"drop": True}, {"latency_ms": 600}], ids=["dropped", "read-timeout"]
)
def test_a_post_whose_outcome_is_unknown_is_not_retried(sandbox, records, sleeps, settings, fault):
    sandbox.state.add_fault(path="/oauth/access_token", **fault)
    client = GraphClient(on_call=records.append, timeout=(2.0, 0.2))

    with pytest.raises(GraphError) as caught:
        client.post(
            "/oauth/access_token",
            {
                "client_id": settings.META_APP_ID,
                "client_secret": settings.META_APP_SECRET,
                "grant_type": "client_credentials",
            },
        )

    error = caught.value
    assert (error.kind, error.code, error.outcome_unknown) == (ErrorKind.TRANSIENT, None, True)
    assert isinstance(error.__cause__, requests.RequestException)
    assert attempts(records) == [(1, None, None)]
    assert sleeps == []
    wait_for_log(sandbox, 1)
    assert len(logged(sandbox)) == 1


def test_a_batch_of_reads_is_retried_after_a_drop(sandbox, client, records):
    sandbox.state.add_fault(method="POST", path="/", drop=True)

    responses = client.batch([BatchRequest("GET", "me?fields=id")])

    assert responses[0].body == {"id": seed.ALEX_ID}
    assert attempts(records) == [(1, None, None), (2, 200, None)]


def test_unreachable_graph_is_retried_even_for_a_post(unreachable_graph, records, sleeps):
    with pytest.raises(GraphError) as caught:
        GraphClient(on_call=records.append).post("/oauth/access_token", {"client_id": "1"})

    error = caught.value
    assert (error.kind, error.code, error.http_status) == (ErrorKind.TRANSIENT, None, None)
    assert error.outcome_unknown is False  # never sent: repeating it is safe
    assert type(error.__cause__) is requests.ConnectionError
    assert attempts(records) == [(1, None, None), (2, None, None), (3, None, None), (4, None, None)]
    assert sleeps == [0.5, 1.0, 2.0]


# --- retries: rate limits ---------------------------------------------------------------------


def _usage(**entry):
    return json.dumps({seed.PAGE_COFFEE_ID: [{"type": "pages", **entry}]})


@pytest.mark.parametrize(
    ("code", "headers", "expected_waits"),
    [
        (4, {"X-App-Usage": '{"call_count":80,"total_cputime":10,"total_time":12}'}, [0.5]),
        (17, {"X-Business-Use-Case-Usage": _usage(call_count=100, estimated_time_to_regain_access=1)}, [60.0]),
        (32, {"X-Page-Usage": '{"call_count":70,"total_cputime":5,"total_time":5}'}, [0.5]),
        (613, {"X-Ad-Account-Usage": '{"acc_id_util_pct":100.0,"reset_time_duration":45}'}, [45.0]),
        (80001, {"X-Business-Use-Case-Usage": _usage(call_count=99, estimated_time_to_regain_access=0)}, [0.5]),
        (17, {}, [0.5]),
    ],
    ids=["4-app-usage", "17-buc-1-minute", "32-page-usage", "613-ad-account-reset", "80001-no-time", "17-no-headers"],
)  # fmt: skip
def test_throttling_waits_as_the_usage_headers_say(
    sandbox, client, records, sleeps, code, headers, expected_waits
):
    sandbox.state.add_fault(path="/me", error={"code": code}, headers=headers)

    assert client.get("/me", {"fields": "id"}) == {"id": seed.ALEX_ID}

    assert sleeps == expected_waits
    assert attempts(records) == [(1, 400, code), (2, 200, None)]


@pytest.mark.parametrize(
    ("code", "headers", "retry_after"),
    [
        (80001, {"X-Business-Use-Case-Usage": _usage(call_count=100, estimated_time_to_regain_access=12)}, 720.0),
        (80002, None, 300.0),  # the sandbox's default header: 5 minutes
        (613, None, 300.0),  # X-Ad-Account-Usage reset_time_duration 300
        (4, None, 300.0),  # X-App-Usage at 100% with no time: come back in 5 minutes
        (32, None, 300.0),  # X-Page-Usage at 100%
    ],
    ids=["buc-12-minutes", "80002-default", "613-default", "4-saturated", "32-saturated"],
)  # fmt: skip
def test_a_long_throttle_raises_with_retry_after_and_no_retry(
    sandbox, client, records, sleeps, code, headers, retry_after
):
    sandbox.state.add_fault(path="/me", error={"code": code}, headers=headers, times=None)

    with pytest.raises(GraphError) as caught:
        client.get("/me")

    error = caught.value
    assert (error.kind, error.code, error.retry_after) == (ErrorKind.THROTTLED, code, retry_after)
    assert (error.is_throttled, error.is_retryable, error.is_transient) == (True, True, False)
    assert f"retry_after={retry_after:g}s" in str(error)
    assert len(records) == 1
    assert sleeps == []
    assert len(logged(sandbox)) == 1


def test_throttle_wait_cap_is_configurable(sandbox, token, records, sleeps):
    headers = {"X-Business-Use-Case-Usage": _usage(estimated_time_to_regain_access=1)}
    sandbox.state.add_fault(path="/me", error={"code": 80001}, headers=headers)
    client = GraphClient(token, on_call=records.append, max_throttle_wait_seconds=30)

    with pytest.raises(GraphError) as caught:
        client.get("/me")

    assert caught.value.retry_after == 60.0
    assert sleeps == []


def test_throttling_that_persists_gives_up_after_max_retries(sandbox, client, records, sleeps):
    headers = {"X-Ad-Account-Usage": '{"acc_id_util_pct":100,"reset_time_duration":2}'}
    sandbox.state.add_fault(path="/me", error={"code": 613}, headers=headers, times=None)

    with pytest.raises(GraphError) as caught:
        client.get("/me")

    assert caught.value.retry_after == 2.0
    assert sleeps == [2.0, 2.0, 2.0]
    assert len(records) == 4


def test_instagram_daily_quota_is_not_retried(sandbox, client, records, sleeps):
    sandbox.state.add_fault(path="/me", error={"code": 9, "error_subcode": 2207042}, headers={})

    with pytest.raises(GraphError) as caught:
        client.get("/me")

    assert (caught.value.kind, caught.value.retry_after) == (ErrorKind.QUOTA, None)
    assert len(records) == 1
    assert sleeps == []


# --- errors that are never retried ------------------------------------------------------------


def test_expired_token_is_auth_and_not_retried(sandbox, client, token, records, sleeps):
    sandbox.state.expire_tokens(access_token=token)

    with pytest.raises(GraphError) as caught:
        client.get("/me")

    error = caught.value
    assert (error.code, error.subcode, error.http_status) == (190, 463, 400)
    assert (error.kind, error.is_auth, error.is_retryable) == (ErrorKind.AUTH, True, False)
    assert error.message.startswith("Error validating access token: Session has expired on ")
    assert error.type == "OAuthException"
    assert error.fbtrace_id == records[0].fbtrace_id != ""
    assert (records[0].error_code, records[0].error_subcode) == (190, 463)
    assert len(records) == 1
    assert sleeps == []


def test_missing_ads_permission_is_a_permission_error(sandbox, records, sleeps):
    token = sandbox.state.grant(user_id=seed.ALEX_ID, scopes=["pages_show_list"]).value

    with pytest.raises(GraphError) as caught:
        GraphClient(token, on_call=records.append).get("/me/adaccounts")

    error = caught.value
    assert (error.code, error.http_status, error.kind) == (200, 403, ErrorKind.PERMISSION)
    assert (error.is_permission, error.is_auth, error.is_retryable) == (True, False, False)
    assert len(records) == 1


def test_missing_pages_permission_is_code_10(sandbox, records):
    token = sandbox.state.grant(user_id=seed.ALEX_ID, scopes=["ads_read"]).value

    with pytest.raises(GraphError) as caught:
        GraphClient(token, on_call=records.append).get("/me/accounts")

    assert (caught.value.code, caught.value.kind) == (10, ErrorKind.PERMISSION)
    assert caught.value.message == "(#10) Application does not have permission for this action"


def test_invalid_parameter_is_not_retried(client, records, sleeps):
    with pytest.raises(GraphError) as caught:
        client.get("/me", {"fields": "bogus"})

    error = caught.value
    assert (error.code, error.kind) == (100, ErrorKind.INVALID)
    assert error.message == "(#100) Tried accessing nonexisting field (bogus) on node type (User)"
    assert len(records) == 1
    assert sleeps == []


def test_user_title_and_message_are_carried(sandbox, client):
    sandbox.state.add_fault(
        path="/me",
        error={
            "code": 36003,
            "error_subcode": 2207009,
            "message": "The aspect ratio is not supported.",
            "error_user_title": "Unsupported aspect ratio",
            "error_user_msg": "The submitted image with aspect ratio ('3:1') cannot be published.",
        },
    )

    with pytest.raises(GraphError) as caught:
        client.get("/me")

    error = caught.value
    assert (error.user_title, error.user_message) == (
        "Unsupported aspect ratio",
        "The submitted image with aspect ratio ('3:1') cannot be published.",
    )
    assert error.kind is ErrorKind.INVALID


# --- bodies that are not JSON -----------------------------------------------------------------


def test_a_proxy_error_page_is_transient_and_retried(canned_server, token, records, sleeps):
    canned_server.answer(502, "text/html", b"<html><body>502 Bad Gateway</body></html>")
    canned_server.answer(200, "application/json", b'{"id":"1"}')

    assert GraphClient(token, on_call=records.append).get("/me") == {"id": "1"}

    assert attempts(records) == [(1, 502, None), (2, 200, None)]
    assert canned_server.paths == ["GET /v25.0/me", "GET /v25.0/me"]
    assert sleeps == [0.5]


def test_a_proxy_error_page_that_persists(canned_server, token, records):
    canned_server.answer(503, "text/html", b"<h1>Service Unavailable</h1>")

    with pytest.raises(GraphError) as caught:
        GraphClient(token, on_call=records.append).get("/me")

    error = caught.value
    assert (error.kind, error.code, error.http_status) == (ErrorKind.TRANSIENT, None, 503)
    assert error.message == (
        "Meta answered HTTP 503 with a non-JSON body (text/html): <h1>Service Unavailable</h1>"
    )
    assert len(records) == 4


@pytest.mark.parametrize(
    ("status", "content_type", "body", "message"),
    [
        (200, "application/json", b"", "Meta answered HTTP 200 with an empty body: "),
        (404, "text/html", b"<p>Not here</p>", "Meta answered HTTP 404 with a non-JSON body (text/html): <p>Not here</p>"),
        (200, "application/json", b"[1, 2]", "Expected a JSON object from Meta, got list"),
    ],
    ids=["empty-200", "html-404", "json-list"],
)  # fmt: skip
def test_an_unusable_body_is_invalid_and_not_retried(
    canned_server, token, records, status, content_type, body, message
):
    canned_server.answer(status, content_type, body)

    with pytest.raises(GraphError) as caught:
        GraphClient(token, on_call=records.append).get("/me")

    assert (caught.value.kind, caught.value.code, caught.value.message) == (
        ErrorKind.INVALID,
        None,
        message,
    )
    assert len(canned_server.paths) == 1


# --- the typed helpers of the connect flow ----------------------------------------------------


def test_build_login_url(settings, sandbox):
    url = graph.build_login_url(
        redirect_uri=REDIRECT_URI, state="st-1", scopes=["pages_show_list", "ads_read"]
    )
    again = graph.build_login_url(
        redirect_uri=REDIRECT_URI, state="st-2", scopes=["ads_read"], rerequest=True
    )

    assert url == (
        f"{sandbox.url}/v25.0/dialog/oauth?client_id={settings.META_APP_ID}"
        "&redirect_uri=https%3A%2F%2Fprosocial.example.com%2Fmeta%2Foauth%2Fcallback%2F"
        "&state=st-1&scope=pages_show_list%2Cads_read&response_type=code"
    )
    assert again.endswith("&state=st-2&scope=ads_read&response_type=code&auth_type=rerequest")


def _mint_code(sandbox, scopes=ALL_SCOPES) -> str:
    response = requests.post(
        f"{sandbox.url}/_sandbox/codes",
        json={"user_id": seed.ALEX_ID, "scopes": scopes, "redirect_uri": REDIRECT_URI},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return response.json()["code"]


def test_exchange_code_gives_a_short_lived_token(sandbox, records):
    code = _mint_code(sandbox)

    short = graph.exchange_code(code=code, redirect_uri=REDIRECT_URI, on_call=records.append)

    stored = sandbox.state.auth.tokens[short.token]
    assert (stored.kind, stored.user_id, stored.long_lived) == ("USER", seed.ALEX_ID, False)
    assert stored.expires_at - stored.issued_at == 7200
    assert short.expires_in in (7199, 7200)  # whole seconds; the clock may tick in between
    assert graph.get_me(access_token=short.token) == MetaUser(seed.ALEX_ID, "Alex Rivera")
    assert records[0].params == {
        "client_id": sandbox.state.app_id,
        "client_secret": "[redacted]",
        "redirect_uri": REDIRECT_URI,
        "code": "[redacted]",
    }


def test_a_reused_code_is_refused(sandbox):
    code = _mint_code(sandbox)
    graph.exchange_code(code=code, redirect_uri=REDIRECT_URI)

    with pytest.raises(GraphError) as caught:
        graph.exchange_code(code=code, redirect_uri=REDIRECT_URI)

    assert (caught.value.code, caught.value.subcode) == (100, 36009)
    assert caught.value.kind is ErrorKind.INVALID


def test_exchange_long_lived(sandbox):
    short = graph.exchange_code(code=_mint_code(sandbox), redirect_uri=REDIRECT_URI)

    long = graph.exchange_long_lived(access_token=short.token)

    stored = sandbox.state.auth.tokens[long.token]
    assert long.token != short.token
    assert (stored.long_lived, stored.source) == (True, short.token)
    assert long.expires_in in (5_183_943, 5_183_944)


def test_debug_token_reports_granular_scopes_and_expiry(sandbox):
    token = sandbox.state.grant(
        user_id=seed.ALEX_ID,
        scopes=["email", "pages_show_list", "instagram_basic", "ads_read"],
        page_ids=[seed.PAGE_COFFEE_ID],
        ig_user_ids=[seed.IG_COFFEE_ID],
        ad_account_ids=[seed.ACT_COFFEE_US, seed.ACT_BAKERY_UK],
    )
    authorization = sandbox.state.auth.authorizations[seed.ALEX_ID]

    info = graph.debug_token(input_token=token.value)

    assert info == graph.TokenInfo(
        is_valid=True,
        app_id=sandbox.state.app_id,
        user_id=seed.ALEX_ID,
        type="USER",
        scopes=("public_profile", "email", "pages_show_list", "instagram_basic", "ads_read"),
        granular_scopes={
            "public_profile": None,
            "email": None,
            "pages_show_list": (seed.PAGE_COFFEE_ID,),
            "instagram_basic": (seed.IG_COFFEE_ID,),
            "ads_read": (seed.ACT_COFFEE_US, seed.ACT_BAKERY_UK),
        },
        expires_at=datetime.fromtimestamp(token.expires_at, tz=UTC),
        data_access_expires_at=datetime.fromtimestamp(authorization.data_access_expires_at, tz=UTC),
        issued_at=datetime.fromtimestamp(token.issued_at, tz=UTC),
        error_code=None,
        error_subcode=None,
        error_message="",
    )
    assert info.expires_at - info.issued_at == (
        datetime.fromtimestamp(5_183_944, tz=UTC) - datetime.fromtimestamp(0, tz=UTC)
    )


def test_debug_token_of_a_page_token_never_expires(token):
    page_token = graph.list_pages(access_token=token)[0].access_token

    info = graph.debug_token(input_token=page_token)

    assert (info.is_valid, info.type, info.expires_at) == (True, "PAGE", None)


def test_revoked_token_fails_with_190_458_and_debug_token_says_why(token, records, sleeps):
    graph.revoke_permissions(access_token=token)

    with pytest.raises(GraphError) as caught:
        graph.get_me(access_token=token, on_call=records.append)
    info = graph.debug_token(input_token=token)

    assert (caught.value.code, caught.value.subcode, caught.value.is_auth) == (190, 458, True)
    assert len(records) == 1
    assert sleeps == []
    assert (info.is_valid, info.error_code, info.error_subcode) == (False, 190, 458)
    assert info.error_message == (
        f"Error validating access token: The user has not authorized application {info.app_id}."
    )
    assert (info.scopes, info.granular_scopes) == ((), {})


def test_get_permissions(token):
    assert graph.get_permissions(access_token=token) == [
        PermissionStatus("public_profile", "granted"),
        *[PermissionStatus(scope, "granted") for scope in ALL_SCOPES],
    ]


def test_list_pages_with_their_instagram_accounts(sandbox, token, records):
    pages = graph.list_pages(access_token=token, on_call=records.append)

    all_tasks = ("ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE")
    assert [(p.id, p.name, p.category, p.tasks, p.instagram_business_account_id) for p in pages] == [
        (seed.PAGE_COFFEE_ID, "Rivera Coffee Roasters", "Coffee Shop", all_tasks, seed.IG_COFFEE_ID),
        (seed.PAGE_PHOTO_ID, "Alex Rivera Photography", "Photographer", all_tasks, seed.IG_PHOTO_ID),
        (seed.PAGE_BAKERY_ID, "Rivera Family Bakery", "Bakery", ("ADVERTISE", "ANALYZE", "CREATE_CONTENT"), None),
    ]  # fmt: skip
    for page in pages:
        stored = sandbox.state.auth.tokens[page.access_token]
        assert (stored.kind, stored.page_id, stored.source) == ("PAGE", page.id, token)
    assert records[0].params["fields"] == graph.PAGE_FIELDS


def test_list_pages_when_only_one_page_was_granted(sandbox):
    token = sandbox.state.grant(
        user_id=seed.ALEX_ID, scopes=["pages_show_list"], page_ids=[seed.PAGE_BAKERY_ID]
    ).value

    pages = graph.list_pages(access_token=token)

    assert [(p.id, p.instagram_business_account_id) for p in pages] == [(seed.PAGE_BAKERY_ID, None)]


def test_get_instagram_account(sandbox, token):
    info = graph.get_instagram_account(access_token=token, ig_user_id=seed.IG_COFFEE_ID)

    assert info == InstagramInfo(
        id=seed.IG_COFFEE_ID,
        username="riveracoffee",
        name="Rivera Coffee Roasters",
        profile_picture_url=f"{sandbox.url}/_sandbox/media/profile/{seed.IG_COFFEE_ID}.png",
        followers_count=24310,
    )


def test_list_ad_accounts_with_their_statuses(token):
    accounts = graph.list_ad_accounts(access_token=token)

    assert accounts == [
        AdAccountInfo(seed.ACT_COFFEE_US, "1029384756102938", "Rivera Coffee — US", 1, "USD", "America/Los_Angeles", 0, "Rivera Ventures LLC"),
        AdAccountInfo(seed.ACT_PHOTO_EU, "2038475610293847", "Rivera Photo — EU", 2, "EUR", "Europe/Berlin", 3, ""),
        AdAccountInfo(seed.ACT_BAKERY_UK, "3047561029384756", "Rivera Bakery — UK", 3, "GBP", "Europe/London", 0, "Rivera Ventures LLC"),
    ]  # fmt: skip
    assert [(a.status_label, a.is_active) for a in accounts] == [
        ("Active", True),
        ("Disabled", False),
        ("Unsettled", False),
    ]


def test_ad_account_status_labels_cover_the_documented_table():
    assert graph.AD_ACCOUNT_STATUS_LABELS == {
        1: "Active",
        2: "Disabled",
        3: "Unsettled",
        7: "Pending risk review",
        8: "Pending settlement",
        9: "In grace period",
        100: "Pending closure",
        101: "Closed",
        201: "Any active",
        202: "Any closed",
    }


# --- secrets stay secret ----------------------------------------------------------------------


def test_no_secret_reaches_logs_records_or_errors(sandbox, token, records, caplog, settings):
    caplog.set_level(logging.DEBUG)
    client = GraphClient(token, on_call=records.append, timeout=(2.0, 0.2))
    errors: list[GraphError] = []

    def expect_error(call, *args, **kwargs):
        with pytest.raises(GraphError) as caught:
            call(*args, **kwargs)
        errors.append(caught.value)

    code = _mint_code(sandbox)
    short = graph.exchange_code(code=code, redirect_uri=REDIRECT_URI, on_call=records.append)
    expect_error(graph.exchange_code, code=code, redirect_uri=REDIRECT_URI)
    pages = graph.list_pages(access_token=token, on_call=records.append)
    graph.debug_token(input_token=token, on_call=records.append)
    client.batch([BatchRequest("GET", "me/accounts?fields=access_token")])
    sandbox.state.add_fault(path="/me", drop=True)
    client.get("/me")
    sandbox.state.add_fault(path="/oauth/access_token", latency_ms=600)
    expect_error(graph.GraphClient(token, timeout=(2.0, 0.2)).post, "/oauth/access_token")
    sandbox.state.add_fault(path="/me", error={"code": 2}, times=None)
    expect_error(client.get, "/me")
    sandbox.state.clear_faults()
    sandbox.state.expire_tokens(access_token=token)
    expect_error(client.get, "/me")
    settings.META_GRAPH_URL = "http://127.0.0.1:9"  # discard port: connection refused
    expect_error(GraphClient(token, on_call=records.append, max_retries=0).get, "/me")
    deadline = time.monotonic() + 5  # the timed-out POST is answered (and logged) late
    while not any(entry[:2] == ("POST", "/oauth/access_token") for entry in logged(sandbox)):
        assert time.monotonic() < deadline
        time.sleep(0.01)

    secrets = {
        "user token": token,
        "short token": short.token,
        "page token": pages[0].access_token,
        "proof": graph.appsecret_proof(token, settings.META_APP_SECRET),
        "app secret": settings.META_APP_SECRET,
        "code": code,
    }
    haystacks = {
        "logs": caplog.text,
        "records": repr(records),
        "errors": "\n".join(f"{e}\n{e!r}\n{e.__cause__}\n{e.__cause__!r}" for e in errors),
        "tracebacks": "\n".join("".join(traceback.format_exception(e)) for e in errors),
        "reprs": repr([short, *pages, client]),
    }
    leaks = [
        (where, name)
        for where, text in haystacks.items()
        for name, secret in secrets.items()
        if secret in text
    ]
    assert leaks == []
    assert len(errors) == 5
    assert {r.params.get("access_token") for r in records} == {None, "[redacted]"}


def test_a_token_cut_by_the_excerpt_limit_is_not_left_behind():
    # A batch answer: each item's body is JSON inside a string, so only the bare-token
    # pattern finds the tokens, and it needs 16 characters after "EAA". Shifting the body
    # moves the 4,000-character cut across every position of a token.
    token = "EAA" + "Zz9" * 60
    item = {"code": 200, "body": json.dumps({"access_token": token})}
    for shift in range(240):
        excerpt = graph._excerpt("x" * shift + json.dumps([item] * 60))

        assert len(excerpt) <= graph.EXCERPT_LIMIT
        assert token[:5] not in excerpt, shift
        assert excerpt.count("[redacted]") >= 15  # every token within the first 4,000 characters


def test_reprs_do_not_show_tokens():
    secret = "EAAsecretsecretsecretsecret"

    assert repr(AccessToken(token=secret, expires_in=60)) == "AccessToken(expires_in=60)"
    page = PageInfo("1", "Page", "Shop", ("MANAGE",), secret, None)
    assert secret not in repr(page)
    assert secret not in repr(GraphClient(secret))


def test_graph_error_survives_pickling():
    error = GraphError(
        "(#4) Application request limit reached",
        code=4,
        http_status=400,
        fbtrace_id="Atrace",
        retry_after=60.0,
    )

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object

    assert (copy.code, copy.kind, copy.retry_after, copy.fbtrace_id, str(copy)) == (
        4,
        ErrorKind.THROTTLED,
        60.0,
        "Atrace",
        str(error),
    )


# --- classification and usage headers (pure functions) ----------------------------------------


@pytest.mark.parametrize(
    ("code", "subcode", "http_status", "is_transient", "kind"),
    [
        (None, None, None, None, ErrorKind.TRANSIENT),  # network failure
        (None, None, 502, None, ErrorKind.TRANSIENT),  # proxy error page
        (None, None, 404, None, ErrorKind.INVALID),
        (1, None, 500, True, ErrorKind.TRANSIENT),
        (2, None, 503, True, ErrorKind.TRANSIENT),
        (1, None, 400, False, ErrorKind.INVALID),  # "Error validating client secret."
        (1, 99, 500, False, ErrorKind.INVALID),  # Meta's is_transient decides for codes 1 and 2
        (2, 1504044, 400, False, ErrorKind.INVALID),
        (2, None, 400, True, ErrorKind.TRANSIENT),
        (1, None, 500, None, ErrorKind.TRANSIENT),
        (4, None, 400, True, ErrorKind.THROTTLED),
        (17, 2446079, 400, True, ErrorKind.THROTTLED),
        (32, None, 400, True, ErrorKind.THROTTLED),
        (341, None, 400, True, ErrorKind.THROTTLED),
        (613, 1487742, 400, True, ErrorKind.THROTTLED),
        (80000, None, 400, True, ErrorKind.THROTTLED),
        (80014, None, 400, True, ErrorKind.THROTTLED),
        (80015, None, 400, None, ErrorKind.INVALID),
        (9, 2207042, 400, False, ErrorKind.QUOTA),
        (9, None, 400, False, ErrorKind.QUOTA),
        (4, 2207042, 400, False, ErrorKind.QUOTA),  # the IG subcode decides whatever the code
        (4, 2207051, 400, False, ErrorKind.INVALID),  # spam block: don't loop
        (190, None, 400, False, ErrorKind.AUTH),
        (190, 463, 400, False, ErrorKind.AUTH),
        (102, None, 400, False, ErrorKind.AUTH),
        (100, 458, 400, False, ErrorKind.AUTH),  # token subcodes decide whatever the code
        (3, None, 400, False, ErrorKind.PERMISSION),
        (10, None, 403, False, ErrorKind.PERMISSION),
        (10, 2018278, 403, False, ErrorKind.PERMISSION),
        (200, None, 403, False, ErrorKind.PERMISSION),
        (299, None, 403, False, ErrorKind.PERMISSION),
        (100, None, 400, False, ErrorKind.INVALID),
        (100, 33, 400, False, ErrorKind.INVALID),
        (368, None, 400, False, ErrorKind.INVALID),
        (506, None, 400, False, ErrorKind.INVALID),
        (2500, None, 400, False, ErrorKind.INVALID),
        (-2, 2207003, 400, None, ErrorKind.TRANSIENT),
        (-2, 2207020, 400, None, ErrorKind.INVALID),
        (-1, 2207001, 400, None, ErrorKind.TRANSIENT),
        (24, 2207008, 400, None, ErrorKind.TRANSIENT),
        (9007, 2207027, 400, None, ErrorKind.TRANSIENT),
        (1, 2207057, 400, None, ErrorKind.INVALID),
        (352, 2207026, 400, None, ErrorKind.INVALID),
        (9004, 2207052, 400, None, ErrorKind.INVALID),
        (36000, 2207004, 400, None, ErrorKind.INVALID),
        (12345, None, 400, True, ErrorKind.TRANSIENT),  # Meta's own is_transient flag
        (12345, None, 500, None, ErrorKind.TRANSIENT),
        (12345, None, 400, None, ErrorKind.INVALID),
    ],
)
def test_classify(code, subcode, http_status, is_transient, kind):
    assert (
        graph.classify(
            code=code, subcode=subcode, http_status=http_status, is_transient=is_transient
        )
        is kind
    )


# Meta's daily quota, as Graph sends it: 9 alone, 9/2207042, and 2207042 with another code.
QUOTA_ERRORS = [(9, None), (9, 2207042), (4, 2207042), (-1, 2207042)]
# Meta's rate limits: app, user, Page, application, ad account, business use case.
RATE_LIMIT_CODES = [4, 17, 32, 341, 613, *range(80000, 80015)]


@pytest.mark.parametrize(("code", "subcode"), QUOTA_ERRORS)
def test_each_daily_quota_error_is_recognised_by_kind(code, subcode):
    error = GraphError("Application request limit reached", code=code, subcode=subcode)

    assert (error.kind, error.is_quota, error.is_throttled) == (ErrorKind.QUOTA, True, False)
    assert error.is_retryable  # later, when the window frees up; never within seconds


@pytest.mark.parametrize("code", RATE_LIMIT_CODES)
def test_a_rate_limit_is_throttled_not_a_quota(code):
    error = GraphError("Calls to this api have exceeded the rate limit.", code=code)

    assert (error.kind, error.is_quota, error.is_throttled) == (ErrorKind.THROTTLED, False, True)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({}, None),
        ({"X-App-Usage": '{"call_count":99,"total_cputime":1,"total_time":1}'}, None),
        ({"X-App-Usage": '{"call_count":100,"total_cputime":1,"total_time":1}'}, 300.0),
        ({"X-Page-Usage": '{"call_count":5,"total_cputime":100,"total_time":1}'}, 300.0),
        ({"X-Business-Use-Case-Usage": '{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":3}]}'}, 180.0),
        ({"X-Business-Use-Case-Usage": '{"1":[{"type":"pages","estimated_time_to_regain_access":1}],"2":[{"type":"instagram","estimated_time_to_regain_access":4}]}'}, 240.0),
        ({"X-Business-Use-Case-Usage": '{"1":[{"type":"ads_management","call_count":100,"estimated_time_to_regain_access":0}]}'}, 300.0),
        ({"X-Ad-Account-Usage": '{"acc_id_util_pct":100,"reset_time_duration":20}'}, 20.0),
        ({"X-Ad-Account-Usage": '{"acc_id_util_pct":12.5,"reset_time_duration":0}'}, None),
        ({"Retry-After": "7"}, 7.0),
        ({"X-App-Usage": "not json", "X-Business-Use-Case-Usage": "[]"}, None),
        ({"X-Ad-Account-Usage": '{"reset_time_duration":20}', "Retry-After": "90"}, 90.0),
    ],
)  # fmt: skip
def test_throttle_wait_reads_the_usage_headers(headers, wait):
    assert graph.throttle_wait(headers) == wait
