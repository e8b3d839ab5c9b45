"""Facebook Page publishing: feed posts (now and scheduled), photos, videos (file_url,
source, chunked), reels, Page-token rules, video status over sandbox time, faults."""

import json

import pytest
import requests

from meta_sandbox import config, seed
from tests.meta_sandbox.helpers import (
    advance,
    assert_error,
    created,
    fault,
    grant_token,
    page_token,
    proof,
)

PAGE = seed.PAGE_COFFEE_ID
SCOPES = ["pages_show_list", "pages_read_engagement", "pages_manage_posts"]
NOT_ALLOWED = (
    "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts "
    "as an admin with sufficient administrative permission"
)


@pytest.fixture
def user_token(graph):
    return grant_token(graph, scopes=SCOPES)


@pytest.fixture
def token(graph, user_token):
    return page_token(graph, user_token, PAGE)


def _post(graph, token, edge, **params):
    return graph.request("POST", f"/{PAGE}/{edge}", token, **params)


def _multipart(graph, token, edge, files, **params):
    data = {"access_token": token, "appsecret_proof": proof(token), **params}
    return graph.session.post(f"{graph.base}/{PAGE}/{edge}", data=data, files=files, timeout=10)


def _video_status(graph, token, video_id):
    response = graph.get(f"/{video_id}", token, fields="status")
    assert response.status_code == 200, response.text
    return response.json()["status"]


# --- /feed -------------------------------------------------------------------------------


def test_feed_post_is_created_once_and_readable_with_permalink(graph, token):
    response = _post(graph, token, "feed", message="Fresh beans today", link="https://shop.test/")

    post_id = response.json()["id"]
    page_part, post_part = post_id.split("_")
    assert response.json() == {"id": post_id}
    assert page_part == PAGE
    post = graph.get(f"/{post_id}", token, fields="message,link,permalink_url,created_time").json()
    assert post["message"] == "Fresh beans today"
    assert post["link"] == "https://shop.test/"
    assert post["permalink_url"] == f"https://www.facebook.com/{PAGE}/posts/{post_part}"
    assert post["created_time"].endswith("+0000")
    assert [p["id"] for p in graph.get(f"/{PAGE}/feed", token).json()["data"]] == [post_id]
    assert [o["id"] for o in created(graph, kind="page_post", marker="Fresh beans today")] == [
        post_id
    ]


def test_feed_post_needs_message_or_link(graph, token):
    error = assert_error(_post(graph, token, "feed"), 400, 100)

    assert error["message"] == "(#100) Missing message or attachment"


def test_user_token_cannot_post_as_the_page(graph, user_token):
    error = assert_error(_post(graph, user_token, "feed", message="hi"), 403, 200)

    assert error["message"] == NOT_ALLOWED
    assert created(graph, kind="page_post") == []


def test_page_token_without_a_content_task_cannot_post(graph, token):
    graph.sandbox_post(f"/pages/{PAGE}", {"tasks": ["ANALYZE", "ADVERTISE"]})

    assert_error(_post(graph, token, "feed", message="hi"), 403, 200)


def test_page_token_without_pages_manage_posts_cannot_post(graph):
    reader = page_token(graph, grant_token(graph, scopes=["pages_show_list"]), PAGE)

    assert_error(_post(graph, reader, "feed", message="hi"), 403, 200)


def test_another_pages_token_does_not_reach_this_page(graph, user_token):
    other = page_token(graph, user_token, seed.PAGE_PHOTO_ID)

    assert_error(_post(graph, other, "feed", message="hi"), 400, 100, 33)


def test_scheduled_post_appears_in_the_feed_when_its_time_comes(graph, token, sandbox):
    when = int(sandbox.state.now()) + 3600

    response = _post(
        graph, token, "feed", message="Later", published="false", scheduled_publish_time=str(when)
    )

    post_id = response.json()["id"]
    assert graph.get(f"/{post_id}", token, fields="is_published").json()["is_published"] is False
    assert graph.get(f"/{PAGE}/feed", token).json() == {"data": []}
    advance(graph, 3600)
    assert graph.get(f"/{post_id}", token, fields="is_published").json()["is_published"] is True
    assert [p["id"] for p in graph.get(f"/{PAGE}/feed", token).json()["data"]] == [post_id]


@pytest.mark.parametrize(
    ("_case", "ahead", "published"),
    [
        ("5 minutes ahead", 300, "false"),
        ("76 days ahead", 76 * 86400, "false"),
        ("published", 3600, "true"),
    ],
)
def test_scheduled_time_must_be_10_minutes_to_75_days_ahead_and_unpublished(
    graph, token, sandbox, _case, ahead, published
):
    when = str(int(sandbox.state.now()) + ahead)

    response = _post(
        graph, token, "feed", message="x", published=published, scheduled_publish_time=when
    )

    assert_error(response, 400, 100)
    assert created(graph, kind="page_post") == []


# --- /photos -----------------------------------------------------------------------------


