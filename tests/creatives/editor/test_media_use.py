"""Deleting a file an edit uses names the edit projects on the confirmation page."""

from creatives.editor import services
from creatives.editor.usage import document_asset_ids
from creatives.library.usage import describe_uses
from tests.conftest import client_for
from tests.creatives.editor.test_services import asset


def test_the_confirmation_page_names_the_projects_that_use_the_file(owner, editor, workspace):
    used, unused = asset(workspace, name="used.mp4"), asset(workspace, name="spare.mp4")
    services.create_project(actor=editor, name="Spring cut", ratios=["9:16"], assets=[used])

    page = client_for(owner).get(f"/w/{workspace.slug}/media/{used.pk}/delete/")

    assert page.status_code == 200
    assert "The edit project “Spring cut” uses it" in page.content.decode()
    assert describe_uses([unused]).consequences == []


def test_the_ids_of_clips_audio_and_logo_are_found_and_nothing_else():
    document = {
        "clips": [{"asset": 1}, {"asset": 2}],
        "audio": [{"asset": 3}],
        "logo": {"asset": 4},
        "texts": [{"asset": 99}],
    }
    assert document_asset_ids(document) == {1, 2, 3, 4}
    assert document_asset_ids({"clips": [], "logo": None}) == set()
