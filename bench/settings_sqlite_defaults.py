"""``prosocial.settings`` with Django's own SQLite defaults, for ``bench.embedded_load``.

``--sqlite django-defaults`` runs the load against this: no ``init_command`` (so the rollback
journal and ``synchronous=FULL``), DEFERRED transactions and a 5 s busy timeout, to show what
the embedded default's settings are for. Nothing else changes.
"""

from prosocial.settings import *  # noqa: F403
from prosocial.settings import DATABASES as _PRODUCT_DATABASES

DATABASES = {"default": {**_PRODUCT_DATABASES["default"], "OPTIONS": {}}}
