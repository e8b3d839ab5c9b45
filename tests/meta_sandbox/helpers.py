"""Helpers for the meta_sandbox tests: a Graph client over `requests`, Meta's constants."""

import hashlib
import hmac
import re
from urllib.parse import parse_qs, urlsplit

import requests

from meta_sandbox import config, seed
from meta_sandbox.testing import RunningSandbox

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
