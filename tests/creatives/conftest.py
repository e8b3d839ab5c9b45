"""Fixtures for media tests: an S3 endpoint (moto's server) shared by the session."""

from collections.abc import Iterator

import pytest

from prosocial import storage
from tests.s3 import S3Env, moto_server, reset_moto, use_s3


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint_url:
        yield endpoint_url


@pytest.fixture
def s3(settings, moto_endpoint: str) -> S3Env:
    """Media storage switched to S3 with a fresh, empty bucket (settings restore afterwards)."""
    reset_moto(moto_endpoint)
    env = use_s3(settings, endpoint_url=moto_endpoint)
    storage.ensure_bucket()
    return env


@pytest.fixture
def media_root(settings, tmp_path):
    """Media on the local disk, in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_USES_S3 = False
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture
def no_server_key(settings):
    """Without a key "auto" means the offline provider, whatever the machine's environment."""
    settings.OPENAI_API_KEY = ""
