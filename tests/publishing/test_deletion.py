"""Deleting publications: drafts go, published ones leave a tombstone, Meta deletion on request.

Also what a publication keeps when a file it sent is deleted from the media library.
"""

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.models import AuditEvent
from creatives.library import services as media_services
from creatives.library.errors import MediaError
from creatives.library.models import MediaAsset
from meta_integration import graph
from meta_integration.models import MetaPage
from meta_sandbox import seed
from publishing import deletion, remote_delete, services
from publishing.errors import PublishingError
from publishing.models import (
    Publication,
    PublicationAsset,
    PublicationEvent,
    PublicationTombstone,
)
from tests.conftest import client_for
from tests.publishing.conftest import drive, make_publication


def _published(owner, sandbox, target, assets, **fields):
    publication = make_publication(owner, target, assets, **fields)
    services.publish_publication(actor=owner, publication=publication)
    publication = drive(publication, sandbox)
    assert publication.status == Publication.Status.PUBLISHED
    return publication


def _delete_url(publication):
    return reverse("publishing:delete", args=[publication.workspace.slug, publication.pk])


def _page_objects(sandbox, kind):
    return sandbox.state.describe_objects(kind=kind, owner_id=seed.PAGE_COFFEE_ID)


# --- drafts, running ones -------------------------------------------------------------------------


def test_draft_is_deleted_with_no_tombstone(connected, upload):
    asset = upload(connected, "square.jpg")
    publication = make_publication(connected, "fb_post", [asset])

    response = client_for(connected).post(_delete_url(publication))

    assert response.status_code == 302
    assert response["Location"] == reverse("publishing:list", args=["acme"])
    assert not Publication.objects.filter(pk=publication.pk).exists()
    assert PublicationTombstone.objects.count() == 0
    assert MediaAsset.objects.filter(pk=asset.pk).exists()  # the file stays in the library
    event = AuditEvent.objects.get(action="publication.deleted")
    assert event.target_id == str(publication.pk)
    assert event.metadata["tombstone_id"] is None


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("queued", "queued to be sent to Meta. Cancel it first"),
        ("uploading", "being sent to Meta right now"),
        ("processing", "being sent to Meta right now"),
        ("publishing", "being sent to Meta right now"),
    ],
)
def test_running_publication_cannot_be_deleted(connected, upload, status, says):
    publication = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])
    Publication.objects.filter(pk=publication.pk).update(status=status)

    response = client_for(connected).post(_delete_url(publication))

    assert response.status_code == 422
    assert says in response.content.decode()
    assert Publication.objects.filter(pk=publication.pk, status=status).exists()
    assert not AuditEvent.objects.filter(action="publication.deleted").exists()


def test_scheduled_publication_not_yet_sent_is_deleted(connected, upload):
    publication = make_publication(connected, "fb_post", [upload(connected, "square.jpg")])
    Publication.objects.filter(pk=publication.pk).update(status="scheduled")

    response = client_for(connected).post(_delete_url(publication))

    assert response.status_code == 302
    assert not Publication.objects.filter(pk=publication.pk).exists()
    assert PublicationTombstone.objects.count() == 0


def test_delete_needs_post_and_shows_what_goes_and_stays(connected, sandbox, upload):
    publication = _published(connected, sandbox, "fb_post", [upload(connected, "square.jpg")])

    page = client_for(connected).get(_delete_url(publication))

    body = page.content.decode()
    assert page.status_code == 200
    assert "does not delete it on Facebook or Instagram" in body
    assert 'name="delete_on_meta"' in body
    assert Publication.objects.filter(pk=publication.pk).exists()


@pytest.mark.parametrize(
    ("_case", "persona", "expected", "remains"),
    [
        ("owner", "owner", 302, False),
        ("admin", "admin", 302, False),
        ("editor", "editor", 302, False),
        ("viewer", "viewer", 403, True),
        ("outsider", "outsider", 404, True),
    ],
)
def test_who_may_delete(cast, _case, persona, expected, remains):
    publication = services.create_publication(
        actor=cast["owner"],
        fields={"title": "Spring", "target": "fb_post", "caption": "Hi"},
        assets=[],
    )

    response = client_for(cast[persona]).post(_delete_url(publication))

    assert response.status_code == expected
    assert Publication.objects.filter(pk=publication.pk).exists() is remains


