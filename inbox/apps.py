from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from inbox import ingest, privacy, reconcile, selectors
        from meta_integration import signals
        from prosocial.erasure import (
            register_meta_user_eraser,
            register_user_eraser,
            register_workspace_eraser,
        )
        from prosocial.exporting import register_user_exporter, register_workspace_exporter
        from prosocial.inventory import register_workspace_inventory
        from prosocial.retention import register_retention_rule, register_site_retention_rule

        # The sidebar's unread badge travels in the membership query of every workspace page.
        selectors.register_nav_counts()
        # Stored events are queued for processing after the webhook's COMMIT.
        signals.webhook_events_stored.connect(
            ingest.queue_stored_events, dispatch_uid="inbox.queue_stored_events"
        )
        # Pages and Instagram accounts Meta now sends webhooks for: read back what came before.
        signals.webhooks_subscribed.connect(
            reconcile.on_webhooks_subscribed, dispatch_uid="inbox.on_webhooks_subscribed"
        )
        # A disconnected (or erased, or deauthorised) account takes its conversations along.
        signals.assets_removed.connect(
            privacy.on_assets_removed, dispatch_uid="inbox.on_assets_removed"
        )
        register_meta_user_eraser("inbox", privacy.erase_meta_user)
        register_user_eraser("inbox", privacy.erase_user)
        register_workspace_eraser("inbox", privacy.erase_workspace)
        register_user_exporter("inbox", privacy.export_user)
        register_workspace_exporter("inbox", privacy.export_workspace)
        register_workspace_inventory("inbox", privacy.describe_workspace)
        register_retention_rule(privacy.DONE_THREAD_RETENTION)
        register_site_retention_rule(privacy.PLACEHOLDER_RETENTION)
