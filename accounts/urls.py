from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("account/profile/", views.profile, name="profile"),
    path("account/security/", views.security, name="security"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("w/<slug:slug>/", views.dashboard, name="dashboard"),
    path("w/<slug:slug>/settings/", views.workspace_settings, name="workspace_settings"),
    path("w/<slug:slug>/settings/transfer/", views.workspace_transfer, name="workspace_transfer"),
    path("w/<slug:slug>/leave/", views.workspace_leave, name="workspace_leave"),
    path("w/<slug:slug>/members/", views.members, name="members"),
    path("w/<slug:slug>/members/invite/", views.member_invite, name="member_invite"),
    path("w/<slug:slug>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("w/<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "w/<slug:slug>/invitations/<int:pk>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "w/<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("w/<slug:slug>/activity/", views.activity, name="activity"),
    path("w/<slug:slug>/notifications/", views.notifications, name="notifications"),
    path(
        "w/<slug:slug>/notifications/read/",
        views.notifications_read_all,
        name="notifications_read_all",
    ),
    path(
        "w/<slug:slug>/notifications/<int:pk>/read/",
        views.notification_read,
        name="notification_read",
    ),
]
