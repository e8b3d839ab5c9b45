"""Media rows in templates: signed URLs, placements by name and media pickers.

``{{ asset|file_url }}``, ``{{ asset|poster_url }}`` and ``{{ asset|thumbnail_url }}`` sign
browser URLs; ``{{ asset|fit_names }}`` names the placements a file fits; a media picker's
preview is ``{% media_picker form.item_1 %}``, with ``{% media_picker_data ... %}`` once.
"""

from collections.abc import Iterable

from django import forms, template
from django.template.loader import render_to_string
from django.utils.html import json_script
from django.utils.safestring import SafeString

from creatives.library.media.specs import PLACEMENTS, fitting_placements
from creatives.library.media_urls import browser_url
from creatives.library.models import MediaAsset
from creatives.library.selectors import facts_for_asset

register = template.Library()

PICKER_DATA_ID = "media-picker-data"


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


@register.filter
def thumbnail_url(asset: MediaAsset | None) -> str:
    """Return a small picture of ``asset``: its poster frame, else (an image) the file."""
    if asset is None or asset.status != MediaAsset.Status.READY:
        return ""
    if asset.poster_key:
        return poster_url(asset)
    return file_url(asset) if asset.kind == MediaAsset.Kind.IMAGE else ""


@register.filter
def fit_names(asset: MediaAsset | None) -> list[str]:
    """Return the names of the placements ``asset`` fits as it is (the one placement table)."""
    if asset is None or asset.status != MediaAsset.Status.READY:
        return []
    if asset.kind == MediaAsset.Kind.AUDIO:
        return []
    keys = fitting_placements(facts_for_asset(asset))
    return [PLACEMENTS[key].label for key in keys if PLACEMENTS[key].label]


def fits_sentence(names: list[str]) -> str:
    """Return "Fits: Instagram feed image · Facebook Page photo" (labels may hold commas)."""
    return "Fits: " + " · ".join(names) if names else "Fits no placement as it is"


@register.filter
def fits_text(asset: MediaAsset | None) -> str:
    return fits_sentence(fit_names(asset)) if asset is not None else ""


def _picker_entry(asset: MediaAsset) -> dict[str, str]:
    return {
        "thumb": thumbnail_url(asset),
        "alt": f"Preview of {asset.original_filename}",
        "fits": "" if asset.kind == MediaAsset.Kind.AUDIO else fits_text(asset),
    }


def _chosen(field: forms.BoundField) -> MediaAsset | None:
    value = field.value()
    if isinstance(value, MediaAsset):
        return value
    queryset = getattr(field.field, "queryset", None)
    if not value or queryset is None:
        return None
    try:
        return queryset.filter(pk=int(value)).first()  # type: ignore[no-any-return]
    except (TypeError, ValueError):
        return None


@register.simple_tag
def media_picker(field: forms.BoundField) -> SafeString:
    """Render the thumbnail and placement names of the file chosen in ``field`` (a select).

    ``static/js/media-picker.js`` updates it when the choice changes, from the data that
    ``{% media_picker_data %}`` writes once per page.
    """
    asset = _chosen(field)
    context = {
        "field": field,
        "entry": _picker_entry(asset) if asset is not None else None,
        "data_id": PICKER_DATA_ID,
    }
    return render_to_string("creatives/_media_picker.html", context)  # type: ignore[return-value]


@register.simple_tag
def media_picker_data(*fields: forms.BoundField) -> SafeString:
    """One JSON block with each choosable file's thumbnail, alt text and placement names."""
    assets: dict[int, MediaAsset] = {}
    for field in fields:
        queryset: Iterable[MediaAsset] | None = getattr(field.field, "queryset", None)
        for asset in queryset if queryset is not None else ():
            assets.setdefault(asset.pk, asset)
    data = {str(pk): _picker_entry(asset) for pk, asset in assets.items()}
    return json_script(data, PICKER_DATA_ID)
