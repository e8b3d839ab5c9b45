"""Webhook events become contacts, threads and messages (inbox.ingest; GRAPH_NOTES §7.4).

Every payload kind, repeats, events out of order, echoes, bad payloads and tenancy. Events go
through the real store path (signature, routing) and the real job (claim, lease, finish).
"""

from datetime import UTC, datetime, timedelta

import pytest

from inbox.ingest import MAX_ATTEMPTS, process_webhook_event
from inbox.models import Channel, Contact, Message, Thread
from inbox.services import record_sent_message
from meta_integration.models import MetaPage, WebhookEvent
from publishing.models import Publication, Target
from tests.factories import UserFactory
from tests.inbox.meta_events import (
    APP_SECRET,
    IG_ID,
    IGSID,
    JAMIE,
    MEDIA_ID,
    PAGE_ID,
    POST_ID,
    PSID,
    T0,
    connect,
    deliver,
    dm,
    dm_reaction,
    dm_seen,
    fb_comment,
    fb_reaction,
    feed,
    ig_comment,
    instagram_change,
    messaging,
    store,
)

Status = WebhookEvent.Status
COMMENT = "930145403745849_1"
REPLY = "930145403745849_2"


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, tz=UTC)


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.META_APP_SECRET = APP_SECRET


@pytest.fixture
def connection(workspace):
    return connect(workspace)


def rows():
    """Everything the inbox holds, for asserting that nothing changed."""
    return (
        list(Contact.objects.order_by("pk").values()),
        list(Thread.objects.order_by("pk").values()),
        list(Message.objects.order_by("pk").values()),
    )


# --- Facebook comments ---------------------------------------------------------------------------


def test_facebook_comment_opens_an_unread_thread(workspace, connection):
    (event,) = deliver(fb_comment(COMMENT, message="Lovely  latte!\nReally."))

    assert (event.status, event.is_processed, event.error) == (Status.PROCESSED, True, "")
    thread = Thread.objects.get()
    assert (thread.workspace, thread.connection, thread.page.page_id) == (
        workspace,
        connection,
        PAGE_ID,
    )
    assert (thread.channel, thread.kind, thread.external_key) == ("facebook", "comment", COMMENT)
    assert (thread.account_meta_id, thread.post_id, thread.instagram_account) == (
        PAGE_ID,
        POST_ID,
        None,
    )
    assert (thread.status, thread.is_unread) == ("open", True)
    assert thread.snippet == "Lovely latte! Really."
    assert thread.last_message_at == at(0)
    assert (thread.contact.channel, thread.contact.meta_id, thread.contact.name) == (
        "facebook",
        JAMIE,
        "Jamie Café",
    )
    message = Message.objects.get()
    assert (message.thread, message.external_id, message.direction) == (thread, COMMENT, "inbound")
    assert (message.author_meta_id, message.author_name) == (JAMIE, "Jamie Café")
    assert (message.text, message.sent_at, message.status) == ("Lovely  latte!\nReally.", at(0), "")
    assert (message.is_hidden, message.is_deleted, message.edited_at) == (False, False, None)


def test_replies_join_the_comment_thread(workspace, connection):
    deliver(
        fb_comment(COMMENT),
        fb_comment(
            REPLY, parent_id=COMMENT, message="Thanks!", author=("888", "Sam"), created=T0 + 30
        ),
    )

    thread = Thread.objects.get()
    assert list(thread.messages.values_list("external_id", "parent_external_id")) == [
        (COMMENT, ""),
        (REPLY, COMMENT),
    ]
    assert (thread.snippet, thread.last_message_at) == ("Thanks!", at(30))
    assert thread.contact.meta_id == JAMIE  # the top-level commenter, not the replier
    assert Contact.objects.count() == 1


def test_a_reply_before_its_comment_opens_the_thread_the_comment_then_joins(workspace, connection):
    deliver(
        fb_comment(
            REPLY, parent_id=COMMENT, message="Same!", author=("888", "Sam"), created=T0 + 30
        ),
        fb_comment(COMMENT),
    )

    thread = Thread.objects.get()
    assert thread.external_key == COMMENT
    assert list(thread.messages.values_list("external_id", flat=True)) == [COMMENT, REPLY]
    assert thread.contact.meta_id == JAMIE


