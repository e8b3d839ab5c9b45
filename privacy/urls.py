from django.urls import path

from privacy import centre, pages, views

app_name = "privacy"

urlpatterns = [
    path("privacy/meta/data-deletion/", views.meta_data_deletion, name="meta_data_deletion"),
    path("privacy/meta/deauthorize/", views.meta_deauthorize, name="meta_deauthorize"),
    path("privacy/deletion/<str:code>/", views.deletion_status, name="deletion_status"),
    path("privacy/deletion-request/", views.request_deletion, name="request_deletion"),
    path(
        "privacy/deletion-request/confirm/<str:token>/",
        views.confirm_deletion,
        name="confirm_deletion",
    ),
    path("contact/", views.contact, name="contact"),
    path("privacy/", pages.privacy_policy, name="policy"),
    path("terms/", pages.terms, name="terms"),
    path(
        "privacy/data-deletion/",
        pages.data_deletion_instructions,
        name="data_deletion_instructions",
    ),
]

urlpatterns += [
    path("account/privacy/", centre.centre, name="centre"),
    path("account/privacy/export/", centre.export_my_data, name="export_mine"),
    path("account/privacy/exports/<int:pk>/", centre.download_export, name="download_export"),
    path("account/privacy/delete/", centre.delete_account, name="delete_account"),
    path("w/<slug:slug>/privacy/", centre.workspace_privacy, name="workspace"),
    path("w/<slug:slug>/privacy/export/", centre.export_workspace, name="export_workspace"),
    path("w/<slug:slug>/privacy/retention/", centre.update_retention, name="retention"),
    path("w/<slug:slug>/privacy/delete/", centre.delete_workspace, name="delete_workspace"),
]
