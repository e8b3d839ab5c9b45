"""URLs of the thread page's AI panel: the summary and reply drafts (included by ``inbox.urls``).

No ``app_name`` here: the names live in the ``inbox`` namespace of the including module.
"""

from django.urls import path

from inbox import assist_views as views

THREAD = "w/<slug:slug>/inbox/<int:pk>/"

urlpatterns = [
    path(f"{THREAD}assist/", views.assist_panel, name="assist"),
    path(f"{THREAD}assist/summary/", views.request_summary, name="assist_summary"),
    path(f"{THREAD}assist/suggestions/", views.request_suggestions, name="assist_suggestions"),
]
