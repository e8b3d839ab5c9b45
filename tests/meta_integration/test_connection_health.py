"""Health checks, asset selection, refresh, and the admin notice."""

import pytest
from django.core import mail
from django.urls import reverse

from meta_integration import services
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage
from meta_integration.tasks import check_all_meta_connections_task
from meta_sandbox import seed
from tests.conftest import client_for
from tests.meta_integration.helpers import connect

pytestmark = pytest.mark.usefixtures("sandbox")


@pytest.fixture
def connected(owner, admin, sandbox):
    connect(client_for(owner), sandbox)
    return MetaConnection.objects.get()


def test_expired_token_marks_needs_reauth_and_tells_admins_once(
    connected, sandbox, owner, admin, django_capture_on_commit_callbacks
):
    sandbox.state.expire_tokens(user_id=seed.ALEX_ID)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.check_meta_connection(connection_id=connected.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.check_meta_connection(connection_id=connected.pk)

    connected.refresh_from_db()
    assert connected.status == MetaConnection.Status.NEEDS_REAUTH
    assert connected.last_error != ""
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([owner.user.email, admin.user.email])
    assert "needs reconnecting" in mail.outbox[0].subject


def test_removed_app_marks_revoked(connected, sandbox):
    sandbox.state.auth.deauthorize(seed.ALEX_ID)

    services.check_meta_connection(connection_id=connected.pk)

    connected.refresh_from_db()
    assert connected.status == MetaConnection.Status.REVOKED


def test_token_inside_the_warning_window_is_expiring(connected, settings):
    settings.META_TOKEN_EXPIRY_WARNING_DAYS = 61  # a fresh 60-day token is now "soon"

    services.check_meta_connection(connection_id=connected.pk)

    connected.refresh_from_db()
    assert connected.status == MetaConnection.Status.EXPIRING


def test_healthy_token_stays_active_and_quiet(connected):
    mail.outbox.clear()

    services.check_meta_connection(connection_id=connected.pk)

    connected.refresh_from_db()
    assert connected.status == MetaConnection.Status.ACTIVE
    assert connected.last_checked_at is not None
    assert mail.outbox == []


def test_transient_failure_only_records_the_error(connected, sandbox, settings):
    settings.META_MAX_RETRIES = 0
    sandbox.state.add_fault(method="GET", path="/debug_token", http_status=500, times=None)

    services.check_meta_connection(connection_id=connected.pk)

    connected.refresh_from_db()
    assert connected.status == MetaConnection.Status.ACTIVE
    assert connected.last_error != ""


def test_periodic_task_checks_every_live_connection(connected, sandbox):
    sandbox.state.expire_tokens(user_id=seed.ALEX_ID)

    check_all_meta_connections_task.run()

    connected.refresh_from_db()
    assert connected.status == MetaConnection.Status.NEEDS_REAUTH


def test_notice_shows_on_workspace_pages_for_admins_only(connected, sandbox, owner, viewer):
    sandbox.state.expire_tokens(user_id=seed.ALEX_ID)
    services.check_meta_connection(connection_id=connected.pk)
    url = reverse("accounts:dashboard", args=["acme"])

    assert 'data-testid="meta-notice"' in client_for(owner).get(url).content.decode()
    assert 'data-testid="meta-notice"' not in client_for(viewer).get(url).content.decode()


def test_select_assets(connected, owner):
    coffee = MetaPage.objects.get(page_id=seed.PAGE_COFFEE_ID)
    ig = InstagramAccount.objects.get(ig_user_id=seed.IG_COFFEE_ID)

    response = client_for(owner).post(
        reverse("meta_integration:connection", args=["acme", connected.pk]),
        {"pages": [coffee.pk], "instagram_accounts": [ig.pk]},
    )

    assert response.status_code == 302
    assert list(MetaPage.objects.filter(is_selected=True)) == [coffee]
    assert list(InstagramAccount.objects.filter(is_selected=True)) == [ig]


def test_selecting_a_foreign_asset_is_422(connected, owner, outsider, sandbox):
    connect(
        client_for(outsider),
        sandbox,
        slug="rival",
        user_id=seed.SAM_ID,
        pages=[seed.PAGE_FITNESS_ID],
        ig=[seed.IG_FITNESS_ID],
        ads=[seed.ACT_FITNESS],
    )
    foreign = MetaPage.objects.get(page_id=seed.PAGE_FITNESS_ID)

    response = client_for(owner).post(
        reverse("meta_integration:connection", args=["acme", connected.pk]), {"pages": [foreign.pk]}
    )

    assert response.status_code == 422
    assert "available on this connection any more" in response.content.decode()
    assert not MetaPage.objects.filter(is_selected=True).exists()


def test_refresh_marks_assets_no_longer_shared(connected, owner, sandbox):
    sandbox.state.authorize_user(
        user_id=seed.ALEX_ID,
        scopes=connected.granted_scopes,
        page_ids=[seed.PAGE_COFFEE_ID],
        ig_user_ids=[seed.IG_COFFEE_ID],
        ad_account_ids=[seed.ACT_COFFEE_US],
    )

    client_for(owner).post(reverse("meta_integration:refresh", args=["acme", connected.pk]))

    available = set(MetaPage.objects.filter(is_available=True).values_list("page_id", flat=True))
    assert available == {seed.PAGE_COFFEE_ID}
    assert MetaPage.objects.get(page_id=seed.PAGE_BAKERY_ID).access_token == ""


def test_health_page_explains_disabled_ad_account_and_missing_instagram(connected, owner):
    body = (
        client_for(owner)
        .get(reverse("meta_integration:connection", args=["acme", connected.pk]))
        .content.decode()
    )

    assert "run ads (status Disabled)." in body
    assert "no Instagram account" in body
