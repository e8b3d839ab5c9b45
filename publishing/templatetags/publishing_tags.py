"""Template filters reading the target table (``publishing.targets``), so pages say what it says."""

from django import template
from django.utils.functional import Promise

from publishing.targets import TARGETS

register = template.Library()


@register.filter
def if_meta_cannot_download(target: str) -> str | Promise:
    """Return what happens on ``target`` when Meta can't download a file from our link."""
    spec = TARGETS.get(target)
    return spec.if_meta_cannot_download if spec else ""
