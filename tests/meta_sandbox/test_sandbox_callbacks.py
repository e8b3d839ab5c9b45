"""Meta's privacy callbacks sent by the sandbox: signing, reply checks, deauthorization,
the test API and the console form (GRAPH_NOTES §8)."""

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock
from urllib.parse import parse_qs

import pytest

from meta_sandbox import callbacks, config, seed
from meta_sandbox.callbacks import CallbackRefused, send_callback, sign_signed_request
from tests.meta_sandbox.helpers import APP_SECRET, assert_error

VECTOR_PAYLOAD = '{"user_id":"0","algorithm":"HMAC-SHA256","issued_at":1624244156}'
VECTOR = (
    "Mf_s6nTb38UYqioBmPqu0Ewm9souPZB9I2fIGwV729U."
    "eyJ1c2VyX2lkIjoiMCIsImFsZ29yaXRobSI6IkhNQUMtU0hBMjU2IiwiaXNzdWVkX2F0IjoxNjI0MjQ0MTU2fQ"
)
DOC_VECTOR = (
    "V9m-jvVi1h5IO8u7DwhRd0PXRy_0cIMG0abzgvMcIYg."
    "eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImV4cGlyZXMiOjEyOTE4NDA0MDAsImlzc3VlZF9hdCI6MTI5MTgzNjgwMCwidXNlcl9pZCI6IjIxODQ3MSJ9"
)
GOOD_REPLY = (
    200,
    "application/json",
    b'{"url":"http://127.0.0.1:8000/privacy/deletion/?code=abc123","confirmation_code":"abc123"}',
)


def _decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def verify(signed: str, secret: str) -> dict:
    """Parse a signed_request like the app should (§8.3)."""
    encoded_sig, payload = signed.split(".", 1)
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(_decode(encoded_sig), expected)
    assert "=" not in signed
    return json.loads(_decode(payload))


@dataclass
class AppStub:
    """A tiny app on 127.0.0.1 that records callbacks and answers with `reply`."""

    url: str
    reply: tuple[int, str, bytes] = GOOD_REPLY
    received: list[dict] = field(default_factory=list)


