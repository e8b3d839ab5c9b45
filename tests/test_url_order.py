"""No app's URL pattern shadows another's, so the order of the apps' URLconfs is free.

``prosocial/urls.py`` lists accounts first (its dashboard and members pages are the most
opened, and resolving walks the patterns in order). That is only safe while every route
resolves to its own view wherever it is listed: each named route is reversed with sample
values and must resolve back to itself.
"""

import uuid

from django.urls import (
    NoReverseMatch,
    URLPattern,
    URLResolver,
    converters,
    get_resolver,
    resolve,
    reverse,
)
from django.urls.resolvers import RoutePattern

SAMPLES = {
    converters.IntConverter: 7,
    converters.SlugConverter: "acme",
    converters.StringConverter: "x1y2",
    converters.UUIDConverter: uuid.UUID("12345678-1234-5678-1234-567812345678"),
    converters.PathConverter: "a/b.mp4",
}


def _routes(patterns, namespace="", found=None):
    """Yield ``(name, kwargs)`` for every named route made of ``path()`` patterns."""
    found = [] if found is None else found
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if not isinstance(pattern.pattern, RoutePattern):
                continue  # regex URLconfs (Django admin) are their own prefix
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            _routes(pattern.url_patterns, inner, found)
        elif isinstance(pattern, URLPattern) and pattern.name:
            route = pattern.pattern
            if not isinstance(route, RoutePattern):
                continue
            kwargs = {name: SAMPLES[type(conv)] for name, conv in route.converters.items()}
            found.append((f"{namespace}{pattern.name}", kwargs))
    return found


def test_every_route_resolves_to_its_own_view():
    routes = _routes(get_resolver().url_patterns)
    assert len(routes) > 300  # every app's routes were found

    shadowed = []
    for name, kwargs in routes:
        try:
            path = reverse(name, kwargs=kwargs)
        except NoReverseMatch:  # a route whose own converters refuse the samples
            continue
        if resolve(path).view_name != name:
            shadowed.append((name, path, resolve(path).view_name))

    assert shadowed == []
