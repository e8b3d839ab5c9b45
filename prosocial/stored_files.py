"""Removing files from Django's default storage (filesystem or S3), whichever app owns them."""

import logging

from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


def delete_stored_files(*keys: str) -> None:
    """Delete stored objects; a failure is logged and does not stop the others."""
    for key in keys:
        if key:
            try:
                default_storage.delete(key)
            except Exception:
                logger.exception("storage: could not delete stored object %s", key)
