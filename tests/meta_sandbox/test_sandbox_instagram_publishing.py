"""Instagram publishing: containers (image, reel, story, carousel, resumable), status over
sandbox time, media checks with Meta's 2207xxx errors, media_publish exactly once, the
publishing quota, published media reads, and faults that lose the answer after the write."""

import sys

import pytest
import requests

from meta_sandbox import config, ig_rules, media_check, seed
from tests.meta_sandbox.helpers import (
    advance,
    assert_error,
    created,
    fault,
    grant_token,
    page_token,
    proof,
    set_settings,
)

IG = seed.IG_COFFEE_ID
SCOPES = [
    "instagram_basic",
    "instagram_content_publish",
    "pages_read_engagement",
    "pages_show_list",
]


@pytest.fixture
def token(graph):
    return grant_token(graph, scopes=SCOPES)


def _create(graph, token, **params):
    return graph.request("POST", f"/{IG}/media", token, **params)


def _container(graph, token, **params):
    response = _create(graph, token, **params)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _status(graph, token, container_id):
    response = graph.get(f"/{container_id}", token, fields="status_code,status")
    assert response.status_code == 200, response.text
    return response.json()


def _publish(graph, token, container_id):
    return graph.request("POST", f"/{IG}/media_publish", token, creation_id=container_id)


def _finished_image(graph, token, media_server, caption="Fresh roast"):
    container_id = _container(
        graph, token, image_url=media_server.url("square.jpg"), caption=caption
    )
    advance(graph, config.IG_IMAGE_PROCESSING_SECONDS)
    assert _status(graph, token, container_id)["status_code"] == "FINISHED"
    return container_id


# --- image containers ------------------------------------------------------------------


def test_image_container_moves_from_in_progress_to_finished_with_the_clock(
    graph, token, media_server
):
    container_id = _container(graph, token, image_url=media_server.url("square.jpg"), caption="Hi")

    before = _status(graph, token, container_id)
    advance(graph, config.IG_IMAGE_PROCESSING_SECONDS)
    after = _status(graph, token, container_id)

    assert before == {
        "status_code": "IN_PROGRESS",
        "status": "In Progress: Media is still being processed.",
        "id": container_id,
    }
    assert after == {
        "status_code": "FINISHED",
        "status": "Finished: Media has been uploaded and it is ready to be published.",
        "id": container_id,
    }


def test_publish_creates_one_media_readable_with_permalink(graph, token, media_server):
    container_id = _finished_image(graph, token, media_server, caption="Tuesday roast #coffee")

    response = _publish(graph, token, container_id)

    assert response.status_code == 200, response.text
    media_id = response.json()["id"]
    assert response.json() == {"id": media_id}
    media = graph.get(
        f"/{media_id}",
        token,
        fields="id,permalink,shortcode,media_type,media_product_type,timestamp,caption,media_url",
    ).json()
    assert media["id"] == media_id
    assert media["permalink"] == f"https://www.instagram.com/p/{media['shortcode']}/"
    assert media["media_type"] == "IMAGE"
    assert media["media_product_type"] == "FEED"
    assert media["caption"] == "Tuesday roast #coffee"
    assert media["media_url"] == media_server.url("square.jpg")
    assert media["timestamp"].endswith("+0000")
    assert _status(graph, token, container_id)["status_code"] == "PUBLISHED"
    listed = graph.get(f"/{IG}/media", token, fields="id,caption").json()["data"]
    assert listed == [{"id": media_id, "caption": "Tuesday roast #coffee"}]
    assert [o["id"] for o in created(graph, kind="ig_media", owner=IG)] == [media_id]


def test_publishing_a_published_container_again_creates_nothing(graph, token, media_server):
    container_id = _finished_image(graph, token, media_server, caption="Once only")
    first = _publish(graph, token, container_id).json()["id"]

    error = assert_error(_publish(graph, token, container_id), 400, 100)

    assert error["error_user_title"] == "Media already published"
    assert first in error["error_user_msg"]
    assert len(created(graph, kind="ig_media", marker="Once only")) == 1


