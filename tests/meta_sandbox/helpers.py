"""Helpers for the meta_sandbox tests: a Graph client over `requests`, Meta's constants."""

import hashlib
import hmac
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from meta_sandbox import config, seed
from meta_sandbox.testing import RunningSandbox
from tests.media_samples import make_image, make_video

APP_ID = config.DEFAULT_APP_ID
APP_SECRET = config.DEFAULT_APP_SECRET
APP_TOKEN = f"{APP_ID}|{APP_SECRET}"
REDIRECT_URI = "http://127.0.0.1:9/meta/oauth/callback/"
_CHECKED = re.compile(r'<input type="checkbox" id="[^"]*" name="([^"]+)" value="([^"]+)" checked>')
ALL_SCOPES = [
    "pages_show_list",
    "pages_read_engagement",
    "instagram_basic",
    "instagram_content_publish",
    "ads_read",
    "ads_management",
]


def proof(token: str) -> str:
    return hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


class Graph:
    """A thin requests wrapper: version prefix, token and appsecret_proof filled in."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.base = sandbox.graph_url
        self.session = requests.Session()

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        with_proof: bool = True,
        **params: str,
    ) -> requests.Response:
        if token is not None:
            params.setdefault("access_token", token)
            if with_proof:
                params.setdefault("appsecret_proof", proof(token))
        if method == "POST":
            return self.session.post(self.base + path, data=params, timeout=10)
        return self.session.request(method, self.base + path, params=params, timeout=10)

    def get(self, path: str, token: str | None = None, **params: str) -> requests.Response:
        return self.request("GET", path, token, **params)

    def sandbox_post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.session.post(f"{self.sandbox.url}/_sandbox{path}", json=body or {}, timeout=10)

    def dialog_params(self, scopes: list[str], **extra: str) -> dict[str, str]:
        return {
            "client_id": APP_ID,
            "redirect_uri": REDIRECT_URI,
            "state": "st-123",
            "scope": ",".join(scopes),
            "response_type": "code",
            **extra,
        }

    def checked_boxes(self, params: dict[str, str]) -> dict[str, list[str]]:
        """Return the dialog's ticked checkboxes by name, as a browser would submit them."""
        html = self.session.get(f"{self.base}/dialog/oauth", params=params, timeout=10).text
        boxes: dict[str, list[str]] = {}
        for name, value in _CHECKED.findall(html):
            boxes.setdefault(name, []).append(value)
        return boxes

    def consent(
        self,
        *,
        user: str = seed.ALEX_ID,
        scopes: list[str] | None = None,
        ticked: list[str] | None = None,
        action: str = "allow",
        assets: dict[str, list[str]] | None = None,
        **extra: str,
    ) -> requests.Response:
        """Submit the dialog like a browser: defaults ticked, then `ticked`/`assets` applied."""
        params = self.dialog_params(ALL_SCOPES if scopes is None else scopes, **extra)
        form: dict[str, list[str] | str] = {**self.checked_boxes({**params, "user": user})}
        if ticked is not None:
            form["scope"] = ticked
        form.update(assets or {})
        form.update(user=user, action=action)
        return self.session.post(
            f"{self.base}/dialog/oauth", params=params, data=form, allow_redirects=False, timeout=10
        )

    def exchange(self, code: str, **overrides: str) -> requests.Response:
        params = {
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "redirect_uri": REDIRECT_URI,
            "code": code,
            **overrides,
        }
        return self.session.get(f"{self.base}/oauth/access_token", params=params, timeout=10)

    def login(self, **consent: object) -> str:
        """Run dialog + code exchange; return the short-lived user token."""
        location = self.consent(**consent).headers["Location"]  # type: ignore[arg-type]
        return self.exchange(query_of(location)["code"][0]).json()["access_token"]

    def long_lived(self, token: str) -> str:
        params = {
            "grant_type": "fb_exchange_token",
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "fb_exchange_token": token,
        }
        response = self.session.get(f"{self.base}/oauth/access_token", params=params, timeout=10)
        return response.json()["access_token"]


def assert_error(
    response: requests.Response, status: int, code: int, subcode: int | None = None
) -> dict:
    """Check Meta's envelope and return its `error` object."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error.get("error_subcode") == subcode
    assert error["fbtrace_id"]
    assert isinstance(error["is_transient"], bool)
    return error


# --- publishing tests: tokens, the test API's object list, a local media server ------------


def grant_token(graph: Graph, *, user: str = seed.ALEX_ID, scopes: list[str]) -> str:
    """Return a long-lived user token through the test API (no dialog)."""
    response = graph.sandbox_post("/tokens", {"user_id": user, "scopes": scopes})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def page_token(graph: Graph, user_token: str, page_id: str) -> str:
    response = graph.get(f"/{page_id}", user_token, fields="access_token")
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def created(graph: Graph, **filters: str) -> list[dict]:
    """Return the objects the sandbox recorded as created (GET /_sandbox/objects)."""
    response = graph.session.get(
        f"{graph.sandbox.url}/_sandbox/objects", params=filters, timeout=10
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["data"])
    return body["data"]


def advance(graph: Graph, seconds: float) -> None:
    response = graph.sandbox_post("/clock", {"advance_seconds": seconds})
    assert response.status_code == 200, response.text


def set_settings(graph: Graph, **values: object) -> None:
    response = graph.sandbox_post("/settings", values)
    assert response.status_code == 200, response.text


def fault(graph: Graph, **spec: object) -> str:
    response = graph.sandbox_post("/faults", spec)
    assert response.status_code == 200, response.text
    return response.json()["id"]


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


class MediaServer:
    """Serve the files of one folder on 127.0.0.1, for the sandbox to download."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = partial(_QuietFiles, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def make_samples(root: Path) -> dict[str, Path]:
    """Write the sample images and videos the publishing tests serve; return them by name."""
    samples = {
        "square.jpg": make_image(root / "square.jpg", width=1080, height=1080),
        "portrait.jpg": make_image(root / "portrait.jpg", width=1080, height=1350),
        "tall.jpg": make_image(root / "tall.jpg", width=1080, height=1920),
        "square.png": make_image(root / "square.png", width=1080, height=1080, fmt="PNG"),
        "reel.mp4": make_video(root / "reel.mp4", width=540, height=960, seconds=4),
        "silent.mp4": make_video(
            root / "silent.mp4", width=540, height=960, seconds=4, audio=False
        ),
        "short.mp4": make_video(root / "short.mp4", width=540, height=960, seconds=1, audio=False),
    }
    huge = root / "huge.jpg"
    huge.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * (8 * 1024 * 1024))
    garbage = root / "garbage.mp4"
    garbage.write_bytes(b"this is not a video " * 100)
    tiny = root / "tiny.mp4"
    tiny.write_bytes(b"\0\0\0\x08free")
    samples.update({"huge.jpg": huge, "garbage.mp4": garbage, "tiny.mp4": tiny})
    return samples
