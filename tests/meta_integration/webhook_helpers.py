"""Meta's webhook notifications as Meta sends them: the rows they route to, their bytes, signed.

Shared by the webhook endpoint's tests (test_webhooks.py) and the inbox's (tests/inbox/meta_events.py).
"""

import hashlib
import hmac
import json

from meta_integration.models import InstagramAccount, MetaConnection, MetaPage

APP_SECRET = "test-app-secret"
PAGE_ID = "1234567890321"
IG_ID = "17841400000000001"


def connect(
    workspace, meta_user_id="10000000000000042", *, page_id=PAGE_ID, ig_id=IG_ID, selected=True
):
    """Connect ``workspace`` to a Page and its Instagram account (the rows routing reads)."""
    connection = MetaConnection.objects.create(
        workspace=workspace, meta_user_id=meta_user_id, display_name=f"User {meta_user_id}"
    )
    page = MetaPage.objects.create(
        workspace=workspace,
        connection=connection,
        page_id=page_id,
        name="Coffee Corner",
        is_selected=selected,
    )
    InstagramAccount.objects.create(
        workspace=workspace,
        connection=connection,
        page=page,
        ig_user_id=ig_id,
        username="coffeecorner",
        is_selected=selected,
    )
    return connection


def encode(document) -> bytes:
    # Meta sends ASCII-escaped JSON and signs exactly those bytes (GRAPH_NOTES §7.2).
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
