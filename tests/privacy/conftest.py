"""Fixtures for the privacy centre: a private media folder and real uploaded images."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from creatives.library import services as media_services


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload_image(membership, name="photo.jpg", colour=(200, 40, 40), size=(640, 640)):
    """Upload a real JPEG through the media service, as the library does."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    uploaded = SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
    return media_services.upload_media(actor=membership, uploaded=uploaded)