def test_the_pages_own_reply_is_outbound_and_leaves_the_thread_read(workspace, connection):
    deliver(fb_comment(COMMENT))
    Thread.objects.update(is_unread=False)

    deliver(
        fb_comment(REPLY, parent_id=COMMENT, message="See you!", author=(PAGE_ID, "Coffee Corner"))
    )

    reply = Message.objects.get(external_id=REPLY)
    assert (reply.direction, reply.status, reply.sent_by) == ("outbound", "sent", None)
    assert Thread.objects.get().is_unread is False


def test_edit_replaces_the_text(workspace, connection):
    deliver(
        fb_comment(COMMENT, message="Lovely latte"),
        fb_comment(COMMENT, verb="edited", message="Lovely latte!!", time=T0 + 120),
    )

    message = Message.objects.get()
    assert (message.text, message.edited_at, message.sent_at) == ("Lovely latte!!", at(120), at(0))
    assert Thread.objects.get().snippet == "Lovely latte!!"


def test_an_add_arriving_after_the_edit_keeps_the_edited_text(workspace, connection):
    deliver(
        fb_comment(COMMENT, verb="edited", message="Second thoughts", time=T0 + 120),
        fb_comment(COMMENT, message="First thoughts"),
    )

    message = Message.objects.get()
    assert (message.text, message.edited_at, message.sent_at) == ("Second thoughts", at(120), at(0))
    assert Thread.objects.get().snippet == "Second thoughts"


def test_an_older_edit_arriving_late_does_not_undo_a_newer_one(workspace, connection):
    deliver(
        fb_comment(COMMENT, message="v1"),
        fb_comment(COMMENT, verb="edited", message="v3", time=T0 + 300),
        fb_comment(COMMENT, verb="edited", message="v2", time=T0 + 200),
    )

    assert Message.objects.get().text == "v3"


def test_remove_drops_the_text_and_the_snippet_moves_back(workspace, connection):
    deliver(
        fb_comment(COMMENT, message="Hello"),
        fb_comment(REPLY, parent_id=COMMENT, message="Buy cheap pills", created=T0 + 30),
        fb_comment(
            REPLY, verb="remove", message=None, author=None, parent_id=COMMENT, time=T0 + 60
        ),
    )

    reply = Message.objects.get(external_id=REPLY)
    assert (reply.is_deleted, reply.deleted_at, reply.text, reply.attachments) == (
        True,
        at(60),
        "",
        [],
    )
    thread = Thread.objects.get()
    assert (thread.snippet, thread.last_message_at) == ("Hello", at(0))


def test_a_removal_before_the_add_keeps_the_comment_out_of_the_inbox(workspace, connection):
    events = deliver(
        fb_comment(COMMENT, verb="remove", message=None, author=None, time=T0 + 60),
        fb_comment(COMMENT, message="Regrettable words"),
    )

    assert [event.status for event in events] == [Status.PROCESSED, Status.PROCESSED]
    assert Thread.objects.count() == 0
    placeholder = Message.objects.get()
    assert (placeholder.thread, placeholder.is_deleted, placeholder.text) == (None, True, "")
    assert (placeholder.account_meta_id, placeholder.deleted_at) == (PAGE_ID, at(60))


def test_hide_and_unhide(workspace, connection):
    deliver(fb_comment(COMMENT), fb_comment(COMMENT, verb="hide", time=T0 + 10))
    assert Message.objects.get().is_hidden is True

    deliver(fb_comment(COMMENT, verb="unhide", time=T0 + 20))
    message = Message.objects.get()
    assert (message.is_hidden, message.hidden_changed_at) == (False, at(20))


def test_a_late_older_hide_does_not_hide_again(workspace, connection):
    deliver(
        fb_comment(COMMENT),
        fb_comment(COMMENT, verb="unhide", time=T0 + 20),
        fb_comment(COMMENT, verb="hide", time=T0 + 10),
    )

    assert Message.objects.get().is_hidden is False


def test_a_hide_before_the_add_stays(workspace, connection):
    deliver(fb_comment(COMMENT, verb="hide", time=T0 + 10), fb_comment(COMMENT))

    message = Message.objects.get()
    assert (message.is_hidden, message.thread.external_key, message.text) == (
        True,
        COMMENT,
        "Lovely latte!",
    )


