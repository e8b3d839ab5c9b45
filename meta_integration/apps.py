from django.apps import AppConfig


class MetaIntegrationConfig(AppConfig):
    name = "meta_integration"
    verbose_name = "Meta integration"

    def ready(self) -> None:
        from meta_integration import data_rights, scopes, services
        from meta_integration.privacy import (
            UNASSIGNED_WEBHOOK_EVENT_RETENTION,
            WEBHOOK_EVENT_RETENTION,
            erase_meta_user,
        )
        from prosocial.erasure import (
            register_meta_page_deauthorizer,
            register_meta_user_deauthorizer,
            register_meta_user_eraser,
            register_user_eraser,
            register_user_meta_data_eraser,
            register_workspace_eraser,
        )
        from prosocial.exporting import register_user_exporter, register_workspace_exporter
        from prosocial.inventory import register_user_inventory, register_workspace_inventory
        from prosocial.policy_facts import register_policy_facts
        from prosocial.retention import register_retention_rule, register_site_retention_rule

        register_meta_user_eraser("meta_integration", erase_meta_user)
        register_retention_rule(WEBHOOK_EVENT_RETENTION)
        register_site_retention_rule(UNASSIGNED_WEBHOOK_EVENT_RETENTION)
        register_user_eraser("meta_integration", data_rights.erase_user)
        register_user_meta_data_eraser("meta_integration", data_rights.erase_user_meta_data)
        register_workspace_eraser("meta_integration", data_rights.erase_workspace)
        register_user_exporter("meta_integration", data_rights.export_user)
        register_workspace_exporter("meta_integration", data_rights.export_workspace)
        register_user_inventory("meta_integration", data_rights.describe_user)
        register_workspace_inventory("meta_integration", data_rights.describe_workspace)
        register_meta_user_deauthorizer(
            "meta_integration",
            lambda meta_user_id: services.revoke_meta_connections_for_user(
                meta_user_id=meta_user_id
            ),
        )
        register_meta_page_deauthorizer(
            "meta_integration",
            lambda page_id: services.remove_deauthorized_meta_page(page_id=page_id),
        )
        register_policy_facts("meta_integration", lambda: {"meta_features": scopes.FEATURES})

        from accounts.extensions import register_membership_count
        from meta_integration.context_processors import attention_count_expression

        register_membership_count("nav_meta_attention", attention_count_expression)
