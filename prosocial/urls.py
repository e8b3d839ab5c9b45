from django.contrib import admin
from django.urls import include, path

from creatives.library import media_urls
from prosocial import views

admin.site.site_header = "ProSocial administration"
admin.site.site_title = "ProSocial admin"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # Signed, expiring media URLs for Meta's fetchers and browsers (no session needed).
    path("media/s/<str:token>", media_urls.serve_signed_media, name="signed_media"),
    path("", include("privacy.urls")),
    path("", include("campaigns.urls")),
    path("", include("creatives.urls")),
    path("", include("publishing.urls")),
    path("", include("meta_integration.urls")),
    path("", include("accounts.urls")),
]
