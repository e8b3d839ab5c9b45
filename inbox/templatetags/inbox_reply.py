"""``{% reply_box_for thread membership as box %}``: the reply box's data (inbox.reply_box)."""

from typing import Any

from django import template

from inbox.reply_box import ReplyBox, build_reply_box

register = template.Library()


@register.simple_tag(takes_context=True)
def reply_box_for(context: template.Context, thread: Any, membership: Any) -> ReplyBox:
    """Return the box the view already built, else build it (``?saved=<id>`` fills the text)."""
    box = context.get("box")
    if isinstance(box, ReplyBox):
        return box
    request = context.get("request")
    saved = request.GET.get("saved") if request is not None else None
    return build_reply_box(membership, thread, saved_id=saved)
