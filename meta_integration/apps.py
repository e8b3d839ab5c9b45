from django.apps import AppConfig


class MetaIntegrationConfig(AppConfig):
    name = "meta_integration"
    verbose_name = "Meta integration"

    def ready(self) -> None:
        from meta_integration.privacy import erase_meta_user
        from prosocial.erasure import register_meta_user_eraser

        register_meta_user_eraser("meta_integration", erase_meta_user)
