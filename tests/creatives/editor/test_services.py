"""Edit projects: creation, optimistic saves, undo/redo/restore, templates, tenancy, privacy."""

import re

import pytest
from django.http import Http404

from accounts.models import AuditEvent
from campaigns.models import AudienceCohort, Campaign
from creatives.editor import privacy, selectors, services
from creatives.editor.document import parse_document, to_json
from creatives.editor.errors import DocumentError, EditorError
from creatives.editor.models import EditProject, EditTemplate, EditVersion, Render
from creatives.library.models import MediaAsset
from creatives.studio.models import (
    Creative,
    SceneImage,
    Script,
    Storyboard,
    StoryboardScene,
)

STALE = (
    "This project was changed in another tab or by someone else (version {n}); reload to see it."
)


def asset(workspace, kind="video", duration=10.0, name="clip.mp4", **extra):
    return MediaAsset.objects.create(
        workspace=workspace,
        kind=kind,
        status=MediaAsset.Status.READY,
        original_filename=name,
        duration_seconds=duration,
        has_audio=kind != "image",
        width=1920,
        height=1080,
        **extra,
    )


@pytest.fixture
def clips(workspace):
    return [asset(workspace, duration=8.0), asset(workspace, duration=5.0)]


@pytest.fixture
def project(editor, clips):
    return services.create_project(
        actor=editor, name="  Spring   cut ", ratios=["9:16", "1:1"], assets=clips
    )


def current(project):
    project.refresh_from_db()
    return project.current_version


def save(editor, project, change, base):
    data = to_json(parse_document(current(project).document))
    change(data)
    return services.save_document(actor=editor, project=project, data=data, base_version=base)


def trim_first(out):
    def change(data):
        data["clips"][0]["out"] = out

    return change


# --- creating -------------------------------------------------------------------------------


def test_create_project_makes_version_one_with_a_clip_per_video(editor, project, clips):
    version = current(project)
    assert (project.name, project.ratios, project.workspace_id) == (
        "Spring cut",
        ["9:16", "1:1"],
        editor.workspace_id,
    )
    assert (version.number, version.parent_id, version.created_by_id) == (1, None, editor.user_id)
    assert [(c["asset"], c["in"], c["out"]) for c in version.document["clips"]] == [
        (clips[0].pk, 0.0, 8.0),
        (clips[1].pk, 0.0, 5.0),
    ]
    assert AuditEvent.objects.filter(action="edit_project.created").count() == 1


def test_create_project_shortens_footage_past_three_minutes(editor, workspace):
    long = [asset(workspace, duration=100.0), asset(workspace, duration=100.0), asset(workspace)]
    project = services.create_project(actor=editor, name="Long", ratios=["9:16"], assets=long)
    assert [c["out"] for c in current(project).document["clips"]] == [100.0, 80.0]


def test_create_project_with_images_and_nothing(editor, workspace):
    image = asset(workspace, kind="image", duration=None, name="a.jpg")
    project = services.create_project(actor=editor, name="Pics", ratios=["4:5"], assets=[image])
    assert current(project).document["clips"][0]["out"] == 3.0
    empty = services.create_project(actor=editor, name="Empty", ratios=["16:9"])
    assert current(empty).document["clips"] == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " ", "ratios": ["9:16"]}, "Give the project a name."),
        ({"name": "x" * 121, "ratios": ["9:16"]}, "The name is too long (at most 120 characters)."),
        (
            {"name": "A", "ratios": []},
            "Choose at least one aspect ratio among 9:16, 1:1, 4:5, 16:9.",
        ),
        (
            {"name": "A", "ratios": ["2:1"]},
            "Choose at least one aspect ratio among 9:16, 1:1, 4:5, 16:9.",
        ),
    ],
)
def test_create_project_refuses_bad_input(editor, kwargs, message):
    with pytest.raises(EditorError) as info:
        services.create_project(actor=editor, **kwargs)
    assert info.value.message == message
    assert EditProject.objects.count() == 0


def test_create_project_refuses_other_workspaces_audio_and_processing_files(
    editor, workspace, other_workspace
):
    cases = [
        (asset(other_workspace), "A chosen file is not in this workspace's library."),
        (asset(workspace, kind="audio", name="song.mp3"), "song.mp3 is not a video or an image."),
        (
            asset(workspace, duration=None, name="raw.mov"),
            "raw.mov is still being processed; try again in a moment.",
        ),
    ]
    for bad, message in cases:
        with pytest.raises(EditorError) as info:
            services.create_project(actor=editor, name="A", ratios=["9:16"], assets=[bad])
        assert info.value.message == message
    assert EditProject.objects.count() == 0