def test_photo_by_url_creates_a_photo_and_its_post(graph, token, media_server):
    response = _post(graph, token, "photos", url=media_server.url("square.png"), caption="Latte")

    body = response.json()
    assert set(body) == {"id", "post_id"}
    photo = graph.get(f"/{body['id']}", token, fields="name,width,height,page_story_id").json()
    assert photo == {
        "name": "Latte",
        "width": 1080,
        "height": 1080,
        "page_story_id": body["post_id"],
        "id": body["id"],
    }
    post = graph.get(f"/{body['post_id']}", token, fields="status_type,object_id").json()
    assert post["status_type"] == "added_photos"
    assert post["object_id"] == body["id"]
    assert len(created(graph, kind="page_photo", marker="Latte")) == 1


def test_unpublished_photo_has_no_post(graph, token, media_server):
    response = _post(graph, token, "photos", url=media_server.url("square.jpg"), published="false")

    assert set(response.json()) == {"id"}
    assert created(graph, kind="page_post") == []


def test_photo_by_multipart_source(graph, token, media_samples):
    with media_samples["square.jpg"].open("rb") as image:
        response = _multipart(graph, token, "photos", {"source": image}, caption="Upload")

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"id", "post_id"}


@pytest.mark.parametrize("sample", ["missing.jpg", "garbage.mp4"])
def test_bad_photo_is_324(graph, token, media_server, sample):
    response = _post(graph, token, "photos", url=media_server.url(sample))

    error = assert_error(response, 400, 324)
    assert error["message"] == "(#324) Missing or invalid image file"
    assert created(graph) == []


# --- /videos -----------------------------------------------------------------------------


def test_video_by_file_url_processes_to_ready(graph, token, media_server):
    response = _post(
        graph, token, "videos", file_url=media_server.url("reel.mp4"), description="Roasting"
    )

    video_id = response.json()["id"]
    assert response.json() == {"id": video_id}
    before = _video_status(graph, token, video_id)
    advance(graph, config.VIDEO_PROCESSING_SECONDS)
    after = _video_status(graph, token, video_id)
    assert before["video_status"] == "processing"
    assert before["uploading_phase"]["status"] == "complete"
    assert before["processing_phase"] == {"status": "in_progress", "errors": []}
    assert after["video_status"] == "ready"
    assert after["publishing_phase"]["publish_status"] == "published"
    video = graph.get(f"/{video_id}", token, fields="permalink_url,description,length").json()
    assert video["permalink_url"] == f"/{PAGE}/videos/{video_id}/"  # a path, as Meta sends it
    assert video["length"] == pytest.approx(4, abs=0.1)
    assert [o["id"] for o in created(graph, kind="page_video", marker="Roasting")] == [video_id]


@pytest.mark.parametrize(
    ("sample", "code"), [("missing.mp4", 389), ("tiny.mp4", 382), ("garbage.mp4", 352)]
)
def test_bad_video_url_answers_metas_code(graph, token, media_server, sample, code):
    response = _post(graph, token, "videos", file_url=media_server.url(sample))

    assert_error(response, 400, code)
    assert created(graph) == []


def test_file_url_cannot_be_combined_with_upload_phase(graph, token, media_server):
    response = _post(
        graph, token, "videos", file_url=media_server.url("reel.mp4"), upload_phase="start"
    )

    assert_error(response, 400, 100)


def test_chunked_upload_start_transfer_finish(graph, token, media_samples):
    data = media_samples["reel.mp4"].read_bytes()
    start = _post(graph, token, "videos", upload_phase="start", file_size=str(len(data))).json()
    assert start["start_offset"] == "0"
    assert start["end_offset"] == str(len(data))

    transfer = _multipart(
        graph,
        token,
        "videos",
        {"video_file_chunk": ("chunk", data)},
        upload_phase="transfer",
        upload_session_id=start["upload_session_id"],
        start_offset="0",
    ).json()
    uploading = _video_status(graph, token, start["video_id"])
    finish = _post(
        graph,
        token,
        "videos",
        upload_phase="finish",
        upload_session_id=start["upload_session_id"],
        title="Chunked",
    ).json()
    advance(graph, config.VIDEO_PROCESSING_SECONDS)

    assert transfer == {"start_offset": str(len(data)), "end_offset": str(len(data))}
    assert uploading["video_status"] == "upload"
    assert uploading["uploading_phase"]["bytes_transferred"] == len(data)
    assert finish == {"success": True}
    assert _video_status(graph, token, start["video_id"])["video_status"] == "ready"
    assert len(created(graph, kind="page_video", marker="Chunked")) == 1


def test_chunked_upload_of_a_bad_file_ends_in_error_status(graph, token, media_samples):
    data = media_samples["garbage.mp4"].read_bytes()
    start = _post(graph, token, "videos", upload_phase="start", file_size=str(len(data))).json()
    _multipart(
        graph,
        token,
        "videos",
        {"video_file_chunk": ("chunk", data)},
        upload_phase="transfer",
        upload_session_id=start["upload_session_id"],
        start_offset="0",
    )
    _post(
        graph, token, "videos", upload_phase="finish", upload_session_id=start["upload_session_id"]
    )
    advance(graph, config.VIDEO_PROCESSING_SECONDS)

    status = _video_status(graph, token, start["video_id"])

    assert status["video_status"] == "error"
    assert status["processing_phase"]["errors"][0]["code"] == 352


