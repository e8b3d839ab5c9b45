"""The editor's pages and JSON endpoints: edits, conflicts, refusals, renders, templates, roles."""

import json

import pytest
from django.urls import reverse

from creatives.editor import services
from creatives.editor.models import EditProject, EditTemplate, EditVersion, Render
from creatives.library.models import MediaAsset
from tests.conftest import client_for
from tests.creatives.editor.test_services import asset


@pytest.fixture
def clips(workspace):
    # A storage key like a real upload's: renders are queued only for stored files.
    return [
        asset(workspace, duration=8.0, name="a.mp4", storage_key="media/a.mp4"),
        asset(workspace, duration=5.0, name="b.mp4", storage_key="media/b.mp4"),
    ]


@pytest.fixture
def project(editor, clips):
    return services.create_project(
        actor=editor, name="Spring cut", ratios=["9:16", "1:1"], assets=clips
    )


def url(name, project, *extra):
    return reverse(f"editor:{name}", args=["acme", project.pk, *extra])


def post_json(client, target, body):
    return client.post(target, data=json.dumps(body), content_type="application/json")


def edit(client, project, op, args, base=1):
    return post_json(client, url("edit", project), {"base_version": base, "op": op, "args": args})


def versions(project):
    return list(
        EditVersion.objects.filter(project=project)
        .order_by("number")
        .values_list("number", flat=True)
    )


# --- pages --------------------------------------------------------------------------------------


def test_viewer_sees_the_list_and_the_editor_read_only(viewer, project):
    client = client_for(viewer)

    listing = client.get(reverse("editor:list", args=["acme"]))
    page = client.get(url("project", project))

    assert listing.status_code == 200
    assert "Spring cut" in listing.text
    assert 'data-testid="new-project"' not in listing.text
    assert page.status_code == 200
    assert 'data-can-edit="0"' in page.text
    assert 'data-testid="render-form"' not in page.text


def test_editor_page_embeds_the_state_and_names_no_foreign_object(editor, project, clips):
    page = client_for(editor).get(url("project", project))

    assert page.status_code == 200
    state = json.loads(
        page.text.split('id="editor-state" type="application/json">', 1)[1].split("</script>", 1)[0]
    )
    assert state["version"] == 1
    assert [c["asset"] for c in state["document"]["clips"]] == [a.pk for a in clips]
    assert state["starts"] == [0.0, 8.0]
    assert state["duration"] == 13.0
    assert set(state["assets"]) == {str(a.pk) for a in clips}
    assert state["can_edit"] is True
    assert state["can_undo"] is False


# The layout's one (the user and the membership); the project with its version; its state (the
# files it uses, whether there is a version to redo); the library list; the render history; a
# running transcription; the templates.
EDITOR_PAGE_QUERIES = 1 + 7


def test_opening_a_project_costs_the_same_queries_for_2_and_20_clips(
    editor, workspace, django_assert_num_queries
):
    small = services.create_project(
        actor=editor,
        name="small",
        ratios=["9:16"],
        assets=[asset(workspace, duration=3.0) for _ in range(2)],
    )
    big = services.create_project(
        actor=editor,
        name="big",
        ratios=["9:16"],
        assets=[asset(workspace, duration=3.0) for _ in range(20)],
    )
    client = client_for(editor)
    client.get(url("project", small))  # warm the session

    for project in (small, big):
        with django_assert_num_queries(EDITOR_PAGE_QUERIES):
            assert client.get(url("project", project)).status_code == 200


def test_new_project_from_chosen_footage(editor, clips):
    response = client_for(editor).post(
        reverse("editor:new", args=["acme"]),
        {"name": "Launch", "ratios": ["9:16", "4:5"], "assets": [clips[1].pk, clips[0].pk]},
    )

    project = EditProject.objects.get(name="Launch")
    assert response.status_code == 302
    assert response["Location"] == url("project", project)
    assert project.ratios == ["9:16", "4:5"]
    # Listed newest first, so b.mp4 (created last) leads.
    assert [c["asset"] for c in project.current_version.document["clips"]] == [
        clips[1].pk,
        clips[0].pk,
    ]