def test_comment_with_a_photo_keeps_its_url(workspace, connection):
    deliver(fb_comment(COMMENT, message=None, photo="https://scontent.example.com/p.jpg"))

    message = Message.objects.get()
    assert message.attachments == [{"type": "photo", "url": "https://scontent.example.com/p.jpg"}]
    assert Thread.objects.get().snippet == "[photo]"


def test_reaction_on_a_comment_is_recorded_and_one_on_the_post_ignored(workspace, connection):
    deliver(fb_comment(COMMENT))

    on_comment, on_post = deliver(fb_reaction(COMMENT), fb_reaction(comment_id=""))

    assert (on_comment.status, on_post.status) == (Status.PROCESSED, Status.IGNORED)
    assert on_post.is_processed is True
    assert Message.objects.get().reactions == {
        "77777": {"reaction": "love", "emoji": "", "at": at(60).isoformat()}
    }


def test_posts_and_likes_are_ignored(workspace, connection):
    document = feed({"item": "status", "verb": "add", "post_id": POST_ID, "message": "hi"})

    (event,) = deliver(document)

    assert (event.status, event.is_processed, event.error) == (Status.IGNORED, True, "")
    assert rows() == ([], [], [])


# --- Instagram -----------------------------------------------------------------------------------


def test_instagram_comment_and_reply_share_a_thread(workspace, connection):
    deliver(
        ig_comment("178001"),
        ig_comment(
            "178002",
            text="@testuser thanks!",
            parent_id="178001",
            author=(IG_ID, "coffeecorner"),
            time=T0 + 40,
        ),
    )

    thread = Thread.objects.get()
    assert (thread.channel, thread.kind, thread.external_key) == ("instagram", "comment", "178001")
    assert (thread.post_id, thread.account_meta_id, thread.page) == (MEDIA_ID, IG_ID, None)
    assert thread.instagram_account.ig_user_id == IG_ID
    assert (thread.contact.meta_id, thread.contact.username, thread.contact.display_name) == (
        IGSID,
        "testuser",
        "@testuser",
    )
    assert list(thread.messages.values_list("external_id", "direction", "sent_at")) == [
        ("178001", "inbound", at(0)),
        ("178002", "outbound", at(40)),
    ]


def test_instagram_mentions_open_mention_threads(workspace, connection):
    in_comment = instagram_change("mentions", {"comment_id": "179001", "media_id": "180001"})
    in_caption = instagram_change("mentions", {"media_id": "180002"}, time=T0 + 5)

    deliver(in_comment, in_caption)

    assert list(
        Thread.objects.order_by("pk").values_list("kind", "external_key", "post_id", "is_unread")
    ) == [("mention", "179001", "180001", True), ("mention", "180002", "180002", True)]
    assert list(Message.objects.order_by("pk").values_list("external_id", "text")) == [
        ("179001", ""),
        ("180002", ""),
    ]


# --- Direct messages -----------------------------------------------------------------------------


def test_messenger_message_with_an_image(workspace, connection):
    image = {"type": "image", "payload": {"url": "https://cdn.example.com/i.png"}}

    (event,) = deliver(dm("m_1", text=None, attachments=[image]))

    assert event.status == Status.PROCESSED
    thread = Thread.objects.get()
    assert (thread.channel, thread.kind, thread.external_key) == ("facebook", "dm", PSID)
    assert (thread.snippet, thread.is_unread, thread.post_id) == ("[image]", True, "")
    assert (thread.contact.meta_id, thread.contact.name) == (PSID, "")
    message = Message.objects.get()
    assert (message.external_id, message.direction, message.author_meta_id) == (
        "m_1",
        "inbound",
        PSID,
    )
    assert message.attachments == [{"type": "image", "url": "https://cdn.example.com/i.png"}]
    assert message.sent_at == at(0)


