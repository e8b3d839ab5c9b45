"""Tokens never leave the vault: not in the database as plaintext, logs, pages or admin."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from meta_integration import services
from meta_integration.models import MetaConnection
from tests.conftest import client_for
from tests.db_dump import dump_database
from tests.meta_integration.helpers import connect


@pytest.mark.usefixtures("sandbox")
def test_raw_tokens_appear_nowhere(owner, sandbox, caplog, settings):
    caplog.set_level(logging.DEBUG)
    client = client_for(owner)
    connect(client, sandbox)
    connection = MetaConnection.objects.get()
    services.check_meta_connection(connection_id=connection.pk)
    operator = Client()
    operator.force_login(User.objects.create_superuser("ops@example.com", "pw-ops-123456"))

    pages = [
        client.get(reverse("meta_integration:connections", args=["acme"])),
        client.get(reverse("meta_integration:connection", args=["acme", connection.pk])),
        operator.get(reverse("admin:meta_integration_metaconnection_change", args=[connection.pk])),
        operator.get(reverse("admin:meta_integration_metapage_changelist")),
    ]
    page_ids = connection.pages.values_list("pk", flat=True)
    pages += [
        operator.get(reverse("admin:meta_integration_metapage_change", args=[pk]))
        for pk in page_ids
    ]

    tokens = [t for t in sandbox.state.auth.tokens if t]
    assert len(tokens) >= 4  # short-lived, long-lived and the Page tokens
    haystacks = {
        "database": dump_database(),
        "logs": caplog.text,
        **{f"page {i}": p.content.decode() for i, p in enumerate(pages)},
    }
    assert all(p.status_code == 200 for p in pages)
    leaks = [
        (where, token[:12])
        for where, text in haystacks.items()
        for token in tokens
        if token in text
    ]
    assert leaks == []
