"""Webhook delivery: what the sandbox tells the app's callback URL (GRAPH_NOTES §7).

Interface used by the rest of the sandbox (the customer's actions, the app's own sends):

    state.webhooks.emit_change(object_type="page", entry_id=page_id, field="feed", value={...})
    state.webhooks.emit_messaging(object_type="instagram", entry_id=ig_user_id,
                                  field="messages", event={...})

Each call records one update in `emitted` (with its `outcome`) and, when the app is subscribed
at both levels (§7.3), queues it for delivery:

- app level, per object type (`page`, `instagram`, `user`, `permissions`): the callback URL and
  fields set with `POST /{app-id}/subscriptions` (endpoints/subscriptions.py), after the GET
  verification handshake against the callback (§7.1);
- Page level: the fields of `POST /{page-id}/subscribed_apps`. A `page` update needs its field
  there too; an `instagram` update needs the account's linked Page to have the app installed.

Delivery is Meta's: queued updates are grouped into POST bodies per object type (up to
`WEBHOOK_MAX_BATCH` updates, one entry per object id and kind, `changes` or `messaging`), the
entry `time` in seconds for changes and milliseconds for messaging; the body is ASCII-escaped
compact JSON, signed with the app secret (`X-Hub-Signature-256: sha256=…` and the older
`X-Hub-Signature: sha1=…`) over exactly the bytes sent, and POSTed to the callback (loopback
only, no redirects, no proxies). Anything but HTTP 200 is a failure: the delivery is retried
immediately, then after `WEBHOOK_RETRY_DELAYS_SECONDS` on the sandbox clock, and dropped once
`WEBHOOK_RETRY_WINDOW_SECONDS` (36 h) have passed since it was first sent.

Who delivers: `start()` runs a daemon thread (the runner starts it) that sends what is due as
soon as it is queued; `pause()` stops it sending, and `flush()` sends everything that is due
now, synchronously, and returns the deliveries it attempted: tests use pause/flush to deliver
deterministically. No network I/O happens while the state lock is held.

Fault knobs (`set_faults(...)`, `POST /_sandbox/webhooks/faults`), each counting down over the
next updates that would be delivered: `never` drops them, `duplicate` delivers them twice (the
copy in a POST of its own), `late` holds them back `late_seconds` of sandbox time, and
`out_of_order` gathers N of them and sends them one per POST, last first.

The outbox shares the state's lock (`state.lock`); the subscriptions are kept in the state file
(persistence.py), the queue, the delivery log and the knobs are not.
"""

import dataclasses
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from meta_sandbox import config
from meta_sandbox.callbacks import LOOPBACK_OPENER, CallbackRefused, check_loopback_url

logger = logging.getLogger(__name__)

CHANGES, MESSAGING, STANDBY = "changes", "messaging", "standby"
# Delivery statuses.
PENDING, RETRYING, DELIVERED, DROPPED = "pending", "retrying", "delivered", "dropped"
# Outcomes of an emitted update.
QUEUED, HELD, SENT, UNSUBSCRIBED, FAULT_DROPPED, EXPIRED = (
    "queued",
    "held",
    "delivered",
    "not subscribed",
    "dropped (fault: never)",
    "dropped (36 h of failures)",
)

# Page fields that also need pages_messaging on the Page token (§7.3).
PAGE_MESSAGING_FIELDS = frozenset(
    {
        "messages",
        "message_echoes",
        "message_edits",
        "message_reactions",
        "message_reads",
        "message_deliveries",
        "messaging_postbacks",
        "messaging_optins",
        "messaging_optouts",
        "messaging_referrals",
        "messaging_handovers",
        "messaging_policy_enforcement",
        "messaging_account_linking",
        "messaging_feedback",
        "standby",
    }
)
# Fields each object type can subscribe to; None accepts any field name. Page fields from the
# Pages and Messenger webhook references, Instagram fields from GRAPH_NOTES §7.4.
OBJECT_FIELDS: dict[str, frozenset[str] | None] = {
    "page": frozenset(
        {
            "feed",
            "mention",
            "name",
            "picture",
            "category",
            "description",
            "conversations",
            "ratings",
            "photos",
            "videos",
            "live_videos",
            "leadgen",
        }
    )
    | PAGE_MESSAGING_FIELDS,
    "instagram": frozenset(
        {
            "comments",
            "live_comments",
            "mentions",
            "story_insights",
            "messages",
            "message_edit",
            "message_reactions",
            "messaging_postbacks",
            "messaging_seen",
            "messaging_referral",
            "messaging_optins",
            "messaging_handover",
            "standby",
        }
    ),
    "user": None,
    "permissions": None,
}
_MAX_BODY_BYTES = 64 * 1024
BODY_EXCERPT_CHARS = 300


