"""The inbox's personal data: disconnect, erasure, export, retention, the policy page, admin."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inbox.models import AssistJob, Contact, Message, Note, Reply, SavedReply, Thread
from inbox.privacy import DONE_THREAD_RETENTION, PLACEHOLDER_RETENTION
from meta_integration import services as meta_services
from meta_integration.models import MetaConnection, WebhookEvent
from privacy.retention import (
    apply_site_retention,
    apply_workspace_retention,
    get_retention_settings,
)
from prosocial import erasure, exporting
from prosocial.retention import retention_rules, site_retention_rules
from tests.factories import UserFactory
from tests.inbox.meta_events import (
    APP_SECRET,
    PAGE_ID,
    T0,
    connect,
    deliver,
    dm,
    fb_comment,
    ig_comment,
)

ALEX, SAM = "10000000000000042", "10000000000000077"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.META_APP_SECRET = APP_SECRET


@pytest.fixture
def inbox(workspace, other_workspace):
    """Both workspaces use the same Page and Instagram account (each through its own person)."""
    mine = connect(workspace, ALEX)
    theirs = connect(other_workspace, SAM)
    deliver(
        fb_comment("1_1"),
        ig_comment("178001"),
        dm("m_1"),
        fb_comment("1_9", verb="hide", time=T0 + 5),  # a placeholder
    )
    return mine, theirs


def held(workspace):
    return (
        Thread.objects.filter(workspace=workspace).count(),
        Message.objects.filter(workspace=workspace).count(),
        Contact.objects.filter(workspace=workspace).count(),
    )


def test_disconnecting_removes_the_accounts_conversations(owner, workspace, other_workspace, inbox):
    mine, _theirs = inbox
    thread = Thread.objects.filter(workspace=workspace).first()
    Note.objects.create(thread=thread, workspace=workspace, author=owner.user, text="VIP")
    assert held(workspace) == (3, 4, 3)

    # No token left to revoke on Meta: only the local wipe runs (no network).
    meta_services.disconnect_meta_account(actor=owner, connection=mine)

    assert held(workspace) == (0, 0, 0)
    assert Note.objects.count() == 0
    assert held(other_workspace) == (3, 4, 3)
    assert MetaConnection.objects.get(pk=mine.pk).status == MetaConnection.Status.DISCONNECTED


def test_a_page_removing_the_app_removes_its_conversations_everywhere(
    workspace, other_workspace, inbox
):
    meta_services.remove_deauthorized_meta_page(page_id=PAGE_ID)

    # The Page and its linked Instagram account go, in both workspaces.
    assert held(workspace) == (0, 0, 0)
    assert held(other_workspace) == (0, 0, 0)


def test_metas_deletion_request_erases_that_persons_conversations(
    workspace, other_workspace, inbox
):
    counts = erasure.erase_meta_user(ALEX)

    assert counts["inbox.threads"] == 3
    assert counts["inbox.messages"] == 4
    assert counts["inbox.contacts"] == 3
    assert held(workspace) == (0, 0, 0)
    assert held(other_workspace) == (3, 4, 3)


def test_erasing_a_member_unlinks_them_and_keeps_the_conversation(owner, workspace, inbox):
    thread = Thread.objects.filter(workspace=workspace).first()
    thread.assignee = owner.user
    thread.save(update_fields=["assignee"])
    note = Note.objects.create(thread=thread, workspace=workspace, author=owner.user, text="VIP")

    counts = erasure.erase_user_data(owner.user.pk)

    assert counts["inbox.inbox_unlinked"] == 2
    thread.refresh_from_db()
    note.refresh_from_db()
    assert (thread.assignee, note.author, note.text) == (None, None, "VIP")


def test_erasing_the_workspace_deletes_its_inbox_only(workspace, other_workspace, inbox):
    counts = erasure.erase_workspace_data(workspace.pk)

    assert (counts["inbox.threads"], counts["inbox.messages"]) == (3, 4)
    assert held(workspace) == (0, 0, 0)
    assert held(other_workspace) == (3, 4, 3)


def test_workspace_export_holds_the_inbox_and_nothing_of_another(
    owner, workspace, other_workspace, inbox
):
    thread = Thread.objects.filter(workspace=workspace, kind="dm").get()
    Note.objects.create(thread=thread, workspace=workspace, author=owner.user, text="VIP")

    part = exporting.collect_workspace_export(workspace.pk)

    assert len(part.records["inbox.threads"]) == 3
    assert len(part.records["inbox.contacts"]) == 3
    # Placeholders are bookkeeping, not conversation: the three real messages.
    assert sorted(m["external_id"] for m in part.records["inbox.messages"]) == [
        "178001",
        "1_1",
        "m_1",
    ]
    assert [n["text"] for n in part.records["inbox.notes"]] == ["VIP"]
    assert {t["workspace_id"] for t in part.records["inbox.threads"]} == {workspace.pk}


def test_personal_export_holds_the_members_notes_and_sent_messages(owner, workspace, inbox):
    thread = Thread.objects.filter(workspace=workspace, kind="dm").get()
    Note.objects.create(thread=thread, workspace=workspace, author=owner.user, text="Mine")
    Note.objects.create(thread=thread, workspace=workspace, author=UserFactory(), text="Theirs")
    Message.objects.create(
        thread=thread, workspace=workspace, direction="outbound", sent_by=owner.user, text="Hi"
    )

    part = exporting.collect_user_export(owner.user.pk)

    assert [n["text"] for n in part.records["inbox.notes"]] == ["Mine"]
    assert [m["text"] for m in part.records["inbox.messages_sent"]] == ["Hi"]


def test_retention_removes_old_done_threads_and_stale_placeholders(
    settings, workspace, other_workspace, inbox
):
    assert DONE_THREAD_RETENTION in retention_rules()
    assert PLACEHOLDER_RETENTION in site_retention_rules()
    assert settings.RETENTION_INBOX_THREAD_DAYS == 365
    assert get_retention_settings(workspace).inbox_thread_days == 365
    now = timezone.now()
    old = now - timedelta(days=366)
    # In workspace: the DM is done and old, the comment is old but open, the IG one done but new.
    Thread.objects.filter(workspace=workspace, kind="dm").update(status="done", last_message_at=old)
    Thread.objects.filter(workspace=workspace, channel="facebook", kind="comment").update(
        last_message_at=old
    )
    Thread.objects.filter(workspace=workspace, channel="instagram").update(status="done")
    Message.objects.filter(thread__isnull=True).update(updated_at=now - timedelta(days=31))

    removed = apply_workspace_retention(workspace, now=now) | apply_site_retention(now=now)

    assert (removed["inbox.done_threads"], removed["inbox.placeholders"]) == (1, 2)
    assert sorted(Thread.objects.filter(workspace=workspace).values_list("kind", "channel")) == [
        ("comment", "facebook"),
        ("comment", "instagram"),
    ]
    assert Message.objects.filter(thread__isnull=True).count() == 0
    # The DM's customer had no other conversation: gone with it.
    assert held(workspace) == (2, 2, 2)
    assert held(other_workspace) == (3, 3, 3)


def test_a_workspace_keeps_done_threads_for_its_own_period(workspace, other_workspace, inbox):
    row = get_retention_settings(workspace)
    row.inbox_thread_days = 30
    row.save(update_fields=["inbox_thread_days"])
    now = timezone.now()
    forty_days_ago = now - timedelta(days=40)
    for each in (workspace, other_workspace):
        Thread.objects.filter(workspace=each, kind="dm").update(
            status="done", last_message_at=forty_days_ago
        )

    assert apply_workspace_retention(workspace, now=now)["inbox.done_threads"] == 1
    assert apply_workspace_retention(other_workspace, now=now).get("inbox.done_threads", 0) == 0
    assert not Thread.objects.filter(workspace=workspace, kind="dm").exists()
    assert Thread.objects.filter(workspace=other_workspace, kind="dm").exists()


# --- The policy page ------------------------------------------------------------------------------

POLICY = "/privacy/"
# Every field of the inbox models, and the words the policy's inbox section uses for it ("" for
# bookkeeping that is not about anyone). A new field fails this test until the policy says it.
SAID = {
    Contact: {
        "meta_id": "ID Meta gives the person",
        "name": "name",
        "username": "username",
        "avatar_url": "profile picture address",
        **dict.fromkeys(["id", "workspace", "channel", "created_at", "updated_at", "threads"], ""),
    },
    Thread: {
        "post_id": "the post it is about",
        "post_permalink": "link",
        "post_caption": "start of its caption",
        "publication": "publication or ad in ProSocial",
        "is_ad_comment": "ad",
        "ad_name": "ad",
        "status": "open or done",
        "is_unread": "unread",
        "assignee": "assigned to",
        "customer_read_at": "last read it",
        "contact": "Customers",
        "summary": "the summary of a conversation",
        "summary_message_count": "how many messages it covers",
        "replies": "Replies",
        "assist_jobs": "reply drafts",
        **dict.fromkeys(
            [
                "id",
                "workspace",
                "connection",
                "page",
                "instagram_account",
                "account_meta_id",
                "channel",
                "kind",
                "external_key",
                "last_message_at",
                "snippet",
                "created_at",
                "updated_at",
                "messages",
                "notes",
                "summary_updated_at",
            ],
            "",
        ),
    },
    Message: {
        "text": "what was written",
        "attachments": "attached",
        "author_name": "by whom",
        "author_meta_id": "by whom",
        "sent_at": "when",
        "reactions": "reactions",
        "edited_at": "edited",
        "is_hidden": "hidden",
        "is_deleted": "deleted",
        "sent_by": "which member sent them",
        "reply": "Replies",
        **dict.fromkeys(
            [
                "id",
                "thread",
                "workspace",
                "account_meta_id",
                "external_id",
                "parent_external_id",
                "direction",
                "hidden_changed_at",
                "deleted_at",
                "is_echo_matched",
                "status",
                "error",
                "created_at",
                "updated_at",
            ],
            "",
        ),
    },
    Note: {
        "text": "Internal notes",
        "author": "with their author",
        **dict.fromkeys(["id", "thread", "workspace", "created_at"], ""),
    },
    Reply: {
        "text": "the text",
        "image": "the image from the media library",
        "kind": "publicly, privately or in a direct message",
        "in_reply_to": "answers a comment",
        "author": "who wrote it",
        "approved_by": "who approved or declined it",
        "decision_note": "with their note",
        "decided_at": "approved or declined",
        "written_by_person": "whether a person wrote it",
        "messaging_type": "how it was sent to Meta",
        "tag": "how it was sent to Meta",
        "status": "whether Meta accepted it",
        "error": "Meta refuses",
        **dict.fromkeys(
            [
                "id",
                "workspace",
                "thread",
                "sent_message",
                "message",
                "progress",
                "attempts",
                "lease_expires_at",
                "next_attempt_at",
                "retryable",
                "send_started_at",
                "sent_at",
                "created_at",
                "updated_at",
            ],
            "",
        ),
    },
    AssistJob: {
        "result": "the reply drafts made for that member",
        "requested_by": "when a member asks",
        "kind": "summaries and suggested replies",
        **dict.fromkeys(
            [
                "id",
                "workspace",
                "thread",
                "status",
                "message",
                "progress",
                "attempts",
                "lease_expires_at",
                "next_attempt_at",
                "error",
                "retryable",
                "created_at",
                "updated_at",
            ],
            "",
        ),
    },
    SavedReply: {
        "text": "Saved replies",
        "title": "Saved replies",
        **dict.fromkeys(["id", "workspace", "created_by", "created_at", "updated_at"], ""),
    },
}


@pytest.mark.parametrize("model", list(SAID), ids=lambda m: m.__name__)
def test_policy_describes_every_field_the_inbox_keeps(db, model):
    html = Client().get(POLICY).content.decode()
    section = html[html.index('data-testid="policy-inbox"') :]
    section = section[: section.index("<h3")]

    assert {f.name for f in model._meta.get_fields()} == set(SAID[model])
    assert [words for words in SAID[model].values() if words and words not in section] == []


def test_policy_states_the_inbox_retention_period(db, settings):
    settings.RETENTION_INBOX_THREAD_DAYS = 90

    html = Client().get(POLICY).content.decode()

    assert 'data-testid="retention-inbox-threads">90 days after the last message' in html
    assert "ProSocial does not ask for permission to read comments" not in html


# --- Admin -----------------------------------------------------------------------------------------


def _staff_client(*, superuser: bool) -> Client:
    user = UserFactory(is_staff=True, is_superuser=superuser)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="inbox"))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("superuser", "shows_text"),
    [pytest.param(True, True, id="superuser"), pytest.param(False, False, id="staff")],
)
def test_admin_shows_what_people_wrote_to_superusers_only(workspace, inbox, superuser, shows_text):
    client = _staff_client(superuser=superuser)
    message = Message.objects.get(workspace=workspace, external_id="1_1")
    contact = Contact.objects.get(workspace=workspace, meta_id="24242424")

    pages = [
        client.get(reverse("admin:inbox_message_change", args=[message.pk])),
        client.get(reverse("admin:inbox_contact_change", args=[contact.pk])),
        client.get(reverse("admin:inbox_thread_change", args=[message.thread_id])),
    ]

    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert ("Lovely latte!" in body or "Jamie Café" in body) is shows_text
    for model in ("contact", "thread", "message", "note"):
        assert client.get(reverse(f"admin:inbox_{model}_changelist")).status_code == 200


def test_admin_cannot_change_inbox_rows(workspace, inbox):
    client = _staff_client(superuser=True)
    message = Message.objects.get(workspace=workspace, external_id="1_1")

    response = client.post(
        reverse("admin:inbox_message_change", args=[message.pk]), {"text": "forged"}
    )

    assert response.status_code == 403
    assert Message.objects.get(pk=message.pk).text == "Lovely latte!"
    assert client.get(reverse("admin:inbox_message_add")).status_code == 403


def test_the_webhook_event_admin_shows_processing_state(workspace, inbox):
    client = _staff_client(superuser=True)
    row = WebhookEvent.objects.filter(workspace=workspace, field="feed").first()

    response = client.get(reverse("admin:meta_integration_webhookevent_change", args=[row.pk]))

    assert response.status_code == 200
    assert re.search(r"<div class=\"readonly\">Processed</div>", response.content.decode())
