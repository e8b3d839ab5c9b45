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
        from publishing import checks, privacy, selectors  # noqa: F401  (checks registers itself)

        register_meta_user_eraser("publishing", privacy.erase_meta_user)
        register_user_eraser("publishing", privacy.erase_user)
        register_workspace_eraser("publishing", privacy.erase_workspace)
        register_user_exporter("publishing", privacy.export_user)
        register_workspace_exporter("publishing", privacy.export_workspace)
        register_retention_rule(privacy.PUBLISH_TRACES)

        from accounts.extensions import register_dashboard_panel, register_membership_count

        register_membership_count("nav_waiting", selectors.waiting_count_expression)

        register_dashboard_panel(
            "next_steps",
            template="publishing/_dashboard_next_steps.html",
            context=selectors.dashboard_next_steps,
            sources=selectors.NEXT_STEPS_SOURCES,
            order=10,
        )
        register_dashboard_panel(
            "publishing",
            template="publishing/_dashboard_publishing.html",
            context=selectors.dashboard_publishing,
            sources=selectors.DASHBOARD_PUBLISHING_SOURCES,
            order=20,
        )

        from creatives.library.usage import register_media_user
        from publishing import deletion

        register_media_user(
            "publishing", describe=deletion.describe_media_use, release=deletion.release_media
        )

        from meta_integration.models import MetaConnection
        from meta_integration.signals import (
            assets_removed,
            assets_restored,
            connection_ready,
            connection_revoked,
            disconnect_impact,
        )
        from publishing import selectors, services

        def resume(sender: type, connection_id: int, **kwargs: object) -> None:
            services.resume_paused_publications(connection_id=connection_id)

        def pause(
            sender: type,
            workspace_id: int,
            page_ids: list[str],
            ig_user_ids: list[str],
            ad_account_ids: list[str],
            cause: str,
            **kwargs: object,
        ) -> list[str]:
            paused = services.pause_publications_without_account(
                workspace_id=workspace_id,
                page_ids=page_ids,
                ig_user_ids=ig_user_ids,
                ad_account_ids=ad_account_ids,
                cause=cause,
            )
            return [f"{p.title} ({p.get_status_display().lower()})" for p in paused]

        def reattach(sender: type, workspace_id: int, connection_id: int, **kwargs: object) -> int:
            return services.reattach_publications(
                workspace_id=workspace_id, connection_id=connection_id
            )

        def wait_for_reconnect(
            sender: type, connection_id: int, cause: str, **kwargs: object
        ) -> int:
            return services.pause_until_reconnected(connection_id=connection_id, cause=cause)

        def impact(sender: type, connection_id: int, **kwargs: object) -> list[tuple[str, int]]:
            return selectors.disconnect_impact(connection_id=connection_id)

        connection_ready.connect(resume, sender=MetaConnection, weak=False)
        assets_removed.connect(pause, sender=MetaConnection, weak=False)
        assets_restored.connect(reattach, sender=MetaConnection, weak=False)
        disconnect_impact.connect(impact, sender=MetaConnection, weak=False)
        connection_revoked.connect(wait_for_reconnect, sender=MetaConnection, weak=False)