def test_publishing_before_finished_is_9007(graph, token, media_server):
    container_id = _container(graph, token, image_url=media_server.url("square.jpg"))

    error = assert_error(_publish(graph, token, container_id), 400, 9007, 2207027)

    assert error["message"] == "Media ID is not available"
    assert error["is_transient"] is True
    assert created(graph, kind="ig_media") == []


@pytest.mark.parametrize(
    ("_case", "sample", "code", "subcode"),
    [
        ("png is not jpeg", "square.png", 36001, 2207005),
        ("9:16 outside 4:5-1.91:1", "tall.jpg", 36003, 2207009),
        ("over 8 MiB", "huge.jpg", 36000, 2207004),
        ("not found", "missing.jpg", 9004, 2207052),
    ],
)
def test_bad_image_is_refused_with_metas_error(
    graph, token, media_server, _case, sample, code, subcode
):
    response = _create(graph, token, image_url=media_server.url(sample))

    error = assert_error(response, 400, code, subcode)

    assert error["error_user_title"]
    assert created(graph, kind="ig_container") == []


def test_portrait_4_5_image_is_accepted(graph, token, media_server):
    assert _create(graph, token, image_url=media_server.url("portrait.jpg")).status_code == 200


def test_non_loopback_url_is_a_download_failure(graph, token):
    response = _create(graph, token, image_url="https://cdn.example.com/a.jpg")

    assert_error(response, 400, 9004, 2207052)


@pytest.mark.parametrize(
    ("_case", "caption", "code", "subcode"),
    [
        ("2,201 characters", "x" * 2201, 36004, 2207010),
        ("31 hashtags", " ".join(f"#t{i}" for i in range(31)), 36004, 2207010),
        ("21 mentions", " ".join(f"@user{i}" for i in range(21)), 100, 2207040),
    ],
)
def test_caption_limits(graph, token, media_server, _case, caption, code, subcode):
    response = _create(graph, token, image_url=media_server.url("square.jpg"), caption=caption)

    assert_error(response, 400, code, subcode)


def test_story_image_may_be_9_16(graph, token, media_server):
    container_id = _container(
        graph, token, image_url=media_server.url("tall.jpg"), media_type="STORIES"
    )
    advance(graph, config.IG_IMAGE_PROCESSING_SECONDS)

    media_id = _publish(graph, token, container_id).json()["id"]

    media = graph.get(
        f"/{media_id}", token, fields="media_type,media_product_type,permalink"
    ).json()
    assert media["media_type"] == "IMAGE"
    assert media["media_product_type"] == "STORY"
    assert media["permalink"] == f"https://www.instagram.com/stories/riveracoffee/{media_id}/"


# --- video containers ------------------------------------------------------------------


def test_reel_is_fetched_checked_and_finishes_with_the_clock(graph, token, media_server):
    container_id = _container(
        graph, token, video_url=media_server.url("reel.mp4"), media_type="REELS", caption="Reel"
    )
    assert _status(graph, token, container_id)["status_code"] == "IN_PROGRESS"

    advance(graph, config.IG_VIDEO_PROCESSING_SECONDS)

    assert _status(graph, token, container_id)["status_code"] == "FINISHED"
    media_id = _publish(graph, token, container_id).json()["id"]
    media = graph.get(
        f"/{media_id}", token, fields="media_type,media_product_type,permalink"
    ).json()
    assert media["media_type"] == "VIDEO"
    assert media["media_product_type"] == "REELS"
    assert media["permalink"].startswith("https://www.instagram.com/reel/")
    [record] = created(graph, kind="ig_container", marker="Reel")
    assert record["data"]["media_info"]["video_codec"] == "h264"
    assert record["data"]["media_info"]["checked"] == "pyav"


