"""Approval queue ("Waiting for you") and the notifications of a publication's life.

Submitted (to those who may approve), sent back (to the author, with the note), approved (to the
author), published (to the author, with the link), failed (to the author and the approvers,
with the reason): one in-app row per recipient, written with the change, and one email each,
sent by a Celery task queued after commit.
"""

import json
from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from accounts import tasks as account_tasks
from accounts.models import Notification
from meta_sandbox import seed
from publishing import services
from publishing.models import Publication
from tests.conftest import client_for
from tests.publishing.conftest import drive, make_publication

pytestmark = pytest.mark.django_db

OWNER, ADMIN, EDITOR = (
    "olivia.owner@example.com",
    "adam.admin@example.com",
    "eddie.editor@example.com",
)


@pytest.fixture
def approval_needed(workspace):
    workspace.requires_publish_approval = True
    workspace.save(update_fields=["requires_publish_approval"])
    return workspace


def _draft(membership, title="Spring reel", approval="needed", **fields):
    return Publication.objects.create(
        workspace=membership.workspace,
        created_by=membership.user,
        title=title,
        target="fb_reel",
        approval_status=approval,
        **fields,
    )


def _url(name, pk, slug="acme"):
    return reverse(f"publishing:{name}", args=[slug, pk])


def _recipients(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def _emailed():
    return sorted(message.to[0] for message in mail.outbox)


def _run_email_tasks(callbacks):
    """Run the email tasks among captured on_commit callbacks, through JSON like a broker."""
    ran = 0
    for callback in callbacks:
        if getattr(callback, "func", None) == account_tasks.email_notification_task.delay:
            account_tasks.email_notification_task.apply(args=json.loads(json.dumps(callback.args)))
            ran += 1
    return ran


# --- notifications -------------------------------------------------------------------------------


def test_submitting_tells_those_who_may_approve(
    cast, approval_needed, tasks_inline, django_capture_on_commit_callbacks
):
    publication = _draft(cast["editor"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast["editor"]).post(_url("submit", publication.pk))

    assert response.status_code == 302
    assert _recipients("publishing.submitted") == [ADMIN, OWNER]
    row = Notification.objects.filter(kind="publishing.submitted").first()
    assert row.title == "“Spring reel” is waiting for your approval"
    assert row.body == (
        f"{cast['editor'].user.display_name} submitted it for approval. Open it to approve it "
        "or send it back with a note."
    )
    assert row.link == f"/w/acme/publish/{publication.pk}/"
    assert _emailed() == [ADMIN, OWNER]
    assert mail.outbox[0].subject == "[ProSocial] “Spring reel” is waiting for your approval"
    assert f"/w/acme/publish/{publication.pk}/" in mail.outbox[0].body
    assert Notification.objects.filter(workspace=cast["outsider"].workspace).count() == 0


def test_the_email_leaves_from_a_task_after_commit_not_from_the_request(
    cast, approval_needed, django_capture_on_commit_callbacks
):
    publication = _draft(cast["editor"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        client_for(cast["editor"]).post(_url("submit", publication.pk))

    assert mail.outbox == []  # nothing was sent while the request ran
    assert Notification.objects.filter(kind="publishing.submitted").count() == 2
    assert _run_email_tasks(callbacks) == 2  # one task per email
    assert _emailed() == [ADMIN, OWNER]


def test_sending_back_tells_the_author_with_the_note(
    cast, approval_needed, tasks_inline, django_capture_on_commit_callbacks
):
    publication = _draft(cast["editor"], approval="pending")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast["admin"]).post(
            _url("review", publication.pk),
            {"decision": "send_back", "comment": "Shorter caption, please"},
        )

    assert response.status_code == 302
    assert _recipients("publishing.sent_back") == [EDITOR]
    row = Notification.objects.get(kind="publishing.sent_back")
    assert row.title == "“Spring reel” was sent back"
    assert row.body.endswith("asked for changes: Shorter caption, please")
    assert _emailed() == [EDITOR]
    assert "Shorter caption, please" in mail.outbox[0].body


def test_approving_tells_the_author(
    cast, approval_needed, tasks_inline, django_capture_on_commit_callbacks
):
    publication = _draft(cast["editor"], approval="pending")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(cast["owner"]).post(_url("review", publication.pk), {"decision": "approve"})

    assert _recipients("publishing.approved") == [EDITOR]
    assert (
        Notification.objects.get(kind="publishing.approved").title == "“Spring reel” was approved"
    )
    assert _emailed() == [EDITOR]
    assert Notification.objects.exclude(kind="publishing.approved").count() == 0


def test_a_refused_review_tells_nobody(
    cast, approval_needed, tasks_inline, django_capture_on_commit_callbacks
):
    publication = _draft(cast["editor"], approval="pending")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast["admin"]).post(
            _url("review", publication.pk), {"decision": "send_back", "comment": ""}
        )

    assert response.status_code == 422
    assert Notification.objects.count() == 0
    assert mail.outbox == []


class ExplodingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ValueError("Header values can't contain newlines")


def test_a_failing_email_does_not_undo_the_approval(
    cast, approval_needed, tasks_inline, settings, django_capture_on_commit_callbacks, caplog
):
    settings.MAILERS = {"default": {"BACKEND": "tests.publishing.test_approvals.ExplodingBackend"}}
    publication = _draft(cast["editor"], approval="pending")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast["owner"]).post(
            _url("review", publication.pk), {"decision": "approve"}
        )

    publication.refresh_from_db()
    assert response.status_code == 302
    assert publication.approval_status == "approved"
    assert _recipients("publishing.approved") == [EDITOR]
    assert "email could not be sent" in caplog.text


# The publish job runs against the live test server (a transactional test: each commit is real,
# so on_commit callbacks run at once); ``tasks_inline`` runs the queued tasks in this process.


def test_publishing_tells_the_author_with_the_link(connected, editor, upload, sandbox, request):
    publication = make_publication(editor, "fb_post", [upload(connected, "square.jpg")])
    mail.outbox.clear()
    request.getfixturevalue("tasks_inline")

    publication = drive(
        services.publish_publication(actor=editor, publication=publication), sandbox
    )

    assert publication.status == "published", publication.error_detail
    assert _recipients("publishing.published") == [EDITOR]
    row = Notification.objects.get(kind="publishing.published")
    assert publication.permalink
    assert row.body.endswith(f"See it: {publication.permalink}")
    assert _emailed() == [EDITOR]
    assert publication.permalink in mail.outbox[0].body


def test_failing_tells_the_author_and_the_approvers_why(
    connected, admin, editor, upload, sandbox, request
):
    publication = make_publication(editor, "fb_post", [upload(connected, "square.jpg")])
    requests.post(
        f"{sandbox.url}/_sandbox/pages/{seed.PAGE_COFFEE_ID}", json={"tasks": []}, timeout=5
    )
    mail.outbox.clear()
    request.getfixturevalue("tasks_inline")

    publication = drive(
        services.publish_publication(actor=editor, publication=publication), sandbox
    )

    assert publication.status == "failed"
    assert _recipients("publishing.failed") == [ADMIN, EDITOR, OWNER]
    row = Notification.objects.filter(kind="publishing.failed").first()
    assert row.title == f"“{publication.title}” could not be published"
    assert row.body.startswith("square.jpg: ")
    assert publication.error_fix in row.body
    assert _emailed() == [ADMIN, EDITOR, OWNER]


# --- the queue -----------------------------------------------------------------------------------


@pytest.fixture
def queue(cast, approval_needed):
    """Two submitted (the older first), one sent back to the editor, others not waiting."""
    older = _draft(cast["editor"], title="Older submission", approval="pending")
    newer = _draft(cast["admin"], title="Newer submission", approval="pending")
    Publication.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(days=2))
    sent_back = _draft(cast["editor"], title="Sent back to Eddie", approval="changes_requested")
    _draft(cast["admin"], title="Sent back to Adam", approval="changes_requested")
    _draft(cast["editor"], title="Approved already", approval="approved")
    _draft(cast["editor"], title="Not submitted", approval="needed")
    _draft(cast["outsider"], title="Rival's submission", approval="pending")
    return {"older": older, "newer": newer, "sent_back": sent_back}


