"""Redaction of secrets from anything that leaves the process as text (logs, error reports).

``redact`` is the one function that knows what a secret looks like in a string: query or form
parameters and JSON keys that carry tokens, bearer headers, Meta access tokens and our own
Fernet ciphertexts. The logging filter applies it to every record.
"""

import logging
import re

REDACTED = "[redacted]"

# The names of parameters that carry secrets (not secrets themselves).
_SECRET_PARAM_NAMES = "|".join(
    [
        "access_token",
        "input_token",
        "client_secret",
        "appsecret_proof",
        "fb_exchange_token",
        "refresh_token",
        "password",
        "secret",
        "signed_request",
        "code",
    ]
)
_PATTERNS = [
    # access_token=XYZ in URLs, form bodies and reprs
    re.compile(rf"(?i)\b({_SECRET_PARAM_NAMES})=([^&\s'\"]+)"),
    # "access_token": "XYZ" in JSON
    re.compile(rf"(?i)(\"(?:{_SECRET_PARAM_NAMES})\"\s*:\s*\")([^\"]+)"),
    # Authorization: Bearer XYZ / OAuth XYZ
    re.compile(r"(?i)\b(bearer|oauth)\s+([A-Za-z0-9._~+/=-]{8,})"),
]
# Bare Meta tokens (they start with EAA) and Fernet ciphertexts (gAAAAA…).
_BARE_TOKENS = re.compile(r"\b(?:EAA[A-Za-z0-9]{16,}|gAAAAA[A-Za-z0-9_=-]{20,})")


def redact(text: str) -> str:
    """Return ``text`` with every recognisable secret replaced by ``[redacted]``."""
    for pattern in _PATTERNS:
        # Keep everything up to the secret (group 2), replace the secret itself.
        text = pattern.sub(lambda m: m.group(0)[: m.start(2) - m.start(0)] + REDACTED, text)
    return _BARE_TOKENS.sub(REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """Rewrite each record's message and traceback text through ``redact``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