def test_viewer_cannot_create_or_save(viewer, editor, project):
    with pytest.raises(
        EditorError, match=re.escape("Your role can watch edit projects but not change them.")
    ):
        services.create_project(actor=viewer, name="A", ratios=["9:16"])
    with pytest.raises(EditorError, match="not change them"):
        save(viewer, project, trim_first(4.0), base=1)
    assert EditVersion.objects.count() == 1


# --- saving ---------------------------------------------------------------------------------


def test_save_writes_the_next_version_based_on_the_current(editor, project):
    version = save(editor, project, trim_first(4.0), base=1)
    assert (version.number, version.parent.number) == (2, 1)
    assert current(project) == version
    assert version.document["clips"][0]["out"] == 4.0


def test_saving_the_same_document_writes_nothing(editor, project):
    assert save(editor, project, lambda data: None, base=1).number == 1
    assert EditVersion.objects.count() == 1


def test_second_tab_is_told_and_nothing_is_written(editor, owner, project):
    save(editor, project, trim_first(4.0), base=1)
    with pytest.raises(EditorError) as info:
        save(owner, project, trim_first(3.0), base=1)
    assert info.value.message == STALE.format(n=2)
    assert list(EditVersion.objects.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert current(project).document["clips"][0]["out"] == 4.0


def test_invalid_document_is_refused_with_its_path_and_nothing_is_written(editor, project):
    with pytest.raises(DocumentError) as info:
        save(editor, project, lambda data: data["clips"][1].update(speed=float("nan")), base=1)
    assert info.value.message == "clips[1].speed: must be a finite number"
    with pytest.raises(DocumentError) as info:
        save(editor, project, trim_first(9.0), base=1)
    assert info.value.message == "clips[0].out: is past the end of the source (8.000 s; got 9 s)"
    with pytest.raises(DocumentError, match="not valid JSON"):
        services.save_document(actor=editor, project=project, data="{", base_version=1)
    assert EditVersion.objects.count() == 1


def test_a_file_of_another_workspace_is_refused_like_a_deleted_one(
    editor, project, other_workspace
):
    foreign = asset(other_workspace)
    with pytest.raises(DocumentError) as info:
        save(editor, project, lambda data: data["clips"][0].update(asset=foreign.pk), base=1)
    assert info.value.message == (
        f"clips[0].asset: media {foreign.pk} is not in this workspace's library (deleted?)"
    )


def test_a_deleted_source_is_refused_at_save(editor, project, clips):
    clips[1].delete()
    with pytest.raises(DocumentError, match=r"clips\[1\]\.asset: media \d+ is not in this"):
        save(editor, project, trim_first(4.0), base=1)


# --- undo, redo, restore --------------------------------------------------------------------


def test_undo_and_redo_walk_the_versions(editor, project):
    save(editor, project, trim_first(4.0), base=1)
    save(editor, project, trim_first(3.0), base=2)
    assert services.undo_edit(actor=editor, project=project, base_version=3).number == 2
    assert services.undo_edit(actor=editor, project=project, base_version=2).number == 1
    with pytest.raises(EditorError, match=re.escape("There is nothing to undo.")):
        services.undo_edit(actor=editor, project=project, base_version=1)
    assert services.redo_edit(actor=editor, project=project, base_version=1).number == 2
    assert services.redo_edit(actor=editor, project=project, base_version=2).number == 3
    with pytest.raises(EditorError, match=re.escape("There is nothing to redo.")):
        services.redo_edit(actor=editor, project=project, base_version=3)
    assert current(project).number == 3


def test_a_save_after_undo_keeps_the_undone_version_and_redo_follows_the_new_edit(editor, project):
    save(editor, project, trim_first(4.0), base=1)  # v2
    services.undo_edit(actor=editor, project=project, base_version=2)
    v3 = save(editor, project, trim_first(2.0), base=1)
    assert (v3.number, v3.parent.number) == (3, 1)
    assert EditVersion.objects.filter(project=project).count() == 3  # v2 kept
    assert services.undo_edit(actor=editor, project=project, base_version=3).number == 1
    assert services.redo_edit(actor=editor, project=project, base_version=1).number == 3


def test_undo_from_a_stale_tab_is_refused(editor, project):
    save(editor, project, trim_first(4.0), base=1)
    with pytest.raises(EditorError) as info:
        services.undo_edit(actor=editor, project=project, base_version=1)
    assert info.value.message == STALE.format(n=2)
    assert current(project).number == 2


def test_restore_writes_a_new_version_with_the_old_document(editor, project):
    first = current(project).document
    save(editor, project, trim_first(4.0), base=1)
    restored = services.restore_version(actor=editor, project=project, number=1, base_version=2)
    assert (restored.number, restored.parent.number, restored.note) == (
        3,
        2,
        "Restored version 1",
    )
    assert restored.document == first
    # Undoing the restore goes back to what was there before it.
    assert services.undo_edit(actor=editor, project=project, base_version=3).number == 2
    with pytest.raises(EditorError, match=re.escape("This project has no version 9.")):
        services.restore_version(actor=editor, project=project, number=9, base_version=2)


def test_restore_refuses_a_version_whose_file_was_deleted(editor, project, clips):
    save(editor, project, lambda data: data["clips"].pop(), base=1)
    clips[1].delete()
    with pytest.raises(DocumentError, match=r"clips\[1\]\.asset: media \d+ is not in this"):
        services.restore_version(actor=editor, project=project, number=1, base_version=2)
    assert EditVersion.objects.count() == 2


# --- templates ------------------------------------------------------------------------------


def test_template_carries_the_look_to_another_project(editor, project, workspace, clips):
    song = asset(workspace, kind="audio", duration=60.0, name="song.mp3")

    def look(data):
        data["texts"] = [
            {"id": "t1", "text": "Sale", "style": "title", "x": 0.5, "y": 0.1, "start": 0, "end": 2}
        ]
        data["caption_style"] = {"position": "top", "size": "l"}
        data["end_card"] = {"text": "Shop now", "duration": 2.0}
        data["audio"] = [
            {
                "id": "a1",
                "asset": song.pk,
                "role": "music",
                "in": 0,
                "out": 13,
                "volume": 0.5,
                "fade_in": 1,
                "fade_out": 2,
                "duck": True,
            }
        ]

    save(editor, project, look, base=1)
    template = services.create_template(actor=editor, project=project, name="Brand")
    assert template.music == song
    assert template.look["caption_style"] == {"position": "top", "size": "l"}

    other = services.create_project(actor=editor, name="B", ratios=["1:1"], assets=[clips[1]])
    version = services.apply_template(
        actor=editor, project=other, template=template, base_version=1
    )
    document = version.document
    assert (version.number, version.note) == (2, "Applied template Brand")
    assert [t["text"] for t in document["texts"]] == ["Sale"]
    assert document["end_card"] == {"text": "Shop now", "duration": 2.0}
    assert document["caption_style"] == {"position": "top", "size": "l"}
    # The music is cut to the other project's timeline: its 5 s clip and the 2 s end card.
    assert [(a["asset"], a["out"], a["volume"], a["duck"]) for a in document["audio"]] == [
        (song.pk, 7.0, 0.5, True)
    ]
    assert document["clips"] == current(other).document["clips"]


def test_apply_template_from_a_stale_tab_or_another_workspace_is_refused(
    editor, outsider, project, other_workspace
):
    template = services.create_template(actor=editor, project=project, name="Brand")
    save(editor, project, trim_first(4.0), base=1)
    with pytest.raises(EditorError, match=r"\(version 2\)"):
        services.apply_template(actor=editor, project=project, template=template, base_version=1)
    foreign = EditTemplate.objects.create(workspace=other_workspace, name="Theirs")
    with pytest.raises(EditorError, match=re.escape("This template is not in your workspace.")):
        services.apply_template(actor=editor, project=project, template=foreign, base_version=2)
    assert EditVersion.objects.filter(project=project).count() == 2


# --- tenancy --------------------------------------------------------------------------------


def test_another_workspaces_project_is_a_404_through_the_getters(editor, outsider, project):
    render = Render.objects.create(
        workspace=project.workspace, project=project, version=current(project), ratio="9:16"
    )
    template = EditTemplate.objects.create(workspace=project.workspace, name="T")
    assert selectors.get_project_for_member(editor, project.pk) == project
    for getter, pk in (
        (selectors.get_project_for_member, project.pk),
        (selectors.get_project_for_member, -1),
        (selectors.get_render_for_member, render.pk),
        (selectors.get_template_for_member, template.pk),
    ):
        with pytest.raises(Http404):
            getter(outsider, pk)
    with pytest.raises(Http404):
        selectors.get_version_for_member(outsider, project.pk, 1)
    assert list(selectors.list_projects_for_workspace(outsider.workspace)) == []


def test_services_refuse_a_project_of_another_workspace(outsider, project):
    with pytest.raises(EditorError, match=re.escape("This project is not in your workspace.")):
        services.save_document(actor=outsider, project=project, data={}, base_version=1)
    with pytest.raises(EditorError, match=re.escape("This project is not in your workspace.")):
        services.undo_edit(actor=outsider, project=project, base_version=1)
    assert EditVersion.objects.count() == 1


# --- a generated video as a project ---------------------------------------------------------


@pytest.fixture
def creative(owner, workspace):
    campaign = Campaign.objects.create(
        workspace=workspace,
        name="Spring",
        product_name="Blend",
        key_message="Floral.",
        call_to_action="SHOP_NOW",
    )
    cohort = AudienceCohort.objects.create(campaign=campaign, name="Students", countries=["US"])
    script = Script.objects.create(campaign=campaign, cohort=cohort, number=1)
    voice = asset(workspace, kind="audio", duration=4.0, name="voice.mp3")
    music = asset(workspace, kind="audio", duration=60.0, name="music.mp3")
    board = Storyboard.objects.create(script=script, voiceover=voice)
    for position, line in ((1, "Meet the blend."), (2, ""), (3, "Floral and light.")):
        scene = StoryboardScene.objects.create(
            storyboard=board,
            position=position,
            duration_s=2.0,
            visual="Cup",
            voiceover_line=line,
        )
        for aspect in ("9:16", "1:1"):
            SceneImage.objects.create(
                scene=scene,
                aspect=aspect,
                asset=asset(
                    workspace, kind="image", duration=None, name=f"s{position}-{aspect}.png"
                ),
            )
    return Creative.objects.create(
        script=script,
        storyboard=board,
        aspect="9:16",
        asset=asset(workspace, name="video.mp4"),
        music=music,
    )


def test_project_from_a_generated_video_has_its_parts(editor, creative):
    project = services.create_project_from_creative(actor=editor, creative=creative)
    document = parse_document(current(project).document)
    pictures = [
        SceneImage.objects.get(scene__position=n, aspect="9:16").asset_id for n in (1, 2, 3)
    ]
    assert (project.source_creative, project.ratios) == (creative, ["9:16"])
    # Scenes with a line last as long as the voice takes to say it (the composer's timing).
    assert [(c.asset, c.out) for c in document.clips] == list(
        zip(pictures, [2.175, 2.0, 2.425], strict=True)
    )
    assert [(t.after, t.kind, t.duration) for t in document.transitions] == [
        ("c1", "fade", 0.5),
        ("c2", "fade", 0.5),
    ]
    assert [(c.start, c.end, c.text) for c in document.captions] == [
        (0.0, 2.175, "Meet the blend."),
        (3.175, 5.6, "Floral and light."),
    ]
    assert [(a.role, a.asset, a.out, a.duck) for a in document.audio] == [
        ("voice", creative.storyboard.voiceover_id, 4.0, False),
        ("music", creative.music_id, 7.6, True),  # under the end card too
    ]
    assert document.end_card.text == "Shop now"


def test_project_from_a_video_of_another_workspace_is_refused(outsider, creative):
    with pytest.raises(EditorError, match=re.escape("This video is not in your workspace.")):
        services.create_project_from_creative(actor=outsider, creative=creative)
    assert EditProject.objects.count() == 0


# --- privacy --------------------------------------------------------------------------------


def test_privacy_export_unlink_and_erase(editor, project, workspace):
    save(editor, project, trim_first(4.0), base=1)
    Render.objects.create(
        workspace=workspace, project=project, version=current(project), ratio="1:1"
    )
    exported = privacy.export_workspace(workspace.pk).records
    assert [len(exported[k]) for k in ("edit_projects", "edit_versions", "renders")] == [1, 2, 1]
    assert len(privacy.export_user(editor.user_id).records["edit_versions"]) == 2
    assert privacy.erase_user(editor.user_id) == {
        "edit_projects_unlinked": 1,
        "edit_versions_unlinked": 2,
        "edit_templates_unlinked": 0,
        "renders_unlinked": 0,
        "edit_transcriptions_unlinked": 0,
    }
    assert privacy.erase_workspace(workspace.pk) == {
        "renders": 1,
        "edit_transcriptions": 0,
        "edit_projects": 1,
        "edit_templates": 0,
    }
    assert (EditProject.objects.count(), EditVersion.objects.count()) == (0, 0)