def test_transfer_at_the_wrong_offset_is_6001(graph, token):
    start = _post(graph, token, "videos", upload_phase="start", file_size="5000").json()

    response = _multipart(
        graph,
        token,
        "videos",
        {"video_file_chunk": ("chunk", b"x" * 100)},
        upload_phase="transfer",
        upload_session_id=start["upload_session_id"],
        start_offset="100",
    )

    assert_error(response, 400, 6001)


# --- /video_reels ------------------------------------------------------------------------


def test_reel_start_upload_finish_and_status(graph, token, media_samples):
    start = _post(graph, token, "video_reels", upload_phase="start").json()
    assert start["upload_url"] == f"{graph.sandbox.url}/video-upload/v25.0/{start['video_id']}"
    data = media_samples["reel.mp4"].read_bytes()

    upload = requests.post(
        start["upload_url"],
        data=data,
        headers={"Authorization": f"OAuth {token}", "offset": "0", "file_size": str(len(data))},
        timeout=10,
    )
    finish = _post(
        graph,
        token,
        "video_reels",
        upload_phase="finish",
        video_id=start["video_id"],
        video_state="PUBLISHED",
        description="Morning pour",
    )
    advance(graph, config.VIDEO_PROCESSING_SECONDS)

    assert upload.json() == {"success": True}
    assert finish.json() == {"success": True}
    assert _video_status(graph, token, start["video_id"])["video_status"] == "ready"
    reel = graph.get(f"/{start['video_id']}", token, fields="permalink_url,published").json()
    assert reel["permalink_url"] == f"/reel/{start['video_id']}/"  # a path, as Meta sends it
    assert reel["published"] is True
    assert len(created(graph, kind="page_reel", marker="Morning pour")) == 1


def test_reel_upload_accepts_a_file_url_header(graph, token, media_server):
    start = _post(graph, token, "video_reels", upload_phase="start").json()

    upload = requests.post(
        start["upload_url"],
        headers={"Authorization": f"OAuth {token}", "file_url": media_server.url("reel.mp4")},
        timeout=10,
    )

    assert upload.json() == {"success": True}
    assert _video_status(graph, token, start["video_id"])["uploading_phase"]["status"] == "complete"


def test_reel_finish_before_upload_is_6001(graph, token):
    start = _post(graph, token, "video_reels", upload_phase="start").json()

    response = _post(graph, token, "video_reels", upload_phase="finish", video_id=start["video_id"])

    assert_error(response, 400, 6001)


# --- faults ------------------------------------------------------------------------------


def test_dropped_feed_answer_still_created_exactly_one_post(graph, token):
    fault(graph, method="POST", path=f"/{PAGE}/feed", drop=True, after_write=True)

    with pytest.raises(requests.ConnectionError):
        _post(graph, token, "feed", message="Did it post?")

    [post] = created(graph, kind="page_post", owner=PAGE, marker="Did it post?")
    feed = graph.get(f"/{PAGE}/feed", token, fields="id,message").json()["data"]
    assert feed == [{"id": post["id"], "message": "Did it post?"}]


def test_page_throttle_fault_creates_nothing_and_sends_usage(graph, token):
    fault(graph, method="POST", path="/*/feed", error={"code": 32})

    response = _post(graph, token, "feed", message="hi")

    assert_error(response, 400, 32)
    assert json.loads(response.headers["X-Page-Usage"])["call_count"] == 100
    assert created(graph) == []


def test_timeout_fault_after_write_creates_the_photo(graph, token, media_server):
    fault(graph, method="POST", path=f"/{PAGE}/photos", latency_ms=1500, after_write=True)

    with pytest.raises(requests.Timeout):
        graph.session.post(
            f"{graph.base}/{PAGE}/photos",
            data={
                "access_token": token,
                "appsecret_proof": proof(token),
                "url": media_server.url("square.jpg"),
                "caption": "Slow",
            },
            timeout=0.5,
        )

    assert len(created(graph, kind="page_photo", marker="Slow")) == 1


def test_batch_items_publish_and_take_faults_by_their_own_path(graph, token):
    fault(graph, method="POST", path=f"/{PAGE}/photos", error={"code": 368})
    items = [
        {"method": "POST", "relative_url": f"{PAGE}/feed", "body": "message=From a batch"},
        {
            "method": "POST",
            "relative_url": f"{PAGE}/photos",
            "body": "url=http://127.0.0.1:9/x.jpg",
        },
    ]

    results = graph.request("POST", "/", token, batch=json.dumps(items)).json()

    assert results[0]["code"] == 200
    assert json.loads(results[1]["body"])["error"]["code"] == 368
    assert len(created(graph, kind="page_post", marker="From a batch")) == 1
