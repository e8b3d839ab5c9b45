from django.apps import AppConfig


class CreativesConfig(AppConfig):
    name = "creatives"
    verbose_name = "Creatives"

    def ready(self) -> None:
        from creatives import privacy
        from prosocial.erasure import register_user_eraser, register_workspace_eraser
        from prosocial.exporting import register_user_exporter, register_workspace_exporter
        from prosocial.retention import register_retention_rule

        register_user_eraser("creatives", privacy.erase_user)
        register_workspace_eraser("creatives", privacy.erase_workspace)
        register_user_exporter("creatives", privacy.export_user)
        register_workspace_exporter("creatives", privacy.export_workspace)
        register_retention_rule(privacy.UNUSED_GENERATED_MEDIA)
