"""Webhook delivery: what the sandbox tells the app's callback URL (GRAPH_NOTES §7).

Interface used by the rest of the sandbox (the customer's actions, the app's own sends):

    state.webhooks.emit_change(object_type="page", entry_id=page_id, field="feed", value={...})
    state.webhooks.emit_messaging(object_type="instagram", entry_id=ig_user_id, event={...})

Each call queues one item; whether it is delivered depends on the subscriptions (the Page's
``subscribed_apps`` fields and the app-level subscription for the object type).

This first version only records what was emitted (``emitted``); delivery comes next.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EmittedItem:
    object_type: str  # "page" | "instagram"
    entry_id: str
    kind: str  # "changes" | "messaging"
    field: str  # "feed", "comments", "mentions", "messages", "message_reactions", …
    payload: dict[str, Any]
    time: float


@dataclass
class WebhookOutbox:
    now: Any  # () -> float, the sandbox clock
    emitted: list[EmittedItem] = field(default_factory=list)

    def emit_change(self, *, object_type: str, entry_id: str, field: str, value: dict) -> None:
        self.emitted.append(EmittedItem(object_type, entry_id, "changes", field, value, self.now()))

    def emit_messaging(self, *, object_type: str, entry_id: str, field: str, event: dict) -> None:
        self.emitted.append(
            EmittedItem(object_type, entry_id, "messaging", field, event, self.now())
        )

    def clear(self) -> None:
        self.emitted.clear()
