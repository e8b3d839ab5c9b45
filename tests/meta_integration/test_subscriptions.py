"""Page webhook subscriptions: subscribe on selection, unsubscribe on disconnect, health, fix.

Real HTTP to the sandbox, which records each Page's `subscribed_apps` and the app-level
subscriptions as Meta does (GRAPH_NOTES §7.3). Jobs are sent after COMMIT; the tests capture
that and run the job's service as a worker would.
"""

import html
import socket

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from meta_integration import graph, services
from meta_integration.models import InstagramAccount, MetaConnection, MetaPage, MetaPageSubscription
from meta_integration.scopes import FEATURES, requested_scopes
from meta_sandbox import seed
from tests.conftest import client_for
from tests.meta_integration.helpers import connect, start_connect

pytestmark = pytest.mark.usefixtures("sandbox")

Status = MetaPageSubscription.Status
COFFEE = seed.PAGE_COFFEE_ID
INBOX_SCOPES = [
    "pages_manage_metadata",
    "pages_read_engagement",
    "pages_manage_engagement",
    "pages_messaging",
    "instagram_manage_comments",
    "instagram_manage_messages",
]


@pytest.fixture(autouse=True)
def _app_level_subscribed(sandbox, settings):
    """Meta's app dashboard already holds our callback (the default in production docs)."""
    for object_type, fields in graph.APP_SUBSCRIBED_FIELDS.items():
        sandbox.state.webhooks.subscribe_app(
            object_type=object_type,
            callback_url=settings.PUBLIC_BASE_URL + "/meta/webhooks/",
            fields=fields,
        )


