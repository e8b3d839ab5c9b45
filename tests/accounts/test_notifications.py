"""In-app notifications: written per recipient, emailed after commit, read and marked read."""

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from accounts import services
from accounts.models import Notification
from accounts.permissions import MANAGERS
from prosocial import erasure, exporting
from tests.conftest import client_for


def _notify(workspace, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return services.notify_workspace(
            workspace,
            kind="test.event",
            title="Something happened",
            body="Line one.\nLine two.",
            link="/w/acme/meta/",
            **kwargs,
        )


@pytest.mark.usefixtures("tasks_inline")
def test_notify_writes_one_row_and_one_email_per_recipient_role(
    cast, workspace, django_capture_on_commit_callbacks
):
    mail.outbox.clear()

    rows = _notify(workspace, django_capture_on_commit_callbacks, roles=MANAGERS)

    assert sorted(row.recipient.email for row in rows) == [
        "adam.admin@example.com",
        "olivia.owner@example.com",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "adam.admin@example.com",
        "olivia.owner@example.com",
    ]
    assert mail.outbox[0].subject == "[ProSocial] Something happened"
    assert "Line one.\nLine two." in mail.outbox[0].body
    assert f"{settings.PUBLIC_BASE_URL}/w/acme/meta/" in mail.outbox[0].body
    assert Notification.objects.filter(workspace=cast["outsider"].workspace).count() == 0


def test_nothing_is_emailed_when_the_change_rolls_back(workspace, owner):
    mail.outbox.clear()

    services.notify_workspace(workspace, kind="test.event", title="Never mind")

    assert mail.outbox == []  # the test transaction never commits


def test_bell_counts_unread_and_list_marks_read(
    owner, workspace, django_capture_on_commit_callbacks
):
    (row,) = _notify(workspace, django_capture_on_commit_callbacks, roles={"owner"})
    client = client_for(owner)

    dashboard = client.get(reverse("accounts:dashboard", args=["acme"])).content.decode()
    listing = client.get(reverse("accounts:notifications", args=["acme"])).content.decode()
    response = client.post(reverse("accounts:notification_read", args=["acme", row.pk]))

    row.refresh_from_db()
    assert 'data-testid="notification-count">1</span>' in dashboard
    assert "Something happened" in listing
    assert "Line one.<br>Line two." in listing
    assert response.status_code == 302
    assert row.read_at is not None
    after = client.get(reverse("accounts:dashboard", args=["acme"])).content.decode()
    assert 'data-testid="notification-count"' not in after


def test_open_marks_read_and_follows_the_link(owner, workspace, django_capture_on_commit_callbacks):
    (row,) = _notify(workspace, django_capture_on_commit_callbacks, roles={"owner"})

    response = client_for(owner).post(
        reverse("accounts:notification_read", args=["acme", row.pk]), {"open": "1"}
    )

    assert response["Location"] == "/w/acme/meta/"


def test_mark_all_read_touches_only_my_own(
    owner, admin, workspace, django_capture_on_commit_callbacks
):
    _notify(workspace, django_capture_on_commit_callbacks, roles=MANAGERS)

    client_for(owner).post(reverse("accounts:notifications_read_all", args=["acme"]))

    assert Notification.objects.get(recipient=owner.user).read_at is not None
    assert Notification.objects.get(recipient=admin.user).read_at is None


@pytest.mark.parametrize("_case", ["outsider", "other_member", "missing"])
def test_someone_elses_notification_is_404_and_unchanged(
    cast, workspace, django_capture_on_commit_callbacks, _case
):
    (row,) = _notify(workspace, django_capture_on_commit_callbacks, roles={"admin"})
    member = {"outsider": "outsider", "other_member": "owner", "missing": "admin"}[_case]
    slug = "rival" if _case == "outsider" else "acme"
    pk = 2**31 - 1 if _case == "missing" else row.pk

    response = client_for(cast[member]).post(reverse("accounts:notification_read", args=[slug, pk]))

    row.refresh_from_db()
    assert response.status_code == 404
    assert row.read_at is None


def test_outsider_gets_404_on_the_list(cast):
    response = client_for(cast["outsider"]).get(reverse("accounts:notifications", args=["acme"]))

    assert response.status_code == 404


def test_notifications_are_exported_and_erased(
    owner, workspace, django_capture_on_commit_callbacks
):
    _notify(workspace, django_capture_on_commit_callbacks, roles={"owner"})

    user_export = exporting.collect_user_export(owner.user.pk)
    counts = erasure.erase_user_data(owner.user.pk)

    assert [n["title"] for n in user_export.records["accounts.notifications"]] == [
        "Something happened"
    ]
    assert counts["accounts.notifications"] == 1
    assert Notification.objects.count() == 0


class ExplodingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ValueError("Header values can't contain newlines")


@pytest.mark.usefixtures("tasks_inline")
def test_an_email_that_fails_after_commit_is_logged_not_a_500(
    workspace, owner, settings, django_capture_on_commit_callbacks, caplog
):
    settings.MAILERS = {
        "default": {"BACKEND": "tests.accounts.test_notifications.ExplodingBackend"}
    }

    rows = _notify(workspace, django_capture_on_commit_callbacks)

    assert Notification.objects.filter(pk__in=[row.pk for row in rows]).count() == len(rows)
    assert "email could not be sent" in caplog.text
