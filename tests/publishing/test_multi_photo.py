"""Facebook Page posts with several photos (issue #13): unpublished photos, then one post.

Each photo is uploaded unpublished and its id stored before the next; the post attaches them
all in order. A fault mid-way, or a lost answer to the post, never uploads or posts twice.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from creatives.library import services as media_services
from meta_sandbox import seed
from publishing import services
from publishing.models import Publication
from publishing.targets import TARGETS, item_problems
from tests.media_samples import make_image
from tests.publishing.conftest import drive, make_publication

pytestmark = pytest.mark.django_db
PAGE = seed.PAGE_COFFEE_ID


@pytest.fixture
def photos(connected, upload, tmp_path):
    portrait = make_image(tmp_path / "portrait.jpg", width=1080, height=1350)
    third = media_services.upload_media(
        actor=connected,
        uploaded=SimpleUploadedFile(
            "portrait.jpg", portrait.read_bytes(), content_type="image/jpeg"
        ),
    )
    return [upload(connected, "square.jpg"), upload(connected, "square-2.jpg"), third]


def _ready(connected, photos, **fields):
    publication = make_publication(
        connected, "fb_post", photos, caption="Three roasts #coffee", **fields
    )
    assert [r for r in publication.preflight if r["status"] == "fail"] == []
    return services.publish_publication(actor=connected, publication=publication)


def _uploaded(sandbox):
    return sandbox.state.describe_objects(kind="page_photo")


def _posts(sandbox):
    return sandbox.state.describe_objects(kind="page_post", marker="Three roasts #coffee")


def test_several_photos_land_as_one_post_with_all_photos_in_order(connected, photos, sandbox):
    publication = drive(_ready(connected, photos), sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    uploaded = _uploaded(sandbox)
    assert len(uploaded) == 3
    # Uploaded unpublished, in the publication's order (the portrait is the third).
    assert [(p["data"]["width"], p["data"]["height"]) for p in uploaded] == [
        (1080, 1080),
        (1080, 1080),
        (1080, 1350),
    ]
    [post] = _posts(sandbox)
    assert post["data"]["attached_media"] == publication.remote["photos"]
    assert post["data"]["attached_media"] == [p["id"] for p in uploaded]
    assert all(p["data"]["post_id"] == post["id"] for p in uploaded)
    assert publication.remote_id == post["id"]
    assert publication.permalink.startswith("https://www.facebook.com/")


def test_the_link_goes_in_the_text(connected, photos, sandbox):
    publication = drive(_ready(connected, photos, link_url="live:/privacy/"), sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    [post] = sandbox.state.describe_objects(kind="page_post")
    assert post["data"]["message"] == f"Three roasts #coffee\n\n{publication.link_url}"


def test_a_fault_on_a_later_photo_does_not_upload_the_earlier_ones_again(
    connected, photos, sandbox
):
    publication = _ready(connected, photos)
    drive(publication, sandbox, until="photos")  # the first photo is in
    sandbox.state.add_fault(method="POST", path=f"/{PAGE}/photos", http_status=500, times=1)

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert len(_uploaded(sandbox)) == 3
    assert len(_posts(sandbox)) == 1
    assert publication.events.filter(kind="graph", status_code=500).count() == 1


def test_a_lost_answer_to_the_post_is_reconciled_not_posted_again(connected, photos, sandbox):
    publication = _ready(connected, photos)
    # The photos go to /photos; the post that attaches them to /feed loses its answer.
    sandbox.state.add_fault(method="POST", path=f"/{PAGE}/feed", drop=True, after_write=True)

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    assert len(_posts(sandbox)) == 1
    assert len(_uploaded(sandbox)) == 3
    assert publication.events.filter(message__startswith="Found").exists()


def test_running_again_after_publishing_sends_nothing(connected, photos, sandbox):
    publication = drive(_ready(connected, photos), sandbox)
    sent = publication.events.filter(kind="graph", method="POST").count()

    Publication.objects.filter(pk=publication.pk).update(status="publishing")
    services.advance_publication(publication_id=publication.pk)

    assert len(_uploaded(sandbox)) == 3
    assert len(_posts(sandbox)) == 1
    assert publication.events.filter(kind="graph", method="POST").count() == sent


def test_several_files_must_all_be_photos():
    spec = TARGETS["fb_post"]

    [problem] = item_problems(spec, ["image", "video"], has_text=True)

    assert problem.field == "item_1"
    assert "photos only" in problem.message
    assert item_problems(spec, ["image"] * 10, has_text=False) == []
    assert item_problems(spec, ["video"], has_text=False) == []
    assert "up to 10 photos" in item_problems(spec, ["image"] * 11, has_text=True)[0].message
