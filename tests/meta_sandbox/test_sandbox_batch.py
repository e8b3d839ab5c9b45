"""Batch requests (GRAPH_NOTES §6.1)."""

import json

from meta_sandbox import seed
from tests.meta_sandbox.helpers import assert_error


def _batch(graph, token, items, **extra):
    return graph.request("POST", "/", token, batch=json.dumps(items), **extra)


def test_batch_answers_in_order_with_per_item_codes(graph):
    token = graph.login()
    items = [
        {"method": "GET", "relative_url": "me?fields=id,name"},
        {"method": "GET", "relative_url": "999999"},
        {"method": "GET", "relative_url": f"v24.0/{seed.PAGE_BAKERY_ID}?fields=name"},
    ]

    response = _batch(graph, token, items)

    assert response.status_code == 200
    first, second, third = response.json()
    assert first["code"] == 200
    assert json.loads(first["body"]) == {"id": seed.ALEX_ID, "name": "Alex Rivera"}
    assert {"name": "Content-Type", "value": "application/json; charset=UTF-8"} in first["headers"]
    assert second["code"] == 400
    error = json.loads(second["body"])["error"]
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert json.loads(third["body"]) == {"name": "Rivera Family Bakery", "id": seed.PAGE_BAKERY_ID}


def test_batch_of_fifty_is_accepted(graph):
    token = graph.login()

    response = _batch(graph, token, [{"method": "GET", "relative_url": "me"}] * 50)

    assert response.status_code == 200
    assert [item["code"] for item in response.json()] == [200] * 50


def test_batch_of_fifty_one_is_refused(graph, sandbox):
    token = graph.login()
    logged_before = len(sandbox.state.snapshot()["requests"])

    response = _batch(graph, token, [{"method": "GET", "relative_url": "me"}] * 51)

    error = assert_error(response, 400, 100)
    assert error["message"] == "(#100) Too many requests in batch message. Maximum batch size is 50"
    logged = sandbox.state.snapshot()["requests"][logged_before:]
    assert [(e["method"], e["path"]) for e in logged] == [("POST", "/")]


def test_batch_items_are_logged_as_requests(graph, sandbox):
    token = graph.login()
    logged_before = len(sandbox.state.snapshot()["requests"])
    items = [
        {"method": "GET", "relative_url": "me"},
        {"method": "GET", "relative_url": "me/accounts"},
    ]

    _batch(graph, token, items)

    entries = sandbox.state.snapshot()["requests"][logged_before:]
    logged = [(e["method"], e["path"], e["status"]) for e in entries]
    assert logged == [("GET", "/me", 200), ("GET", "/me/accounts", 200), ("POST", "/", 200)]


def test_batch_references_and_dependencies(graph):
    token = graph.login()
    items = [
        {"method": "GET", "relative_url": "me/accounts?limit=1", "name": "pages"},
        {"method": "GET", "relative_url": "{result=pages:$.data.0.id}?fields=name"},
        {"method": "GET", "relative_url": "404404404", "name": "broken"},
        {"method": "GET", "relative_url": "me", "depends_on": "broken"},
    ]

    results = _batch(graph, token, items, include_headers="false").json()

    assert results[0] is None  # referenced, so omitted on success
    assert results[1] == {
        "code": 200,
        "body": json.dumps(
            {"name": "Rivera Coffee Roasters", "id": seed.PAGE_COFFEE_ID}, separators=(",", ":")
        ),
    }
    assert results[2]["code"] == 400
    assert results[3] is None


def test_batch_needs_a_token(graph):
    response = graph.session.post(f"{graph.base}/", data={"batch": "[]"})
    assert_error(response, 400, 104)


def test_batch_must_be_a_json_array(graph):
    token = graph.login()
    assert_error(graph.request("POST", "/", token, batch="{}"), 400, 100)
