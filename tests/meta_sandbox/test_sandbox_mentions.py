"""Reading an Instagram @mention's details through the IG User node (GRAPH_NOTES §7.4):
`mentioned_comment.comment_id(<id>){…}` and `mentioned_media.media_id(<id>){…}`, with the ids
the `mentions` webhook item carries."""

import pytest
import requests

from meta_sandbox import seed
from tests.meta_sandbox.helpers import assert_error, grant_token, page_token

IG = seed.IG_COFFEE_ID
SCOPES = [
    "pages_show_list",
    "pages_read_engagement",
    "instagram_basic",
    "instagram_manage_comments",
]


@pytest.fixture
def user_token(graph):
    return grant_token(graph, scopes=SCOPES)


@pytest.fixture
def token(graph, user_token):
    """The token ProSocial uses for Instagram: the linked Page's."""
    return page_token(graph, user_token, seed.PAGE_COFFEE_ID)


def _mention(sandbox, text, *, in_comment, customer=seed.TOM_ID) -> dict:
    response = requests.post(
        f"{sandbox.url}/_sandbox/customer/mentions",
        json={"customer_id": customer, "ig_user_id": IG, "text": text, "in_comment": in_comment},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return sandbox.state.webhooks.emitted[-1].payload


def test_a_comment_mention_reads_its_text_author_and_time(sandbox, graph, token):
    ids = _mention(sandbox, "@riveracoffee best beans in town", in_comment=True)

    response = graph.get(
        f"/{IG}",
        token,
        fields=f"mentioned_comment.comment_id({ids['comment_id']}){{text,username,timestamp,media}}",
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "mentioned_comment": {
            "text": "@riveracoffee best beans in town",
            "username": "tombecker.photo",
            "timestamp": response.json()["mentioned_comment"]["timestamp"],
            "media": {"id": ids["media_id"]},
            "id": ids["comment_id"],
        },
        "id": IG,
    }
    assert response.json()["mentioned_comment"]["timestamp"].endswith("+0000")


def test_a_caption_mention_reads_its_caption_and_author_with_the_user_token(
    sandbox, graph, user_token
):
    ids = _mention(sandbox, "Sunday with @riveracoffee", in_comment=False)

    response = graph.get(
        f"/{IG}",
        user_token,
        fields=f"username,mentioned_media.media_id({ids['media_id']}){{caption,media_url,username}}",
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "username": "riveracoffee",
        "mentioned_media": {
            "caption": "Sunday with @riveracoffee",
            "username": "tombecker.photo",
            "id": ids["media_id"],
        },
        "id": IG,
    }


def test_default_fields_without_sub_fields(sandbox, graph, token):
    ids = _mention(sandbox, "hi @riveracoffee", in_comment=True)

    response = graph.get(
        f"/{IG}", token, fields=f"mentioned_comment.comment_id({ids['comment_id']})"
    )

    assert response.status_code == 200, response.text
    assert set(response.json()["mentioned_comment"]) == {"id", "text", "timestamp"}


def test_unknown_ids_missing_modifier_and_the_wrong_kind_answer_100(sandbox, graph, token):
    comment = _mention(sandbox, "hi @riveracoffee", in_comment=True)
    caption = _mention(sandbox, "@riveracoffee", in_comment=False)

    cases = {
        "mentioned_comment.comment_id(1789999){text}": 33,
        f"mentioned_comment.comment_id({caption['media_id']}){{text}}": 33,
        f"mentioned_media.media_id({comment['media_id']}){{caption}}": 33,  # a comment mention
        "mentioned_comment{text}": None,
    }
    for fields, subcode in cases.items():
        error = assert_error(graph.get(f"/{IG}", token, fields=fields), 400, 100, subcode)
        assert "mention" in error["message"] or "does not exist" in error["message"]


def test_another_accounts_mention_is_not_readable(sandbox, graph, user_token):
    ids = _mention(sandbox, "@riveracoffee", in_comment=False)
    other = seed.IG_PHOTO_ID

    response = graph.get(
        f"/{other}", user_token, fields=f"mentioned_media.media_id({ids['media_id']})"
    )

    assert_error(response, 400, 100, 33)


def test_a_mention_by_someone_who_deleted_their_account_is_gone(sandbox, graph, token):
    ids = _mention(sandbox, "@riveracoffee", in_comment=True, customer=seed.MARIA_ID)
    sandbox.state.update_customer(seed.MARIA_ID, deleted=True)

    response = graph.get(
        f"/{IG}", token, fields=f"mentioned_comment.comment_id({ids['comment_id']})"
    )

    assert_error(response, 400, 100, 33)


def test_the_fields_need_instagram_manage_comments(sandbox, graph):
    ids = _mention(sandbox, "@riveracoffee", in_comment=True)
    token = grant_token(graph, scopes=["pages_show_list", "instagram_basic"])

    response = graph.get(
        f"/{IG}", token, fields=f"mentioned_comment.comment_id({ids['comment_id']})"
    )

    assert_error(response, 403, 10)
