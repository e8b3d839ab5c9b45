from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        from prosocial.erasure import (
            register_meta_user_eraser,
            register_user_eraser,
            register_workspace_eraser,
        )
        from prosocial.exporting import register_user_exporter, register_workspace_exporter
        from prosocial.retention import register_retention_rule
        from publishing import checks, privacy  # noqa: F401  (checks registers itself)

        register_meta_user_eraser("publishing", privacy.erase_meta_user)
        register_user_eraser("publishing", privacy.erase_user)
        register_workspace_eraser("publishing", privacy.erase_workspace)
        register_user_exporter("publishing", privacy.export_user)
        register_workspace_exporter("publishing", privacy.export_workspace)
        register_retention_rule(privacy.PUBLISH_TRACES)

        from meta_integration.models import MetaConnection
        from meta_integration.signals import connection_ready
        from publishing import services

        def resume(sender: type, connection_id: int, **kwargs: object) -> None:
            services.resume_paused_publications(connection_id=connection_id)

        connection_ready.connect(resume, sender=MetaConnection, weak=False)
