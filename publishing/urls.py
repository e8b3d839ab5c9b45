from django.urls import path

from publishing import views

app_name = "publishing"

urlpatterns = [
    path("w/<slug:slug>/publish/", views.publication_list, name="list"),
    path("w/<slug:slug>/publish/new/", views.publication_new, name="new"),
    path("w/<slug:slug>/publish/preview/", views.publication_preview, name="preview"),
    path("w/<slug:slug>/publish/calendar/", views.publication_calendar, name="calendar"),
    path("w/<slug:slug>/publish/waiting/", views.approval_queue, name="approvals"),
    path("w/<slug:slug>/publish/<int:pk>/", views.publication_detail, name="detail"),
    path("w/<slug:slug>/publish/<int:pk>/edit/", views.publication_edit, name="edit"),
    path("w/<slug:slug>/publish/<int:pk>/publish/", views.publication_publish, name="publish"),
    path("w/<slug:slug>/publish/<int:pk>/schedule/", views.publication_schedule, name="schedule"),
    path(
        "w/<slug:slug>/publish/<int:pk>/reschedule/",
        views.publication_reschedule,
        name="reschedule",
    ),
    path("w/<slug:slug>/publish/<int:pk>/cancel/", views.publication_cancel, name="cancel"),
    path("w/<slug:slug>/publish/<int:pk>/retry/", views.publication_retry, name="retry"),
    path("w/<slug:slug>/publish/<int:pk>/submit/", views.publication_submit, name="submit"),
    path("w/<slug:slug>/publish/<int:pk>/review/", views.publication_review, name="review"),
    path("w/<slug:slug>/publish/<int:pk>/checks/", views.publication_checks, name="checks"),
    path("w/<slug:slug>/publish/<int:pk>/convert/", views.publication_convert, name="convert"),
    path("w/<slug:slug>/publish/<int:pk>/use-copy/", views.publication_use_copy, name="use_copy"),
    path("w/<slug:slug>/publish/<int:pk>/delete/", views.publication_delete, name="delete"),
    path("w/<slug:slug>/publish/deleted/", views.tombstone_list, name="tombstones"),
    path("w/<slug:slug>/publish/deleted/<int:pk>/", views.tombstone_detail, name="tombstone"),
    path(
        "w/<slug:slug>/publish/deleted/<int:pk>/delete-on-meta/",
        views.tombstone_delete_on_meta,
        name="tombstone_delete_on_meta",
    ),
]
