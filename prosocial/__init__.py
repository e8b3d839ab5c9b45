"""ProSocial project package: settings, URLs, Celery app and cross-cutting libraries."""

from prosocial.celery import app as celery_app

__all__ = ("celery_app",)