@pytest.fixture
def app_stub() -> Iterator[AppStub]:
    stub = AppStub(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            stub.received.append(
                {
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "form": parse_qs(body),
                }
            )
            status, content_type, payload = stub.reply
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/privacy/meta/data-deletion/"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _send(stub: AppStub, kind: str = "data_deletion", user_id: str = seed.ALEX_ID):
    return send_callback(kind=kind, url=stub.url, user_id=user_id, app_secret=APP_SECRET)


# --- signing --------------------------------------------------------------------------


def test_signing_matches_the_fixture_vector_for_a_serialized_payload():
    assert sign_signed_request(VECTOR_PAYLOAD, "key") == VECTOR


def test_signing_a_dict_keeps_key_order_and_compact_json():
    payload = json.loads(VECTOR_PAYLOAD)
    assert sign_signed_request(payload, "key") == VECTOR


def test_signing_matches_the_doc_sample_vector():
    payload = {
        "algorithm": "HMAC-SHA256",
        "expires": 1291840400,
        "issued_at": 1291836800,
        "user_id": "218471",
    }
    assert sign_signed_request(payload, "app_secret") == DOC_VECTOR


# --- sending and checking replies -------------------------------------------------------


def test_data_deletion_request_is_signed_form_post_and_good_reply_is_ok(app_stub):
    result = _send(app_stub)

    assert result.ok, result.problems
    assert result.status_code == 200
    assert result.problems == []
    assert result.confirmation_code == "abc123"
    assert result.status_url == "http://127.0.0.1:8000/privacy/deletion/?code=abc123"
    assert "confirmation_code" in result.body_excerpt
    [received] = app_stub.received
    assert received["path"] == "/privacy/meta/data-deletion/"
    assert received["content_type"] == "application/x-www-form-urlencoded"
    assert list(received["form"]) == ["signed_request"]
    payload = verify(received["form"]["signed_request"][0], APP_SECRET)
    assert list(payload) == ["algorithm", "expires", "issued_at", "user_id"]
    assert payload["algorithm"] == "HMAC-SHA256"
    assert payload["user_id"] == seed.ALEX_ID
    assert payload["expires"] - payload["issued_at"] == 3600


def test_deauthorize_payload_has_no_expires_and_any_2xx_is_ok(app_stub):
    app_stub.reply = (204, "text/plain", b"")

    result = _send(app_stub, kind="deauthorize")

    assert result.ok
    assert result.status_code == 204
    assert result.confirmation_code is None
    payload = verify(app_stub.received[0]["form"]["signed_request"][0], APP_SECRET)
    assert list(payload) == ["algorithm", "issued_at", "user_id"]


def test_deauthorize_error_status_is_not_ok(app_stub):
    app_stub.reply = (403, "text/html", b"<h1>CSRF verification failed</h1>")

    result = _send(app_stub, kind="deauthorize")

    assert not result.ok
    assert result.problems == ["HTTP status 403, expected 2xx"]
    assert "CSRF" in result.body_excerpt


def test_js_object_literal_reply_is_not_strict_json(app_stub):
    app_stub.reply = (
        200,
        "application/json",
        b"{ url: 'http://127.0.0.1:8000/s/', confirmation_code: 'abc123' }",
    )

    result = _send(app_stub)

    assert not result.ok
    assert len(result.problems) == 1
    assert result.problems[0].startswith("body is not strict JSON")
    assert result.confirmation_code is None


def test_html_reply_lists_content_type_and_body_problems(app_stub):
    app_stub.reply = (200, "text/html; charset=utf-8", b"<html><body>Thanks</body></html>")

    result = _send(app_stub)

    assert not result.ok
    assert len(result.problems) == 2
    assert "Content-Type is 'text/html; charset=utf-8'" in result.problems[0]
    assert result.problems[1].startswith("body is not strict JSON")


def test_server_error_reply_is_not_ok(app_stub):
    app_stub.reply = (500, "text/html", b"Server Error (500)")

    result = _send(app_stub)

    assert not result.ok
    assert result.status_code == 500
    assert result.problems[0] == "HTTP status 500, expected 200"
    assert result.body_excerpt == "Server Error (500)"


def test_missing_code_and_bad_url_are_each_reported(app_stub):
    app_stub.reply = (200, "application/json; charset=utf-8", b'{"url":"/privacy/status/"}')

    result = _send(app_stub)

    assert not result.ok
    assert result.problems == [
        "url '/privacy/status/' is not an absolute http(s) URL",
        "missing confirmation_code",
    ]


def test_non_alphanumeric_code_extra_keys_and_nan_are_problems(app_stub):
    app_stub.reply = (
        200,
        "application/json",
        b'{"url":"https://127.0.0.1/s/","confirmation_code":"ab-12","status":"pending"}',
    )
    result = _send(app_stub)
    assert result.problems == [
        "unexpected keys ['status']; expected exactly url and confirmation_code",
        "confirmation_code 'ab-12' must be non-empty and alphanumeric",
    ]
    assert result.status_url == "https://127.0.0.1/s/"

    app_stub.reply = (200, "application/json", b'{"url":NaN,"confirmation_code":"a1"}')
    assert _send(app_stub).problems[0].startswith("body is not strict JSON")

    app_stub.reply = (200, "application/json", b'["http://127.0.0.1/", "a1"]')
    assert _send(app_stub).problems == ["body is JSON list, expected an object"]


def test_redirect_is_reported_not_followed(app_stub):
    app_stub.reply = (302, "text/html", b"")

    result = _send(app_stub, kind="deauthorize")

    assert result.status_code == 302
    assert not result.ok
    assert len(app_stub.received) == 1


def test_connection_failure_is_a_problem_not_an_exception():
    result = send_callback(  # port 9 (discard): nothing listens on loopback
        kind="deauthorize",
        url="http://127.0.0.1:9/cb/",
        user_id="1",
        app_secret=APP_SECRET,
        timeout=2,
    )

    assert not result.ok
    assert result.status_code is None
    assert result.problems[0].startswith("no HTTP answer")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/privacy/meta/data-deletion/",
        "https://10.0.0.1/cb/",
        "http://[2001:db8::1]/cb/",
        "http://127.0.0.1.example.com/cb/",
        "ftp://127.0.0.1/cb/",
        "/privacy/meta/data-deletion/",
        "",
    ],
)
def test_non_loopback_urls_are_refused_without_connecting(url):
    with (
        mock.patch.object(callbacks, "_post") as post,
        mock.patch("socket.create_connection") as connect,
        pytest.raises(CallbackRefused),
    ):
        send_callback(kind="data_deletion", url=url, user_id="1", app_secret=APP_SECRET)
    post.assert_not_called()
    connect.assert_not_called()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/cb/",
        "http://127.1.2.3/cb/",
        "http://[::1]:8000/cb/",
        "http://LOCALHOST/cb/",
    ],
)
def test_loopback_urls_are_accepted(url):
    callbacks.check_callback("deauthorize", url)


def test_unknown_kind_is_refused():
    with pytest.raises(CallbackRefused):
        send_callback(kind="uninstall", url="http://127.0.0.1/", user_id="1", app_secret=APP_SECRET)


# --- the sandbox side: deauthorization, log, test API, console ----------------------------


