"""Site admins see deletion requests, exports, retention settings and contact messages."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from privacy import exports
from privacy.models import ContactMessage, DataDeletionRequest, DataExport, RetentionSettings


@pytest.fixture
def operator_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("ops@example.com", "ops-password-123"))
    return client


@pytest.mark.parametrize(
    "model", [DataDeletionRequest, DataExport, RetentionSettings, ContactMessage]
)
def test_changelists_load(operator_client, owner, model):
    exports.request_workspace_export(actor=owner)
    RetentionSettings.objects.create(workspace=owner.workspace)
    url = reverse(f"admin:privacy_{model._meta.model_name}_changelist")
    assert operator_client.get(url).status_code == 200
    assert operator_client.get(url, {"q": "acme"}).status_code == 200


def test_export_detail_never_shows_the_archive_key(operator_client, owner):
    export = exports.request_workspace_export(actor=owner)
    exports.build_data_export(export_id=export.pk)
    export.refresh_from_db()
    page = operator_client.get(reverse("admin:privacy_dataexport_change", args=[export.pk]))
    assert page.status_code == 200
    assert export.storage_key not in page.content.decode()
    assert b"Ready to download" in page.content