def test_new_project_without_a_ratio_or_with_a_foreign_file_is_refused(editor, outsider, clips):
    foreign = asset(outsider.workspace, name="theirs.mp4")
    client = client_for(editor)

    no_ratio = client.post(
        reverse("editor:new", args=["acme"]), {"name": "X", "assets": [clips[0].pk]}
    )
    foreign_file = client.post(
        reverse("editor:new", args=["acme"]),
        {"name": "Y", "ratios": ["9:16"], "assets": [foreign.pk]},
    )

    assert no_ratio.status_code == 422
    assert "Choose at least one aspect ratio." in no_ratio.text
    assert foreign_file.status_code == 422
    assert "Select a valid choice" in foreign_file.text
    assert not EditProject.objects.filter(name__in=["X", "Y"]).exists()


# --- edits --------------------------------------------------------------------------------------


def test_split_trim_move_and_undo_redo_through_the_json_endpoints(editor, project):
    client = client_for(editor)

    split = edit(client, project, "split", {"clip": "c1", "at": 3.0}, base=1)
    assert split.status_code == 200
    state = split.json()
    assert state["version"] == 2
    assert [(c["in"], c["out"]) for c in state["document"]["clips"]] == [
        (0.0, 3.0),
        (3.0, 8.0),
        (0.0, 5.0),
    ]

    third = state["document"]["clips"][2]["id"]
    moved = edit(client, project, "move", {"clip": third, "index": 0}, base=2).json()
    assert moved["document"]["clips"][0]["id"] == third
    trimmed = edit(client, project, "trim", {"clip": third, "in": 1.0, "out": 4.0}, base=3).json()
    assert trimmed["document"]["clips"][0]["in"] == 1.0
    assert trimmed["duration"] == 11.0

    undone = post_json(client, url("undo", project), {"base_version": 4}).json()
    assert undone["version"] == 3
    assert undone["can_redo"] is True
    redone = post_json(client, url("redo", project), {"base_version": 3}).json()
    assert redone["version"] == 4
    assert versions(project) == [1, 2, 3, 4]


