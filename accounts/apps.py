from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and workspaces"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (connects the audit receivers)
        from accounts.privacy import (
            AUDIT_EVENTS,
            erase_user,
            erase_workspace,
            export_user,
            export_workspace,
        )
        from prosocial.erasure import register_user_eraser, register_workspace_eraser
        from prosocial.exporting import register_user_exporter, register_workspace_exporter
        from prosocial.retention import register_site_retention_rule

        register_user_eraser("accounts", erase_user)
        register_workspace_eraser("accounts", erase_workspace)
        register_user_exporter("accounts", export_user)
        register_workspace_exporter("accounts", export_workspace)
        register_site_retention_rule(AUDIT_EVENTS)

        from accounts.context_processors import layout_state
        from prosocial.kept import register_layout_state

        register_layout_state(layout_state)
