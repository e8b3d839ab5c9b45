from django.urls import include, path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("w/<slug:slug>/inbox/", views.thread_list, name="list"),
    path("w/<slug:slug>/inbox/rows/", views.thread_rows, name="rows"),
    path("w/<slug:slug>/inbox/<int:pk>/", views.thread_detail, name="thread"),
    path("w/<slug:slug>/inbox/<int:pk>/messages/", views.thread_messages, name="messages"),
    path("w/<slug:slug>/inbox/<int:pk>/done/", views.thread_done, name="done"),
    path("w/<slug:slug>/inbox/<int:pk>/reopen/", views.thread_reopen, name="reopen"),
    path("w/<slug:slug>/inbox/<int:pk>/unread/", views.thread_unread, name="unread"),
    path("w/<slug:slug>/inbox/<int:pk>/assign/", views.thread_assign, name="assign"),
    path("w/<slug:slug>/inbox/<int:pk>/notes/", views.thread_note, name="note"),
    # Replying, approvals, moderation and saved replies (inbox.reply_urls).
    path("", include("inbox.reply_urls")),
    # The AI panel: summaries and reply drafts (inbox.assist_urls).
    path("", include("inbox.assist_urls")),
]
