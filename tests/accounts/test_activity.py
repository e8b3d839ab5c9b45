import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from tests.conftest import client_for


@pytest.fixture
def events(owner, editor, outsider):
    now = timezone.now()
    rows = [
        AuditEvent(
            workspace=owner.workspace,
            actor_email="a@example.com",
            action="member.removed",
            created_at=now - timedelta(days=3),
        ),
        AuditEvent(
            workspace=owner.workspace,
            actor_email="b@example.com",
            action="workspace.updated",
            created_at=now - timedelta(days=1),
            metadata={"fields": ["name"]},
        ),
        AuditEvent(
            workspace=owner.workspace,
            actor_email="a@example.com",
            action="workspace.updated",
            created_at=now,
        ),
        AuditEvent(
            workspace=outsider.workspace,
            actor_email="spy@example.com",
            action="workspace.updated",
            created_at=now,
        ),
    ]
    AuditEvent.objects.bulk_create(rows)
    return rows


def page_actions(response):
    return [e.action for e in response.context["page"]]


def test_filters_by_actor_action_and_dates(owner, events):
    client = client_for(owner)
    url = reverse("accounts:activity", args=["acme"])
    today = timezone.now().date()

    by_actor = client.get(url, {"actor": "a@example.com"})
    by_action = client.get(url, {"action": "workspace.updated"})
    by_dates = client.get(
        url, {"since": today - timedelta(days=2), "until": today - timedelta(days=1)}
    )

    assert page_actions(by_actor) == ["workspace.updated", "member.removed"]
    assert page_actions(by_action) == ["workspace.updated", "workspace.updated"]
    assert [e.actor_email for e in by_dates.context["page"]] == ["b@example.com"]
    assert "spy@example.com" not in client.get(url).content.decode()


def test_reversed_dates_are_422(owner, events):
    today = timezone.now().date()

    response = client_for(owner).get(
        reverse("accounts:activity", args=["acme"]),
        {"since": today, "until": today - timedelta(days=5)},
    )

    assert response.status_code == 422
    assert "must be on or before" in response.content.decode()


def test_csv_export_has_the_filtered_rows(owner, events):
    response = client_for(owner).get(
        reverse("accounts:activity", args=["acme"]),
        {"action": "workspace.updated", "format": "csv"},
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:3] == ["time_utc", "actor", "action"]
    assert [r[1] for r in rows[1:]] == ["a@example.com", "b@example.com"]
    assert rows[2][8] == '{"fields": ["name"]}'


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_only_admins_see_the_log(cast, events, persona):
    response = client_for(cast[persona]).get(
        reverse("accounts:activity", args=["acme"]), {"format": "csv"}
    )

    assert response.status_code == 403
