import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from meta_integration import graph
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage
from tests.conftest import client_for
from tests.meta_integration.helpers import connect

pytestmark = pytest.mark.usefixtures("sandbox")


def test_disconnect_revokes_on_meta_and_wipes_tokens(owner, sandbox):
    client = client_for(owner)
    connect(client, sandbox)
    connection = MetaConnection.objects.get()
    token = connection.access_token

    response = client.post(reverse("meta_integration:disconnect", args=["acme", connection.pk]))

    connection.refresh_from_db()
    assert response.status_code == 302
    assert connection.status == MetaConnection.Status.DISCONNECTED
    assert connection.access_token == ""
    assert (
        MetaPage.objects.count(),
        InstagramAccount.objects.count(),
        MetaAdAccount.objects.count(),
    ) == (0, 0, 0)
    assert graph.debug_token(input_token=token).is_valid is False
    event = AuditEvent.objects.get(action="meta.disconnected")
    assert event.metadata == {
        "pages": 3,
        "instagram_accounts": 2,
        "ad_accounts": 3,
        "revoked_on_meta": True,
    }


def test_disconnect_when_meta_is_down_still_wipes_locally(owner, sandbox, settings):
    settings.META_MAX_RETRIES = 0
    client = client_for(owner)
    connect(client, sandbox)
    connection = MetaConnection.objects.get()
    sandbox.state.add_fault(method="DELETE", path="/me/permissions", http_status=500, times=None)

    response = client.post(
        reverse("meta_integration:disconnect", args=["acme", connection.pk]), follow=True
    )

    connection.refresh_from_db()
    assert connection.access_token == ""
    assert connection.status == MetaConnection.Status.DISCONNECTED
    assert "Meta didn" in response.content.decode()
    assert AuditEvent.objects.get(action="meta.disconnected").metadata["revoked_on_meta"] is False
