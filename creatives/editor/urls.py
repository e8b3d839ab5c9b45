"""The ``editor:`` URL namespace: edit projects, the editor, renders and templates."""

from django.urls import include, path

from creatives.editor import views

app_name = "editor"

urlpatterns = [
    path("w/<slug:slug>/editor/", views.project_list, name="list"),
    path("w/<slug:slug>/editor/new/", views.project_new, name="new"),
    path(
        "w/<slug:slug>/editor/from-video/<int:pk>/",
        views.project_from_creative,
        name="from_creative",
    ),
    path("w/<slug:slug>/editor/<int:pk>/", views.project_detail, name="project"),
    path("w/<slug:slug>/editor/<int:pk>/state.json", views.project_state, name="state"),
    path("w/<slug:slug>/editor/<int:pk>/edit/", views.project_edit, name="edit"),
    path("w/<slug:slug>/editor/<int:pk>/undo/", views.project_undo, name="undo"),
    path("w/<slug:slug>/editor/<int:pk>/redo/", views.project_redo, name="redo"),
    path("w/<slug:slug>/editor/<int:pk>/versions/", views.project_versions, name="versions"),
    path(
        "w/<slug:slug>/editor/<int:pk>/versions/<int:number>/restore/",
        views.version_restore,
        name="restore",
    ),
    path("w/<slug:slug>/editor/<int:pk>/rename/", views.project_rename, name="rename"),
    path("w/<slug:slug>/editor/<int:pk>/delete/", views.project_delete, name="delete"),
    path("w/<slug:slug>/editor/<int:pk>/captions/", views.captions_export, name="captions"),
    path("w/<slug:slug>/editor/<int:pk>/renders/", views.render_list, name="renders"),
    path("w/<slug:slug>/editor/<int:pk>/renders/new/", views.render_start, name="render"),
    path(
        "w/<slug:slug>/editor/renders/<int:pk>/cancel/", views.render_cancel, name="render_cancel"
    ),
    path("w/<slug:slug>/editor/<int:pk>/preview/", views.preview_start, name="preview"),
    path("w/<slug:slug>/editor/previews/<int:pk>/", views.preview_status, name="preview_status"),
    path("w/<slug:slug>/editor/<int:pk>/templates/", views.template_save, name="template_save"),
    path(
        "w/<slug:slug>/editor/<int:pk>/templates/apply/",
        views.template_apply,
        name="template_apply",
    ),
    path(
        "w/<slug:slug>/editor/templates/<int:pk>/delete/",
        views.template_delete,
        name="template_delete",
    ),
    # Filmstrips, waveforms and preview frames (aid_urls), captions from speech (transcribe_urls).
    path("", include("creatives.editor.aid_urls")),
    path("", include("creatives.editor.transcribe_urls")),
]