def test_instagram_story_mention_and_story_reply(workspace, connection):
    mention = {"type": "story_mention", "payload": {"url": "https://cdn.example.com/s.mp4"}}
    story = {"story": {"url": "https://cdn.example.com/t.jpg", "id": "1800"}}

    deliver(
        dm("ig_m_1", text=None, customer=IGSID, object_type="instagram", attachments=[mention]),
        dm(
            "ig_m_2",
            text="Love it",
            customer=IGSID,
            object_type="instagram",
            reply_to=story,
            time_ms=T0 * 1000 + 1000,
        ),
    )

    thread = Thread.objects.get()
    assert (thread.channel, thread.kind, thread.external_key) == ("instagram", "dm", IGSID)
    assert list(thread.messages.values_list("external_id", "attachments")) == [
        ("ig_m_1", [{"type": "story_mention", "url": "https://cdn.example.com/s.mp4"}]),
        ("ig_m_2", [{"type": "story_reply", "url": "https://cdn.example.com/t.jpg"}]),
    ]


def test_attachment_urls_that_are_not_http_are_dropped(workspace, connection):
    bad = {"type": "file", "payload": {"url": "javascript:alert(1)"}}

    deliver(dm("m_1", text="x", attachments=[bad]))

    assert Message.objects.get().attachments == [{"type": "file"}]


def test_echo_of_a_message_prosocial_sent_is_matched_not_added(workspace, connection):
    deliver(dm("m_1"))
    thread = Thread.objects.get()
    Thread.objects.update(is_unread=False)
    member = UserFactory()
    sent = Message.objects.create(
        thread=thread,
        workspace=workspace,
        external_id="m_2",
        direction="outbound",
        status="sending",
        sent_by=member,
        text="Yes, we do.",
        sent_at=at(50),
    )

    deliver(dm("m_2", text="Yes, we do.", echo=True, time_ms=T0 * 1000 + 50_000))

    sent.refresh_from_db()
    assert (sent.is_echo_matched, sent.status, sent.sent_by) == (True, "sent", member)
    assert thread.messages.count() == 2
    assert Thread.objects.get().is_unread is False


def test_echo_that_overtakes_the_send_answer_is_adopted(workspace, connection):
    deliver(dm("m_1"))
    thread = Thread.objects.get()
    sending = Message.objects.create(
        thread=thread,
        workspace=workspace,
        direction="outbound",
        status="sending",
        sent_by=UserFactory(),
        text="Yes, we do.",
        sent_at=at(50),
    )
    deliver(dm("m_2", text="Yes, we do.", echo=True, time_ms=T0 * 1000 + 50_000))
    assert thread.messages.count() == 3  # for a moment: the echo and our row

    record_sent_message(message_id=sending.pk, external_id="m_2")

    sending.refresh_from_db()
    assert (sending.external_id, sending.status, sending.is_echo_matched) == ("m_2", "sent", True)
    assert list(thread.messages.values_list("external_id", flat=True)) == ["m_1", "m_2"]


def test_echo_of_a_message_sent_elsewhere_becomes_an_outbound_message(workspace, connection):
    deliver(dm("m_1"))
    Thread.objects.update(is_unread=False)

    deliver(dm("m_2", text="Answered from Business Suite", echo=True, time_ms=T0 * 1000 + 9000))

    echo = Message.objects.get(external_id="m_2")
    assert (echo.direction, echo.status, echo.sent_by, echo.is_echo_matched) == (
        "outbound",
        "sent",
        None,
        False,
    )
    assert (echo.author_meta_id, echo.thread.external_key) == (PAGE_ID, PSID)
    thread = Thread.objects.get()
    assert (thread.is_unread, thread.snippet) == (False, "Answered from Business Suite")


def test_an_unsent_message_is_deleted_and_one_unsent_first_never_shows(workspace, connection):
    deliver(dm("m_1"), dm("m_1", text=None, is_deleted=True))
    assert (Message.objects.get().is_deleted, Message.objects.get().text) == (True, "")
    assert Thread.objects.get().snippet == ""

    deliver(dm("m_9", text=None, is_deleted=True), dm("m_9", text="oops"))
    assert Message.objects.get(external_id="m_9").thread is None
    assert Thread.objects.get().messages.count() == 1


def test_reactions_and_their_removal_in_any_order(workspace, connection):
    deliver(dm("m_1"), dm_reaction("m_1"))
    assert Message.objects.get().reactions[PSID]["emoji"] == "\u2764"

    # The removal, then an older "react" delivered late: the removal stands.
    deliver(
        dm_reaction("m_1", action="unreact", time_ms=T0 * 1000 + 8000),
        dm_reaction("m_1", time_ms=T0 * 1000 + 7000),
    )
    assert Message.objects.get().reactions[PSID]["reaction"] == ""