# --- published: the tombstone -----------------------------------------------------------------------


def test_published_post_leaves_a_tombstone_of_what_went_where(connected, sandbox, upload):
    asset = upload(connected, "square.jpg")
    caption = "Spring launch " + "x" * 400
    publication = _published(connected, sandbox, "fb_post", [asset], caption=caption)

    response = client_for(connected).post(_delete_url(publication))

    tombstone = PublicationTombstone.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("publishing:tombstone", args=["acme", tombstone.pk])
    assert not Publication.objects.filter(pk=publication.pk).exists()
    assert not PublicationEvent.objects.filter(publication_id=publication.pk).exists()
    assert (tombstone.publication_pk, tombstone.target) == (publication.pk, "fb_post")
    assert (tombstone.page_name, tombstone.page_meta_id) == (
        publication.page_name,
        seed.PAGE_COFFEE_ID,
    )
    assert tombstone.remote_id == publication.remote_id != ""
    assert tombstone.permalink == publication.permalink
    assert tombstone.published_at == publication.published_at
    assert len(tombstone.caption_excerpt) == deletion.CAPTION_EXCERPT_CHARS
    assert tombstone.caption_excerpt.endswith("…")
    assert tombstone.media == [{"name": "square.jpg", "sha256": asset.sha256, "part": "item"}]
    assert tombstone.remote_status == ""
    # Deleting here deleted nothing on Meta.
    assert [post["id"] for post in _page_objects(sandbox, "page_post")] == [publication.remote_id]

    page = client_for(connected).get(response["Location"]).content.decode()
    assert "did not delete the post on Facebook" in page
    assert asset.sha256 in page
    assert publication.remote_id in page


def test_delete_on_facebook_too_removes_the_post(connected, sandbox, upload):
    publication = _published(connected, sandbox, "fb_post", [upload(connected, "square.jpg")])

    response = client_for(connected).post(_delete_url(publication), {"delete_on_meta": "1"})

    tombstone = PublicationTombstone.objects.get()
    assert response.status_code == 302
    assert tombstone.remote_status == PublicationTombstone.RemoteStatus.DELETED
    assert tombstone.remote_deleted_at is not None
    assert _page_objects(sandbox, "page_post") == []
    actions = AuditEvent.objects.filter(action__startswith="publication.").order_by("pk")
    assert list(actions.values_list("action", flat=True))[-3:] == [
        "publication.deleted",
        "publication.meta_delete_requested",
        "publication.deleted_on_meta",
    ]


def test_reel_deleted_on_facebook_from_the_tombstone(connected, sandbox, upload):
    publication = _published(connected, sandbox, "fb_reel", [upload(connected, "reel.mp4")])
    tombstone = deletion.delete_publication(actor=connected, publication=publication)
    assert [v["id"] for v in _page_objects(sandbox, "page_reel")] == [publication.remote_id]

    url = reverse("publishing:tombstone_delete_on_meta", args=["acme", tombstone.pk])
    response = client_for(connected).post(url)

    assert response.status_code == 302
    tombstone.refresh_from_db()
    assert tombstone.remote_status == "deleted"
    assert _page_objects(sandbox, "page_reel") == []


def test_post_already_gone_on_facebook_counts_as_deleted(connected, sandbox, upload):
    publication = _published(connected, sandbox, "fb_post", [upload(connected, "square.jpg")])
    tombstone = deletion.delete_publication(actor=connected, publication=publication)
    remote_delete.delete_publication_on_meta(actor=connected, tombstone=tombstone)
    PublicationTombstone.objects.filter(pk=tombstone.pk).update(remote_status="")
    tombstone.refresh_from_db()

    again = remote_delete.delete_publication_on_meta(actor=connected, tombstone=tombstone)

    assert again.remote_status == "deleted"