def test_a_save_from_a_stale_tab_is_refused_with_409_and_writes_nothing(editor, project):
    first_tab = client_for(editor)
    second_tab = client_for(editor)
    assert edit(first_tab, project, "split", {"clip": "c1", "at": 2.0}, base=1).status_code == 200

    stale = edit(second_tab, project, "remove_clip", {"clip": "c2"}, base=1)

    assert stale.status_code == 409
    body = stale.json()
    assert body["stale"] is True
    assert body["version"] == 2
    assert "changed in another tab" in body["error"]
    assert versions(project) == [1, 2]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The edit is not valid JSON."),
        (b"[1, 2]", "The edit is malformed."),
        (json.dumps({"base_version": 1, "op": "explode", "args": {}}).encode(), "Unknown edit."),
        (json.dumps({"base_version": "1; drop", "op": "split", "args": {}}).encode(), "malformed"),
        (
            json.dumps(
                {"base_version": 1, "op": "split", "args": {"clip": "c1", "at": "x"}}
            ).encode(),
            "at: must be a number",
        ),
        (
            json.dumps(
                {"base_version": 1, "op": "split", "args": {"clip": "c1", "at": 7.99}}
            ).encode(),
            "split between",
        ),
        (
            json.dumps(
                {"base_version": 1, "op": "trim", "args": {"clip": "c1", "in": 0, "out": 99}}
            ).encode(),
            "clips[0]",
        ),
        (
            json.dumps(
                {"base_version": 1, "op": "move", "args": {"clip": "nope", "index": 0}}
            ).encode(),
            "there is no clip",
        ),
        (
            json.dumps(
                {
                    "base_version": 1,
                    "op": "save",
                    "args": {"document": {"version": 1, "ratios": []}},
                }
            ).encode(),
            "ratios",
        ),
    ],
)
def test_bad_edits_get_400_with_the_reason_and_write_nothing(editor, project, body, message):
    response = client_for(editor).post(
        url("edit", project), data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert versions(project) == [1]


def test_an_oversized_edit_is_refused(editor, project):
    body = json.dumps({"base_version": 1, "op": "save", "args": {"document": "x" * 300_000}})

    response = client_for(editor).post(
        url("edit", project), data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "The edit is too large."


def test_adding_another_workspaces_file_is_refused(editor, outsider, project):
    foreign = asset(outsider.workspace, name="theirs.mp4")

    response = edit(client_for(editor), project, "add_clip", {"asset": foreign.pk})

    assert response.status_code == 400
    assert response.json()["error"] == "That file is not in this workspace's library."
    assert versions(project) == [1]


def test_adding_a_file_still_processing_says_so(editor, workspace, project):
    pending = asset(workspace, name="late.mp4")
    MediaAsset.objects.filter(pk=pending.pk).update(status=MediaAsset.Status.PROCESSING)

    response = edit(client_for(editor), project, "add_clip", {"asset": pending.pk})

    assert response.status_code == 400
    assert response.json()["error"] == "late.mp4 is still being processed; try again in a moment."


def test_music_is_added_cut_to_the_edit_and_ducked(editor, workspace, project):
    song = asset(workspace, kind="audio", duration=60.0, name="song.mp3")

    state = edit(
        client_for(editor), project, "add_audio", {"asset": song.pk, "role": "music"}
    ).json()

    (track,) = state["document"]["audio"]
    assert (track["role"], track["in"], track["out"], track["duck"]) == ("music", 0.0, 13.0, True)


def test_captions_import_and_export_round_trip(editor, project):
    client = client_for(editor)
    srt = "1\n00:00:00,500 --> 00:00:02,000\nHello <b>there</b>\n\n2\n00:00:02,500 --> 00:00:04,000\nBuy {now}\n"

    state = edit(client, project, "import_captions", {"text": srt}).json()
    exported = client.get(url("captions", project) + "?format=srt")
    vtt = client.get(url("captions", project) + "?format=vtt")

    assert [c["text"] for c in state["document"]["captions"]] == ["Hello there", "Buy {now}"]
    assert exported.status_code == 200
    assert "00:00:00,500 --> 00:00:02,000" in exported.text
    assert exported["Content-Disposition"] == 'attachment; filename="spring-cut.srt"'
    assert vtt.text.startswith("WEBVTT")
    assert vtt["Content-Type"].startswith("text/vtt")
    assert client.get(url("captions", project) + "?format=exe").status_code == 400


def test_a_bad_captions_file_is_refused_with_the_cue_named(editor, project):
    response = edit(
        client_for(editor),
        project,
        "import_captions",
        {"text": "1\n00:00:05,000 --> 00:00:01,000\nBackwards\n"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "Cue 1: it ends before it starts."
    assert versions(project) == [1]


def test_viewer_cannot_edit(viewer, project):
    response = edit(client_for(viewer), project, "remove_clip", {"clip": "c1"})

    assert response.status_code == 403
    assert versions(project) == [1]


# --- versions, rename, delete --------------------------------------------------------------------


def test_restore_saves_an_old_version_again(editor, project):
    client = client_for(editor)
    edit(client, project, "remove_clip", {"clip": "c2"})

    response = client.post(url("restore", project, 1), {"base_version": "2"})

    project.refresh_from_db()
    assert response.status_code == 302
    assert project.current_version.number == 3
    assert len(project.current_version.document["clips"]) == 2
    assert client.get(url("versions", project)).status_code == 200


def test_restore_from_a_stale_page_is_refused(editor, project):
    client = client_for(editor)
    edit(client, project, "remove_clip", {"clip": "c2"})

    response = client.post(url("restore", project, 1), {"base_version": "1"}, follow=True)

    assert "changed in another tab" in response.text
    assert versions(project) == [1, 2]


def test_delete_keeps_rendered_files(editor, project, workspace):
    client = client_for(editor)
    output = asset(workspace, name="render.mp4", source=MediaAsset.Source.RENDERED)
    Render.objects.create(
        workspace=workspace,
        project=project,
        version=project.current_version,
        ratio="9:16",
        status="succeeded",
        output=output,
    )

    assert client.get(url("delete", project)).status_code == 200
    response = client.post(url("delete", project))

    assert response.status_code == 302
    assert not EditProject.objects.filter(pk=project.pk).exists()
    assert MediaAsset.objects.filter(pk=output.pk).exists()


# --- renders ------------------------------------------------------------------------------------


def test_render_queues_one_job_per_ratio_and_refuses_an_untargeted_one(editor, project):
    client = client_for(editor)

    client.post(url("render", project), {"ratio": ["9:16", "1:1", "9:16"]})
    refused = client.post(url("render", project), {"ratio": ["16:9"]}, follow=True)

    assert sorted(Render.objects.filter(project=project).values_list("ratio", flat=True)) == [
        "1:1",
        "9:16",
    ]
    assert "doesn&#x27;t target 16:9" in refused.text
    history = client.get(url("renders", project))
    assert history.status_code == 200
    assert history.text.count('data-testid="render"') == 2
    assert "hx-trigger" in history.text  # polls while a render is open


def test_render_of_an_empty_timeline_says_why(editor, workspace):
    project = services.create_project(actor=editor, name="Empty", ratios=["9:16"])

    response = client_for(editor).post(url("render", project), {"ratio": "9:16"}, follow=True)

    assert "the timeline is empty" in response.text
    assert not Render.objects.filter(project=project).exists()


def test_cancel_a_queued_render(editor, project):
    client = client_for(editor)
    client.post(url("render", project), {"ratio": "9:16"})
    row = Render.objects.get(project=project)

    client.post(reverse("editor:render_cancel", args=["acme", row.pk]))

    row.refresh_from_db()
    assert row.status == Render.Status.CANCELLED
    assert row.output is None


def test_publish_from_a_render_prefills_a_draft_with_the_rendered_file(editor, project, workspace):
    output = asset(workspace, name="render.mp4", source=MediaAsset.Source.RENDERED)
    row = Render.objects.create(
        workspace=workspace,
        project=project,
        version=project.current_version,
        ratio="9:16",
        status="succeeded",
        output=output,
    )
    client = client_for(editor)

    history = client.get(url("renders", project)).text
    publish_url = reverse("publishing:new", args=["acme"]) + f"?render={row.pk}"
    page = client.get(reverse("publishing:new", args=["acme"]) + f"?render={row.pk}")

    assert f'href="{publish_url}"' in history
    assert page.status_code == 200
    assert f'value="{output.pk}" selected' in page.text
    assert "Spring cut · 9:16 (version 1)" in page.text


def test_publish_from_another_workspaces_render_is_a_404(editor, outsider):
    theirs = services.create_project(actor=outsider, name="Theirs", ratios=["9:16"])
    row = Render.objects.create(
        workspace=outsider.workspace,
        project=theirs,
        version=theirs.current_version,
        ratio="9:16",
        status="succeeded",
    )

    response = client_for(editor).get(
        reverse("publishing:new", args=["acme"]) + f"?render={row.pk}"
    )

    assert response.status_code == 404


# --- templates ----------------------------------------------------------------------------------


def test_save_apply_and_delete_a_template(editor, project, clips, workspace):
    client = client_for(editor)
    edit(client, project, "add_text", {"text": "Spring sale", "style": "title"})
    other = services.create_project(actor=editor, name="Other", ratios=["9:16"], assets=[clips[0]])

    client.post(url("template_save", project), {"name": "Sale look"})
    template = EditTemplate.objects.get(name="Sale look")
    client.post(url("template_apply", other), {"template": str(template.pk), "base_version": "1"})
    other.refresh_from_db()
    client.post(reverse("editor:template_delete", args=["acme", template.pk]))

    assert [t["text"] for t in other.current_version.document["texts"]] == ["Spring sale"]
    assert not EditTemplate.objects.filter(pk=template.pk).exists()


# --- preview proxies ----------------------------------------------------------------------------


def test_anyone_in_the_workspace_can_ask_for_the_preview_video_once(viewer, project):
    client = client_for(viewer)

    first = post_json(client, url("preview", project), {"ratio": "9:16"})
    again = post_json(client, url("preview", project), {"ratio": "9:16"})
    status = client.get(first.json()["status_url"])

    assert first.status_code == 200
    assert first.json()["status"] == "queued"
    assert first.json()["url"] == ""
    assert again.json()["id"] == first.json()["id"]
    assert status.json()["version"] == 1
    assert Render.objects.get(pk=first.json()["id"]).proxy is True
    # Previews are not renders: the history does not list them.
    assert 'data-testid="render"' not in client.get(url("renders", project)).text


@pytest.mark.parametrize(
    ("body", "message"),
    [({"ratio": "16:9"}, "doesn't target 16:9"), ({"ratio": 5}, "Choose an aspect ratio.")],
)
def test_a_preview_for_a_bad_ratio_says_why(editor, project, body, message):
    response = post_json(client_for(editor), url("preview", project), body)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Render.objects.exists()


def test_a_final_render_is_not_a_preview(editor, project):
    client = client_for(editor)
    client.post(url("render", project), {"ratio": "9:16"})
    row = Render.objects.get(project=project)

    response = client.get(reverse("editor:preview_status", args=["acme", row.pk]))

    assert response.status_code == 404
