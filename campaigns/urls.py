from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("w/<slug:slug>/campaigns/", views.campaign_list, name="list"),
    path("w/<slug:slug>/campaigns/new/", views.campaign_new, name="new"),
    path("w/<slug:slug>/campaigns/prefill/", views.campaign_prefill, name="prefill"),
    path("w/<slug:slug>/campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("w/<slug:slug>/campaigns/<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("w/<slug:slug>/campaigns/<int:pk>/status/", views.campaign_status, name="status"),
    path("w/<slug:slug>/campaigns/<int:pk>/delete/", views.campaign_delete, name="delete"),
    path("w/<slug:slug>/campaigns/<int:pk>/cohorts/", views.cohort_add, name="cohort_add"),
    path("w/<slug:slug>/cohorts/<int:pk>/edit/", views.cohort_edit, name="cohort_edit"),
    path("w/<slug:slug>/cohorts/<int:pk>/delete/", views.cohort_delete, name="cohort_delete"),
]
