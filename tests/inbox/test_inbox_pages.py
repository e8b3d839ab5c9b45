"""The inbox pages: the list with its filters, search and pages, the thread page, the polls.

Threads are made with the ORM (tests/inbox/factories.py); webhook processing has its own
tests. Every new URL is walked for tenancy (another workspace's thread is a 404).
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inbox.models import Message, Thread
from publishing.models import Publication
from tests.conftest import client_for
from tests.factories import MembershipFactory
from tests.inbox.factories import (
    ContactFactory,
    InstagramAccountFactory,
    MessageFactory,
    MetaConnectionFactory,
    MetaPageFactory,
    NoteFactory,
    ThreadFactory,
)

pytestmark = pytest.mark.django_db

# The user and the membership with the layout's counts (the inbox badge among them), in one
# query; then the list's own: the account choices (one UNION ALL), the members who can be assigned,
# the thread count and one page of threads with their contact, assignee and account.
LIST_QUERIES = 1 + 4
# The thread with its context; mark read (one UPDATE); messages; notes; the post's first
# file; the assignable members; the newer and the older neighbour: 1 + 8. The reply box
# (inbox.reply_box, its own work) adds a few of its own; the total must not grow with the
# thread or the inbox.
THREAD_QUERIES_MAX = 16
ROWS_QUERIES = 1 + 2  # the count and the page
# The thread and its messages; when they changed, mark read (one UPDATE). 204: nothing more.
MESSAGES_QUERIES = 1 + 3


@pytest.fixture
def page(workspace):
    return MetaPageFactory(connection=MetaConnectionFactory(workspace=workspace), name="Beans")


@pytest.fixture
def thread(workspace, page):
    thread = ThreadFactory(workspace=workspace, connection=page.connection, page=page)
    MessageFactory(thread=thread, text="Is the Ethiopian blend back?")
    return thread


@pytest.fixture
def foreign_thread(other_workspace):
    return ThreadFactory(workspace=other_workspace)


def inbox_url(**query):
    url = reverse("inbox:list", args=["acme"])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def thread_url(thread, name="inbox:thread"):
    return reverse(name, args=["acme", thread.pk])


def listed(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-thread-id="(\d+)"', response.content.decode())]


# --- tenancy and roles ----------------------------------------------------------------------

THREAD_URLS = ["thread", "messages", "done", "reopen", "unread", "assign", "note"]
POSTS = {"done", "reopen", "unread", "assign", "note"}


@pytest.mark.parametrize("name", THREAD_URLS)
@pytest.mark.parametrize("_case", ["foreign", "missing"])
def test_another_workspaces_thread_is_404_and_unchanged(owner, foreign_thread, name, _case):
    pk = foreign_thread.pk if _case == "foreign" else 2**31 - 1
    before = list(Thread.objects.values())
    url = reverse(f"inbox:{name}", args=["acme", pk])
    client = client_for(owner)

    response = (
        client.post(url, {"assignee": owner.user.pk, "text": "x"})
        if name in POSTS
        else (client.get(url))
    )

    assert response.status_code == 404
    assert list(Thread.objects.values()) == before
    assert foreign_thread.notes.count() == 0


@pytest.mark.parametrize("name", ["list", "rows"])
def test_an_outsider_gets_404_for_the_list(outsider, thread, name):
    response = client_for(outsider).get(reverse(f"inbox:{name}", args=["acme"]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(POSTS))
def test_a_viewer_can_read_but_not_act(viewer, editor, thread, name):
    before = list(Thread.objects.values())

    response = client_for(viewer).post(
        thread_url(thread, f"inbox:{name}"), {"assignee": editor.user.pk, "text": "Hi"}
    )

    assert response.status_code == 403
    assert list(Thread.objects.values()) == before
    assert thread.notes.count() == 0


def test_a_viewer_reads_the_list_and_the_thread_without_marking_it_read(viewer, thread):
    client = client_for(viewer)

    listing = client.get(inbox_url())
    page = client.get(thread_url(thread))

    assert listing.status_code == page.status_code == 200
    assert listed(listing) == [thread.pk]
    body = page.content.decode()
    assert "Is the Ethiopian blend back?" in body
    assert 'data-testid="mark-done"' not in body
    assert 'data-testid="note-form"' not in body
    assert 'data-testid="assign-form"' not in body
    assert Thread.objects.get(pk=thread.pk).is_unread is True


def test_opening_a_thread_marks_it_read_for_the_team(editor, thread):
    response = client_for(editor).get(thread_url(thread))

    assert response.status_code == 200
    assert Thread.objects.get(pk=thread.pk).is_unread is False
    assert 'data-testid="mark-done"' in response.content.decode()


# --- the list: order, filters, search, pages ------------------------------------------------


def test_threads_are_listed_newest_first(owner, workspace, page):
    now = timezone.now()
    old = ThreadFactory(workspace=workspace, page=page, last_message_at=now - timedelta(days=2))
    new = ThreadFactory(workspace=workspace, page=page, last_message_at=now)
    mid = ThreadFactory(workspace=workspace, page=page, last_message_at=now - timedelta(hours=1))

    response = client_for(owner).get(inbox_url())

    assert listed(response) == [new.pk, mid.pk, old.pk]


@pytest.fixture
def assorted(workspace, owner, editor, page):
    """Threads differing in one way each, on a Page and an Instagram account."""
    connection = page.connection
    ig = InstagramAccountFactory(connection=connection, username="beans.ig")
    other_page = MetaPageFactory(connection=connection, name="Tea")
    now = timezone.now()
    rows = {
        "fb_comment": ThreadFactory(workspace=workspace, page=page, is_unread=False),
        "fb_dm": ThreadFactory(workspace=workspace, page=page, kind=Thread.Kind.DM),
        "ig_comment": ThreadFactory(
            workspace=workspace, connection=connection, instagram=True, instagram_account=ig
        ),
        "ig_mention": ThreadFactory(
            workspace=workspace,
            connection=connection,
            instagram=True,
            instagram_account=ig,
            kind=Thread.Kind.MENTION,
        ),
        "tea": ThreadFactory(workspace=workspace, page=other_page, is_unread=False),
        "mine": ThreadFactory(workspace=workspace, page=page, assignee=owner.user),
        "editors": ThreadFactory(workspace=workspace, page=page, assignee=editor.user),
        "done": ThreadFactory(workspace=workspace, page=page, status=Thread.Status.DONE),
    }
    for n, row in enumerate(rows.values()):
        Thread.objects.filter(pk=row.pk).update(last_message_at=now - timedelta(minutes=n))
    return {name: row.pk for name, row in rows.items()}, page, ig


def names(assorted, response):
    by_pk = {pk: name for name, pk in assorted[0].items()}
    return [by_pk[pk] for pk in listed(response)]


OPEN = ["fb_comment", "fb_dm", "ig_comment", "ig_mention", "tea", "mine", "editors"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, OPEN),
        ({"status": "done"}, ["done"]),
        ({"status": "all"}, [*OPEN, "done"]),
        ({"channel": "instagram"}, ["ig_comment", "ig_mention"]),
        ({"channel": "facebook", "kind": "dm"}, ["fb_dm"]),
        ({"kind": "mention"}, ["ig_mention"]),
        ({"kind": "comment", "channel": "facebook"}, ["fb_comment", "tea", "mine", "editors"]),
        ({"assignee": "me"}, ["mine"]),
        ({"assignee": "none", "channel": "facebook"}, ["fb_comment", "fb_dm", "tea"]),
        ({"unread": "on", "channel": "facebook"}, ["fb_dm", "mine", "editors"]),
        # Invalid values are ignored, not a 500.
        ({"status": "bogus", "kind": "spam", "assignee": "x'y", "account": "evil"}, OPEN),
    ],
)
def test_filters(owner, assorted, query, expected):
    response = client_for(owner).get(inbox_url(**query))

    assert response.status_code == 200
    assert names(assorted, response) == expected


def test_filter_by_account_and_by_a_member(owner, editor, assorted):
    _pks, page, ig = assorted
    client = client_for(owner)

    by_page = client.get(inbox_url(account=f"facebook:{page.page_id}"))
    by_ig = client.get(inbox_url(account=f"instagram:{ig.ig_user_id}"))
    by_member = client.get(inbox_url(assignee=editor.user.pk))

    assert names(assorted, by_page) == ["fb_comment", "fb_dm", "mine", "editors"]
    assert names(assorted, by_ig) == ["ig_comment", "ig_mention"]
    assert names(assorted, by_member) == ["editors"]
    # The selects offer the workspace's accounts and the members who can answer.
    body = by_page.content.decode()
    options = re.sub(r"\s+>", ">", body)
    assert f'<option value="facebook:{page.page_id}" selected>Beans</option>' in options
    assert f'<option value="instagram:{ig.ig_user_id}">@beans.ig</option>' in options
    assert f'<option value="{editor.user.pk}">{editor.user.display_name}</option>' in options


@pytest.fixture
def searchable(workspace, page):
    alice = ThreadFactory(
        workspace=workspace,
        page=page,
        contact=ContactFactory(workspace=workspace, name="Alice Moreau", username="alice_m"),
        snippet="Thanks!",
    )
    bob = ThreadFactory(
        workspace=workspace,
        page=page,
        contact=ContactFactory(workspace=workspace, name="Bob", username="bobcat"),
        snippet="Where is my ORDER 5521?",
    )
    carol = ThreadFactory(
        workspace=workspace,
        page=page,
        contact=ContactFactory(workspace=workspace, name="Carol", username=""),
        snippet="ok",
    )
    MessageFactory(thread=carol, text="Do you ship decaf to Lyon?")
    MessageFactory(thread=alice, text="secret words", is_deleted=True)
    return {"alice": alice.pk, "bob": bob.pk, "carol": carol.pk}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("alice", ["alice"]),  # the name, any case
        ("@BOBCAT", ["bob"]),  # the username, with its @
        ("order 5521", ["bob"]),  # the snippet
        ("DECAF", ["carol"]),  # a message's text
        ("secret", []),  # a deleted message's text is gone
        ("nobody-says-this", []),
        ("100%_", []),  # LIKE wildcards are literal
    ],
)
def test_search(owner, searchable, q, expected):
    response = client_for(owner).get(reverse("inbox:list", args=["acme"]), {"q": q})

    by_pk = {pk: name for name, pk in searchable.items()}
    assert response.status_code == 200
    assert [by_pk[pk] for pk in listed(response)] == expected


def test_a_search_with_many_matching_messages_lists_the_thread_once(owner, thread):
    MessageFactory.create_batch(3, thread=thread, text="blend blend")

    response = client_for(owner).get(reverse("inbox:list", args=["acme"]), {"q": "blend"})

    assert listed(response) == [thread.pk]


def test_pages_of_25_keep_the_filters(owner, workspace, page):
    made = [ThreadFactory(workspace=workspace, page=page) for _ in range(30)]
    newest_first = [t.pk for t in sorted(made, key=lambda t: (t.last_message_at, t.pk))][::-1]
    client = client_for(owner)

    first = client.get(inbox_url(channel="facebook"))
    second = client.get(inbox_url(channel="facebook", page=2))
    beyond = client.get(inbox_url(channel="facebook", page=99))

    assert listed(first) == newest_first[:25]
    assert listed(second) == newest_first[25:]
    assert listed(beyond) == newest_first[25:]  # past the end: the last page
    assert "channel=facebook&amp;page=2" in first.content.decode()
    assert "1\N{EN DASH}25 of 30" in first.content.decode()


def test_an_empty_inbox_says_so(owner):
    response = client_for(owner).get(inbox_url())

    assert 'data-testid="inbox-empty"' in response.content.decode()
    assert "No open conversations" in response.content.decode()


# --- query counts -----------------------------------------------------------------------------


def _threads(workspace, page, count, editor):
    for n in range(count):
        thread = ThreadFactory(
            workspace=workspace,
            page=page,
            assignee=editor.user if n % 2 else None,
            kind=Thread.Kind.DM if n % 3 else Thread.Kind.COMMENT,
        )
        MessageFactory(thread=thread)


@pytest.mark.parametrize(
    "query", [{}, {"q": "stock", "status": "all", "unread": "on", "assignee": "none"}]
)
def test_the_list_runs_the_same_queries_for_10_and_200_threads(
    owner, editor, workspace, page, django_assert_num_queries, query
):
    client = client_for(owner)
    _threads(workspace, page, 10, editor)
    client.get(inbox_url())  # warm the session
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(reverse("inbox:list", args=["acme"]), query).status_code == 200

    _threads(workspace, page, 190, editor)
    MembershipFactory.create_batch(5, workspace=workspace)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("inbox:list", args=["acme"]), query)

    assert len(listed(response)) == 25
    assert LIST_QUERIES <= 12


def test_the_polls_and_the_thread_page_run_constant_queries(
    owner, editor, workspace, page, thread, django_assert_num_queries
):
    publication = Publication.objects.create(
        workspace=workspace, created_by=owner.user, title="Spring", target="fb_post"
    )
    Thread.objects.filter(pk=thread.pk).update(publication=publication)
    client = client_for(owner)
    client.get(inbox_url())
    thread_page = []
    for more in (10, 190):
        _threads(workspace, page, more, editor)
        MessageFactory.create_batch(more, thread=thread)
        NoteFactory.create_batch(3, thread=thread, author=owner.user)
        Thread.objects.filter(pk=thread.pk).update(is_unread=True)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(thread_url(thread)).status_code == 200
        thread_page.append(len(captured))
        with django_assert_num_queries(ROWS_QUERIES):
            assert client.get(reverse("inbox:rows", args=["acme"])).status_code == 200
        with django_assert_num_queries(MESSAGES_QUERIES):
            polled = client.get(thread_url(thread, "inbox:messages"))
        assert polled.status_code == 200
        with django_assert_num_queries(MESSAGES_QUERIES - 1):
            quiet = client.get(_poll_url(polled, "conversation"))
        assert quiet.status_code == 204
    assert thread_page[0] == thread_page[1] <= THREAD_QUERIES_MAX


# --- polling ----------------------------------------------------------------------------------


def _poll_url(response, element_id):
    match = re.search(rf'id="{element_id}"[^>]*?hx-get="([^"]+)"', response.content.decode(), re.S)
    assert match, f"no polling #{element_id}"
    return match.group(1).replace("&amp;", "&")


def test_the_list_poll_answers_204_until_something_changes(owner, workspace, page, thread):
    client = client_for(owner)
    poll = _poll_url(client.get(inbox_url(channel="facebook")), "thread-rows")
    assert "channel=facebook" in poll

    quiet = client.get(poll)
    newcomer = ThreadFactory(workspace=workspace, page=page, last_message_at=timezone.now())
    changed = client.get(poll)

    assert quiet.status_code == 204
    assert changed.status_code == 200
    assert listed(changed) == [newcomer.pk, thread.pk]
    body = changed.content.decode()
    assert body.lstrip().startswith('<div id="thread-rows"')
    assert "<html" not in body
    # The sidebar's badge comes along, out of band: two unread open threads now.
    assert re.search(r'id="nav-inbox-count"[^>]*hx-swap-oob="true"[^>]*>2<', body)
    # The fresh rows carry the token of what they show: polling again is quiet.
    assert client.get(_poll_url(changed, "thread-rows")).status_code == 204


def test_the_conversation_poll_answers_204_until_a_message_arrives(owner, workspace, page):
    thread = ThreadFactory(workspace=workspace, page=page, kind=Thread.Kind.DM)
    MessageFactory(thread=thread, sent_at=timezone.now() - timedelta(days=3))
    client = client_for(owner)
    poll = _poll_url(client.get(thread_url(thread)), "conversation")

    quiet = client.get(poll)
    MessageFactory(thread=thread, text="Hello? Anyone there?")
    Thread.objects.filter(pk=thread.pk).update(is_unread=True)
    changed = client.get(poll)

    assert quiet.status_code == 204
    assert changed.status_code == 200
    body = changed.content.decode()
    assert body.lstrip().startswith('<div id="conversation"')
    assert "Hello? Anyone there?" in body
    # The window reopened with the new message: the reply box's copy follows, out of band.
    assert re.search(r'id="reply-window"[^>]*data-state="open"[^>]*hx-swap-oob="true"', body)
    assert 'id="reply-box"' not in body  # what a person types is never replaced
    assert Thread.objects.get(pk=thread.pk).is_unread is False  # it is on their screen


# --- the thread page --------------------------------------------------------------------------


def test_the_thread_shows_its_messages_deleted_ones_as_deleted_and_never_placeholders(
    owner, workspace, thread
):
    MessageFactory(thread=thread, text="You are all scammers", is_deleted=True)
    MessageFactory(thread=None, workspace=workspace, account_meta_id="1", text="placeholder text")
    MessageFactory(
        thread=thread,
        direction=Message.Direction.OUTBOUND,
        text="Yes, since Monday!",
        sent_by=owner.user,
    )

    body = client_for(owner).get(thread_url(thread)).content.decode()

    assert "Is the Ethiopian blend back?" in body
    assert "Yes, since Monday!" in body
    assert "This comment was deleted" in body
    assert "You are all scammers" not in body
    assert "placeholder text" not in body


def test_the_thread_shows_the_post_it_is_about(owner, workspace, thread):
    publication = Publication.objects.create(
        workspace=workspace,
        created_by=owner.user,
        title="Spring launch",
        target="fb_post",
        caption="Our spring blend is here",
    )
    Thread.objects.filter(pk=thread.pk).update(
        publication=publication,
        post_caption="Our spring blend is here",
        post_permalink="https://www.facebook.com/1/posts/2",
    )

    body = client_for(owner).get(thread_url(thread)).content.decode()

    assert "Our spring blend is here" in body
    assert 'href="https://www.facebook.com/1/posts/2"' in body
    assert reverse("publishing:detail", args=["acme", publication.pk]) in body
    assert 'data-testid="ad-marker"' not in body


def test_an_ad_comment_is_marked_with_the_ads_name(owner, workspace, page):
    ad = ThreadFactory(workspace=workspace, page=page, is_ad_comment=True, ad_name="Spring ad")
    MessageFactory(thread=ad)
    client = client_for(owner)

    row = client.get(inbox_url()).content.decode()
    body = client.get(thread_url(ad)).content.decode()

    assert 'data-testid="ad-marker"' in row
    assert "Ad: Spring ad" in row
    assert "Ad comment: Spring ad" in body


def test_a_link_from_meta_that_is_not_http_is_not_a_link(owner, thread):
    Thread.objects.filter(pk=thread.pk).update(post_permalink="javascript:alert(1)")
    MessageFactory(thread=thread, attachments=[{"type": "image", "url": "javascript:alert(2)"}])

    body = client_for(owner).get(thread_url(thread)).content.decode()

    assert "javascript:" not in body


@pytest.mark.parametrize(
    ("hours_ago", "state", "words"),
    [
        (1, "open", "You can reply until"),
        (30, "human_agent", "Only a person can reply, until"),
        (24 * 8, "closed", "Closed since"),
    ],
)
def test_a_dm_shows_its_window_in_plain_words(owner, workspace, page, hours_ago, state, words):
    dm = ThreadFactory(workspace=workspace, page=page, kind=Thread.Kind.DM)
    MessageFactory(thread=dm, sent_at=timezone.now() - timedelta(hours=hours_ago))
    MessageFactory(
        thread=dm, direction=Message.Direction.OUTBOUND, sent_at=timezone.now()
    )  # our own message opens nothing

    body = client_for(owner).get(thread_url(dm)).content.decode()

    assert f'data-state="{state}"' in body
    assert words in body


def test_the_window_is_in_the_workspaces_time_zone(owner, workspace, page):
    workspace.timezone = "Asia/Tokyo"
    workspace.save(update_fields=["timezone"])
    dm = ThreadFactory(workspace=workspace, page=page, kind=Thread.Kind.DM)
    wrote = timezone.now() - timedelta(hours=1)
    MessageFactory(thread=dm, sent_at=wrote)
    until = timezone.localtime(wrote + timedelta(hours=24), timezone.get_fixed_timezone(9 * 60))

    body = client_for(owner).get(thread_url(dm)).content.decode()

    assert until.strftime("%H:%M") in body


def test_next_and_previous_follow_the_filtered_list(owner, workspace, page):
    now = timezone.now()
    a, b, c = (
        ThreadFactory(workspace=workspace, page=page, last_message_at=now - timedelta(hours=h))
        for h in (1, 2, 3)
    )
    ThreadFactory(  # in between, but filtered out
        workspace=workspace,
        page=page,
        kind=Thread.Kind.DM,
        last_message_at=now - timedelta(hours=1.5),
    )

    body = client_for(owner).get(thread_url(b) + "?kind=comment").content.decode()

    assert f'href="{thread_url(a)}?kind=comment" data-inbox-prev' in body
    assert f'href="{thread_url(c)}?kind=comment" data-inbox-next' in body


def test_the_sidebar_counts_unread_open_threads_of_the_workspace(
    owner, workspace, page, foreign_thread
):
    ThreadFactory.create_batch(3, workspace=workspace, page=page)
    ThreadFactory(workspace=workspace, page=page, is_unread=False)
    ThreadFactory(workspace=workspace, page=page, status=Thread.Status.DONE)

    body = client_for(owner).get(reverse("accounts:members", args=["acme"])).content.decode()

    assert re.search(r'data-testid="inbox-unread-count">3<', body)


def test_the_page_documents_its_keyboard_shortcuts(owner, thread):
    client = client_for(owner)
    for url in (inbox_url(), thread_url(thread)):
        body = client.get(url).content.decode()
        assert 'id="inbox-shortcuts"' in body
        assert "Keyboard shortcuts" in body
        assert "js/inbox.js" in body
        # CSP: no inline code or styles.
        assert "<script>" not in body
        assert " style=" not in body
