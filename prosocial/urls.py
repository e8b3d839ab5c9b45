from django.contrib import admin
from django.urls import include, path

from prosocial import views

admin.site.site_header = "ProSocial administration"
admin.site.site_title = "ProSocial admin"
# Staff sign in through the product's sign-in (two-factor step, rate limits), never admin's form.
admin.site.login = views.admin_login  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # First: the workspace pages people open most (the dashboard, members) resolve without
    # trying every other app's patterns (no pattern here overlaps another app's).
    path("", include("accounts.urls")),
    # Signed, expiring media URLs for Meta's fetchers and browsers (no session needed).
    path("", include("creatives.library.public_urls")),
    path("", include("privacy.urls")),
    path("", include("campaigns.urls")),
    path("", include("creatives.urls")),
    path("", include("creatives.editor.urls")),
    path("", include("publishing.urls")),
    path("", include("inbox.urls")),
    path("", include("insights.urls")),
    path("", include("meta_integration.urls")),
]
