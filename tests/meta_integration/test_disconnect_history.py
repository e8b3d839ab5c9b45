"""Disconnecting Meta keeps history, pauses what was about to go out, and tells admins.

Issue #13 bug 1: a disconnect used to be one click that wiped the account of every past
publication (still gone after reconnecting), left scheduled posts "Scheduled" with stale green
checks, and told nobody; neither did Meta's data-deletion callback.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from meta_integration.models import MetaConnection, MetaPage
from meta_sandbox import seed
from privacy import services as privacy_services
from privacy.models import DataDeletionRequest
from publishing import services
from publishing.errors import PublishingError
from publishing.models import Publication
from tests.conftest import client_for
from tests.meta_integration.helpers import connect
from tests.privacy.test_meta_callbacks import DEAUTHORIZE_URL, DELETION_URL, signed

pytestmark = pytest.mark.usefixtures("sandbox")

COFFEE = "Rivera Coffee Roasters"


@pytest.fixture
def connected(owner, admin, sandbox):
    connect(client_for(owner), sandbox)
    MetaPage.objects.update(is_selected=True)
    return MetaConnection.objects.get()


def _page():
    return MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID)


def _post(owner, title, **state):
    publication = services.create_publication(
        actor=owner,
        fields={"title": title, "target": "fb_post", "caption": "Fresh roast", "page": _page()},
        assets=[],
    )
    if state:
        Publication.objects.filter(pk=publication.pk).update(**state)
    return publication


def _published(owner):
    return _post(owner, "Spring launch", status="published", published_at=timezone.now())


def _scheduled(owner, when=None):
    when = when or timezone.now() + timedelta(hours=2)
    return _post(owner, "Story drop", status="scheduled", scheduled_at=when, next_attempt_at=when)


def _disconnect(membership, connection, django_capture_on_commit_callbacks):
    url = reverse("meta_integration:disconnect", args=["acme", connection.pk])
    with django_capture_on_commit_callbacks(execute=True):
        return client_for(membership).post(url)


def test_disconnect_asks_first_and_says_what_will_happen(owner, connected):
    _scheduled(owner)
    _post(owner, "Draft idea")
    _published(owner)

    response = client_for(owner).get(
        reverse("meta_integration:disconnect", args=["acme", connected.pk])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Facebook Page <strong>{COFFEE}</strong>" in html
    assert "Instagram account <strong>@riveracoffee</strong>" in html
    assert "Ad account <strong>Rivera Coffee — US</strong>" in html
    assert "<strong>1</strong> scheduled or sending publication(s) will be paused" in html
    assert "<strong>1</strong> draft(s) will be paused" in html
    assert "<strong>1</strong> published or finished publication(s) keep their history" in html
    assert "History is kept" in html
    connected.refresh_from_db()
    assert connected.status == MetaConnection.Status.ACTIVE  # a GET changes nothing


def test_history_keeps_the_account_name_after_disconnect(
    owner, connected, django_capture_on_commit_callbacks
):
    published = _published(owner)

    _disconnect(owner, connected, django_capture_on_commit_callbacks)

    published.refresh_from_db()
    assert (published.page_id, published.page_name, published.page_meta_id) == (
        None,
        COFFEE,
        seed.PAGE_COFFEE_ID,
    )
    listing = client_for(owner).get(reverse("publishing:list", args=["acme"])).content.decode()
    detail = client_for(owner).get(reverse("publishing:detail", args=["acme", published.pk]))
    assert COFFEE in listing
    assert "no Page" not in listing
    assert f"<dt>Facebook Page</dt><dd>{COFFEE}</dd>" in detail.content.decode()


def test_reconnecting_the_same_account_reattaches_publications(
    owner, connected, sandbox, django_capture_on_commit_callbacks
):
    published = _published(owner)
    scheduled = _scheduled(owner)
    _disconnect(owner, connected, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        connect(client_for(owner), sandbox)

    new_page = _page()
    published.refresh_from_db()
    scheduled.refresh_from_db()
    assert (published.page_id, scheduled.page_id) == (new_page.pk, new_page.pk)
    assert scheduled.paused_reason == ""
    assert scheduled.status == Publication.Status.SCHEDULED


def test_scheduled_publication_is_paused_and_not_published(
    owner, connected, django_capture_on_commit_callbacks
):
    scheduled = _scheduled(owner)

    _disconnect(owner, connected, django_capture_on_commit_callbacks)
    # Its time comes while Meta is disconnected: the sweeper and a worker leave it alone.
    Publication.objects.filter(pk=scheduled.pk).update(
        scheduled_at=timezone.now() - timedelta(minutes=1),
        next_attempt_at=timezone.now() - timedelta(minutes=1),
    )
    services.sweep_publications()
    services.advance_publication(publication_id=scheduled.pk)

    scheduled.refresh_from_db()
    assert scheduled.status == Publication.Status.SCHEDULED
    assert scheduled.paused_reason == (
        f"Meta was disconnected: {COFFEE} is no longer connected. Reconnect Meta with the same "
        "Facebook account to resume."
    )
    assert scheduled.remote_id == ""
    assert scheduled.events.filter(message=scheduled.paused_reason).count() == 1


def test_rerun_checks_show_no_stale_active_connection(
    owner, connected, django_capture_on_commit_callbacks
):
    draft = _post(owner, "Draft idea")
    assert {r["message"] for r in draft.preflight} >= {"The Meta connection is active."}
    _disconnect(owner, connected, django_capture_on_commit_callbacks)

    client_for(owner).post(reverse("publishing:checks", args=["acme", draft.pk]))

    draft.refresh_from_db()
    connection = next(r for r in draft.preflight if r["key"] == "connection")
    assert (connection["status"], connection["message"]) == (
        "fail",
        "The Meta account this was made for is no longer connected.",
    )
    assert draft.paused_reason.startswith("Meta was disconnected")


@pytest.mark.usefixtures("tasks_inline")
def test_disconnect_notifies_and_emails_owners_and_admins(
    owner, admin, editor, connected, django_capture_on_commit_callbacks
):
    _scheduled(owner)
    mail.outbox.clear()

    _disconnect(owner, connected, django_capture_on_commit_callbacks)

    rows = Notification.objects.filter(kind="meta.disconnected").order_by("recipient__email")
    assert [row.recipient.email for row in rows] == [admin.user.email, owner.user.email]
    assert rows[0].title == "Meta was disconnected from Acme Marketing"
    assert "Paused until Meta is reconnected (1): Story drop (scheduled)." in rows[0].body
    assert rows[0].link == "/w/acme/meta/"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([admin.user.email, owner.user.email])
    assert mail.outbox[0].subject == "[ProSocial] Meta was disconnected from Acme Marketing"


@pytest.mark.usefixtures("tasks_inline")
def test_data_deletion_callback_pauses_and_notifies_without_naming_the_person(
    owner, admin, connected, django_capture_on_commit_callbacks
):
    scheduled = _scheduled(owner)
    mail.outbox.clear()
    Client().post(DELETION_URL, {"signed_request": signed()})

    with django_capture_on_commit_callbacks(execute=True):
        privacy_services.erase_deletion_request(request_id=DataDeletionRequest.objects.get().pk)

    scheduled.refresh_from_db()
    assert scheduled.paused_reason.startswith(
        "Meta asked for the connected person's data to be deleted"
    )
    row = Notification.objects.get(kind="meta.data_deleted", recipient=owner.user)
    assert row.title == "Meta asked us to delete a connection's data"
    assert "Alex Rivera" not in row.body + row.title
    assert "Story drop" in row.body
    assert sorted(m.to[0] for m in mail.outbox) == sorted([admin.user.email, owner.user.email])


def test_outsider_cannot_see_the_confirmation(outsider, connected):
    url = reverse("meta_integration:disconnect", args=["acme", connected.pk])

    response = client_for(outsider).get(url)

    assert response.status_code == 404


def test_retrying_a_publication_whose_account_is_gone_says_to_reconnect(
    owner, connected, django_capture_on_commit_callbacks
):
    scheduled = _scheduled(owner)
    _disconnect(owner, connected, django_capture_on_commit_callbacks)
    scheduled.refresh_from_db()

    with pytest.raises(PublishingError, match="no longer connected: reconnect Meta"):
        services.retry_publication(actor=owner, publication=scheduled)

    scheduled.refresh_from_db()
    assert scheduled.paused_reason.startswith("Meta was disconnected")
    assert scheduled.status == Publication.Status.SCHEDULED


def test_meta_deauthorize_pauses_scheduled_work_until_reconnected(
    owner, connected, django_capture_on_commit_callbacks
):
    scheduled = _scheduled(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(DEAUTHORIZE_URL, {"signed_request": signed()})
    # Its time comes while the connection is revoked: it waits instead of failing.
    Publication.objects.filter(pk=scheduled.pk).update(
        scheduled_at=timezone.now() - timedelta(minutes=1),
        next_attempt_at=timezone.now() - timedelta(minutes=1),
    )
    services.advance_publication(publication_id=scheduled.pk)

    scheduled.refresh_from_db()
    assert response.status_code == 200
    assert scheduled.status == Publication.Status.SCHEDULED
    assert scheduled.paused_reason.startswith("Waiting for Meta to be reconnected:")
    assert scheduled.remote_id == ""
