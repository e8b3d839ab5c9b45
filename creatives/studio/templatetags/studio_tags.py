"""The studio's template filters: ``{{ call.cost_micro_usd|usd }}``."""

from django import template

from creatives.studio import generation

register = template.Library()


@register.filter
def usd(micro: int) -> str:
    """``{{ 4200|usd }}`` → "$0.0042": micro-dollars as people read them."""
    return generation.usd(int(micro or 0))
