"""Meta's webhooks: the verification handshake and event notifications (GRAPH_NOTES §7).

``/meta/webhooks/`` (``views.receive_webhook``) answers Meta's GET handshake with the challenge when
``hub.verify_token`` is META_WEBHOOK_VERIFY_TOKEN, and stores each POSTed notification whose
``X-Hub-Signature-256`` is the HMAC-SHA256 of the raw body under META_APP_SECRET.

``record_webhook_events`` is the one place that writes WebhookEvent rows. It verifies before it
parses, writes every row of a notification in one transaction or none, and is idempotent: Meta
retries a delivery for up to 36 hours, and a repeat stores nothing new. It only stores; the
processing of events (``is_processed``) happens later, so Meta gets its 200 quickly: after
COMMIT it sends ``signals.webhook_events_stored`` with the new rows' ids, and the inbox queues
their processing (``inbox.ingest``).

Routing: the entry id names the account (a Page id for ``page``, an Instagram user id for
``instagram``, a Meta user id for ``user`` / ``permissions``). Each item is stored once for
every workspace that uses that account: a selected Page or IG account, or a Meta user, of a
connection that is not disconnected or revoked. An item no workspace uses is stored once with
no workspace and an empty payload: enough to diagnose a subscription, and nothing of the
strangers' comments or messages nobody here may process.
"""

import hashlib
import hmac
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare

from meta_integration import signals
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage, WebhookEvent

logger = logging.getLogger(__name__)

# Meta batches up to 1,000 updates per POST (GRAPH_NOTES §7.2); those fit well under 1 MB.
MAX_BODY_BYTES = 1024 * 1024
# Meta's challenge is a random integer; anything longer or odder is not Meta's.
_CHALLENGE = re.compile(r"[\x21-\x7e]{1,200}")
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
MAX_ID_LENGTH = 64
# Connections whose assets still route events; a revoked or disconnected one receives none.
_ROUTING_STATUSES = [
    MetaConnection.Status.ACTIVE,
    MetaConnection.Status.EXPIRING,
    MetaConnection.Status.NEEDS_REAUTH,
]
# Lists of items an entry can carry, and how a messaging item names its field (GRAPH_NOTES §7.4).
# "standby" (Messenger's handover protocol) carries what the thread's *other* app handles, in
# the same item shape as "messaging": its items keep "standby" as their field, so they are never
# taken for (nor de-duplicated against) messages addressed to us.
_ITEM_LISTS = ("changes", "messaging", "standby")
STANDBY = "standby"
_MESSAGING_FIELDS = {
    "message": "messages",
    "reaction": "message_reactions",
    "postback": "messaging_postbacks",
    "read": "messaging_seen",
    "referral": "messaging_referral",
}


