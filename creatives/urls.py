from django.urls import path

from creatives import studio_views, views

app_name = "creatives"

urlpatterns = [
    path("w/<slug:slug>/media/", views.library, name="library"),
    path("w/<slug:slug>/media/upload/", views.upload, name="upload"),
    path("w/<slug:slug>/media/upload/start/", views.upload_start, name="upload_start"),
    path(
        "w/<slug:slug>/media/<int:pk>/upload/complete/",
        views.upload_complete,
        name="upload_complete",
    ),
    path("w/<slug:slug>/media/<int:pk>/", views.detail, name="detail"),
    path("w/<slug:slug>/media/<int:pk>/transcode/", views.transcode, name="transcode"),
    path("w/<slug:slug>/media/<int:pk>/delete/", views.delete, name="delete"),
    # AI generation
    path("w/<slug:slug>/ai/", studio_views.ai_settings, name="ai_settings"),
    path(
        "w/<slug:slug>/cohorts/<int:pk>/scripts/",
        studio_views.write_variants,
        name="write_variants",
    ),
    path("w/<slug:slug>/scripts/<int:pk>/", studio_views.script_detail, name="script"),
    path("w/<slug:slug>/scripts/<int:pk>/edit/", studio_views.script_edit, name="script_edit"),
    path(
        "w/<slug:slug>/scripts/<int:pk>/regenerate/",
        studio_views.script_regenerate,
        name="script_regenerate",
    ),
    path(
        "w/<slug:slug>/scripts/<int:pk>/storyboard/",
        studio_views.storyboard_make,
        name="storyboard_make",
    ),
    path(
        "w/<slug:slug>/scripts/<int:pk>/voiceover/",
        studio_views.voiceover_make,
        name="voiceover_make",
    ),
    path("w/<slug:slug>/scripts/<int:pk>/videos/", studio_views.videos_make, name="videos_make"),
    path(
        "w/<slug:slug>/script-versions/<int:pk>/use/",
        studio_views.version_use,
        name="version_use",
    ),
    path("w/<slug:slug>/scenes/<int:pk>/edit/", studio_views.scene_edit, name="scene_edit"),
    path("w/<slug:slug>/scenes/<int:pk>/redraw/", studio_views.scene_redraw, name="scene_redraw"),
    path(
        "w/<slug:slug>/creatives/<int:pk>/approval/",
        studio_views.creative_approval,
        name="creative_approval",
    ),
    path("w/<slug:slug>/generation/<int:pk>/retry/", studio_views.job_retry, name="job_retry"),
]
