"""Multi-photo Page posts (GRAPH_NOTES §3.1-§3.2): unpublished photos, then one /feed post
that attaches them with ``attached_media`` in order, as Meta does."""

import json

import pytest

from meta_sandbox import seed
from tests.meta_sandbox.helpers import assert_error, created, grant_token, page_token

PAGE = seed.PAGE_COFFEE_ID
OTHER_PAGE = seed.PAGE_PHOTO_ID
SCOPES = ["pages_show_list", "pages_read_engagement", "pages_manage_posts"]


@pytest.fixture
def user_token(graph):
    return grant_token(graph, scopes=SCOPES)


@pytest.fixture
def token(graph, user_token):
    return page_token(graph, user_token, PAGE)


def _unpublished(graph, token, media_server, page=PAGE, name="square.jpg"):
    response = graph.request(
        "POST", f"/{page}/photos", token, url=media_server.url(name), published="false"
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _feed(graph, token, **params):
    return graph.request("POST", f"/{PAGE}/feed", token, **params)


def test_feed_post_attaches_unpublished_photos_in_order(graph, token, media_server):
    first = _unpublished(graph, token, media_server)
    second = _unpublished(graph, token, media_server, name="square.png")
    attached = [{"media_fbid": second}, {"media_fbid": first}]

    response = _feed(graph, token, message="Two roasts", attached_media=json.dumps(attached))

    assert response.status_code == 200, response.text
    post_id = response.json()["id"]
    post = graph.get(f"/{post_id}", token, fields="status_type,attachments").json()
    assert post["status_type"] == "added_photos"
    photos = post["attachments"]["data"][0]["subattachments"]["data"]
    assert [photo["target"]["id"] for photo in photos] == [second, first]
    [stored] = created(graph, kind="page_post", marker="Two roasts")
    assert stored["data"]["attached_media"] == [second, first]
    # The attached photos are published with the post.
    photo = graph.get(f"/{first}", token, fields="page_story_id").json()
    assert photo["page_story_id"] == post_id


def test_indexed_attached_media_params_work_too(graph, token, media_server):
    first = _unpublished(graph, token, media_server)
    second = _unpublished(graph, token, media_server)

    response = _feed(
        graph,
        token,
        message="Indexed",
        **{
            "attached_media[0]": json.dumps({"media_fbid": first}),
            "attached_media[1]": json.dumps({"media_fbid": second}),
        },
    )

    assert response.status_code == 200, response.text
    [stored] = created(graph, kind="page_post", marker="Indexed")
    assert stored["data"]["attached_media"] == [first, second]


def test_photo_of_another_page_is_refused(graph, token, user_token, media_server):
    other_token = page_token(graph, user_token, OTHER_PAGE)
    foreign = _unpublished(graph, other_token, media_server, page=OTHER_PAGE)

    response = _feed(
        graph, token, message="Not mine", attached_media=json.dumps([{"media_fbid": foreign}])
    )

    error = assert_error(response, 400, 100)
    assert "not a photo of this Page" in error["message"]
    assert created(graph, kind="page_post") == []


def test_published_or_reused_photo_is_refused(graph, token, media_server):
    published = graph.request(
        "POST", f"/{PAGE}/photos", token, url=media_server.url("square.jpg"), caption="Live"
    ).json()["id"]
    loose = _unpublished(graph, token, media_server)

    already = _feed(
        graph, token, message="x", attached_media=json.dumps([{"media_fbid": published}])
    )
    twice = _feed(
        graph,
        token,
        message="y",
        attached_media=json.dumps([{"media_fbid": loose}, {"media_fbid": loose}]),
    )

    assert "already published or attached" in assert_error(already, 400, 100)["message"]
    assert "already published or attached" in assert_error(twice, 400, 100)["message"]
    assert [p["marker"] for p in created(graph, kind="page_post")] == ["Live"]


def test_unknown_media_fbid_and_bad_shape_are_100(graph, token):
    unknown = _feed(graph, token, message="z", attached_media=json.dumps([{"media_fbid": "6999"}]))
    not_a_list = _feed(graph, token, message="z", attached_media='{"media_fbid": "1"}')
    no_id = _feed(graph, token, message="z", attached_media=json.dumps([{}]))

    assert_error(unknown, 400, 100)
    assert_error(not_a_list, 400, 100)
    assert_error(no_id, 400, 100)
    assert created(graph, kind="page_post") == []
