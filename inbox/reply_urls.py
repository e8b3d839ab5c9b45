"""URLs of replying, approving, moderating and saved replies (included by ``inbox.urls``).

No ``app_name`` here: the names live in the ``inbox`` namespace of the including module.
"""

from django.urls import path

from inbox import reply_views as views

THREAD = "w/<slug:slug>/inbox/<int:pk>/"

urlpatterns = [
    path(f"{THREAD}reply/", views.send_reply, name="reply"),
    path(f"{THREAD}replies/", views.reply_status, name="reply_status"),
    path(f"{THREAD}replies/<int:reply_pk>/retry/", views.retry, name="reply_retry"),
    path(f"{THREAD}replies/<int:reply_pk>/approve/", views.approve, name="reply_approve"),
    path(f"{THREAD}replies/<int:reply_pk>/decline/", views.decline, name="reply_decline"),
    path(f"{THREAD}replies/<int:reply_pk>/resubmit/", views.resubmit, name="reply_resubmit"),
    path(f"{THREAD}comments/<int:message_pk>/hide/", views.hide, name="comment_hide"),
    path(f"{THREAD}comments/<int:message_pk>/unhide/", views.unhide, name="comment_unhide"),
    path(f"{THREAD}comments/<int:message_pk>/delete/", views.delete, name="comment_delete"),
    path("w/<slug:slug>/inbox/saved-replies/", views.saved_reply_list, name="saved_replies"),
    path(
        "w/<slug:slug>/inbox/saved-replies/<int:saved_pk>/",
        views.saved_reply_edit,
        name="saved_reply_edit",
    ),
    path(
        "w/<slug:slug>/inbox/saved-replies/<int:saved_pk>/delete/",
        views.saved_reply_delete,
        name="saved_reply_delete",
    ),
]