def _titles(response):
    return [publication.title for publication in response.context["page"]]


@pytest.mark.parametrize(
    ("_case", "expected"),
    [
        ("owner", ["Older submission", "Newer submission"]),
        ("admin", ["Older submission", "Newer submission"]),
        ("editor", ["Sent back to Eddie"]),
        ("viewer", []),
    ],
)
def test_the_queue_lists_what_waits_for_each_role(cast, queue, _case, expected):
    response = client_for(cast[_case]).get(reverse("publishing:approvals", args=["acme"]))

    assert response.status_code == 200
    assert _titles(response) == expected


def test_the_queue_opens_each_publication_in_one_click(cast, queue):
    response = client_for(cast["owner"]).get(reverse("publishing:approvals", args=["acme"]))

    html = response.content.decode()
    pk = queue["older"].pk
    assert f'href="/w/acme/publish/{pk}/" data-testid="open-{pk}"' in html
    assert "Rival's submission" not in html


def test_the_sidebar_counts_what_waits(cast, queue):
    owner_page = client_for(cast["owner"]).get(reverse("accounts:dashboard", args=["acme"]))
    editor_page = client_for(cast["editor"]).get(reverse("accounts:dashboard", args=["acme"]))
    viewer_page = client_for(cast["viewer"]).get(reverse("accounts:dashboard", args=["acme"]))

    assert 'data-testid="waiting-count">2<' in owner_page.content.decode()
    assert 'data-testid="waiting-count">1<' in editor_page.content.decode()
    assert 'data-testid="nav-waiting"' not in viewer_page.content.decode()


def test_outsider_gets_404_on_the_queue(cast, queue):
    response = client_for(cast["outsider"]).get(reverse("publishing:approvals", args=["acme"]))

    assert response.status_code == 404
