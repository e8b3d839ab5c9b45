"""appsecret_proof: right, wrong, missing (GRAPH_NOTES §1.6)."""

from meta_sandbox import seed
from meta_sandbox.auth import appsecret_proof
from tests.meta_sandbox.helpers import assert_error, proof


def test_meta_test_vector():
    assert appsecret_proof("app_secret", "access_token") == (
        "d52ddf968d622d8af8677906b7fbae09ac1f89f7cd5c1584b27544624cc23e5a"
    )


def test_right_proof_is_accepted(graph):
    token = graph.login()

    response = graph.get("/me", token, appsecret_proof=proof(token))

    assert response.status_code == 200


def test_wrong_proof_is_refused(graph):
    token = graph.login()

    response = graph.get("/me", token, appsecret_proof=proof(token + "x"))

    error = assert_error(response, 400, 100)
    assert error["message"] == "Invalid appsecret_proof provided in the API argument"
    assert error["type"] == "GraphMethodException"


def test_missing_proof_is_refused_while_required(graph):
    token = graph.login()

    response = graph.request("GET", "/me", token, with_proof=False)

    error = assert_error(response, 400, 100)
    assert error["message"] == "API calls from the server require an appsecret_proof argument"
    assert error["type"] == "GraphMethodException"


def test_missing_proof_is_accepted_when_not_required(graph):
    token = graph.login()
    settings = graph.sandbox_post("/settings", {"require_appsecret_proof": False})

    response = graph.request("GET", "/me", token, with_proof=False)

    assert settings.json()["require_appsecret_proof"] is False
    assert response.json() == {"name": "Alex Rivera", "id": seed.ALEX_ID}


def test_wrong_proof_is_refused_even_when_not_required(graph):
    token = graph.login()
    graph.sandbox_post("/settings", {"require_appsecret_proof": False})

    assert_error(graph.get("/me", token, appsecret_proof="00"), 400, 100)


def test_expired_token_is_reported_before_the_proof(graph):
    token = graph.login()
    graph.sandbox_post("/tokens/expire", {"access_token": token})

    assert_error(graph.get("/me", token, appsecret_proof="00"), 400, 190, 463)
