"""Fault injection through `/_sandbox/faults`: errors, 5xx, latency, headers, drops, times."""

import json
import time

import pytest
import requests

from meta_sandbox import seed
from tests.meta_sandbox.helpers import assert_error


@pytest.fixture
def token(graph):
    return graph.login()


def _fault(graph, **spec):
    response = graph.sandbox_post("/faults", spec)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_error_fault_answers_with_meta_envelope_and_default_usage_header(graph, token):
    _fault(graph, method="GET", path="/me/accounts", error={"code": 4})

    response = graph.get("/me/accounts", token)

    error = assert_error(response, 400, 4)
    assert error["message"] == "(#4) Application request limit reached"
    assert error["is_transient"] is True
    assert error["type"] == "OAuthException"
    assert json.loads(response.headers["X-App-Usage"])["call_count"] == 100
    assert graph.get("/me/accounts", token).status_code == 200


def test_error_fault_uses_every_given_field_and_explicit_headers(graph, token):
    usage = json.dumps(
        {
            seed.PAGE_COFFEE_ID: [
                {"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}
            ]
        }
    )
    _fault(
        graph,
        path=f"/{seed.PAGE_COFFEE_ID}",
        error={
            "code": 80001,
            "error_subcode": 2446079,
            "message": "(#80001) Too many calls",
            "type": "OAuthException",
            "is_transient": True,
            "error_user_title": "Slow down",
            "error_user_msg": "Try later",
        },
        headers={"X-Business-Use-Case-Usage": usage},
    )

    response = graph.get(f"/{seed.PAGE_COFFEE_ID}", token)

    error = assert_error(response, 400, 80001, 2446079)
    assert error["message"] == "(#80001) Too many calls"
    assert error["error_user_title"] == "Slow down"
    assert error["error_user_msg"] == "Try later"
    assert response.headers["X-Business-Use-Case-Usage"] == usage


def test_expired_token_fault(graph, token):
    _fault(graph, path="/me", error={"code": 190, "error_subcode": 463})

    assert_error(graph.get("/me", token), 400, 190, 463)


@pytest.mark.parametrize(("status", "code"), [(500, 1), (503, 2)])
def test_http_5xx_fault_without_error_gets_a_transient_body(graph, token, status, code):
    _fault(graph, path="/me", http_status=status)

    error = assert_error(graph.get("/me", token), status, code)

    assert error["is_transient"] is True


def test_http_status_with_error_uses_both(graph, token):
    _fault(graph, path="/me", http_status=500, error={"code": 2})

    assert_error(graph.get("/me", token), 500, 2)


def test_latency_fault_delays_the_normal_answer(graph, token):
    _fault(graph, path="/me", latency_ms=400)

    started = time.monotonic()
    slow = graph.get("/me", token)
    slow_elapsed = time.monotonic() - started
    started = time.monotonic()
    graph.get("/me", token)
    fast_elapsed = time.monotonic() - started

    assert slow.status_code == 200
    assert slow_elapsed >= 0.4
    assert fast_elapsed < 0.4


def test_headers_only_fault_passes_through_to_the_normal_answer(graph, token):
    _fault(
        graph,
        path="/me",
        headers={"X-App-Usage": '{"call_count":95,"total_cputime":10,"total_time":12}'},
    )

    response = graph.get("/me", token)

    assert response.status_code == 200
    assert response.json() == {"name": "Alex Rivera", "id": seed.ALEX_ID}
    assert response.headers["X-App-Usage"] == '{"call_count":95,"total_cputime":10,"total_time":12}'


def test_drop_fault_closes_the_connection_without_a_response(graph, token, sandbox):
    _fault(graph, path="/me", drop=True)

    with pytest.raises(requests.ConnectionError):
        graph.get("/me", token)

    assert graph.get("/me", token).status_code == 200
    statuses = [(e["path"], e["status"]) for e in sandbox.state.snapshot()["requests"]]
    assert statuses[-2:] == [("/me", 0), ("/me", 200)]


def test_times_is_honoured(graph, token):
    _fault(graph, path="/me", error={"code": 2}, times=2)

    codes = [graph.get("/me", token).status_code for _ in range(3)]

    assert codes == [500, 500, 200]


def test_times_null_lasts_until_cleared(graph, token):
    _fault(graph, path="/me", error={"code": 17}, times=None)
    codes = [graph.get("/me", token).status_code for _ in range(4)]

    cleared = graph.session.delete(f"{graph.sandbox.url}/_sandbox/faults")

    assert codes == [400] * 4
    assert cleared.json() == {"success": True}
    assert graph.get("/me", token).status_code == 200
    assert graph.session.get(f"{graph.sandbox.url}/_sandbox/faults").json() == {"data": []}


def test_one_fault_can_be_removed_by_id(graph, token):
    fault_id = _fault(graph, path="/me", error={"code": 1}, times=None)

    removed = graph.session.delete(f"{graph.sandbox.url}/_sandbox/faults/{fault_id}")

    assert removed.json() == {"success": True}
    assert graph.get("/me", token).status_code == 200


def test_glob_stays_within_one_segment_and_method_filters(graph, token):
    _fault(graph, method="POST", path="/act_*", error={"code": 613}, times=None)
    _fault(graph, method="GET", path="/act_*", error={"code": 80004}, times=None)

    account = graph.get(f"/{seed.ACT_COFFEE_US}", token)
    edge = graph.get(f"/{seed.ACT_COFFEE_US}/nonexistent_edge", token)

    assert_error(account, 400, 80004)
    assert "X-Business-Use-Case-Usage" in account.headers
    assert edge.json()["error"]["code"] == 100


def test_faults_count_hits_and_show_in_state(graph, token):
    _fault(graph, path="/me", error={"code": 1}, times=3)
    graph.get("/me", token)

    faults = graph.session.get(f"{graph.sandbox.url}/_sandbox/state").json()["faults"]

    assert [(f["path"], f["hits"], f["times"]) for f in faults] == [("/me", 1, 3)]


def test_faults_do_not_touch_the_sandbox_api(graph):
    _fault(graph, path="/**", error={"code": 1}, times=None)

    assert graph.session.get(f"{graph.sandbox.url}/_sandbox/state").status_code == 200


def test_fault_hits_a_batch_item_by_its_own_path(graph, token):
    _fault(graph, path="/me/accounts", error={"code": 32})
    items = [
        {"method": "GET", "relative_url": "me"},
        {"method": "GET", "relative_url": "me/accounts"},
    ]

    results = graph.request("POST", "/", token, batch=json.dumps(items)).json()

    assert results[0]["code"] == 200
    assert results[1]["code"] == 400
    assert json.loads(results[1]["body"])["error"]["code"] == 32
    assert "X-Page-Usage" in {header["name"] for header in results[1]["headers"]}


def test_malformed_fault_is_refused(graph):
    response = graph.sandbox_post("/faults", {"path": "/me", "colour": "red"})

    assert response.status_code == 400
    assert "colour" in response.json()["error"]["message"]
