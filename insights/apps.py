from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Results"

    def ready(self) -> None:
        from insights import collect, privacy  # noqa: F401  (collect registers the job kind)
        from meta_integration import signals
        from prosocial.erasure import (
            register_meta_user_eraser,
            register_user_eraser,
            register_workspace_eraser,
        )
        from prosocial.exporting import register_user_exporter, register_workspace_exporter
        from prosocial.inventory import register_workspace_inventory

        # A disconnected (or erased, or Page-deauthorised) account takes its results along.
        signals.assets_removed.connect(
            privacy.on_assets_removed, dispatch_uid="insights.on_assets_removed"
        )
        register_meta_user_eraser("insights", privacy.erase_meta_user)
        register_user_eraser("insights", privacy.erase_user)
        register_workspace_eraser("insights", privacy.erase_workspace)
        register_user_exporter("insights", privacy.export_user)
        register_workspace_exporter("insights", privacy.export_workspace)
        register_workspace_inventory("insights", privacy.describe_workspace)
