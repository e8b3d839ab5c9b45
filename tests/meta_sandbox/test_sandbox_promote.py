"""Ad creatives from existing posts (GRAPH_NOTES §4.3): ``object_story_id`` for a Page post,
``source_instagram_media_id`` + ``instagram_user_id`` for an Instagram post.

The sandbox answers Meta's error for a post that was deleted, belongs to another Page or
account, or isn't published yet, and for the deprecated field names; what it accepts is read
back on the creative (and its ad's ``effective_*`` ids).
"""

import json
import time

import pytest

from meta_sandbox import seed
from tests.meta_sandbox.helpers import assert_error, grant_token, page_token

ACT = seed.ACT_COFFEE_US
PAGE = seed.PAGE_COFFEE_ID
IG = seed.IG_COFFEE_ID
SCOPES = [
    "ads_management",
    "ads_read",
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "instagram_basic",
]


@pytest.fixture
def token(graph):
    return grant_token(graph, scopes=SCOPES)


def _post(graph, token, path, **params):
    encoded = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    return graph.request("POST", path, token, **encoded)


def _page_post(graph, token, **params):
    response = _post(graph, page_token(graph, token, PAGE), f"/{PAGE}/feed", **params)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _creative(graph, token, **params):
    return _post(graph, token, f"/{ACT}/adcreatives", name="Promote", **params)


def test_a_published_page_post_becomes_a_creative(graph, token):
    story = _page_post(graph, token, message="Spring beans are here")

    response = _creative(graph, token, object_story_id=story)

    assert response.status_code == 200, response.text
    fields = "object_story_id,effective_object_story_id,object_story_spec"
    creative = graph.get(f"/{response.json()['id']}", token, fields=fields).json()
    assert (creative["object_story_id"], creative["effective_object_story_id"]) == (story, story)
    assert "object_story_spec" not in creative


def test_a_deleted_page_post_does_not_exist(graph, token):
    story = _page_post(graph, token, message="Gone soon")
    deleted = graph.request("DELETE", f"/{story}", page_token(graph, token, PAGE))
    assert deleted.status_code == 200, deleted.text

    response = _creative(graph, token, object_story_id=story)

    error = assert_error(response, 400, 100)
    assert error["error_user_title"] == "Post not found"
    assert "does not exist" in error["message"]


def test_a_scheduled_page_post_is_not_published_yet(graph, token):
    story = _page_post(
        graph,
        token,
        message="Later",
        published="false",
        scheduled_publish_time=str(int(time.time()) + 3600),
    )

    error = assert_error(_creative(graph, token, object_story_id=story), 400, 100)

    assert error["error_user_title"] == "Post not published"


@pytest.mark.parametrize(
    "story",
    [
        f"{seed.PAGE_FITNESS_ID}_5000000000000001",  # a Page Alex didn't grant
        f"{PAGE}_5999999999999999",  # the shape of the sandbox's ids, never made: deleted
        f"{PAGE}_not-a-number",
        "5000000000000001",
    ],
)
def test_a_post_not_on_a_granted_page_is_refused(graph, token, story):
    error = assert_error(_creative(graph, token, object_story_id=story), 400, 100)

    assert error["error_user_title"] == "Post not found"


def test_an_instagram_post_becomes_a_creative_with_its_account(graph, token):
    response = _creative(
        graph,
        token,
        source_instagram_media_id=seed.SEED_MEDIA_COFFEE_ID,
        instagram_user_id=IG,
        object_id=PAGE,
        call_to_action={"type": "SHOP_NOW", "value": {"link": "https://shop.example.com/"}},
    )

    assert response.status_code == 200, response.text
    fields = "source_instagram_media_id,instagram_user_id,effective_instagram_media_id"
    creative = graph.get(f"/{response.json()['id']}", token, fields=fields).json()
    assert creative == {
        "id": response.json()["id"],
        "source_instagram_media_id": seed.SEED_MEDIA_COFFEE_ID,
        "instagram_user_id": IG,
        "effective_instagram_media_id": seed.SEED_MEDIA_COFFEE_ID,
    }


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"source_instagram_media_id": seed.SEED_MEDIA_COFFEE_ID}, "Missing Instagram account"),
        (
            {"source_instagram_media_id": seed.SEED_MEDIA_PHOTO_ID, "instagram_user_id": IG},
            "Post not found",
        ),
        (
            {"source_instagram_media_id": "17900000000009999", "instagram_user_id": IG},
            "Post not found",
        ),
        (
            {
                "source_instagram_media_id": seed.SEED_MEDIA_FITNESS_ID,
                "instagram_user_id": seed.IG_FITNESS_ID,
            },
            "Instagram account not allowed",
        ),
        (
            {
                "source_instagram_media_id": seed.SEED_MEDIA_COFFEE_ID,
                "instagram_user_id": IG,
                "object_id": seed.PAGE_PHOTO_ID,
            },
            "Page not allowed",
        ),
        (
            {
                "source_instagram_media_id": seed.SEED_MEDIA_COFFEE_ID,
                "instagram_user_id": IG,
                "call_to_action": {"type": "shop now"},
            },
            "Invalid call to action",
        ),
        (
            {"instagram_story_id": seed.SEED_MEDIA_COFFEE_ID, "instagram_user_id": IG},
            "Deprecated field",
        ),
        (
            {
                "source_instagram_media_id": seed.SEED_MEDIA_COFFEE_ID,
                "instagram_actor_id": IG,
            },
            "Deprecated field",
        ),
        (
            {
                "source_instagram_media_id": seed.SEED_MEDIA_COFFEE_ID,
                "instagram_user_id": IG,
                "object_story_id": seed.SEED_POST_COFFEE_ID,
            },
            "Invalid creative",
        ),
    ],
    ids=[
        "no-account",
        "another-accounts-media",
        "unknown-media",
        "account-not-granted",
        "another-page",
        "bad-button",
        "instagram_story_id",
        "instagram_actor_id",
        "two-sources",
    ],
)
def test_bad_instagram_sources_get_metas_errors(graph, token, params, title):
    error = assert_error(_creative(graph, token, **params), 400, 100)

    assert error["error_user_title"] == title
