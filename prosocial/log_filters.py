"""Logging filters that keep the console readable (LOGGING in settings.py uses them)."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404

# Refusals views raise on purpose: the answer (403, 404) is the whole story.
EXPECTED_REFUSALS = (PermissionDenied, Http404)


class ExpectedRefusalFilter(logging.Filter):
    """Log an expected refusal as its one warning line, without the exception's traceback.

    Django's request handler attaches the exception to "Forbidden (Permission denied): /path"
    (django/core/handlers/exception.py), so every 403 printed a full traceback although
    nothing went wrong. Unexpected exceptions keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], EXPECTED_REFUSALS):
            record.exc_info = None
            record.exc_text = None
        return True
