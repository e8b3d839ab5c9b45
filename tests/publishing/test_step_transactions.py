"""One transaction per step of the publish job (#15 item 2), pinned by the SQL a step sends.

An fb_post text publication takes two steps: the post (claim; the in-flight mark with the
status and its timeline row; the Graph call; what it made with the call's record; hand-over)
and the permalink read (claim; the Graph call; done, with the call's record, the "Published"
line, the media's last use and the author's notification). Committed for real (a transactional
test), so every COMMIT, and every write sent outside a transaction (its own commit), counts.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prosocial import prepared
from publishing import services
from publishing.models import Publication, PublicationEvent
from tests.publishing.conftest import make_publication

pytestmark = pytest.mark.django_db(transaction=True)

WRITES = ("INSERT", "UPDATE", "DELETE")


def _verb(sql):
    return sql.split(None, 1)[0].upper()


def _commits(statements):
    """Commits a run of statements made: each COMMIT, and each write outside BEGIN … COMMIT."""
    commits, in_transaction = 0, False
    for sql in statements:
        verb = _verb(sql)
        if verb == "BEGIN":
            in_transaction = True
        elif verb in ("COMMIT", "ROLLBACK"):
            commits += verb == "COMMIT"
            in_transaction = False
        elif verb in WRITES and not in_transaction:
            commits += 1
    return commits


def _transactions(statements):
    """The statements of each BEGIN … COMMIT, in order."""
    found, current = [], None
    for sql in statements:
        verb = _verb(sql)
        if verb == "BEGIN":
            current = []
        elif verb == "COMMIT" and current is not None:
            found.append(current)
            current = None
        elif current is not None:
            current.append(sql)
    return found


def _step(publication_id):
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        services.advance_publication(publication_id=publication_id)
    # A prepared statement (the claim) as the statement it runs.
    return [prepared.spelled_out(query["sql"]) for query in captured.captured_queries]


def _writes_to(statements, table):
    return [sql for sql in statements if _verb(sql) in WRITES and f'"{table}"' in sql.split("(")[0]]


def test_a_text_post_commits_once_per_step_part(connected):
    publication = make_publication(connected, "fb_post", [], link_url="live:/privacy/")
    services.publish_publication(actor=connected, publication=publication)

    post = _step(publication.pk)
    read = _step(publication.pk)

    publication.refresh_from_db()
    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    # Step 1: the claim, the in-flight mark (with the status and its timeline row), what the
    # create made (with the call's record and the slot freed), the hand-over to step 2.
    assert _commits(post) == 4, post
    # Step 2: the claim, then done (with the call's record and "Published") in one commit.
    assert _commits(read) == 2, read
    # Was 39 statements for both (BEGIN and COMMIT included), 11 commits; then 16 + 11. The
    # slot is one statement when free, the notification one INSERT … SELECT, and a text post
    # reads and marks no media.
    assert len(post) <= 13, post
    assert len(read) <= 7, read
    # Each claim is one statement (an UPDATE … RETURNING the row), then one read of the row
    # with what the target uses.
    for step in (post, read):
        assert _verb(step[0]) == "UPDATE", step[0]
        assert "RETURNING" in step[0], step[0]
        assert _verb(step[1]) == "SELECT"

    # The timeline rows commit with the state change they describe, never on their own.
    events = _writes_to(post + read, "publishing_publicationevent")
    assert len(events) == 3  # one multi-row INSERT per transaction that has rows to add
    for transaction_ in _transactions(post + read):
        if _writes_to(transaction_, "publishing_publicationevent"):
            assert _writes_to(transaction_, "publishing_publication"), transaction_
    kinds = list(publication.events.order_by("created_at", "id").values_list("kind", "message"))
    graph = PublicationEvent.Kind.GRAPH
    assert [kind for kind, _message in kinds] == ["state", "state", "state", graph, graph, "state"]
    assert kinds[2][1] == "Posting to the Facebook Page"
    assert kinds[-1][1].startswith("Published: ")
    # The Graph call's record shares the commit that stores what the call made.
    [made] = [t for t in _transactions(post) if '"post_id"' in " ".join(t)]
    assert _writes_to(made, "publishing_publicationevent")
    assert _writes_to(made, "publishing_createslot")  # the slot is freed in it too
