"""Every sandbox endpoint, one module per area; importing this package registers them.

To add an endpoint, write a handler in the module of its area (or a new module listed
here) and decorate it with `@route(...)` from `meta_sandbox.routing`; a new kind of
Graph object also gets a `NodeType`, a `@converter` and `register_node(...)`.
"""

from meta_sandbox.endpoints import (
    ad_assets,
    ad_lists,
    adaccounts,
    ads,
    batch,
    comments,
    console,
    customer,
    dialog,
    graph,
    ig_publishing,
    insights,
    instagram,
    media,
    mentions,
    messaging,
    oauth,
    page_publishing,
    pages,
    rupload,
    sandbox_api,
    sandbox_objects,
    subscriptions,
    users,
    videos,
)

__all__ = [
    "ad_assets",
    "ad_lists",
    "adaccounts",
    "ads",
    "batch",
    "comments",
    "console",
    "customer",
    "dialog",
    "graph",
    "ig_publishing",
    "insights",
    "instagram",
    "media",
    "mentions",
    "messaging",
    "oauth",
    "page_publishing",
    "pages",
    "rupload",
    "sandbox_api",
    "sandbox_objects",
    "subscriptions",
    "users",
    "videos",
]
