from django.urls import path

from creatives.studio import views

urlpatterns = [
    path("w/<slug:slug>/ai/", views.ai_settings, name="ai_settings"),
    path(
        "w/<slug:slug>/cohorts/<int:pk>/scripts/",
        views.write_variants,
        name="write_variants",
    ),
    path("w/<slug:slug>/scripts/<int:pk>/", views.script_detail, name="script"),
    path(
        "w/<slug:slug>/scripts/<int:pk>/progress/",
        views.script_progress,
        name="script_progress",
    ),
    path("w/<slug:slug>/scripts/<int:pk>/edit/", views.script_edit, name="script_edit"),
    path(
        "w/<slug:slug>/scripts/<int:pk>/regenerate/",
        views.script_regenerate,
        name="script_regenerate",
    ),
    path(
        "w/<slug:slug>/scripts/<int:pk>/storyboard/",
        views.storyboard_make,
        name="storyboard_make",
    ),
    path(
        "w/<slug:slug>/scripts/<int:pk>/voiceover/",
        views.voiceover_make,
        name="voiceover_make",
    ),
    path("w/<slug:slug>/scripts/<int:pk>/videos/", views.videos_make, name="videos_make"),
    path("w/<slug:slug>/scripts/<int:pk>/more-like/", views.more_like, name="more_like"),
    path(
        "w/<slug:slug>/script-versions/<int:pk>/use/",
        views.version_use,
        name="version_use",
    ),
    path("w/<slug:slug>/scenes/<int:pk>/edit/", views.scene_edit, name="scene_edit"),
    path("w/<slug:slug>/scenes/<int:pk>/redraw/", views.scene_redraw, name="scene_redraw"),
    path(
        "w/<slug:slug>/creatives/<int:pk>/approval/",
        views.creative_approval,
        name="creative_approval",
    ),
    path("w/<slug:slug>/generation/<int:pk>/retry/", views.job_retry, name="job_retry"),
    path("w/<slug:slug>/scripts/<int:pk>/delete/", views.script_delete, name="script_delete"),
    path(
        "w/<slug:slug>/script-versions/<int:pk>/delete/",
        views.version_delete,
        name="version_delete",
    ),
    path(
        "w/<slug:slug>/storyboards/<int:pk>/delete/",
        views.storyboard_delete,
        name="storyboard_delete",
    ),
    path(
        "w/<slug:slug>/creatives/<int:pk>/delete/",
        views.creative_delete,
        name="creative_delete",
    ),
]