class WebhookRejected(ValueError):
    """A notification that is not Meta's or not readable; nothing was stored.

    ``status`` is the HTTP answer; ``reason`` is short and says nothing about our secrets.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class WebhookItem:
    """One change or messaging item of one entry."""

    object: str
    field: str
    entry_id: str
    entry_time: Any
    payload: dict[str, Any]


# --- Verification ---------------------------------------------------------------------------


def is_valid_verify_token(token: str) -> bool:
    """Return whether ``token`` is our configured verify token (constant time; empty: never)."""
    expected = settings.META_WEBHOOK_VERIFY_TOKEN
    return bool(expected) and constant_time_compare(token, expected)


def verify_signature(*, body: bytes, header: str, secret: str) -> None:
    """Raise WebhookRejected(403) unless ``header`` is ``sha256=<HMAC-SHA256(body, secret)>``.

    The HMAC covers the raw bytes as received, before any JSON parsing (GRAPH_NOTES §7.2).
    """
    match = _SIGNATURE.fullmatch(header)
    if match is None:
        raise WebhookRejected(403, "missing or malformed signature")
    if not secret:
        raise WebhookRejected(403, "bad signature")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), match.group(1).lower().encode("ascii")):
        raise WebhookRejected(403, "bad signature")


# --- Parsing --------------------------------------------------------------------------------

# Unix times past this many seconds (the year 5138) are milliseconds: Meta writes ``entry.time``
# and ``timestamp`` in milliseconds for messaging and in seconds elsewhere (GRAPH_NOTES §7.4).
_MILLISECONDS_FROM = 10**11


def meta_time(value: Any) -> datetime | None:
    """Return a Meta time (unix seconds or milliseconds, or ISO 8601) as a datetime, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int | float):
        seconds = value / 1000 if value >= _MILLISECONDS_FROM else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and 0 < len(value) <= 40:
        # Graph's "2017-08-31T18:10:30+0000": Python reads +0000 since 3.11.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _entry_id(entry: dict[str, Any], object_type: str) -> str:
    # User and permissions entries name the person in "uid" (GRAPH_NOTES §7.4).
    raw = entry.get("uid") if object_type in {"user", "permissions"} else None
    if raw in (None, ""):
        raw = entry.get("id")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise WebhookRejected(400, "entry without id")
    entry_id = str(raw)
    if not entry_id or len(entry_id) > MAX_ID_LENGTH:
        raise WebhookRejected(400, "entry without id")
    return entry_id


def _messaging_field(item: dict[str, Any]) -> str:
    return next((name for key, name in _MESSAGING_FIELDS.items() if key in item), "messaging")


