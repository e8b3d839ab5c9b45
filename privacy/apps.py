from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from privacy import own_data
        from prosocial.erasure import register_user_eraser, register_workspace_eraser
        from prosocial.exporting import register_user_exporter, register_workspace_exporter

        register_user_eraser("privacy", own_data.erase_user)
        register_workspace_eraser("privacy", own_data.erase_workspace)
        register_user_exporter("privacy", own_data.export_user)
        register_workspace_exporter("privacy", own_data.export_workspace)
