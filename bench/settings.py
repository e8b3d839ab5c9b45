"""Settings for the benchmarks: the product's settings plus the bench-only URLs.

Every value still comes from ``prosocial.settings`` (the one place that reads the
environment); only the URLconf changes, to add the baseline view.
"""

from prosocial.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
