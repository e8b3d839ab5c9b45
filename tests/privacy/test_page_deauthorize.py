"""A Page removing ProSocial: Meta's deauthorize callback with ``profile_id`` and no ``user_id``.

Meta expects a 200. Only that Page (and the Instagram account linked to it) goes, in every
workspace connected to it; those workspaces' owners and admins are told.
"""

import time

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import AuditEvent, Notification
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage
from meta_sandbox import seed
from privacy.models import DataDeletionRequest
from privacy.signed_request import sign
from tests.conftest import client_for
from tests.meta_integration.helpers import connect

DEAUTHORIZE_URL = "/privacy/meta/deauthorize/"
DROP = object()  # leave the key out of the payload


def page_signed(page_id=seed.PAGE_COFFEE_ID, **changes):
    payload = {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "profile_id": page_id}
    payload.update(changes)
    payload = {key: value for key, value in payload.items() if value is not DROP}
    return sign(payload, settings.META_APP_SECRET)


@pytest.fixture
def two_workspaces(owner, outsider, sandbox):
    """Alex's Pages connected to both acme (owner) and rival (outsider)."""
    connect(client_for(owner), sandbox, slug="acme")
    connect(client_for(outsider), sandbox, slug="rival")
    return owner, outsider


def test_page_deauthorization_removes_only_that_page_everywhere_and_answers_200(
    two_workspaces, django_capture_on_commit_callbacks
):
    before_pages = MetaPage.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(DEAUTHORIZE_URL, {"signed_request": page_signed()})

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert not MetaPage.objects.filter(page_id=seed.PAGE_COFFEE_ID).exists()
    assert not InstagramAccount.objects.filter(ig_user_id=seed.IG_COFFEE_ID).exists()
    assert MetaPage.objects.count() == before_pages - 2  # one per workspace
    for slug in ("acme", "rival"):
        assert set(
            MetaPage.objects.filter(workspace__slug=slug).values_list("page_id", flat=True)
        ) == {seed.PAGE_PHOTO_ID, seed.PAGE_BAKERY_ID}
        assert InstagramAccount.objects.filter(
            workspace__slug=slug, ig_user_id=seed.IG_PHOTO_ID
        ).exists()
    # The person's connections stay active: only the Page left.
    assert set(MetaConnection.objects.values_list("status", flat=True)) == {"active"}
    assert DataDeletionRequest.objects.count() == 0


def test_page_deauthorization_notifies_and_audits_each_workspace(
    two_workspaces, django_capture_on_commit_callbacks
):
    owner, outsider = two_workspaces

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(DEAUTHORIZE_URL, {"signed_request": page_signed()})

    notes = Notification.objects.filter(kind="meta.page_deauthorized").order_by("pk")
    assert {(n.workspace.slug, n.recipient_id) for n in notes} == {
        ("acme", owner.user_id),
        ("rival", outsider.user_id),
    }
    assert all("Rivera Coffee Roasters" in n.body for n in notes)
    events = AuditEvent.objects.filter(action="meta.page_deauthorized")
    assert sorted(e.workspace.slug for e in events) == ["acme", "rival"]
    assert all(e.metadata["page_id"] == seed.PAGE_COFFEE_ID for e in events)


def test_a_null_user_id_with_a_profile_id_is_a_page(two_workspaces):
    response = Client().post(DEAUTHORIZE_URL, {"signed_request": page_signed(user_id=None)})

    assert response.status_code == 200
    assert not MetaPage.objects.filter(page_id=seed.PAGE_COFFEE_ID).exists()


def test_an_unknown_page_still_gets_200_and_changes_nothing(two_workspaces):
    before = (MetaPage.objects.count(), Notification.objects.count())

    response = Client().post(DEAUTHORIZE_URL, {"signed_request": page_signed("999000111")})

    assert response.status_code == 200
    assert (MetaPage.objects.count(), Notification.objects.count()) == before


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"profile_id": DROP}, "no user_id or profile_id", id="neither-id"),
        pytest.param({"profile_id": "²³"}, "no user_id or profile_id", id="superscript-page"),
        pytest.param({"profile_id": 12.5}, "no user_id or profile_id", id="float-page"),
        pytest.param({"issued_at": 0}, "too old", id="stale"),
        pytest.param({"issued_at": DROP}, "no issued_at", id="no-issued-at"),
    ],
)
def test_bad_page_callbacks_are_refused_and_change_nothing(two_workspaces, changes, reason):
    before = MetaPage.objects.count()

    response = Client().post(DEAUTHORIZE_URL, {"signed_request": page_signed(**changes)})

    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert MetaPage.objects.count() == before


def test_a_wrong_signature_is_refused(two_workspaces):
    payload = {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "profile_id": "1"}

    response = Client().post(DEAUTHORIZE_URL, {"signed_request": sign(payload, "not-our-secret")})

    assert response.status_code == 400
    assert MetaPage.objects.filter(page_id=seed.PAGE_COFFEE_ID).count() == 2


def test_a_scheduled_post_to_that_page_pauses_and_one_to_another_page_does_not(
    two_workspaces, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from publishing import services as publishing
    from publishing.models import Publication

    owner, _outsider = two_workspaces
    MetaPage.objects.update(is_selected=True)
    when = timezone.now() + timedelta(hours=2)
    made = {}
    for page_id in (seed.PAGE_COFFEE_ID, seed.PAGE_BAKERY_ID):
        page = MetaPage.objects.get(workspace=owner.workspace, page_id=page_id)
        publication = publishing.create_publication(
            actor=owner,
            fields={"title": page.name, "target": "fb_post", "caption": "Hi", "page": page},
            assets=[],
        )
        Publication.objects.filter(pk=publication.pk).update(
            status="scheduled", scheduled_at=when, next_attempt_at=when
        )
        made[page_id] = publication

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(DEAUTHORIZE_URL, {"signed_request": page_signed()})

    coffee, bakery = (made[p] for p in (seed.PAGE_COFFEE_ID, seed.PAGE_BAKERY_ID))
    coffee.refresh_from_db()
    bakery.refresh_from_db()
    assert coffee.paused_reason.startswith("The Page removed ProSocial on Facebook")
    assert coffee.page_name == "Rivera Coffee Roasters"  # history keeps the name
    assert bakery.paused_reason == ""
