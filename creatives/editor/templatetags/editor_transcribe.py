"""``{% transcribe_panel membership project as panel %}``: the captions-from-speech panel's data."""

from django import template

from accounts.models import Membership
from creatives.editor import transcribe
from creatives.editor.models import EditProject

register = template.Library()


@register.simple_tag
def transcribe_panel(membership: Membership, project: EditProject) -> transcribe.Panel:
    """Return what ``_transcribe.html`` shows (``transcribe.panel``)."""
    return transcribe.panel(membership, project)
