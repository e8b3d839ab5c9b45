"""Deleting what the studio made (scripts, versions, storyboards, videos) and uploaded files."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from campaigns.models import AudienceCohort, Campaign
from creatives.library import services as media_services
from creatives.library.models import MediaAsset
from creatives.studio.models import (
    Creative,
    GenerationJob,
    Script,
    ScriptVersion,
    Storyboard,
    StoryboardScene,
)
from tests.conftest import client_for
from tests.media_samples import make_image


@pytest.fixture
def picture(tmp_path):
    return make_image(tmp_path / "frame.jpg", width=1080, height=1080).read_bytes()


def _upload(membership, data, name="frame.jpg"):
    return media_services.upload_media(
        actor=membership, uploaded=SimpleUploadedFile(name, data, content_type="image/jpeg")
    )


@pytest.fixture
def script(owner, media_root, picture):
    campaign = Campaign.objects.create(
        workspace=owner.workspace, name="Spring", product_name="Blend", key_message="Floral."
    )
    cohort = AudienceCohort.objects.create(campaign=campaign, name="Students", countries=["US"])
    script = Script.objects.create(campaign=campaign, cohort=cohort, number=1)
    versions = [
        ScriptVersion.objects.create(
            script=script,
            number=number,
            origin="ai",
            hook=f"Hook {number}",
            body="Body",
            cta="Buy",
            voiceover="Hi",
            caption="Caption",
        )
        for number in (1, 2)
    ]
    Script.objects.filter(pk=script.pk).update(current=versions[1])
    board = Storyboard.objects.create(script=script, script_version=versions[1])
    StoryboardScene.objects.create(storyboard=board, position=1, duration_s=2, visual="Cup")
    Creative.objects.create(
        script=script, storyboard=board, aspect="1:1", asset=_upload(owner, picture)
    )
    script.refresh_from_db()
    return script


def _delete(membership, name, pk):
    return client_for(membership).post(reverse(f"creatives:{name}", args=["acme", pk]))


def test_script_deletion_keeps_the_files(editor, script):
    asset = script.creatives.get().asset
    confirm = client_for(editor).get(reverse("creatives:script_delete", args=["acme", script.pk]))
    assert "stay in the media library" in confirm.content.decode()

    response = _delete(editor, "script_delete", script.pk)

    assert response.status_code == 302
    assert not Script.objects.filter(pk=script.pk).exists()
    assert (ScriptVersion.objects.count(), Storyboard.objects.count()) == (0, 0)
    assert Creative.objects.count() == 0
    assert MediaAsset.objects.filter(pk=asset.pk).exists()
    assert default_storage.exists(asset.storage_key)
    assert AuditEvent.objects.filter(action="script.deleted", target_id=str(script.pk)).exists()


def test_script_with_a_running_job_is_not_deleted(editor, script):
    GenerationJob.objects.create(
        workspace=editor.workspace,
        campaign=script.campaign,
        script=script,
        kind="storyboard",
        status="queued",
    )

    response = _delete(editor, "script_delete", script.pk)

    assert response.status_code == 422
    assert "still running" in response.content.decode()
    assert ScriptVersion.objects.filter(script=script).count() == 2


def test_an_old_version_is_deleted_but_not_the_current_one(editor, script):
    old, current = script.versions.get(number=1), script.current

    refused = _delete(editor, "version_delete", current.pk)
    deleted = _delete(editor, "version_delete", old.pk)

    assert refused.status_code == 422
    assert "the version the script uses" in refused.content.decode()
    assert deleted.status_code == 302
    assert list(script.versions.values_list("number", flat=True)) == [2]
    event = AuditEvent.objects.get(action="script_version.deleted")
    assert event.metadata == {"script_id": script.pk, "number": 1}


def test_storyboard_deletion_keeps_the_video(editor, script):
    board = script.storyboards.get()
    confirm = client_for(editor).get(
        reverse("creatives:storyboard_delete", args=["acme", board.pk])
    )
    assert "1 video made from it stays." in confirm.content.decode()

    response = _delete(editor, "storyboard_delete", board.pk)

    assert response.status_code == 302
    assert (Storyboard.objects.count(), StoryboardScene.objects.count()) == (0, 0)
    creative = Creative.objects.get()
    assert creative.storyboard_id is None


def test_deleting_a_video_deletes_its_file(editor, script):
    creative = script.creatives.get()
    key = creative.asset.storage_key

    response = _delete(editor, "creative_delete", creative.pk)

    assert response.status_code == 302
    assert Creative.objects.count() == 0
    assert not MediaAsset.objects.filter(pk=creative.asset_id).exists()
    assert not default_storage.exists(key)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"creative.deleted", "media.deleted"} <= actions


@pytest.mark.parametrize(
    ("_case", "persona", "expected"),
    [("viewer", "viewer", 403), ("outsider", "outsider", 404)],
)
@pytest.mark.parametrize(
    "name", ["script_delete", "version_delete", "storyboard_delete", "creative_delete"]
)
def test_viewers_and_outsiders_delete_nothing(cast, script, _case, persona, expected, name):
    pk = {
        "script_delete": script.pk,
        "version_delete": script.versions.get(number=1).pk,
        "storyboard_delete": script.storyboards.get().pk,
        "creative_delete": script.creatives.get().pk,
    }[name]
    slug = cast[persona].workspace.slug

    response = client_for(cast[persona]).post(reverse(f"creatives:{name}", args=[slug, pk]))

    assert response.status_code == expected
    assert (ScriptVersion.objects.count(), Storyboard.objects.count()) == (2, 1)
    assert Creative.objects.count() == 1


def test_uploaded_file_confirmation_then_delete(editor, media_root, picture):
    asset = _upload(editor, picture, "poster.jpg")
    url = reverse("creatives:delete", args=["acme", asset.pk])

    confirm = client_for(editor).get(url)
    response = client_for(editor).post(url)

    assert confirm.status_code == 200
    assert "Nothing else uses this file." in confirm.content.decode()
    assert response.status_code == 302
    assert not default_storage.exists(asset.storage_key)
    event = AuditEvent.objects.get(action="media.deleted")
    assert event.metadata == {"name": "poster.jpg", "sha256": asset.sha256, "renditions": 0}


def test_file_confirmation_names_what_else_loses_it(editor, script, picture):
    creative = script.creatives.get()
    Campaign.objects.filter(pk=script.campaign_id).update(logo=creative.asset)

    page = client_for(editor).get(reverse("creatives:delete", args=["acme", creative.asset_id]))

    body = page.content.decode()
    assert "It is a script&#x27;s video: the video is taken off the script." in body
    assert "The brief “Spring” loses it as its logo or product image." in body
