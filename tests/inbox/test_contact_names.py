"""A new DM's customer is named at once, not only by the next reconcile.

Meta's message webhooks carry only the customer's Page- or Instagram-scoped id; the inbox reads
the name (Messenger) or username (Instagram) from the conversation's participants as soon as
the thread opens (``inbox.reconcile.fetch_contact_name``, queued by ``inbox.ingest``).
"""

import pytest

from inbox.models import Thread
from inbox.reconcile import fetch_contact_name
from meta_sandbox import seed
from tests.inbox.sandbox_inbox import (  # noqa: F401 - fixtures
    COFFEE,
    IG_COFFEE,
    inbox_connected_fixture,
    no_waits_fixture,
    receiver_fixture,
    relay_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("tasks_inline")
@pytest.mark.parametrize(
    ("to", "field", "expected"),
    [(COFFEE, "name", "Tom Becker"), (IG_COFFEE, "username", "tombecker.photo")],
    ids=["messenger", "instagram"],
)
def test_a_new_dm_thread_gets_its_customers_name(
    inbox_connected, relay, sandbox, django_capture_on_commit_callbacks, to, field, expected
):
    sandbox.state.customer_message(customer_id=seed.TOM_ID, to=to, text="Open on Sunday?")
    with django_capture_on_commit_callbacks(execute=True):
        assert relay() >= 1

    thread = Thread.objects.select_related("contact").get(kind=Thread.Kind.DM)
    assert getattr(thread.contact, field) == expected
    assert thread.contact.display_name != thread.contact.meta_id


def test_a_named_customer_is_not_looked_up_again(inbox_connected, relay, sandbox):
    sandbox.state.customer_message(customer_id=seed.TOM_ID, to=COFFEE, text="Hello")
    relay()  # no worker here: the lookup was queued, not run
    thread = Thread.objects.select_related("contact").get(kind=Thread.Kind.DM)
    assert thread.contact.name == ""

    assert fetch_contact_name(thread_id=thread.pk) is True
    calls = len(sandbox.state.requests)
    assert fetch_contact_name(thread_id=thread.pk) is False
    assert len(sandbox.state.requests) == calls  # nothing asked of Meta the second time


def test_meta_refusing_leaves_the_id_for_the_reconcile(inbox_connected, relay, sandbox):
    sandbox.state.customer_message(customer_id=seed.TOM_ID, to=COFFEE, text="Hello")
    relay()
    thread = Thread.objects.select_related("contact").get(kind=Thread.Kind.DM)
    sandbox.state.add_fault(path=f"/{COFFEE}/conversations", error={"code": 2}, times=5)

    assert fetch_contact_name(thread_id=thread.pk) is False
    thread.contact.refresh_from_db()
    assert thread.contact.display_name == thread.contact.meta_id