# --- signing and bodies -------------------------------------------------------------------


def encode_body(body: dict[str, Any]) -> bytes:
    """Serialise a notification as Meta sends it: compact JSON, non-ASCII as escapes."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def signature_headers(body: bytes, app_secret: str) -> dict[str, str]:
    """Return Meta's signature headers for the exact bytes of `body` (§7.2)."""
    key = app_secret.encode("utf-8")
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
    }


# --- records ------------------------------------------------------------------------------


@dataclass
class EmittedItem:
    """One update the sandbox emitted, and what became of it (`outcome`, `reason`)."""

    object_type: str  # "page" | "instagram" | "user" | "permissions"
    entry_id: str
    kind: str  # "changes" | "messaging"
    field: str  # "feed", "comments", "mentions", "messages", "message_reactions", …
    payload: dict[str, Any]
    time: float  # sandbox time of the event
    seq: int = 0
    outcome: str = QUEUED
    reason: str = ""
    # `field` above shadows dataclasses.field in this class body.
    delivery_ids: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AppSubscription:
    """The app-level subscription for one object type (`GET /{app-id}/subscriptions`)."""

    object: str
    callback_url: str
    fields: list[str]
    verify_token: str = ""
    include_values: bool = True
    version: str = config.DEFAULT_API_VERSION

    def as_graph(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "callback_url": self.callback_url,
            "active": True,
            "fields": [{"name": name, "version": self.version} for name in self.fields],
        }


@dataclass
class Attempt:
    at: float  # sandbox time
    status_code: int | None  # None: no HTTP answer
    error: str
    duration_ms: int
    response_excerpt: str

    @property
    def ok(self) -> bool:
        return self.status_code == 200


@dataclass(eq=False)  # compared by identity
class Delivery:
    """One POST body and every attempt to deliver it."""

    id: str
    object_type: str
    url: str
    body: bytes
    item_seqs: list[int]
    created_at: float  # sandbox time
    next_attempt_at: float
    status: str = PENDING
    note: str = ""  # "duplicate", "out of order", "late"
    attempts: list[Attempt] = field(default_factory=list)
    in_flight: bool = False

    @property
    def final(self) -> bool:
        return self.status in (DELIVERED, DROPPED)

    def as_dict(self, *, with_body: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "object": self.object_type,
            "url": self.url,
            "status": self.status,
            "note": self.note,
            "updates": len(self.item_seqs),
            "item_seqs": list(self.item_seqs),
            "created_at": self.created_at,
            "next_attempt_at": None if self.final else self.next_attempt_at,
            "attempts": [asdict(attempt) for attempt in self.attempts],
        }
        if with_body:
            data["body"] = self.body.decode("ascii")
        return data


@dataclass
class WebhookFaults:
    """Knobs counting down over the next updates that would be delivered."""

    never: int = 0
    duplicate: int = 0
    late: int = 0
    late_seconds: float = 0.0
    out_of_order: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Queued:
    item: EmittedItem
    due_at: float
    solo: bool = False  # sent in a POST of its own
    note: str = ""


