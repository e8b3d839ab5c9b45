"""``{% kept_body kept %}…{% endkept_body %}``: show a kept page body, or render and keep it.

``kept`` is the view's :class:`prosocial.kept.KeptBody`. When it holds a body, the tag shows it
without rendering what it encloses (the view skipped building that context); otherwise it
renders the enclosed template with ``csrf_token`` set to ``CSRF_SLOT``, keeps the result, and
shows it. Either way each form gets this response's own CSRF token.
"""

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

from prosocial.kept import CSRF_SLOT, KeptBody, keep

register = template.Library()


class KeptBodyNode(template.Node):
    def __init__(self, nodelist: NodeList, kept: FilterExpression) -> None:
        self.nodelist = nodelist
        self.kept = kept

    def render(self, context: Context) -> SafeString:
        kept = self.kept.resolve(context)
        if not isinstance(kept, KeptBody) or kept.key is None:
            return self.nodelist.render(context)
        html = kept.html
        if html is None:
            with context.push(csrf_token=CSRF_SLOT):
                html = self.nodelist.render(context)
            keep(kept, html)
        token = str(context.get("csrf_token", ""))
        return mark_safe(html.replace(CSRF_SLOT, token))  # noqa: S308 - our own render


@register.tag("kept_body")
def kept_body(parser: Parser, token: Token) -> KeptBodyNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% kept_body %} takes the view's KeptBody")
    nodelist = parser.parse(("endkept_body",))
    parser.delete_first_token()
    return KeptBodyNode(nodelist, parser.compile_filter(bits[1]))
