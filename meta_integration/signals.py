"""Signals other apps listen to (meta_integration imports none of them).

``connection_ready`` is sent, after commit, when a connection was (re)connected with a working
token: publishing resumes the publications that waited for it.

``assets_removed`` is sent inside the transaction that deleted a workspace's Pages, Instagram
accounts or ad accounts (disconnect, Meta's data-deletion callback, an account erasure, a
Facebook Page removing the app), after the rows are gone: rows that pointed at them hold NULL
now and are found by the Meta ids.
``cause`` is a short sentence saying why, safe to show. Receivers return a list of short
descriptions of what they stopped (one per item), which the notification counts.

``assets_restored`` is sent inside the transaction that saved a connection's assets: anything
that lost an account with the same Meta id in that workspace may point at the new row.

``connection_revoked`` is sent inside the transaction that wiped a connection's tokens because
Meta said the person removed ProSocial (the deauthorize callback): its assets still exist, but
nothing can be published through it until someone reconnects. ``cause`` is safe to show.

``disconnect_impact`` is sent (no writes) to describe, before an admin confirms a disconnect,
what depends on the connection. Receivers return a list of ``(label, count)`` pairs.

``webhooks_subscribed`` is sent, outside any transaction, when a Page subscription job confirmed
that Meta sends the Page's (and its Instagram account's) webhooks: the inbox backfills the
connection's selected accounts it has not read yet.

``webhook_events_stored`` is sent after the COMMIT that stored new webhook events for
workspaces (``webhooks.record_webhook_events``), with their ids: the inbox queues their
processing. Receivers must be quick: they run inside Meta's webhook request.
"""

from django.dispatch import Signal

connection_ready = Signal()  # sender=MetaConnection, connection_id=int
# Arguments: sender=MetaConnection, workspace_id, page_ids, ig_user_ids, ad_account_ids, cause.
assets_removed = Signal()
assets_restored = Signal()  # sender=MetaConnection, workspace_id=int, connection_id=int
disconnect_impact = Signal()  # sender=MetaConnection, connection_id=int
connection_revoked = Signal()  # sender=MetaConnection, connection_id=int, cause=str
webhook_events_stored = Signal()  # sender=WebhookEvent, event_ids=list[int]
webhooks_subscribed = Signal()  # sender=MetaConnection, connection_id=int