class VerificationFailed(Exception):
    """The callback did not pass Meta's verification handshake; `code` is Graph's (2200/2201)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- the outbox ---------------------------------------------------------------------------


class WebhookOutbox:
    """Subscriptions, the queue of updates, the delivery log, the knobs and the sender thread.

    `lock` is the state's RLock: every method that reads or changes the outbox takes it, and
    nothing takes it while a POST is under way. `linked_page(ig_user_id)` returns the Page id
    an Instagram account is linked to (None if unknown).
    """

    def __init__(
        self,
        *,
        now: Callable[[], float],
        app_secret: str = config.DEFAULT_APP_SECRET,
        lock: "threading.RLock | None" = None,
        linked_page: Callable[[str], str | None] = lambda _ig_user_id: None,
    ) -> None:
        self.now = now
        self.app_secret = app_secret
        self.lock = lock if lock is not None else threading.RLock()
        self.linked_page = linked_page
        self.app_subscriptions: dict[str, AppSubscription] = {}
        self.page_fields: dict[str, list[str]] = {}  # Page id -> subscribed_apps fields
        self.emitted: list[EmittedItem] = []
        self.deliveries: list[Delivery] = []
        self.faults = WebhookFaults()
        self.paused = False
        self._queue: list[_Queued] = []
        self._held: list[_Queued] = []  # out_of_order: gathered, not yet released
        self._seq = 0
        self._delivery_number = 0
        self._sending = threading.Lock()  # one sender at a time: the thread or a flush
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- emitting ---------------------------------------------------------------------

    def emit_change(
        self, *, object_type: str, entry_id: str, field: str, value: dict
    ) -> EmittedItem:
        """Emit one `changes` update (`{"field": field, "value": value}` in the entry)."""
        return self._emit(object_type, entry_id, CHANGES, field, value)

    def emit_messaging(
        self, *, object_type: str, entry_id: str, field: str, event: dict
    ) -> EmittedItem:
        """Emit one `messaging` event (the event object as it appears in the entry)."""
        return self._emit(object_type, entry_id, MESSAGING, field, event)

    def _emit(
        self, object_type: str, entry_id: str, kind: str, field: str, payload: dict
    ) -> EmittedItem:
        with self.lock:
            self._seq += 1
            now = self.now()
            item = EmittedItem(object_type, str(entry_id), kind, field, payload, now, self._seq)
            self.emitted.append(item)
            del self.emitted[: -config.WEBHOOK_EMITTED_LOG_SIZE]
            reason = self.unsubscribed_reason(item)
            if reason:
                item.outcome, item.reason = UNSUBSCRIBED, reason
                return item
            self._apply_knobs(item, now)
        self._wake.set()
        return item

    def unsubscribed_reason(self, item: EmittedItem) -> str:
        """Return why `item` would not be delivered now ('' when it would)."""
        subscription = self.app_subscriptions.get(item.object_type)
        if subscription is None:
            return f"the app has no {item.object_type!r} subscription"
        if item.field not in subscription.fields:
            return f"{item.field!r} is not among the app's {item.object_type!r} fields"
        if item.object_type == "page":
            if item.field not in self.page_fields.get(item.entry_id, []):
                return f"Page {item.entry_id} has not subscribed the app to {item.field!r}"
        elif item.object_type == "instagram":
            page_id = self.linked_page(item.entry_id)
            if page_id is None:
                return f"no Page is linked to Instagram account {item.entry_id}"
            if not self.page_fields.get(page_id):
                return f"the linked Page {page_id} has not installed the app (subscribed_apps)"
        return ""

    def _apply_knobs(self, item: EmittedItem, now: float) -> None:
        faults = self.faults
        if faults.never:
            faults.never -= 1
            item.outcome, item.reason = FAULT_DROPPED, "webhook fault knob 'never'"
            return
        due, note = now, ""
        if faults.late:
            faults.late -= 1
            due, note = now + faults.late_seconds, "late"
        copies = 1
        if faults.duplicate:
            faults.duplicate -= 1
            copies = 2
        entries = [_Queued(item, due, note=note)]
        if copies == 2:
            entries.append(_Queued(item, due, solo=True, note="duplicate"))
        if faults.out_of_order:
            faults.out_of_order -= 1
            item.outcome = HELD
            self._held.extend(entries)
            if not faults.out_of_order:
                self._release_held()
            return
        self._queue.extend(entries)

    def _release_held(self) -> None:
        """Queue the gathered out-of-order updates, one POST each, last first."""
        for entry in reversed(self._held):
            entry.solo = True
            entry.note = ", ".join(filter(None, ("out of order", entry.note)))
            if entry.item.outcome == HELD:
                entry.item.outcome = QUEUED
            self._queue.append(entry)
        self._held.clear()

    # --- subscriptions ----------------------------------------------------------------

    def subscribe_app(
        self,
        *,
        object_type: str,
        callback_url: str,
        fields: Iterable[str],
        verify_token: str = "",
        include_values: bool = True,
        version: str = config.DEFAULT_API_VERSION,
    ) -> AppSubscription:
        """Set the app-level subscription for `object_type`, adding `fields` to those it has.

        No handshake here (tests' shortcut, like `state.grant`): `verify_callback` does it.
        Raises CallbackRefused for a non-loopback URL and ValueError for unknown fields.
        """
        check_loopback_url(callback_url)
        names = check_fields(object_type, fields)
        with self.lock:
            current = self.app_subscriptions.get(object_type)
            merged = _merge(current.fields if current else [], names)
            subscription = AppSubscription(
                object_type, callback_url, merged, verify_token, include_values, version
            )
            self.app_subscriptions[object_type] = subscription
            return subscription

    def unsubscribe_app(
        self, *, object_type: str | None = None, fields: Iterable[str] | None = None
    ) -> None:
        """Remove fields of one object, one object's subscription, or all (no arguments)."""
        with self.lock:
            if object_type is None:
                self.app_subscriptions.clear()
                return
            current = self.app_subscriptions.get(object_type)
            if current is None:
                return
            removed = set(fields or [])
            if not removed:
                del self.app_subscriptions[object_type]
                return
            current.fields = [name for name in current.fields if name not in removed]
            if not current.fields:
                del self.app_subscriptions[object_type]

    def subscribe_page(self, *, page_id: str, fields: Iterable[str]) -> list[str]:
        """Install the app on a Page with exactly `fields` (what subscribed_apps POST does)."""
        names = check_fields("page", fields)
        with self.lock:
            self.page_fields[page_id] = names
            return list(names)

    def unsubscribe_page(self, *, page_id: str) -> bool:
        with self.lock:
            return self.page_fields.pop(page_id, None) is not None

    # --- knobs and controls -----------------------------------------------------------

    def set_faults(self, **values: Any) -> WebhookFaults:
        """Set some knobs (`never`, `duplicate`, `late`, `late_seconds`, `out_of_order`).

        `late_seconds` alone delays the next update (`late` = 1). Raises ValueError for an
        unknown knob or a negative or non-numeric value, before changing anything.
        """
        allowed = set(asdict(WebhookFaults()))
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ValueError(f"unknown webhook faults: {', '.join(unknown)}")
        parsed: dict[str, Any] = {}
        for name, raw in values.items():
            try:
                number = float(raw) if name == "late_seconds" else int(raw)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be a number >= 0") from exc
            if isinstance(raw, bool) or number < 0:
                raise ValueError(f"{name} must be a number >= 0")
            parsed[name] = number
        if parsed.get("late_seconds") and "late" not in parsed:
            parsed["late"] = 1
        with self.lock:
            for name, number in parsed.items():
                setattr(self.faults, name, number)
            if "out_of_order" in parsed and not self.faults.out_of_order and self._held:
                self._release_held()
            return self.faults

    def clear_faults(self) -> None:
        with self.lock:
            self.faults = WebhookFaults()
            self._release_held()
        self._wake.set()

    def pause(self) -> None:
        """Stop the sender thread from sending; `flush()` still sends."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._wake.set()

    def clear(self) -> None:
        """Forget subscriptions, updates, deliveries and knobs (`state.reset()`)."""
        with self.lock:
            self.app_subscriptions.clear()
            self.page_fields.clear()
            self.emitted.clear()
            self.deliveries.clear()
            self.faults = WebhookFaults()
            self._queue.clear()
            self._held.clear()
            self.paused = False

    # --- the sender -------------------------------------------------------------------

    def start(self) -> None:
        """Start the sender thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="meta-sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop the sender thread and wait for it (a POST under way finishes first)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            woken = self._wake.wait(config.WEBHOOK_TICK_SECONDS)
            if self._stopping.is_set():
                return
            if woken:
                self._wake.clear()
                # Let a burst of events gather, so they go in one POST as Meta batches them.
                time.sleep(config.WEBHOOK_BATCH_WINDOW_SECONDS)
            if self.paused:
                continue
            try:
                self.deliver_due()
            except Exception:  # the thread must outlive a sandbox bug
                logger.exception("meta_sandbox: webhook delivery failed")

    def flush(self) -> list[Delivery]:
        """Send now, synchronously, everything that is due; end an out-of-order group early.

        Returns the deliveries attempted (each once), in the order first sent. Updates delayed
        by the `late` knob and retries whose time has not come wait: advance the clock first.
        """
        return self.deliver_due(release_held=True)

    def deliver_due(self, *, release_held: bool = False) -> list[Delivery]:
        """Batch the due updates, then POST every due delivery (the lock is not held meanwhile)."""
        attempted: list[Delivery] = []
        with self._sending:
            for _ in range(config.WEBHOOK_MAX_ROUNDS):
                with self.lock:
                    if release_held and self._held:
                        self.faults.out_of_order = 0  # the group ends here
                        self._release_held()
                    release_held = False
                    now = self.now()
                    self._batch(now)
                    due = self._claim_due(now)
                    secret = self.app_secret
                if not due:
                    break
                for delivery in due:
                    try:
                        attempt = post_notification(delivery.url, delivery.body, secret, self.now)
                    except Exception as exc:  # a sandbox bug: record it, never leave it in flight
                        logger.exception("meta_sandbox: webhook POST failed")
                        attempt = Attempt(self.now(), None, f"sandbox error: {exc!r}", 0, "")
                    with self.lock:
                        self._record(delivery, attempt)
                    if delivery not in attempted:
                        attempted.append(delivery)
        return attempted

    def _batch(self, now: float) -> None:
        """Turn the due queued updates into deliveries (caller holds the lock)."""
        due = [entry for entry in self._queue if entry.due_at <= now]
        if not due:
            return
        self._queue = [entry for entry in self._queue if entry.due_at > now]
        groups: list[list[_Queued]] = []
        open_groups: dict[str, list[_Queued]] = {}
        for entry in due:
            object_type = entry.item.object_type
            if object_type not in self.app_subscriptions:
                entry.item.outcome = UNSUBSCRIBED
                entry.item.reason = f"the app's {object_type!r} subscription was removed"
                continue
            if entry.solo:
                groups.append([entry])
                continue
            group = open_groups.get(object_type)
            if group is None or len(group) >= config.WEBHOOK_MAX_BATCH:
                group = open_groups[object_type] = []
                groups.append(group)
            group.append(entry)
        for group in groups:
            self._new_delivery(group, now)

    def _new_delivery(self, group: list[_Queued], now: float) -> Delivery:
        object_type = group[0].item.object_type
        subscription = self.app_subscriptions[object_type]
        body = encode_body(
            notification_body(
                object_type,
                [entry.item for entry in group],
                include_values=subscription.include_values,
            )
        )
        self._delivery_number += 1
        notes = sorted({entry.note for entry in group if entry.note})
        delivery = Delivery(
            id=f"wh-{self._delivery_number}",
            object_type=object_type,
            url=subscription.callback_url,
            body=body,
            item_seqs=[entry.item.seq for entry in group],
            created_at=now,
            next_attempt_at=now,
            note=", ".join(notes),
        )
        for entry in group:
            entry.item.delivery_ids.append(delivery.id)
        self.deliveries.append(delivery)
        self._trim_log()
        return delivery

    def _trim_log(self) -> None:
        excess = len(self.deliveries) - config.WEBHOOK_LOG_SIZE
        if excess <= 0:
            return
        finished = {id(d) for d in self.deliveries if d.final}
        kept: list[Delivery] = []
        for delivery in self.deliveries:
            if excess > 0 and id(delivery) in finished:
                excess -= 1
                continue
            kept.append(delivery)
        self.deliveries = kept

    def _claim_due(self, now: float) -> list[Delivery]:
        """Mark and return the deliveries to send now; drop those past the retry window."""
        due: list[Delivery] = []
        for delivery in self.deliveries:
            if delivery.final or delivery.in_flight or delivery.next_attempt_at > now:
                continue
            if (
                delivery.attempts
                and now >= delivery.created_at + config.WEBHOOK_RETRY_WINDOW_SECONDS
            ):
                delivery.status = DROPPED
                self._set_outcome(delivery, EXPIRED)
                continue
            delivery.in_flight = True
            due.append(delivery)
        return due

    def _record(self, delivery: Delivery, attempt: Attempt) -> None:
        delivery.in_flight = False
        delivery.attempts.append(attempt)
        if attempt.ok:
            delivery.status = DELIVERED
            self._set_outcome(delivery, SENT)
            return
        delivery.status = RETRYING
        delays = config.WEBHOOK_RETRY_DELAYS_SECONDS
        delay = delays[min(len(delivery.attempts) - 1, len(delays) - 1)]
        delivery.next_attempt_at = attempt.at + delay

    def _set_outcome(self, delivery: Delivery, outcome: str) -> None:
        seqs = set(delivery.item_seqs)
        for item in self.emitted:
            # A delivered update stays delivered when another copy of it is dropped.
            if item.seq in seqs and (outcome == SENT or item.outcome != SENT):
                item.outcome = outcome

    # --- inspection -------------------------------------------------------------------

    def pending(self) -> list[dict[str, Any]]:
        """Return the updates queued or held, not yet in a delivery."""
        with self.lock:
            return [
                {**entry.item.as_dict(), "due_at": entry.due_at, "note": entry.note}
                for entry in [*self._queue, *self._held]
            ]

    def snapshot(self, *, with_bodies: bool = True) -> dict[str, Any]:
        with self.lock:
            return {
                "running": self.running,
                "paused": self.paused,
                "faults": self.faults.as_dict(),
                "subscriptions": [sub.as_graph() for sub in self.app_subscriptions.values()],
                "page_subscriptions": {
                    page_id: list(names) for page_id, names in self.page_fields.items()
                },
                "pending": self.pending(),
                "deliveries": [d.as_dict(with_body=with_bodies) for d in self.deliveries],
                "emitted": [item.as_dict() for item in self.emitted],
            }

    # --- state file -------------------------------------------------------------------

    def dump_subscriptions(self) -> dict[str, Any]:
        """Return what the state file keeps (caller holds the lock)."""
        return {
            "app": [asdict(sub) for sub in self.app_subscriptions.values()],
            "pages": {page_id: list(names) for page_id, names in self.page_fields.items()},
        }

    @staticmethod
    def parse_subscriptions(
        data: dict[str, Any] | None,
    ) -> tuple[dict[str, AppSubscription], dict[str, list[str]]]:
        """Read `dump_subscriptions()` output; raises KeyError/TypeError/ValueError if damaged."""
        if data is None:  # a state file from before webhooks
            return {}, {}
        app = {entry["object"]: AppSubscription(**entry) for entry in data["app"]}
        pages = {str(page_id): [str(n) for n in names] for page_id, names in data["pages"].items()}
        return app, pages

    def restore_subscriptions(
        self, app: dict[str, AppSubscription], pages: dict[str, list[str]]
    ) -> None:
        self.app_subscriptions = app
        self.page_fields = pages


def check_fields(object_type: str, fields: Iterable[str]) -> list[str]:
    """Return the field names (deduplicated, in order); ValueError for unknown ones."""
    if object_type not in OBJECT_FIELDS:
        raise ValueError(f"object must be one of {{{', '.join(OBJECT_FIELDS)}}}")
    names = _merge([], [name.strip() for name in fields if name.strip()])
    known = OBJECT_FIELDS[object_type]
    for index, name in enumerate(names):
        if known is not None and name not in known:
            raise ValueError(
                f"fields[{index}] {name!r} is not a {object_type} webhook field; "
                f"use one of {{{', '.join(sorted(known))}}}"
            )
    return names


def _merge(current: list[str], added: Iterable[str]) -> list[str]:
    merged = list(current)
    for name in added:
        if name not in merged:
            merged.append(name)
    return merged


def notification_body(
    object_type: str, items: list[EmittedItem], *, include_values: bool = True
) -> dict[str, Any]:
    """Group updates into Meta's body: one entry per object id and list, in emission order.

    Messaging events go in the entry's `messaging` list, except those of the `standby` field
    (Messenger's handover protocol), which Meta sends in a `standby` list of the same shape.
    """
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        name = STANDBY if item.kind == MESSAGING and item.field == STANDBY else item.kind
        entry = entries.get((item.entry_id, name))
        if entry is None:
            # Entry time: unix seconds for changes, milliseconds for messaging (§7.4).
            stamp = int(item.time * 1000) if item.kind == MESSAGING else int(item.time)
            entry = entries[item.entry_id, name] = {"id": item.entry_id, "time": stamp, name: []}
        if item.kind == MESSAGING:
            entry[name].append(item.payload)
        elif include_values:
            entry[CHANGES].append({"field": item.field, "value": item.payload})
        else:
            entry[CHANGES].append({"field": item.field})
    return {"object": object_type, "entry": list(entries.values())}


# --- HTTP ---------------------------------------------------------------------------------


def post_notification(url: str, body: bytes, app_secret: str, now: Callable[[], float]) -> Attempt:
    """POST one signed body; never raises for network failures (they are the attempt's error)."""
    started = time.monotonic()
    at = now()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua (meta_sandbox)",
        **signature_headers(body, app_secret),
    }
    status: int | None = None
    error, excerpt = "", b""
    try:
        check_loopback_url(url)
        request = urllib.request.Request(  # noqa: S310 - loopback http(s) checked just above
            url, data=body, method="POST", headers=headers
        )
        try:
            with LOOPBACK_OPENER.open(request, timeout=config.WEBHOOK_TIMEOUT_SECONDS) as answer:
                status, excerpt = answer.status, answer.read(_MAX_BODY_BYTES)
        except urllib.error.HTTPError as http_error:
            with http_error:
                status, excerpt = http_error.code, http_error.read(_MAX_BODY_BYTES)
    except CallbackRefused as exc:
        error = str(exc)
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timed out, garbled
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        error = f"no HTTP answer: {reason!s}"
    if status is not None and status != 200:
        error = f"HTTP {status}, expected 200"
    return Attempt(
        at=at,
        status_code=status,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
        response_excerpt=excerpt[:BODY_EXCERPT_CHARS].decode("utf-8", errors="replace"),
    )