def test_meta_refusal_is_recorded_and_shown(connected, sandbox, upload):
    publication = _published(connected, sandbox, "fb_post", [upload(connected, "square.jpg")])
    tombstone = deletion.delete_publication(actor=connected, publication=publication)
    sandbox.state.add_fault(
        method="DELETE",
        path=f"/{publication.remote_id}",
        http_status=403,
        error={"message": "(#200) Permissions error", "type": "OAuthException", "code": 200},
    )

    url = reverse("publishing:tombstone_delete_on_meta", args=["acme", tombstone.pk])
    response = client_for(connected).post(url, follow=True)

    tombstone.refresh_from_db()
    assert tombstone.remote_status == "failed"
    assert tombstone.remote_message
    assert "Meta didn&#x27;t delete it" in response.content.decode()
    assert len(_page_objects(sandbox, "page_post")) == 1


def test_instagram_post_is_not_offered_deletion_on_meta(connected, sandbox, upload):
    publication = _published(connected, sandbox, "ig_feed", [upload(connected, "square.jpg")])
    page = client_for(connected).get(_delete_url(publication)).content.decode()
    assert "Instagram doesn&#x27;t let apps delete" in page
    assert 'name="delete_on_meta"' not in page
    tombstone = deletion.delete_publication(actor=connected, publication=publication)

    with pytest.raises(PublishingError, match="Instagram doesn't let apps delete"):
        remote_delete.delete_publication_on_meta(actor=connected, tombstone=tombstone)

    assert tombstone.account_label.endswith(f"({seed.IG_COFFEE_ID})")
    assert len(sandbox.state.describe_objects(kind="ig_media")) == 1
    assert not AuditEvent.objects.filter(action="publication.meta_delete_requested").exists()


def test_page_no_longer_connected_says_so(connected, sandbox, upload):
    publication = _published(connected, sandbox, "fb_post", [upload(connected, "square.jpg")])
    tombstone = deletion.delete_publication(actor=connected, publication=publication)
    MetaPage.objects.filter(workspace=connected.workspace).delete()

    with pytest.raises(PublishingError, match="isn't connected to this workspace any more"):
        remote_delete.delete_publication_on_meta(actor=connected, tombstone=tombstone)

    assert len(_page_objects(sandbox, "page_post")) == 1


def test_tombstone_of_another_workspace_is_404(connected, outsider, sandbox, upload):
    publication = _published(connected, sandbox, "fb_post", [upload(connected, "square.jpg")])
    tombstone = deletion.delete_publication(actor=connected, publication=publication)
    client = client_for(outsider)
    slug = outsider.workspace.slug

    detail = client.get(reverse("publishing:tombstone", args=[slug, tombstone.pk]))
    remote = client.post(reverse("publishing:tombstone_delete_on_meta", args=[slug, tombstone.pk]))

    assert (detail.status_code, remote.status_code) == (404, 404)
    assert len(_page_objects(sandbox, "page_post")) == 1


# --- a file a publication used is deleted from the media library ----------------------------------


def test_deleting_a_sent_file_keeps_its_name_and_checksum(connected, sandbox, upload):
    asset = upload(connected, "square.jpg")
    key, sha = asset.storage_key, asset.sha256
    publication = _published(connected, sandbox, "fb_post", [asset])
    confirm = client_for(connected).get(reverse("creatives:delete", args=["acme", asset.pk]))
    assert "1 publication sent this file; it keeps the file" in confirm.content.decode()

    response = client_for(connected).post(reverse("creatives:delete", args=["acme", asset.pk]))

    assert response.status_code == 302
    assert not MediaAsset.objects.filter(pk=asset.pk).exists()
    assert not default_storage.exists(key)
    assert not PublicationAsset.objects.filter(publication=publication).exists()
    publication.refresh_from_db()
    assert publication.deleted_files == [
        {"name": "square.jpg", "sha256": sha, "part": "item", "position": 0}
    ]
    detail = client_for(connected).get(reverse("publishing:detail", args=["acme", publication.pk]))
    body = detail.content.decode()
    assert detail.status_code == 200
    assert "square.jpg" in body
    assert sha in body
    # Deleting the publication afterwards still records the file in the tombstone.
    tombstone = deletion.delete_publication(actor=connected, publication=publication)
    assert tombstone.media == [{"name": "square.jpg", "sha256": sha, "part": "item"}]


