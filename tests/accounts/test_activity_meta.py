"""Meta connect and disconnect events in the workspace activity log: labels and a filter."""

import csv
import io
import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from meta_integration.models import MetaConnection
from tests.conftest import client_for
from tests.meta_integration.helpers import connect

pytestmark = pytest.mark.usefixtures("sandbox")

META_FILTER = "meta"


@pytest.fixture
def meta_history(owner, sandbox):
    """A connect, an asset choice and a disconnect, with an unrelated event in between."""
    client = client_for(owner)
    connect(client, sandbox)
    connection = MetaConnection.objects.get()
    AuditEvent.objects.create(
        workspace=owner.workspace, actor_email="x@example.com", action="workspace.updated"
    )
    client.post(
        reverse("meta_integration:connection", args=["acme", connection.pk]),
        {"pages": [connection.pages.first().pk]},
    )
    client.post(reverse("meta_integration:disconnect", args=["acme", connection.pk]))
    return client


def rows(response):
    return [event.action for event in response.context["page"]]


def test_meta_events_read_as_sentences(meta_history):
    response = meta_history.get(reverse("accounts:activity", args=["acme"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "connected a Meta account" in html
    assert "chose the Pages and accounts Meta shares" in html
    assert "disconnected a Meta account" in html


def test_the_meta_connection_filter_returns_only_meta_events(meta_history):
    url = reverse("accounts:activity", args=["acme"])

    response = meta_history.get(url, {"action": META_FILTER})

    assert response.status_code == 200
    assert rows(response) == ["meta.disconnected", "meta.assets_selected", "meta.connected"]
    assert "workspace.updated" in rows(meta_history.get(url))
    option = rf'<option value="{META_FILTER}"\s+selected\s*>\s*Meta connection'
    assert re.search(option, response.content.decode())


def test_the_csv_export_follows_the_meta_filter(meta_history):
    url = reverse("accounts:activity", args=["acme"])

    response = meta_history.get(url, {"action": META_FILTER, "format": "csv"})

    body = b"".join(response.streaming_content).decode()
    actions = [row["action"] for row in csv.DictReader(io.StringIO(body))]
    assert actions == ["meta.disconnected", "meta.assets_selected", "meta.connected"]


def test_a_page_deauthorization_names_the_page(owner):
    AuditEvent.objects.create(
        workspace=owner.workspace,
        action="meta.page_deauthorized",
        target_repr="Alex Rivera (Active)",
        metadata={"page_id": "1", "page": "Rivera Coffee Roasters"},
    )
    AuditEvent.objects.create(workspace=owner.workspace, action="meta.deauthorized")

    response = client_for(owner).get(
        reverse("accounts:activity", args=["acme"]), {"action": META_FILTER}
    )

    html = response.content.decode()
    assert "a Facebook Page removed ProSocial: Rivera Coffee Roasters" in html
    assert "Meta access was revoked: the Facebook account removed ProSocial" in html
    assert len(rows(response)) == 2


def test_an_unknown_filter_is_refused_with_422(owner):
    response = client_for(owner).get(
        reverse("accounts:activity", args=["acme"]), {"action": "meta.*"}
    )

    assert response.status_code == 422
