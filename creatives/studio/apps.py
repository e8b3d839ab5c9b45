from django.apps import AppConfig


class StudioConfig(AppConfig):
    """The AI studio: scripts, storyboards, scene pictures, composed videos and their jobs."""

    name = "creatives.studio"
    label = "studio"
    verbose_name = "AI studio"

    def ready(self) -> None:
        from campaigns import extensions
        from creatives.studio import deletion, privacy, selectors
        from prosocial.erasure import register_user_eraser, register_workspace_eraser
        from prosocial.exporting import register_user_exporter, register_workspace_exporter

        register_user_eraser("studio", privacy.erase_user)
        register_workspace_eraser("studio", privacy.erase_workspace)
        register_user_exporter("studio", privacy.export_user)
        register_workspace_exporter("studio", privacy.export_workspace)
        extensions.register_detail_context(
            "studio", selectors.campaign_studio, sources=selectors.CAMPAIGN_STUDIO_SOURCES
        )
        extensions.register_creative_counts("studio", selectors.creative_counts)
        extensions.register_deletion_summary("studio", deletion.deletion_summary)

        from creatives.library.usage import register_media_user

        register_media_user(
            "studio", describe=deletion.describe_media_use, release=deletion.release_media
        )