@pytest.mark.parametrize(
    ("_case", "sample", "code", "subcode"),
    [
        ("not a video", "garbage.mp4", 352, 2207026),
        ("shorter than 3 s", "short.mp4", 352, 2207026),
        ("not found", "missing.mp4", 9004, 2207052),
    ],
)
def test_bad_video_ends_in_error_and_publish_answers_it(
    graph, token, media_server, _case, sample, code, subcode
):
    container_id = _container(graph, token, video_url=media_server.url(sample), media_type="REELS")
    advance(graph, config.IG_VIDEO_PROCESSING_SECONDS)

    status = _status(graph, token, container_id)

    assert status["status_code"] == "ERROR"
    assert status["status"] == f"Error: Media upload has failed with error code {subcode}"
    assert_error(_publish(graph, token, container_id), 400, code, subcode)
    assert created(graph, kind="ig_media") == []


def test_thumb_offset_beyond_the_video_is_2207057(graph, token, media_server):
    container_id = _container(
        graph,
        token,
        video_url=media_server.url("reel.mp4"),
        media_type="REELS",
        thumb_offset="9000",
    )
    advance(graph, config.IG_VIDEO_PROCESSING_SECONDS)

    assert "2207057" in _status(graph, token, container_id)["status"]
    assert_error(_publish(graph, token, container_id), 400, 1, 2207057)


def test_reel_cover_must_be_a_jpeg(graph, token, media_server):
    container_id = _container(
        graph,
        token,
        video_url=media_server.url("reel.mp4"),
        media_type="REELS",
        cover_url=media_server.url("square.png"),
    )
    advance(graph, config.IG_VIDEO_PROCESSING_SECONDS)

    assert "2207005" in _status(graph, token, container_id)["status"]


def test_feed_video_without_carousel_is_an_unsupported_media_type(graph, token, media_server):
    response = _create(graph, token, video_url=media_server.url("reel.mp4"), media_type="VIDEO")

    assert_error(response, 400, 100, 2207023)


def test_resumable_upload_takes_the_bytes_then_processes(graph, token, media_samples):
    response = _create(graph, token, media_type="REELS", upload_type="resumable", caption="Up")
    body = response.json()
    assert body["uri"] == f"{graph.sandbox.url}/ig-api-upload/v25.0/{body['id']}"
    data = media_samples["reel.mp4"].read_bytes()

    waiting = _status(graph, token, body["id"])["status_code"]
    upload = requests.post(
        body["uri"],
        data=data,
        headers={"Authorization": f"OAuth {token}", "offset": "0", "file_size": str(len(data))},
        timeout=10,
    )
    advance(graph, config.IG_VIDEO_PROCESSING_SECONDS)

    assert waiting == "IN_PROGRESS"
    assert upload.status_code == 200, upload.text
    assert upload.json()["success"] is True
    assert _status(graph, token, body["id"])["status_code"] == "FINISHED"


def test_resumable_upload_accepts_a_file_url_header(graph, token, media_server):
    body = _create(graph, token, media_type="STORIES", upload_type="resumable").json()

    upload = requests.post(
        body["uri"],
        headers={"Authorization": f"OAuth {token}", "file_url": media_server.url("silent.mp4")},
        timeout=10,
    )
    advance(graph, config.IG_VIDEO_PROCESSING_SECONDS)

    assert upload.json()["success"] is True
    assert _status(graph, token, body["id"])["status_code"] == "FINISHED"


def test_rupload_refuses_a_bad_token_and_a_wrong_offset(graph, token, media_samples):
    body = _create(graph, token, media_type="REELS", upload_type="resumable").json()
    data = media_samples["reel.mp4"].read_bytes()
    headers = {"offset": "0", "file_size": str(len(data))}

    no_token = requests.post(body["uri"], data=data, headers=headers, timeout=10)
    wrong_offset = requests.post(
        body["uri"],
        data=data,
        headers={**headers, "Authorization": f"OAuth {token}", "offset": "5"},
        timeout=10,
    )

    assert no_token.status_code == 401
    assert no_token.json()["debug_info"]["type"] == "AuthError"
    assert wrong_offset.status_code == 400
    assert wrong_offset.json()["debug_info"]["retriable"] is False


# --- carousels -------------------------------------------------------------------------