def test_a_reaction_before_its_message_is_kept(workspace, connection):
    deliver(dm_reaction("m_1"), dm("m_1"))

    message = Message.objects.get()
    assert (message.thread.external_key, message.reactions[PSID]["reaction"]) == (PSID, "love")


def test_seen_records_when_the_customer_read_the_conversation(workspace, connection):
    deliver(dm("m_1"), dm_seen(watermark=T0 * 1000 + 9000))

    assert Thread.objects.get().customer_read_at == at(9)


# --- Repeats, reopening --------------------------------------------------------------------------


def test_processing_an_event_twice_changes_nothing(workspace, connection):
    (event,) = deliver(fb_comment(COMMENT))
    before = rows()

    assert process_webhook_event(event_id=event.pk) is None
    assert rows() == before


def test_a_second_delivery_of_the_same_comment_adds_nothing(workspace, connection):
    deliver(fb_comment(COMMENT))
    Thread.objects.update(is_unread=False, status="done")
    before = rows()

    # Meta's retry in another batch: another entry time, so another stored row.
    (event,) = deliver(fb_comment(COMMENT, time=T0 + 3600))

    assert event.status == Status.PROCESSED
    assert WebhookEvent.objects.count() == 2
    assert rows()[2] == before[2]
    thread = Thread.objects.get()
    assert (thread.is_unread, thread.status) == (False, "done")


def test_a_new_message_reopens_a_done_thread_and_makes_it_unread(workspace, connection):
    deliver(dm("m_1"))
    Thread.objects.update(is_unread=False, status="done")

    deliver(dm("m_2", text="Hello again?", time_ms=T0 * 1000 + 60_000))

    thread = Thread.objects.get()
    assert (thread.is_unread, thread.status, thread.last_message_at) == (True, "open", at(60))


# --- Links to what ProSocial published -----------------------------------------------------------


def test_comment_on_a_post_prosocial_published_links_to_the_publication(workspace, connection):
    publication = Publication.objects.create(
        workspace=workspace,
        title="Spring latte",
        target=Target.FB_POST,
        caption="Our spring latte is here",
        status=Publication.Status.PUBLISHED,
        remote_id=POST_ID,
        permalink="https://www.facebook.example/posts/1",
    )

    deliver(fb_comment(COMMENT))

    thread = Thread.objects.get()
    assert (thread.publication, thread.is_ad_comment, thread.ad_name) == (publication, False, "")
    assert (thread.post_caption, thread.post_permalink) == (
        "Our spring latte is here",
        "https://www.facebook.example/posts/1",
    )


def test_comment_on_an_ad_prosocial_created_is_an_ad_comment(workspace, connection):
    ad = Publication.objects.create(
        workspace=workspace,
        title="Spring promo ad",
        target=Target.META_AD,
        status=Publication.Status.PUBLISHED,
        remote_id="120200000000001",
        remote={"ad_id": "120200000000001", "effective_object_story_id": POST_ID},
    )

    deliver(fb_comment(COMMENT))

    thread = Thread.objects.get()
    assert (thread.publication, thread.is_ad_comment, thread.ad_name) == (
        ad,
        True,
        "Spring promo ad",
    )


def test_another_workspaces_publication_is_never_linked(workspace, other_workspace, connection):
    Publication.objects.create(
        workspace=other_workspace, title="Theirs", target=Target.FB_POST, remote_id=POST_ID
    )

    deliver(fb_comment(COMMENT))

    assert Thread.objects.get().publication is None


