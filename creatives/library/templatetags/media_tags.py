"""Signed browser URLs for media rows in templates: ``{{ asset|file_url }}``, ``{{ asset|poster_url }}``."""

from django import template

from creatives.library.media.specs import PLACEMENTS
from creatives.library.media_urls import browser_url
from creatives.library.models import MediaAsset

register = template.Library()


@register.filter
def file_url(asset: MediaAsset | None) -> str:
    if asset is None or asset.status != MediaAsset.Status.READY:
        return ""
    return browser_url(asset, asset.storage_key, asset.content_type)


@register.filter
def poster_url(asset: MediaAsset | None) -> str:
    if asset is None:
        return ""
    return browser_url(asset, asset.poster_key, "image/jpeg")


@register.filter
def dictget(mapping: dict[object, object] | None, key: object) -> object:
    """``{{ mapping|dictget:key }}``: a dict lookup with a variable key (None when absent)."""
    return (mapping or {}).get(key)


@register.filter
def placement_label(key: str) -> str:
    """``{{ asset.placement_key|placement_label }}``: "Instagram reel", never the key "ig_reel"."""
    spec = PLACEMENTS.get(key or "")
    return spec.label if spec is not None else ""