def _child(graph, token, media_server, sample="square.jpg"):
    return _container(graph, token, image_url=media_server.url(sample), is_carousel_item="true")


def test_carousel_publishes_one_album_with_children(graph, token, media_server):
    children = [_child(graph, token, media_server) for _ in range(2)]
    video_child = _container(
        graph,
        token,
        video_url=media_server.url("reel.mp4"),
        media_type="VIDEO",
        is_carousel_item="true",
    )
    carousel = _container(
        graph,
        token,
        media_type="CAROUSEL",
        children=",".join([*children, video_child]),
        caption="Three shots",
    )
    assert _status(graph, token, carousel)["status_code"] == "IN_PROGRESS"
    advance(graph, config.IG_VIDEO_PROCESSING_SECONDS)

    media_id = _publish(graph, token, carousel).json()["id"]

    media = graph.get(f"/{media_id}", token, fields="media_type,children,caption").json()
    assert media["media_type"] == "CAROUSEL_ALBUM"
    assert [child["media_type"] for child in media["children"]["data"]] == [
        "IMAGE",
        "IMAGE",
        "VIDEO",
    ]
    assert len(created(graph, kind="ig_media")) == 1
    limit = graph.get(f"/{IG}/content_publishing_limit", token, fields="quota_usage").json()
    assert limit == {"data": [{"quota_usage": 1}]}


@pytest.mark.parametrize("count", [1, 11])
def test_carousel_needs_two_to_ten_items(graph, token, media_server, count):
    children = [_child(graph, token, media_server) for _ in range(count)]

    response = _create(graph, token, media_type="CAROUSEL", children=",".join(children))

    assert_error(response, 400, 100, 2207028)


def test_carousel_child_cannot_be_published_alone(graph, token, media_server):
    child = _child(graph, token, media_server)
    advance(graph, config.IG_IMAGE_PROCESSING_SECONDS)

    assert_error(_publish(graph, token, child), 400, 100, 2207023)


# --- expiry, quota, permissions ----------------------------------------------------------


def test_container_expires_after_24_hours(graph, token, media_server):
    container_id = _container(graph, token, image_url=media_server.url("square.jpg"))

    advance(graph, config.IG_CONTAINER_TTL_SECONDS)

    assert _status(graph, token, container_id)["status_code"] == "EXPIRED"
    assert_error(_publish(graph, token, container_id), 400, -2, 2207020)


def test_unknown_creation_id_is_2207008(graph, token):
    assert_error(_publish(graph, token, "17890000000000999"), 400, 24, 2207008)


def test_quota_is_a_setting_and_publishing_past_it_fails(graph, token, media_server):
    set_settings(graph, ig_publish_quota=1)
    first = _finished_image(graph, token, media_server, caption="one")
    second = _finished_image(graph, token, media_server, caption="two")
    assert _publish(graph, token, first).status_code == 200

    error = assert_error(_publish(graph, token, second), 400, 9, 2207042)

    assert error["is_transient"] is False
    limit = graph.get(f"/{IG}/content_publishing_limit", token, fields="quota_usage,config")
    assert limit.json() == {
        "data": [{"quota_usage": 1, "config": {"quota_total": 1, "quota_duration": 86400}}]
    }
    assert [o["marker"] for o in created(graph, kind="ig_media")] == ["one"]


def test_quota_usage_is_a_rolling_24_hours(graph, token, media_server):
    set_settings(graph, ig_publish_quota=1)
    assert _publish(graph, token, _finished_image(graph, token, media_server)).status_code == 200

    advance(graph, 86400)

    assert _publish(graph, token, _finished_image(graph, token, media_server)).status_code == 200


def test_the_linked_pages_token_may_publish(graph, token, media_server):
    page = page_token(graph, token, seed.PAGE_COFFEE_ID)

    container_id = _finished_image(graph, page, media_server)

    assert _publish(graph, page, container_id).status_code == 200


def test_publishing_needs_instagram_content_publish(graph, media_server):
    reader = grant_token(graph, scopes=["instagram_basic"])

    error = assert_error(_create(graph, reader, image_url=media_server.url("square.jpg")), 403, 10)

    assert error["message"] == "(#10) Application does not have permission for this action"


