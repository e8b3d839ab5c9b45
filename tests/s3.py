"""S3 for tests: moto's server on 127.0.0.1 and the settings that point storage at it.

The product talks to it exactly as to AWS or MinIO, over HTTP through boto3 and
django-storages; nothing is mocked. Fixtures live in ``tests/creatives/conftest.py``.

Known gaps of moto 5.x's S3 (so tests assert what we send, not what moto would refuse):
it does not evaluate presigned POST policies (key, Content-Type, content-length-range,
expiry) and does not check presigned URL signatures or expiry.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from moto.server import ThreadedMotoServer

ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
REGION = "us-east-1"
BUCKET = "prosocial-test-media"
S3_STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@dataclass(frozen=True)
class S3Env:
    endpoint_url: str
    bucket: str

    def object_url(self, key: str) -> str:
        return f"{self.endpoint_url}/{self.bucket}/{key}"


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's server on a free loopback port; yield its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def reset_moto(endpoint_url: str) -> None:
    """Forget every bucket and object (moto's own reset API)."""
    requests.post(f"{endpoint_url}/moto-api/reset", timeout=5).raise_for_status()


def use_s3(settings: Any, *, endpoint_url: str, bucket: str = BUCKET) -> S3Env:
    """Switch media storage to S3 at ``endpoint_url`` via pytest-django's ``settings``.

    STORAGES is assigned last: its setting_changed signal drops the cached default_storage,
    which is then rebuilt with the AWS_* values already in place.
    """
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = endpoint_url
    settings.AWS_S3_REGION_NAME = REGION
    settings.AWS_ACCESS_KEY_ID = ACCESS_KEY_ID
    settings.AWS_SECRET_ACCESS_KEY = SECRET_ACCESS_KEY
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_QUERYSTRING_AUTH = True
    settings.AWS_S3_FILE_OVERWRITE = False
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.MEDIA_USES_S3 = True
    settings.STORAGES = S3_STORAGES
    return S3Env(endpoint_url=endpoint_url, bucket=bucket)
