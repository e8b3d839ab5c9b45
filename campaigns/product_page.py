"""Read a product page's title, description and image to prefill a brief.

Fetched only through ``prosocial.safe_http`` (public addresses only, redirects re-checked, size
and time capped). The page's text is data: it is stored as plain text, length-capped, shown
escaped, and never treated as instructions for anything.
"""

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from prosocial import safe_http

MAX_PAGE_BYTES = 2 * 1024 * 1024
TITLE_MAX = 300
DESCRIPTION_MAX = 2000


class ProductPageError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProductPage:
    url: str
    title: str
    description: str
    image_url: str


class _MetaReader(HTMLParser):
    """Collect <title>, meta description and Open Graph tags; ignore everything else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {name.lower(): (value or "") for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").lower()
            if key in ("og:title", "og:description", "og:image", "description", "twitter:image"):
                self.meta.setdefault(key, values.get("content", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _clean(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def parse_product_page(url: str, html: str) -> ProductPage:
    """Return what the page says about itself (Open Graph first, then <title>/description)."""
    reader = _MetaReader()
    reader.feed(html)
    image = reader.meta.get("og:image") or reader.meta.get("twitter:image") or ""
    image_url = urljoin(url, image) if image else ""
    if urlsplit(image_url).scheme not in ("http", "https"):
        image_url = ""
    return ProductPage(
        url=url,
        title=_clean(reader.meta.get("og:title") or reader.title, TITLE_MAX),
        description=_clean(
            reader.meta.get("og:description") or reader.meta.get("description", ""),
            DESCRIPTION_MAX,
        ),
        image_url=image_url,
    )


def read_product_page(url: str) -> ProductPage:
    """Fetch ``url`` safely and parse it; raise ProductPageError with a reason to show."""
    try:
        result = safe_http.fetch(url, max_bytes=MAX_PAGE_BYTES)
    except safe_http.SafeFetchError as exc:
        raise ProductPageError(exc.message) from exc
    if result.status >= 400:
        raise ProductPageError(f"The page answered HTTP {result.status}.")
    if result.content_type not in ("text/html", "application/xhtml+xml"):
        raise ProductPageError(
            f"The link isn't a web page ({result.content_type or 'unknown type'})."
        )
    charset = "utf-8"
    for part in result.headers.get("content-type", "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        html = result.body.decode(charset, errors="replace")
    except LookupError:
        html = result.body.decode("utf-8", errors="replace")
    page = parse_product_page(result.url, html)
    if not (page.title or page.description):
        raise ProductPageError("The page has no title or description to prefill from.")
    return page