# --- Bad payloads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        pytest.param(
            feed({"item": "comment", "verb": "add", "post_id": POST_ID, "from": {"id": "1"}}),
            "missing or malformed comment id",
            id="comment_without_id",
        ),
        pytest.param(
            fb_comment(COMMENT, message=12),
            "message is not text",
            id="text_not_a_string",
        ),
        pytest.param(
            fb_comment(COMMENT, author=None),
            "missing or malformed author (from)",
            id="add_without_author",
        ),
        pytest.param(
            feed("not an object"),
            "a 'feed' change without a value object",
            id="value_not_an_object",
        ),
        pytest.param(
            instagram_change("comments", {"id": "1", "text": "x"}),
            "a comment without its media",
            id="ig_comment_without_media",
        ),
        pytest.param(
            instagram_change("ratings", {"id": "1"}),
            "unknown 'instagram' field 'ratings'",
            id="unknown_field",
        ),
        pytest.param(
            messaging("page", PAGE_ID, {"recipient": {"id": PAGE_ID}, "message": {"mid": "m"}}),
            "a messaging item without sender",
            id="message_without_sender",
        ),
        pytest.param(
            messaging(
                "page", PAGE_ID, {"sender": {"id": "1"}, "recipient": {"id": PAGE_ID}, "optin": {}}
            ),
            "a messaging item of no known kind",
            id="unknown_messaging_kind",
        ),
        pytest.param(
            dm("m_1", attachments="nope"),
            "attachments are not a list",
            id="attachments_not_a_list",
        ),
        pytest.param(
            fb_comment(COMMENT, author=("9" * 65, "Long")),
            "missing or malformed author id",
            id="author_id_too_long",
        ),
        pytest.param(
            dm("m 1"),
            "missing or malformed message id",
            id="message_id_with_a_space",
        ),
        pytest.param(
            dm_reaction("m_1", action="poke"),
            "a reaction that is neither react nor unreact",
            id="unknown_reaction_action",
        ),
    ],
)
def test_a_malformed_payload_is_flagged_and_writes_nothing(workspace, connection, document, reason):
    (event,) = deliver(document)

    assert (event.status, event.is_processed, event.error) == (Status.FLAGGED, False, reason)
    assert event.lease_expires_at is None
    assert rows() == ([], [], [])
    # A flagged event is not picked up again.
    assert process_webhook_event(event_id=event.pk) is None


def test_nul_characters_are_dropped_not_fatal(workspace, connection):
    (event,) = deliver(fb_comment(COMMENT, message="a\x00b", author=(JAMIE, "J\x00amie")))

    assert event.status == Status.PROCESSED
    message = Message.objects.get()
    assert (message.text, message.author_name) == ("ab", "Jamie")


def test_an_event_that_keeps_failing_fails_for_good_after_its_attempts(workspace, connection):
    (event,) = store(fb_comment(COMMENT))
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=MAX_ATTEMPTS)

    assert process_webhook_event(event_id=event.pk) is None

    event.refresh_from_db()
    assert (event.status, event.is_processed) == (Status.FAILED, False)
    assert event.error == f"Processing stopped {MAX_ATTEMPTS} times; the event was set aside."
    assert rows() == ([], [], [])


def test_user_and_permissions_events_are_not_the_inboxs(workspace, connection):
    (event,) = store(
        {
            "object": "permissions",
            "entry": [
                {
                    "id": connection.meta_user_id,
                    "uid": connection.meta_user_id,
                    "time": T0,
                    "changes": [{"field": "connected", "verb": "granted"}],
                }
            ],
        }
    )

    assert process_webhook_event(event_id=event.pk) is None

    event.refresh_from_db()
    assert (event.status, event.is_processed) == (Status.PENDING, False)


def test_an_event_for_an_account_removed_since_is_ignored(workspace, connection):
    (event,) = store(fb_comment(COMMENT))
    MetaPage.objects.filter(page_id=PAGE_ID).delete()

    assert process_webhook_event(event_id=event.pk) == Status.IGNORED

    event.refresh_from_db()
    assert (event.status, event.message) == (Status.IGNORED, "The account is no longer connected")
    assert rows() == ([], [], [])


def test_unrouted_events_are_never_processed(db):
    (event,) = store(fb_comment(COMMENT))

    assert (event.workspace, event.status) == (None, Status.UNROUTED)
    assert process_webhook_event(event_id=event.pk) is None


# --- Tenancy -------------------------------------------------------------------------------------


