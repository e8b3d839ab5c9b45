"""Deleting a brief or an audience: a confirmation that says what goes, then POST, audited."""

import pytest
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
from publishing import services as publishing_services
from publishing.models import Publication
from tests.conftest import client_for
from tests.media_samples import make_image


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def brief(owner, media_root, tmp_path):
    """A brief with two audiences, a script with two versions, a storyboard and a video."""
    campaign = Campaign.objects.create(
        workspace=owner.workspace,
        name="Spring blend launch",
        product_name="Spring Blend",
        key_message="Bright and floral.",
    )
    cohort = AudienceCohort.objects.create(campaign=campaign, name="Students", countries=["US"])
    AudienceCohort.objects.create(campaign=campaign, name="Parents", countries=["US"])
    script = Script.objects.create(campaign=campaign, cohort=cohort, number=1)
    for number in (1, 2):
        ScriptVersion.objects.create(
            script=script,
            number=number,
            origin="ai",
            hook="Hook",
            body="Body",
            cta="Buy",
            voiceover="Hi",
            caption="Caption",
        )
    board = Storyboard.objects.create(script=script)
    StoryboardScene.objects.create(storyboard=board, position=1, duration_s=2, visual="Cup")
    data = make_image(tmp_path / "frame.jpg", width=1080, height=1080).read_bytes()
    asset = media_services.upload_media(
        actor=owner, uploaded=SimpleUploadedFile("frame.jpg", data, content_type="image/jpeg")
    )
    Creative.objects.create(script=script, storyboard=board, aspect="1:1", asset=asset)
    return campaign


def _url(campaign):
    return reverse("campaigns:delete", args=[campaign.workspace.slug, campaign.pk])


def test_confirmation_says_what_goes_and_what_stays(editor, brief):
    response = client_for(editor).get(_url(brief))

    body = response.content.decode()
    assert response.status_code == 200
    assert "2 audiences." in body
    assert "1 script variant (2 versions)." in body
    assert "1 storyboard and its scenes." in body
    assert "1 video is taken off its script; its file stays in the media library." in body
    assert "Publications are not affected" in body
    assert Campaign.objects.filter(pk=brief.pk).exists()


def test_editor_deletes_a_brief_with_what_was_made_from_it_but_not_files(editor, brief):
    publication = publishing_services.create_publication(
        actor=editor, fields={"title": "Spring", "target": "fb_post", "caption": "Hi"}, assets=[]
    )

    response = client_for(editor).post(_url(brief))

    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:list", args=["acme"])
    assert not Campaign.objects.filter(pk=brief.pk).exists()
    assert AudienceCohort.objects.count() == 0
    assert (Script.objects.count(), ScriptVersion.objects.count()) == (0, 0)
    assert (Storyboard.objects.count(), Creative.objects.count()) == (0, 0)
    assert MediaAsset.objects.filter(original_filename="frame.jpg").exists()
    assert Publication.objects.filter(pk=publication.pk).exists()
    event = AuditEvent.objects.get(action="campaign.deleted")
    assert (event.target_id, event.metadata) == (
        str(brief.pk),
        {"name": "Spring blend launch", "cohorts": 2},
    )


def test_a_running_generation_refuses_and_nothing_changes(editor, brief):
    GenerationJob.objects.create(
        workspace=brief.workspace, campaign=brief, kind="scripts", status="running"
    )

    response = client_for(editor).post(_url(brief))

    assert response.status_code == 422
    assert "still running" in response.content.decode()
    assert Campaign.objects.filter(pk=brief.pk).exists()
    assert ScriptVersion.objects.count() == 2
    assert not AuditEvent.objects.filter(action="campaign.deleted").exists()


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
def test_who_may_delete_a_brief(cast, brief, _case, persona, expected, remains):
    response = client_for(cast[persona]).post(_url(brief))

    assert response.status_code == expected
    assert Campaign.objects.filter(pk=brief.pk).exists() is remains
    assert (ScriptVersion.objects.count() == 2) is remains


def test_deleting_an_audience_takes_its_scripts_and_is_audited(editor, brief):
    cohort = brief.cohorts.get(name="Students")
    url = reverse("campaigns:cohort_delete", args=["acme", cohort.pk])
    confirm = client_for(editor).get(url)
    assert "1 script variant (2 versions)." in confirm.content.decode()

    response = client_for(editor).post(url)

    assert response.status_code == 302
    assert list(brief.cohorts.values_list("name", flat=True)) == ["Parents"]
    assert Script.objects.count() == 0
    event = AuditEvent.objects.get(action="cohort.deleted")
    assert event.metadata == {"name": "Students", "campaign_id": brief.pk}


def test_another_workspaces_audience_is_not_deleted(outsider, brief):
    cohort = brief.cohorts.get(name="Students")

    response = client_for(outsider).post(
        reverse("campaigns:cohort_delete", args=[outsider.workspace.slug, cohort.pk])
    )

    assert response.status_code == 404
    assert AudienceCohort.objects.filter(pk=cohort.pk).exists()
