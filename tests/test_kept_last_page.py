"""A session's last page at an address, read with its session (``prosocial.kept``).

Viewing a kept page again reads the session and the page this session was last answered there
in one round trip to Redis (``prosocial.sessions.SessionStore.read_with``). It is answered only
when it is the very page the shared lookup would find (same member, role, minute, data and
layout); these tests check that it is, that a change is still shown, and that another session
never reaches it.
"""

import pytest
from django.core.cache import cache
from django.urls import reverse

from prosocial.sessions import SessionStore
from publishing.models import Publication
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = reverse("publishing:list", args=["acme"])


def _drop_shared_pages():
    """Delete every member's kept whole page, leaving the sessions' last pages."""
    client = cache._cache.get_client(write=True)
    shared = list(client.scan_iter("*kept:*:page:*"))
    assert shared  # there was one to drop
    client.delete(*shared)


def test_a_session_is_answered_its_last_page(owner):
    client = client_for(owner)
    built, last = client.get(URL), client.get(URL)
    assert (built.kept, built.kept_last) == ("", False)
    assert (last.kept, last.kept_last) == ("page", True)
    # Another browser of the same member: the member's kept page, then its own last one.
    other = client_for(owner)
    shared, own = other.get(URL), other.get(URL)
    assert (shared.kept, shared.kept_last) == ("page", False)
    assert (own.kept, own.kept_last) == ("page", True)

    _drop_shared_pages()
    again = client.get(URL)

    assert (again.kept, again.kept_last) == ("page", True)  # needed nothing but its session
    assert again.content != last.content  # its own CSRF token and CSP nonce
    assert again["Content-Security-Policy"] != last["Content-Security-Policy"]


def test_a_change_is_shown_rather_than_the_last_page(owner):
    publication = Publication.objects.create(
        workspace=owner.workspace, created_by=owner.user, title="Spring", target="fb_post"
    )
    client = client_for(owner)
    for _ in range(3):
        client.get(URL)

    Publication.objects.filter(pk=publication.pk).update(title="Summer")
    response = client.get(URL)

    assert response.kept == ""
    assert "Summer" in response.content.decode()
    assert "Spring" not in response.content.decode()


def test_another_session_never_gets_this_sessions_last_page(owner, viewer):
    mine = client_for(owner)
    for _ in range(2):
        mine.get(URL)
    _drop_shared_pages()

    # The same member in another browser: nothing of the first session's is read.
    other = client_for(owner)
    response = other.get(URL)
    assert response.kept_last is False
    # Another member, whatever sessions exist: their own page.
    as_viewer = client_for(viewer).get(URL)
    assert as_viewer.status_code == 200
    assert as_viewer.kept_last is False


def test_read_with_loads_the_session_and_the_keys_in_one_read(db):
    store = SessionStore()
    store["colour"] = "teal"
    store.save()
    cache.set("kept-test-key", b"value")

    again = SessionStore(store.session_key)
    found = again.read_with(["kept-test-key", "kept-test-missing"])

    assert found == {"kept-test-key": b"value"}
    assert again["colour"] == "teal"
    assert SessionStore().read_with(["kept-test-key"]) == {}  # no session yet: nothing read
