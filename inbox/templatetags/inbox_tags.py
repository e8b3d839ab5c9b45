"""Inbox rows in templates: ``{{ url|web_url }}`` keeps a link only if it is http(s).

Attachment URLs and permalinks come from Meta's payloads; a ``javascript:`` or ``data:``
address must never become a link.
"""

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def web_url(url: object) -> str:
    """Return ``url`` when it is an ``http``/``https`` address, else ""."""
    text = str(url or "").strip()
    return text if urlsplit(text).scheme in ("http", "https") else ""
