from django.urls import path

from meta_integration import views

app_name = "meta_integration"

urlpatterns = [
    path("meta/oauth/callback/", views.oauth_callback, name="oauth_callback"),
    path("meta/webhooks/", views.receive_webhook, name="webhooks"),
    path("w/<slug:slug>/meta/", views.connections, name="connections"),
    path("w/<slug:slug>/meta/connect/", views.connect, name="connect"),
    path(
        "w/<slug:slug>/meta/connect/permissions/",
        views.connect_permissions,
        name="connect_permissions",
    ),
    path("w/<slug:slug>/meta/<int:pk>/", views.connection_detail, name="connection"),
    path("w/<slug:slug>/meta/<int:pk>/refresh/", views.connection_refresh, name="refresh"),
    path("w/<slug:slug>/meta/<int:pk>/check/", views.connection_check, name="check"),
    path(
        "w/<slug:slug>/meta/<int:pk>/resubscribe/",
        views.connection_resubscribe,
        name="resubscribe",
    ),
    path("w/<slug:slug>/meta/<int:pk>/disconnect/", views.connection_disconnect, name="disconnect"),
]
