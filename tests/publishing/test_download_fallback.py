"""What happens when Meta can't download a file from our link (#14 item 3), per target.

The privacy policy said such a file is "uploaded directly instead"; Instagram images can't be.
The target table (``publishing.targets``) now says per target what happens, the editor shows
that sentence, and the publishers do exactly that: an Instagram image stops with the table's
reason, a Facebook video goes up as bytes.
"""

import pytest
from django.urls import reverse

from publishing import services
from publishing.models import Publication, Target
from publishing.targets import IMAGE, TARGETS, VIDEO
from tests.conftest import client_for
from tests.publishing.conftest import drive, make_publication

pytestmark = pytest.mark.django_db

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: every download of our links fails


@pytest.mark.parametrize("target", list(Target))
def test_the_table_says_what_the_code_does_for_each_target(target):
    spec = TARGETS[target]
    sentence = str(spec.if_meta_cannot_download)

    assert sentence
    assert ("directly" in sentence) == bool(spec.direct_upload & spec.media_kinds)
    assert ("can't be" in sentence) == bool(spec.link_only_kinds)
    assert "image" in sentence or IMAGE not in spec.link_only_kinds


def test_only_instagram_images_must_be_downloaded_by_link():
    link_only = {key: spec.link_only_kinds for key, spec in TARGETS.items() if spec.link_only_kinds}

    assert link_only == {
        Target.IG_FEED: frozenset({IMAGE}),
        Target.IG_CAROUSEL: frozenset({IMAGE}),
        Target.IG_STORY: frozenset({IMAGE}),
    }
    assert all(
        VIDEO in spec.direct_upload for spec in TARGETS.values() if VIDEO in spec.media_kinds
    )


def test_the_editor_shows_each_targets_sentence(owner):
    response = client_for(owner).get(reverse("publishing:new", args=[owner.workspace.slug]))

    assert response.status_code == 200
    html = response.content.decode()
    for key, spec in TARGETS.items():
        marker = f'data-testid="target-download-{key}"'
        assert marker in html, key
        line = html.split(marker, 1)[1].split("</p>", 1)[0]
        assert str(spec.if_meta_cannot_download).replace("'", "&#x27;") in line, key


@pytest.mark.parametrize(
    ("target", "media"), [("ig_feed", "square.jpg"), ("ig_story", "square.jpg")]
)
def test_an_instagram_image_meta_cannot_download_stops_with_the_tables_reason(
    connected, upload, sandbox, settings, target, media
):
    publication = make_publication(connected, target, [upload(connected, media)])
    publication = services.publish_publication(actor=connected, publication=publication)
    settings.PUBLIC_BASE_URL = UNREACHABLE

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.FAILED
    assert publication.failed_item == media
    assert str(TARGETS[target].if_meta_cannot_download) in publication.error_detail
    assert "falls back" not in publication.error_detail + publication.error_fix
    assert publication.error_code == 9004
    assert "public https address" in publication.error_fix
    assert sandbox.state.describe_objects(kind="ig_media") == []


def test_a_facebook_video_meta_cannot_download_is_uploaded_directly(
    connected, upload, sandbox, settings
):
    asset = upload(connected, "wide.mp4")
    settings.PUBLIC_BASE_URL = UNREACHABLE  # preflight finds our links unreachable
    publication = make_publication(connected, "fb_post", [asset])
    checks = {r["key"]: r for r in publication.preflight}
    assert checks["media_fetchable"]["status"] == "warn"
    assert publication.delivery == "upload"
    publication = services.publish_publication(actor=connected, publication=publication)

    publication = drive(publication, sandbox)

    assert publication.status == Publication.Status.PUBLISHED, publication.error_detail
    sent = publication.events.get(kind="graph", method="POST", path__endswith="/videos")
    assert "file_url" not in sent.params
    assert len(sandbox.state.describe_objects(kind="page_video")) == 1
