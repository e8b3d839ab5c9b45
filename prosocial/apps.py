from django.apps import AppConfig


class ProsocialConfig(AppConfig):
    """The project package as an app, so its management commands and templates load."""

    name = "prosocial"
    verbose_name = "ProSocial"
