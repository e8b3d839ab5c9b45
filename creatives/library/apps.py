from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """The media library: every stored file, its inspection, transcodes and signed URLs.

    Its label stays ``creatives`` (the app it was split from), so its tables and migration
    history are unchanged.
    """

    name = "creatives.library"
    label = "creatives"
    verbose_name = "Media library"

    def ready(self) -> None:
        from creatives.library import privacy
        from prosocial.erasure import register_user_eraser, register_workspace_eraser
        from prosocial.exporting import register_user_exporter, register_workspace_exporter
        from prosocial.inventory import register_user_inventory, register_workspace_inventory
        from prosocial.retention import register_retention_rule

        register_user_eraser("creatives", privacy.erase_user)
        register_workspace_eraser("creatives", privacy.erase_workspace)
        register_user_exporter("creatives", privacy.export_user)
        register_workspace_exporter("creatives", privacy.export_workspace)
        register_user_inventory("creatives", privacy.describe_user)
        register_workspace_inventory("creatives", privacy.describe_workspace)
        register_retention_rule(privacy.UNUSED_GENERATED_MEDIA)
