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