def test_a_file_a_draft_uses_is_refused_with_nothing_deleted(connected, upload):
    asset = upload(connected, "square.jpg")
    make_publication(connected, "fb_post", [asset])

    response = client_for(connected).post(reverse("creatives:delete", args=["acme", asset.pk]))

    assert response.status_code == 422
    assert "is used by Launch fb_post" in response.content.decode()
    assert MediaAsset.objects.filter(pk=asset.pk).exists()
    assert default_storage.exists(asset.storage_key)


def test_a_cancelled_publication_drops_the_file_and_its_timeline_says_so(connected, upload):
    asset = upload(connected, "square.jpg")
    publication = make_publication(connected, "fb_post", [asset])
    Publication.objects.filter(pk=publication.pk).update(status="cancelled")

    media_services.delete_media(actor=connected, asset=asset)

    assert not PublicationAsset.objects.filter(publication=publication).exists()
    publication.refresh_from_db()
    assert publication.deleted_files == []
    event = PublicationEvent.objects.filter(publication=publication).last()
    assert "square.jpg" in event.message
    assert asset.sha256[:12] in event.message


def test_a_sent_cover_keeps_its_name_and_checksum(connected, sandbox, upload):
    cover = upload(connected, "square-2.jpg")
    publication = _published(
        connected, sandbox, "ig_reel", [upload(connected, "reel.mp4")], cover_asset=cover
    )

    media_services.delete_media(actor=connected, asset=cover)

    publication.refresh_from_db()
    assert publication.cover_asset_id is None
    assert publication.deleted_files == [
        {"name": "square-2.jpg", "sha256": cover.sha256, "part": "cover", "position": 0}
    ]
    tombstone = deletion.delete_publication(actor=connected, publication=publication)
    assert [(f["name"], f["part"]) for f in tombstone.media] == [
        ("reel.mp4", "item"),
        ("square-2.jpg", "cover"),
    ]


def test_a_running_publication_blocks_deleting_its_file(connected, upload):
    asset = upload(connected, "square.jpg")
    publication = make_publication(connected, "fb_post", [asset])
    Publication.objects.filter(pk=publication.pk).update(status="uploading")

    with pytest.raises(MediaError, match="is used by Launch fb_post"):
        media_services.delete_media(actor=connected, asset=asset)

    assert PublicationAsset.objects.filter(publication=publication, asset=asset).exists()


# --- the sandbox answers DELETE as Meta does ------------------------------------------------------


def test_sandbox_refuses_deleting_instagram_media(connected, sandbox, upload):
    publication = _published(connected, sandbox, "ig_feed", [upload(connected, "square.jpg")])
    page = MetaPage.objects.get(workspace=connected.workspace, page_id=seed.PAGE_COFFEE_ID)

    with pytest.raises(graph.GraphError) as caught:
        graph.GraphClient(page.access_token, max_retries=0).delete(f"/{publication.remote_id}")

    assert (caught.value.code, caught.value.subcode) == (100, 33)


def test_sandbox_deletes_a_page_post_only_with_the_pages_token(connected, sandbox, upload):
    publication = _published(connected, sandbox, "fb_post", [upload(connected, "square.jpg")])
    user_token = connected.workspace.meta_connections.get().access_token

    with pytest.raises(graph.GraphError) as caught:
        graph.GraphClient(user_token, max_retries=0).delete(f"/{publication.remote_id}")

    assert caught.value.code == 200
    assert len(_page_objects(sandbox, "page_post")) == 1


def test_deleted_publications_are_listed_for_the_workspace_only(
    connected, outsider, sandbox, upload
):
    publication = _published(connected, sandbox, "fb_post", [upload(connected, "square.jpg")])
    deletion.delete_publication(actor=connected, publication=publication)

    mine = client_for(connected).get(reverse("publishing:tombstones", args=["acme"]))
    theirs = client_for(outsider).get(
        reverse("publishing:tombstones", args=[outsider.workspace.slug])
    )

    assert publication.title in mine.content.decode()
    assert theirs.status_code == 200
    assert publication.title not in theirs.content.decode()