def verify_callback(url: str, verify_token: str, *, timeout: float | None = None) -> None:
    """Do Meta's verification handshake (§7.1); raise VerificationFailed unless it echoes.

    GET `url?hub.mode=subscribe&hub.challenge=<random int>&hub.verify_token=<token>`; the
    callback must answer 200 with exactly the challenge as its body. Raises CallbackRefused
    for a non-loopback URL before any connection.
    """
    check_loopback_url(url)
    challenge = str(secrets.randbelow(2_000_000_000) + 1)
    query = urlencode(
        {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    )
    target = f"{url}{'&' if '?' in url else '?'}{query}"
    request = urllib.request.Request(  # noqa: S310 - loopback http(s) checked just above
        target, method="GET", headers={"User-Agent": "facebookplatform/1.0 (meta_sandbox)"}
    )
    wait = config.WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        with LOOPBACK_OPENER.open(request, timeout=wait) as answer:
            status, reason, body = answer.status, answer.reason, answer.read(_MAX_BODY_BYTES)
    except urllib.error.HTTPError as http_error:
        with http_error:
            status, reason = http_error.code, http_error.reason
    except (OSError, ValueError, http.client.HTTPException) as exc:
        cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise VerificationFailed(
            2200,
            "(#2200) Callback verification failed with the following errors: "
            f"curl_error = {cause}; HTTP Status Code = 0",
        ) from exc
    if status != 200:
        raise VerificationFailed(
            2200,
            "(#2200) Callback verification failed with the following errors: "
            f"HTTP Status Code = {status}; HTTP Message = {reason}",
        )
    received = body.decode("utf-8", errors="replace")
    if received != challenge:
        shown = json.dumps(received[:BODY_EXCERPT_CHARS])[1:-1]
        raise VerificationFailed(
            2201,
            f'(#2201) response does not match challenge, expected value="{challenge}", '
            f'received="{shown}"',
        )