def parse_notification(body: bytes) -> list[WebhookItem]:
    """Return the items of a notification body; raise WebhookRejected(400) if it is malformed."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRejected(400, "malformed JSON") from exc
    if not isinstance(document, dict):
        raise WebhookRejected(400, "malformed notification")
    object_type, entries = document.get("object"), document.get("entry")
    if not isinstance(object_type, str) or not 0 < len(object_type) <= 32:
        raise WebhookRejected(400, "malformed notification")
    if not isinstance(entries, list):
        raise WebhookRejected(400, "malformed notification")
    items: list[WebhookItem] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise WebhookRejected(400, "malformed entry")
        entry_id = _entry_id(entry, object_type)
        found = False
        for list_name in _ITEM_LISTS:
            if list_name not in entry:
                continue
            if not isinstance(entry[list_name], list):
                raise WebhookRejected(400, "malformed entry")
            for item in entry[list_name]:
                if not isinstance(item, dict):
                    raise WebhookRejected(400, "malformed entry")
                if list_name == "changes":
                    field = item.get("field")
                    if not isinstance(field, str) or len(field) > 64:
                        raise WebhookRejected(400, "malformed change")
                elif list_name == STANDBY:
                    field = STANDBY
                else:
                    field = _messaging_field(item)
                items.append(WebhookItem(object_type, field, entry_id, entry.get("time"), item))
                found = True
        if not found:
            # An entry in another shape (older user webhooks carry "changed_fields"): keep it whole.
            items.append(WebhookItem(object_type, "", entry_id, entry.get("time"), entry))
    return items


# --- Storing --------------------------------------------------------------------------------

Route = tuple[int, int]  # (workspace id, connection id)
_PENDING = WebhookEvent.Status.PENDING
_UNROUTED = WebhookEvent.Status.UNROUTED


def _routes(object_type: str, entry_ids: set[str]) -> dict[str, list[Route]]:
    """Return, per entry id, the workspaces that use that account and through which connection."""
    rows: Iterable[tuple[str, int, int]]
    if object_type == "page":
        rows = MetaPage.objects.filter(
            page_id__in=entry_ids, is_selected=True, connection__status__in=_ROUTING_STATUSES
        ).values_list("page_id", "workspace_id", "connection_id")
    elif object_type == "instagram":
        rows = InstagramAccount.objects.filter(
            ig_user_id__in=entry_ids, is_selected=True, connection__status__in=_ROUTING_STATUSES
        ).values_list("ig_user_id", "workspace_id", "connection_id")
    elif object_type in {"user", "permissions"}:
        rows = MetaConnection.objects.filter(
            meta_user_id__in=entry_ids, status__in=_ROUTING_STATUSES
        ).values_list("meta_user_id", "workspace_id", "pk")
    else:
        rows = []
    # One row per workspace: when two connections of a workspace share a Page, the oldest
    # connection (lowest id) carries the event, the same one on every retry.
    chosen: dict[tuple[str, int], int] = {}
    for entry_id, workspace_id, connection_id in sorted(rows):
        chosen.setdefault((entry_id, workspace_id), connection_id)
    routes: dict[str, list[Route]] = defaultdict(list)
    for (entry_id, workspace_id), connection_id in chosen.items():
        routes[entry_id].append((workspace_id, connection_id))
    return routes


def _storable(value: Any) -> Any:
    """Return ``value`` without NUL characters, which PostgreSQL's jsonb cannot hold.

    JSON allows an escaped NUL in strings; a payload carrying one (a pasted comment) would
    otherwise fail the INSERT and the whole delivery with it.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _dedupe_key(item: WebhookItem, workspace_id: int | None) -> str:
    # The field names the list too ("standby" vs "messages"), so the same message in both
    # lists makes two keys.
    content = json.dumps(
        [workspace_id, item.object, item.entry_id, item.entry_time, item.field, item.payload],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def record_webhook_events(*, body: bytes, signature: str) -> int:
    """Verify and store one notification; return how many new rows were written.

    Raises WebhookRejected (413 size, 403 signature, 400 shape) before writing anything.
    Idempotent: an item already stored for a workspace is skipped.
    """
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRejected(413, "body too large")
    verify_signature(body=body, header=signature, secret=settings.META_APP_SECRET)
    return _store_items(parse_notification(body))


@transaction.atomic
def _store_items(items: list[WebhookItem]) -> int:
    by_object: dict[str, set[str]] = defaultdict(set)
    for item in items:
        by_object[item.object].add(item.entry_id)
    routes = {obj: _routes(obj, ids) for obj, ids in by_object.items()}

    events: dict[str, WebhookEvent] = {}
    for item in items:
        targets: list[tuple[int | None, int | None]] = [
            *routes[item.object].get(item.entry_id, [])
        ] or [(None, None)]
        for workspace_id, connection_id in targets:
            key = _dedupe_key(item, workspace_id)
            events[key] = WebhookEvent(
                object=_storable(item.object),
                field=_storable(item.field),
                entry_id=_storable(item.entry_id),
                entry_time=meta_time(item.entry_time),
                workspace_id=workspace_id,
                connection_id=connection_id,
                payload=_storable(item.payload) if workspace_id is not None else {},
                status=_PENDING if workspace_id is not None else _UNROUTED,
                dedupe_key=key,
            )
    known = set(
        WebhookEvent.objects.filter(dedupe_key__in=list(events)).values_list(
            "dedupe_key", flat=True
        )
    )
    new = [event for key, event in events.items() if key not in known]
    # ignore_conflicts: a concurrent retry that committed first wins; this one adds nothing.
    WebhookEvent.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    routed = [event.dedupe_key for event in new if event.workspace_id is not None]
    if routed:
        transaction.on_commit(lambda: _announce_stored(routed))
    return len(new)


def _announce_stored(dedupe_keys: list[str]) -> None:
    # bulk_create with ignore_conflicts sets no ids; one indexed read finds the rows we wrote.
    ids = list(WebhookEvent.objects.filter(dedupe_key__in=dedupe_keys).values_list("pk", flat=True))
    signals.webhook_events_stored.send(sender=WebhookEvent, event_ids=ids)


def is_valid_challenge(challenge: str) -> bool:
    """Meta's ``hub.challenge`` is short printable ASCII; anything else is not echoed back."""
    return bool(_CHALLENGE.fullmatch(challenge))
