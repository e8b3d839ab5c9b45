from django.apps import AppConfig


class EditorConfig(AppConfig):
    """The video editor: edit projects, versioned edit documents, templates and renders."""

    name = "creatives.editor"
    label = "editor"
    verbose_name = "Video editor"

    def ready(self) -> None:
        from creatives.editor import privacy
        from prosocial.erasure import register_user_eraser, register_workspace_eraser
        from prosocial.exporting import register_user_exporter, register_workspace_exporter
        from prosocial.inventory import register_user_inventory, register_workspace_inventory

        register_user_eraser("editor", privacy.erase_user)
        register_workspace_eraser("editor", privacy.erase_workspace)
        register_user_exporter("editor", privacy.export_user)
        register_workspace_exporter("editor", privacy.export_workspace)
        register_user_inventory("editor", privacy.describe_user)
        register_workspace_inventory("editor", privacy.describe_workspace)

        from creatives.editor import usage
        from creatives.library.usage import register_media_user

        register_media_user(
            "editor", describe=usage.describe_media_use, release=usage.release_media
        )

        from creatives.editor import aids

        # A deleted file's filmstrip and waveform go with it (after COMMIT).
        aids.connect_cleanup()