@pytest.mark.parametrize("kind", ["data_deletion", "deauthorize"])
def test_callback_removes_the_app_for_that_person_only(graph, sandbox, app_stub, kind):
    alex = graph.login()
    alex_page = graph.get("/me/accounts", alex).json()["data"][0]["access_token"]
    sam = graph.login(user=seed.SAM_ID)

    response = graph.sandbox_post(
        "/callbacks", {"kind": kind, "url": app_stub.url, "user_id": seed.ALEX_ID}
    )

    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True
    assert_error(graph.get("/me", alex), 400, 190, 458)
    assert_error(graph.get(f"/{seed.PAGE_COFFEE_ID}", alex_page), 400, 190, 458)
    assert graph.get("/me", sam).status_code == 200
    auths = {a["user_id"]: a["active"] for a in sandbox.state.snapshot()["authorizations"]}
    assert auths == {seed.ALEX_ID: False, seed.SAM_ID: True}


def test_api_returns_the_result_and_logs_it_in_state(graph, sandbox, app_stub):
    app_stub.reply = (200, "text/html", b"<p>ok</p>")

    body = graph.sandbox_post(
        "/callbacks", {"kind": "data_deletion", "url": app_stub.url, "user_id": seed.SAM_ID}
    ).json()

    assert body["kind"] == "data_deletion"
    assert body["url"] == app_stub.url
    assert body["user_id"] == seed.SAM_ID
    assert body["status_code"] == 200
    assert body["ok"] is False
    assert body["confirmation_code"] is None
    assert body["status_url"] is None
    assert len(body["problems"]) == 2
    assert body["body_excerpt"] == "<p>ok</p>"
    state = graph.session.get(f"{sandbox.url}/_sandbox/state").json()
    assert state["callbacks"] == [body]
    listed = graph.session.get(f"{sandbox.url}/_sandbox/callbacks").json()
    assert listed == {"data": [body]}


def test_callback_log_is_capped_and_cleared_by_reset(sandbox, app_stub):
    state = sandbox.state
    for _ in range(config.CALLBACK_LOG_SIZE + 3):
        state.callbacks.append(callbacks.CallbackResult("deauthorize", app_stub.url, 200, True, ""))
    assert len(state.snapshot()["callbacks"]) == config.CALLBACK_LOG_SIZE

    state.reset()

    assert state.snapshot()["callbacks"] == []


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            {"kind": "uninstall", "url": "http://127.0.0.1:9/", "user_id": seed.ALEX_ID},
            "unknown kind",
        ),
        ({"kind": "data_deletion", "user_id": seed.ALEX_ID}, "Missing url parameter"),
        (
            {"kind": "data_deletion", "url": "https://example.com/cb/", "user_id": seed.ALEX_ID},
            "loopback",
        ),
        (
            {"kind": "data_deletion", "url": "http://127.0.0.1:9/", "user_id": "42"},
            "unknown user_id",
        ),
        ({"url": "http://127.0.0.1:9/", "user_id": seed.ALEX_ID}, "Missing kind parameter"),
    ],
)
def test_api_rejects_bad_input_with_meta_envelope(graph, sandbox, body, needle):
    token = graph.login()

    response = graph.sandbox_post("/callbacks", body)

    error = assert_error(response, 400, 100)
    assert needle in error["message"]
    assert graph.get("/me", token).status_code == 200  # nothing was changed
    assert sandbox.state.snapshot()["callbacks"] == []


def test_console_shows_the_form_and_results(graph, sandbox, app_stub):
    html = graph.session.get(f"{sandbox.url}/_sandbox/").text
    assert "Privacy callbacks" in html
    assert 'action="/_sandbox/callbacks"' in html
    assert config.DATA_DELETION_CALLBACK_URL in html
    assert config.DEAUTHORIZE_CALLBACK_URL in html
    assert f'<option value="{seed.JORDAN_ID}">' in html
    assert "No callbacks sent yet." in html

    form = {"kind": "data_deletion", "user_id": seed.JORDAN_ID, "url": app_stub.url}
    response = graph.session.post(
        f"{sandbox.url}/_sandbox/callbacks", data=form, allow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/_sandbox/")
    html = graph.session.get(f"{sandbox.url}/_sandbox/").text
    assert "abc123" in html
    assert '<a href="http://127.0.0.1:8000/privacy/deletion/?code=abc123">' in html
    assert "200 · ok" in html


def test_console_shows_problems(graph, sandbox, app_stub):
    app_stub.reply = (500, "text/html", b"boom")
    form = {"kind": "data_deletion", "user_id": seed.ALEX_ID, "url": app_stub.url}

    graph.session.post(f"{sandbox.url}/_sandbox/callbacks", data=form, allow_redirects=False)

    html = graph.session.get(f"{sandbox.url}/_sandbox/").text
    assert "500 · not ok" in html
    assert "HTTP status 500, expected 200" in html
