"""The session engine where Redis is there: ``cached_db``, reading other keys with the session.

Sessions are read from the cache and written through to the database exactly as Django's
``django.contrib.sessions.backends.cached_db`` does (this store is that one). ``read_with``
also reads other cache keys in the same round trip: ``prosocial.kept`` reads, with the
session, the page this session was last answered at the address it asks for, so that viewing a
kept page again costs one round trip to Redis and one query (bench/README.md, "page_latency").
"""

from typing import Any

from django.contrib.sessions.backends import cached_db


class SessionStore(cached_db.SessionStore):
    def read_with(self, keys: list[str]) -> dict[str, Any]:
        """Read the session together with ``keys`` (one round trip); return those found.

        The session read here is what ``load`` answers next. A visitor without a session key
        reads nothing.
        """
        if self.session_key is None:
            return {}
        try:
            found = self._cache.get_many([self.cache_key, *keys])  # type: ignore[attr-defined]
        except Exception:  # as ``load`` does: a key the cache refuses, a cache that is down
            return {}
        self._read_ahead = found.pop(self.cache_key, None)
        return found

    def load(self) -> dict[str, Any]:
        read = self.__dict__.pop("_read_ahead", None)
        return read if read is not None else super().load()