@pytest.fixture
def unreachable_port() -> str:
    """A loopback address nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _connect(membership, sandbox, **kwargs) -> MetaConnection:
    response = connect(client_for(membership), sandbox, slug=membership.workspace.slug, **kwargs)
    assert response.status_code == 302, response.content[:300]
    return MetaConnection.objects.get(workspace=membership.workspace)


def _select(membership, connection, *, pages=(), instagram=(), capture) -> list:
    url = reverse("meta_integration:connection", args=[membership.workspace.slug, connection.pk])
    data = {
        "pages": [MetaPage.objects.get(connection=connection, page_id=p).pk for p in pages],
        "instagram_accounts": [
            InstagramAccount.objects.get(connection=connection, ig_user_id=i).pk for i in instagram
        ],
    }
    with capture() as callbacks:
        response = client_for(membership).post(url, data)
    assert response.status_code == 302
    return callbacks


def _run_jobs() -> int:
    """Run every due subscription job, as a worker would; return how many ran."""
    ran = 0
    for pk in MetaPageSubscription.objects.filter(status=Status.PENDING).values_list(
        "pk", flat=True
    ):
        services.sync_page_subscription(subscription_id=pk)
        ran += 1
    return ran


def _meta_fields(sandbox, page_id=COFFEE):
    return sandbox.state.webhooks.page_fields.get(page_id)


@pytest.fixture
def subscribed(owner, sandbox, django_capture_on_commit_callbacks):
    connection = _connect(owner, sandbox)
    _select(owner, connection, pages=[COFFEE], capture=django_capture_on_commit_callbacks)
    _run_jobs()
    return connection


# --- subscribe and unsubscribe ----------------------------------------------------------------


def test_selecting_a_page_subscribes_it_on_meta(owner, sandbox, django_capture_on_commit_callbacks):
    connection = _connect(owner, sandbox)
    assert _meta_fields(sandbox) is None

    callbacks = _select(
        owner, connection, pages=[COFFEE], capture=django_capture_on_commit_callbacks
    )

    row = MetaPageSubscription.objects.get()
    assert (row.page.page_id, row.is_wanted, row.status) == (COFFEE, True, Status.PENDING)
    assert len(callbacks) == 1  # the job is sent after COMMIT, with the row id only
    assert _run_jobs() == 1
    assert _meta_fields(sandbox) == list(graph.PAGE_SUBSCRIBED_FIELDS)
    row.refresh_from_db()
    assert row.status == Status.SUBSCRIBED
    assert row.subscribed_fields == list(graph.PAGE_SUBSCRIBED_FIELDS)
    assert row.missing_app_objects == []
    assert row.last_checked_at is not None
    assert (row.message, row.error) == ("Subscribed.", "")
    # Only the selected Page: the other two stay untouched on Meta.
    assert _meta_fields(sandbox, seed.PAGE_PHOTO_ID) is None
    assert MetaPageSubscription.objects.count() == 1


def test_the_graph_shows_our_app_on_the_page(subscribed, sandbox, settings):
    token = MetaPage.objects.get(page_id=COFFEE).access_token

    apps = graph.list_page_subscriptions(access_token=token, page_id=COFFEE)

    assert [(a.id, a.subscribed_fields) for a in apps] == [
        (settings.META_APP_ID, graph.PAGE_SUBSCRIBED_FIELDS)
    ]


def test_an_instagram_account_subscribes_its_linked_page(
    owner, sandbox, django_capture_on_commit_callbacks
):
    connection = _connect(owner, sandbox)

    _select(
        owner, connection, instagram=[seed.IG_COFFEE_ID], capture=django_capture_on_commit_callbacks
    )
    _run_jobs()

    assert _meta_fields(sandbox) == list(graph.PAGE_SUBSCRIBED_FIELDS)
    assert MetaPageSubscription.objects.get().page.page_id == COFFEE


def test_unticking_the_page_unsubscribes_it(
    subscribed, owner, sandbox, django_capture_on_commit_callbacks
):
    callbacks = _select(owner, subscribed, capture=django_capture_on_commit_callbacks)

    assert len(callbacks) == 1
    _run_jobs()
    assert _meta_fields(sandbox) is None
    row = MetaPageSubscription.objects.get()
    assert (row.is_wanted, row.status, row.subscribed_fields) == (False, Status.UNSUBSCRIBED, [])


def test_saving_the_same_selection_sends_no_job(
    subscribed, owner, sandbox, django_capture_on_commit_callbacks
):
    callbacks = _select(
        owner, subscribed, pages=[COFFEE], capture=django_capture_on_commit_callbacks
    )

    assert callbacks == []
    assert MetaPageSubscription.objects.get().status == Status.SUBSCRIBED


def test_disconnect_unsubscribes_on_meta_and_records_it(subscribed, owner, sandbox):
    url = reverse("meta_integration:disconnect", args=["acme", subscribed.pk])

    response = client_for(owner).post(url)

    assert response.status_code == 302
    assert _meta_fields(sandbox) is None
    assert MetaPageSubscription.objects.count() == 0  # gone with the Page rows
    event = AuditEvent.objects.get(action="meta.disconnected")
    assert event.metadata["webhooks_unsubscribed"] == 1
    assert event.metadata["webhooks_unsubscribe_failed"] == []


def test_disconnect_goes_on_when_meta_refuses_the_unsubscription(subscribed, owner, sandbox):
    sandbox.state.add_fault(path=f"/{COFFEE}/subscribed_apps", error={"code": 200}, times=None)
    url = reverse("meta_integration:disconnect", args=["acme", subscribed.pk])

    response = client_for(owner).post(url)

    assert response.status_code == 302
    subscribed.refresh_from_db()
    assert subscribed.status == MetaConnection.Status.DISCONNECTED
    event = AuditEvent.objects.get(action="meta.disconnected")
    assert event.metadata["webhooks_unsubscribe_failed"] == ["Rivera Coffee Roasters"]


def test_a_page_another_workspace_uses_stays_subscribed(
    subscribed, owner, outsider, sandbox, django_capture_on_commit_callbacks
):
    theirs = _connect(outsider, sandbox)
    _select(outsider, theirs, pages=[COFFEE], capture=django_capture_on_commit_callbacks)
    _run_jobs()

    client_for(owner).post(reverse("meta_integration:disconnect", args=["acme", subscribed.pk]))

    assert _meta_fields(sandbox) == list(graph.PAGE_SUBSCRIBED_FIELDS)
    event = AuditEvent.objects.get(action="meta.disconnected")
    assert event.metadata["webhooks_kept_for_other_workspaces"] == 1
    assert event.metadata["webhooks_unsubscribed"] == 0


# --- what the permissions allow -----------------------------------------------------------------


def test_without_pages_messaging_only_the_feed_is_subscribed(
    owner, sandbox, django_capture_on_commit_callbacks
):
    connection = _connect(
        owner, sandbox, scopes=[s for s in requested_scopes() if s != "pages_messaging"]
    )
    _select(owner, connection, pages=[COFFEE], capture=django_capture_on_commit_callbacks)

    _run_jobs()

    assert _meta_fields(sandbox) == ["feed"]
    row = MetaPageSubscription.objects.get()
    assert row.status == Status.SUBSCRIBED
    assert "pages_messaging permission was not granted" in row.message
    page = client_for(owner).get(
        reverse("meta_integration:connection", args=["acme", connection.pk])
    )
    assert "Receiving comments live, but not Messenger messages." in html.unescape(
        page.content.decode()
    )


def test_without_pages_manage_metadata_nothing_is_called_and_the_fix_is_said(
    owner, sandbox, django_capture_on_commit_callbacks
):
    connection = _connect(
        owner, sandbox, scopes=[s for s in requested_scopes() if s != "pages_manage_metadata"]
    )
    _select(owner, connection, pages=[COFFEE], capture=django_capture_on_commit_callbacks)
    before = len(sandbox.state.requests)

    _run_jobs()

    assert len(sandbox.state.requests) == before
    row = MetaPageSubscription.objects.get()
    assert row.status == Status.FAILED
    assert "pages_manage_metadata" in row.error
    assert "Reconnect" in row.error


def test_a_transient_failure_is_retried_later(
    subscribed, owner, sandbox, sleeps, django_capture_on_commit_callbacks
):
    sandbox.state.add_fault(path=f"/{COFFEE}/subscribed_apps", error={"code": 2}, times=None)
    row = MetaPageSubscription.objects.get()
    url = reverse("meta_integration:resubscribe", args=["acme", subscribed.pk])
    with django_capture_on_commit_callbacks():
        client_for(owner).post(url)

    with django_capture_on_commit_callbacks() as callbacks:
        services.sync_page_subscription(subscription_id=row.pk)

    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert row.next_attempt_at is not None
    assert "temporarily unavailable" in row.error
    assert len(callbacks) == 1  # queued again, later


# --- the health page and Resubscribe -----------------------------------------------------------


def test_the_health_page_says_what_meta_sends(subscribed, owner):
    url = reverse("meta_integration:connection", args=["acme", subscribed.pk])

    response = client_for(owner).get(url)

    page = html.unescape(response.content.decode())
    coffee = MetaPage.objects.get(page_id=COFFEE)
    photo = MetaPage.objects.get(page_id=seed.PAGE_PHOTO_ID)
    ig = InstagramAccount.objects.get(ig_user_id=seed.IG_COFFEE_ID)
    assert f'data-testid="webhooks-page-{coffee.pk}" data-state="ok"' in page
    assert "Receiving its comments and messages live." in page
    assert f'data-testid="webhooks-page-{photo.pk}" data-state="off"' in page
    assert f'data-testid="webhooks-instagram-{ig.pk}" data-state="ok"' in page
    assert "through Rivera Coffee Roasters's subscription" in page
    assert 'data-testid="resubscribe"' in page


def test_a_failed_subscription_shows_the_cause_and_the_fix(
    owner, sandbox, django_capture_on_commit_callbacks
):
    connection = _connect(owner, sandbox)
    sandbox.state.add_fault(path=f"/{COFFEE}/subscribed_apps", error={"code": 200}, times=None)
    _select(owner, connection, pages=[COFFEE], capture=django_capture_on_commit_callbacks)
    _run_jobs()

    response = client_for(owner).get(
        reverse("meta_integration:connection", args=["acme", connection.pk])
    )

    page = html.unescape(response.content.decode())
    coffee = MetaPage.objects.get(page_id=COFFEE)
    assert f'data-testid="webhooks-page-{coffee.pk}" data-state="problem"' in page
    assert "Not receiving comments and messages: the subscription failed." in page
    assert "Meta refused for lack of permission (code 200)" in page


def test_missing_app_level_subscription_is_shown(
    owner, sandbox, settings, django_capture_on_commit_callbacks, unreachable_port
):
    sandbox.state.webhooks.unsubscribe_app(object_type=None, fields=None)
    settings.PUBLIC_BASE_URL = unreachable_port  # Meta's verification can't reach us
    connection = _connect(owner, sandbox)
    _select(owner, connection, pages=[COFFEE], capture=django_capture_on_commit_callbacks)

    _run_jobs()

    row = MetaPageSubscription.objects.get()
    assert row.status == Status.SUBSCRIBED
    assert row.missing_app_objects == ["page", "instagram"]
    page = html.unescape(
        client_for(owner)
        .get(reverse("meta_integration:connection", args=["acme", connection.pk]))
        .content.decode()
    )
    assert "Meta's app-level webhook subscription is missing" in page


@pytest.mark.django_db(transaction=True)
def test_the_app_level_subscription_is_made_with_our_verified_callback(
    owner, sandbox, settings, live_server, django_capture_on_commit_callbacks
):
    sandbox.state.webhooks.unsubscribe_app(object_type=None, fields=None)
    settings.PUBLIC_BASE_URL = live_server.url  # the sandbox verifies it like Meta (hub.challenge)
    connection = _connect(owner, sandbox)
    _select(owner, connection, pages=[COFFEE], capture=django_capture_on_commit_callbacks)

    _run_jobs()

    row = MetaPageSubscription.objects.get()
    assert (row.status, row.missing_app_objects) == (Status.SUBSCRIBED, [])
    app = {s.object: s for s in graph.list_app_subscriptions()}
    assert app["page"].callback_url == f"{live_server.url}/meta/webhooks/"
    assert set(graph.APP_SUBSCRIBED_FIELDS["instagram"]) <= set(app["instagram"].fields)


def test_resubscribe_restores_a_subscription_meta_lost(
    subscribed, owner, sandbox, django_capture_on_commit_callbacks
):
    sandbox.state.webhooks.unsubscribe_page(page_id=COFFEE)  # a Page admin removed the app
    url = reverse("meta_integration:resubscribe", args=["acme", subscribed.pk])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(owner).post(url)

    assert response.status_code == 302
    assert len(callbacks) == 1
    assert MetaPageSubscription.objects.get().status == Status.PENDING
    _run_jobs()
    assert _meta_fields(sandbox) == list(graph.PAGE_SUBSCRIBED_FIELDS)
    assert AuditEvent.objects.filter(action="meta.webhooks_resubscribed").count() == 1


def test_the_periodic_check_confirms_the_subscription(
    subscribed, sandbox, django_capture_on_commit_callbacks
):
    sandbox.state.webhooks.unsubscribe_page(page_id=COFFEE)

    with django_capture_on_commit_callbacks() as callbacks:
        services.check_meta_connection(connection_id=subscribed.pk)
    _run_jobs()

    assert len(callbacks) == 1
    assert _meta_fields(sandbox) == list(graph.PAGE_SUBSCRIBED_FIELDS)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 302), ("admin", 302), ("editor", 403), ("viewer", 403), ("outsider", 404)],
)
def test_resubscribe_permissions(
    subscribed, cast, persona, status, django_capture_on_commit_callbacks
):
    _case = f"{persona} resubscribes"
    url = reverse("meta_integration:resubscribe", args=["acme", subscribed.pk])
    before = list(MetaPageSubscription.objects.values_list("status", "attempts"))

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(cast[persona]).post(url)

    assert response.status_code == status, _case
    if status == 302:
        assert len(callbacks) == 1, _case
    else:
        assert callbacks == [], _case
        assert list(MetaPageSubscription.objects.values_list("status", "attempts")) == before
        assert not AuditEvent.objects.filter(action="meta.webhooks_resubscribed").exists()


def test_resubscribe_is_post_only(subscribed, owner):
    url = reverse("meta_integration:resubscribe", args=["acme", subscribed.pk])

    assert client_for(owner).get(url).status_code == 405


def test_resubscribe_of_a_missing_connection_is_404(owner):
    url = reverse("meta_integration:resubscribe", args=["acme", 999999])

    assert client_for(owner).post(url).status_code == 404


# --- the connect page asks for the inbox's permissions and says why ----------------------------


def test_the_connect_page_explains_the_inbox_permissions(owner):
    response = client_for(owner).get(reverse("meta_integration:connect_permissions", args=["acme"]))

    page = html.unescape(response.content.decode())
    inbox = next(f for f in FEATURES if f.key == "inbox")
    assert [p.scope for p in inbox.permissions] == INBOX_SCOPES
    assert 'data-testid="permissions-inbox"' in page
    for permission in inbox.permissions:
        assert f"<code>{permission.scope}</code>" in page
        assert str(permission.reason) in page


def test_the_dialog_asks_for_the_inbox_permissions(owner):
    dialog = start_connect(client_for(owner))

    assert set(INBOX_SCOPES) <= set(dialog["scope"].split(","))


def test_a_revoked_connection_says_so_and_resubscribe_explains(
    subscribed, owner, django_capture_on_commit_callbacks
):
    services.revoke_meta_connections_for_user(meta_user_id=seed.ALEX_ID)
    client = client_for(owner)
    url = reverse("meta_integration:resubscribe", args=["acme", subscribed.pk])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, follow=True)

    assert callbacks == []
    page = html.unescape(response.content.decode())
    assert "This connection can't reach Meta (revoked on meta). Reconnect it first." in page
    assert (
        "Not receiving comments and messages reliably: the connection needs reconnecting." in page
    )
    assert MetaPageSubscription.objects.get().status == Status.SUBSCRIBED  # nothing queued
