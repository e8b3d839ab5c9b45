"""Saved replies: managed per workspace by editors, inserted personalised in the reply box."""

import pytest
from django.urls import reverse

from inbox.models import SavedReply
from inbox.saved_replies import personalise
from tests.conftest import client_for
from tests.inbox.factories import ContactFactory, MessageFactory, ThreadFactory

LIST = reverse("inbox:saved_replies", args=["acme"])


def test_an_editor_adds_changes_and_deletes_a_saved_reply(editor):
    client = client_for(editor)

    added = client.post(LIST, {"title": "Shipping", "text": "Hi {first_name}, we ship in 3 days."})

    assert added.status_code == 302
    saved = SavedReply.objects.get()
    assert (saved.workspace, saved.title, saved.created_by) == (
        editor.workspace,
        "Shipping",
        editor.user,
    )
    edit = reverse("inbox:saved_reply_edit", args=["acme", saved.pk])
    assert client.post(edit, {"title": "Shipping time", "text": "3 days."}).status_code == 302
    saved.refresh_from_db()
    assert (saved.title, saved.text) == ("Shipping time", "3 days.")

    delete = reverse("inbox:saved_reply_delete", args=["acme", saved.pk])
    assert "Delete the saved reply" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert SavedReply.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"title": "", "text": "Hi"}, "This field is required."),
        ({"title": "Hi", "text": "   "}, "This field is required."),
        ({"title": "x" * 101, "text": "Hi"}, "at most 100 characters"),
        ({"title": "Hi", "text": "x" * 2001}, "at most 2000 characters"),
        ({"title": "Taken", "text": "Hi"}, "already has this title"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(editor, data, says):
    SavedReply.objects.create(workspace=editor.workspace, title="Taken", text="Hello")

    response = client_for(editor).post(LIST, data)

    assert response.status_code == 422
    assert says in response.content.decode()
    assert list(SavedReply.objects.values_list("title", flat=True)) == ["Taken"]


@pytest.mark.parametrize(
    ("persona", "status"), [("viewer", 403), ("outsider", 404), ("editor", 302)]
)
def test_who_may_add_one(cast, persona, status):
    response = client_for(cast[persona]).post(LIST, {"title": "Hours", "text": "8 to 6."})

    assert response.status_code == status
    assert SavedReply.objects.count() == (1 if status == 302 else 0)


def test_viewers_read_the_list_outsiders_get_404(cast):
    SavedReply.objects.create(workspace=cast["owner"].workspace, title="Hours", text="8 to 6.")

    assert "Hours" in client_for(cast["viewer"]).get(LIST).content.decode()
    assert client_for(cast["outsider"]).get(LIST).status_code == 404


def test_another_workspaces_saved_reply_is_404(owner, outsider):
    theirs = SavedReply.objects.create(workspace=outsider.workspace, title="Secret", text="x")

    for url in (
        reverse("inbox:saved_reply_edit", args=["acme", theirs.pk]),
        reverse("inbox:saved_reply_delete", args=["acme", theirs.pk]),
    ):
        assert client_for(owner).post(url, {"title": "Mine", "text": "y"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Secret"


def test_personalise_uses_the_customers_name_or_a_neutral_word():
    known = ContactFactory.build(name="Maria Lopez")
    unnamed = ContactFactory.build(name="", username="priya.runs")
    text = "Hi {first_name}! Thanks, {name}. {other}"

    assert personalise(text, known) == "Hi Maria! Thanks, Maria Lopez. {other}"
    assert personalise(text, unnamed) == "Hi there! Thanks, there. {other}"
    assert personalise(text, None) == "Hi there! Thanks, there. {other}"


def test_the_reply_box_offers_saved_replies_personalised_and_inserts_without_javascript(editor):
    thread = ThreadFactory(workspace=editor.workspace, contact__name="Maria Lopez")
    MessageFactory(thread=thread, external_id=thread.external_key)
    saved = SavedReply.objects.create(
        workspace=editor.workspace, title="Thanks", text="Thanks {first_name}!"
    )
    url = reverse("inbox:thread", args=["acme", thread.pk])

    page = client_for(editor).get(url).content.decode()
    chosen = client_for(editor).get(url, {"saved": saved.pk}).content.decode()

    assert f'<option value="{saved.pk}" data-text="Thanks Maria!">Thanks</option>' in page
    assert 'id="saved-reply-picker"' in page
    assert ">Thanks Maria!</textarea>" in chosen
