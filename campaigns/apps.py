from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from campaigns import privacy
        from prosocial.erasure import register_user_eraser, register_workspace_eraser
        from prosocial.exporting import register_user_exporter, register_workspace_exporter

        register_user_eraser("campaigns", privacy.erase_user)
        register_workspace_eraser("campaigns", privacy.erase_workspace)
        register_user_exporter("campaigns", privacy.export_user)
        register_workspace_exporter("campaigns", privacy.export_workspace)

        from campaigns import services
        from creatives.library.usage import register_media_user

        register_media_user(
            "campaigns", describe=services.describe_media_use, release=services.release_media
        )
