"""The development email backend: emails printed to the terminal as a person reads them.

Django's console backend prints the message as it would travel: bodies with long lines are
quoted-printable, which cuts a verification link with `=` at the line ends, so it cannot be
clicked or copied whole. This one prints the headers, then each text body decoded, and a line
for each attachment or other part instead of its encoded bytes.
"""

from email.message import EmailMessage as MimeMessage
from typing import Any

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

# Transport details, not something a reader needs.
_HIDDEN_HEADERS = {"mime-version", "content-type", "content-transfer-encoding"}


class ConsoleEmailBackend(DjangoConsoleBackend):
    def write_message(self, message: Any) -> None:
        mime: MimeMessage = message.message()
        lines = [
            f"{name}: {value}"
            for name, value in mime.items()
            if name.lower() not in _HIDDEN_HEADERS
        ]
        lines.append("")
        parts = [part for part in mime.walk() if not part.is_multipart()]
        body = _readable_body(parts)
        for part in parts:
            if part is body:
                lines.append(str(part.get_content()).rstrip("\n"))
            else:
                lines.append(_summary(part))
        self.stream.write("\n".join(lines) + "\n")
        self.stream.write("-" * 79 + "\n")


def _readable_body(parts: list[MimeMessage]) -> MimeMessage | None:
    """Return the part to print in full: the plain-text body, else the first text body."""
    bodies = [
        part
        for part in parts
        if part.get_content_maintype() == "text" and part.get_content_disposition() is None
    ]
    plain = [part for part in bodies if part.get_content_type() == "text/plain"]
    return next(iter(plain or bodies), None)


def _summary(part: MimeMessage) -> str:
    payload = part.get_payload(decode=True)
    size = f"{len(payload)} bytes" if isinstance(payload, bytes) else "empty"
    kind = part.get_content_type()
    if part.get_content_disposition() == "attachment":
        return f"[attachment {part.get_filename() or '(no name)'}: {kind}, {size}]"
    return f"[{kind} part, {size}, not shown]"