def test_the_same_page_in_two_workspaces_makes_two_threads(workspace, other_workspace):
    mine = connect(workspace)
    theirs = connect(other_workspace, "10000000000000077")

    events = deliver(fb_comment(COMMENT))

    assert sorted(e.workspace_id for e in events) == sorted([workspace.pk, other_workspace.pk])
    threads = {t.workspace_id: t for t in Thread.objects.all()}
    assert set(threads) == {workspace.pk, other_workspace.pk}
    assert (threads[workspace.pk].connection, threads[other_workspace.pk].connection) == (
        mine,
        theirs,
    )
    contacts = Contact.objects.order_by("workspace_id")
    assert [c.workspace_id for c in contacts] == sorted([workspace.pk, other_workspace.pk])
    assert Message.objects.filter(external_id=COMMENT).count() == 2


def test_an_event_for_one_workspace_never_touches_anothers_threads(workspace, other_workspace):
    connect(workspace)
    connect(other_workspace, "10000000000000077")
    events = store(fb_comment(COMMENT))
    theirs = next(e for e in events if e.workspace_id == other_workspace.pk)
    process_webhook_event(event_id=theirs.pk)
    snapshot = rows()

    # Workspace A removes and edits "the same" comment: B's copy stays as it was.
    for document in (
        fb_comment(COMMENT, verb="edited", message="changed", time=T0 + 10),
        fb_comment(COMMENT, verb="remove", message=None, author=None, time=T0 + 20),
    ):
        for event in store(document):
            if event.workspace_id == workspace.pk:
                process_webhook_event(event_id=event.pk)

    theirs_now = Message.objects.get(workspace=other_workspace)
    assert (theirs_now.text, theirs_now.is_deleted) == ("Lovely latte!", False)
    assert list(Thread.objects.filter(workspace=other_workspace).values()) == [
        t for t in snapshot[1] if t["workspace_id"] == other_workspace.pk
    ]
    # A's own copy: the edit came first (it carries the whole comment), then the removal.
    mine = Message.objects.get(workspace=workspace)
    assert (mine.is_deleted, mine.text, mine.thread.workspace) == (True, "", workspace)


def test_channels_keep_their_own_threads_for_the_same_customer_id(workspace, connection):
    deliver(dm("m_1", customer="42"), dm("ig_1", customer="42", object_type="instagram"))

    assert sorted(Thread.objects.values_list("channel", "external_key")) == [
        (Channel.FACEBOOK, "42"),
        (Channel.INSTAGRAM, "42"),
    ]


def test_processing_order_does_not_matter_for_the_final_state(workspace, other_workspace):
    """The same five events, in order and reversed, end in the same messages."""
    connect(workspace)
    connect(other_workspace, "10000000000000077")
    documents = [
        fb_comment(COMMENT, message="v1"),
        fb_comment(REPLY, parent_id=COMMENT, message="reply", created=T0 + 5),
        fb_comment(COMMENT, verb="edited", message="v2", time=T0 + 10),
        fb_comment(COMMENT, verb="hide", time=T0 + 20),
        fb_comment(
            REPLY, verb="remove", message=None, author=None, parent_id=COMMENT, time=T0 + 30
        ),
    ]
    stored = [store(document) for document in documents]
    for events in stored:
        process_webhook_event(event_id=next(e.pk for e in events if e.workspace_id == workspace.pk))
    for events in reversed(stored):
        process_webhook_event(
            event_id=next(e.pk for e in events if e.workspace_id == other_workspace.pk)
        )

    def final(ws):
        return list(
            Message.objects.filter(workspace=ws)
            .order_by("external_id")
            .values_list("external_id", "text", "is_hidden", "is_deleted", "edited_at")
        )

    assert (
        final(workspace)
        == final(other_workspace)
        == [
            (COMMENT, "v2", True, False, at(10)),
            (REPLY, "", False, True, None),
        ]
    )
    assert [t.external_key for t in Thread.objects.all()] == [COMMENT, COMMENT]


def test_threads_are_listed_newest_first(workspace, connection):
    deliver(dm("m_1", customer="1"), dm("m_2", customer="2", time_ms=T0 * 1000 + 5000))

    assert [t.external_key for t in Thread.objects.filter(workspace=workspace)] == ["2", "1"]
    assert Thread.objects.first().last_message_at == at(5)


def test_entry_time_is_stored_in_utc(workspace, connection):
    (event,) = store(dm("m_1", time_ms=T0 * 1000 + 1500))

    assert event.entry_time == at(1.5)
    assert event.entry_time - at(0) == timedelta(seconds=1.5)