def test_publishing_needs_a_content_task_on_the_linked_page(graph, token, media_server):
    graph.sandbox_post(f"/pages/{seed.PAGE_COFFEE_ID}", {"tasks": ["ANALYZE"]})

    assert_error(_create(graph, token, image_url=media_server.url("square.jpg")), 403, 10)


def test_another_persons_container_is_invisible(graph, token, media_server):
    container_id = _container(graph, token, image_url=media_server.url("square.jpg"))
    sam = grant_token(graph, user=seed.SAM_ID, scopes=SCOPES)

    assert_error(graph.get(f"/{container_id}", sam, fields="status_code"), 400, 100, 33)


# --- faults: the write happened, the answer was lost ---------------------------------------


def test_dropped_publish_answer_leaves_one_media_to_reconcile(graph, token, media_server):
    container_id = _finished_image(graph, token, media_server, caption="Lost answer")
    fault(graph, method="POST", path=f"/{IG}/media_publish", drop=True, after_write=True)

    with pytest.raises(requests.ConnectionError):
        _publish(graph, token, container_id)

    assert _status(graph, token, container_id)["status_code"] == "PUBLISHED"
    assert_error(_publish(graph, token, container_id), 400, 100)
    assert len(created(graph, kind="ig_media", marker="Lost answer")) == 1


def test_error_fault_after_write_still_creates_the_container(graph, token, media_server):
    fault(graph, method="POST", path=f"/{IG}/media", http_status=500, after_write=True)

    response = _create(graph, token, image_url=media_server.url("square.jpg"), caption="Ghost")

    assert_error(response, 500, 1)
    assert len(created(graph, kind="ig_container", marker="Ghost")) == 1


def test_error_fault_before_write_creates_nothing(graph, token, media_server):
    fault(graph, method="POST", path="/*/media_publish", error={"code": 2})
    container_id = _finished_image(graph, token, media_server)

    assert_error(_publish(graph, token, container_id), 500, 2)
    assert created(graph, kind="ig_media") == []


def test_rupload_path_takes_faults_too(graph, token):
    body = _create(graph, token, media_type="REELS", upload_type="resumable").json()
    fault(graph, path="/ig-api-upload/**", http_status=503)

    response = requests.post(
        body["uri"],
        data=b"x",
        headers={"Authorization": f"OAuth {token}", "offset": "0", "file_size": "1"},
        timeout=10,
    )

    assert_error(response, 503, 2)


def test_container_ids_batch_read_status(graph, token, media_server):
    first = _container(graph, token, image_url=media_server.url("square.jpg"))
    second = _container(graph, token, image_url=media_server.url("portrait.jpg"))

    response = graph.session.get(
        f"{graph.base}/",
        params={
            "ids": f"{first},{second}",
            "fields": "status_code",
            "access_token": token,
            "appsecret_proof": proof(token),
        },
        timeout=10,
    )

    assert response.json() == {
        first: {"status_code": "IN_PROGRESS", "id": first},
        second: {"status_code": "IN_PROGRESS", "id": second},
    }


# --- without Pillow or PyAV the checks degrade to what the bytes say ------------------------


def test_without_pyav_video_checks_fall_back_to_the_container(monkeypatch, media_samples):
    monkeypatch.setitem(sys.modules, "av", None)

    info = media_check.inspect_video(media_samples["reel.mp4"].read_bytes())

    assert (info.container, info.checked, info.moov_first) == ("MP4", "container-only", True)
    media_check.check_video(info, ig_rules.REELS_SPEC)  # duration/codec unchecked: no error


def test_without_pillow_image_size_comes_from_the_jpeg_header(monkeypatch, media_samples):
    monkeypatch.setitem(sys.modules, "PIL", None)

    info = media_check.inspect_image(media_samples["portrait.jpg"].read_bytes())

    assert (info.format, info.width, info.height) == ("JPEG", 1080, 1350)
