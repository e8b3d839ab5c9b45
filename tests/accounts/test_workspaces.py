import pytest
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, Membership, Workspace
from accounts.permissions import Role
from tests.conftest import client_for
from tests.factories import UserFactory, WorkspaceFactory


@pytest.fixture
def user(db):
    return UserFactory(email="new.user@example.com")


def test_create_workspace_makes_creator_the_owner(user):
    workspace = services.create_workspace(user=user, name="  Acme Marketing  ", currency="EUR")

    assert workspace.name == "Acme Marketing"
    assert workspace.slug == "acme-marketing"
    assert workspace.currency == "EUR"
    membership = Membership.objects.get(workspace=workspace)
    assert (membership.user, membership.role) == (user, Role.OWNER)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["workspace.created"]


def test_slug_collisions_get_numbered(user):
    WorkspaceFactory(slug="acme")
    WorkspaceFactory(slug="acme-2")

    workspace = services.create_workspace(user=user, name="Acme")

    assert workspace.slug == "acme-3"


def test_non_latin_name_gets_a_fallback_slug(user):
    first = services.create_workspace(user=user, name="Маркетинг 市场")
    second = services.create_workspace(user=user, name="市场营销")

    assert first.name == "Маркетинг 市场"
    assert (first.slug, second.slug) == ("workspace", "workspace-2")


def test_create_view_creates_and_redirects(user):
    client = client_for(Membership(user=user))
    response = client.post(
        reverse("accounts:workspace_create"),
        {"name": "Launch Team", "timezone": "Asia/Kolkata", "currency": "INR"},
    )

    workspace = Workspace.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard", args=[workspace.slug])
    assert (workspace.timezone, workspace.currency) == ("Asia/Kolkata", "INR")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"name": "x" * 101}, "at most 100 characters", id="too-long"),
        pytest.param({"name": "   "}, "This field is required", id="blank"),
        pytest.param({"name": "Bad\u200bName"}, "invisible characters", id="zero-width"),
        pytest.param({"name": "Ok", "timezone": "Mars/Olympus"}, "Select a valid choice", id="tz"),
        pytest.param({"name": "Ok", "currency": "XXX"}, "Select a valid choice", id="currency"),
    ],
)
def test_create_view_rejects_bad_input_with_422(user, data, message):
    client = client_for(Membership(user=user))
    payload = {"timezone": "UTC", "currency": "USD", **data}

    response = client.post(reverse("accounts:workspace_create"), payload)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Workspace.objects.count() == 0


def test_settings_update_keeps_slug_and_records_changed_fields(owner):
    response = client_for(owner).post(
        reverse("accounts:workspace_settings", args=["acme"]),
        {"name": "Acme Global", "timezone": "UTC", "currency": "GBP", "store_name": "Shop"},
    )

    workspace = Workspace.objects.get(pk=owner.workspace_id)
    assert response.status_code == 302
    assert (workspace.name, workspace.slug, workspace.currency) == ("Acme Global", "acme", "GBP")
    event = AuditEvent.objects.get(action="workspace.updated")
    assert event.metadata == {
        "fields": ["name", "company_name", "store_name", "timezone", "currency"]
    }


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_settings_are_read_only_below_admin(cast, persona):
    client = client_for(cast[persona])
    url = reverse("accounts:workspace_settings", args=["acme"])

    page = client.get(url)
    response = client.post(url, {"name": "Hijacked", "timezone": "UTC", "currency": "USD"})

    assert page.status_code == 200
    assert "Only owners and admins can change these settings" in page.content.decode()
    assert response.status_code == 403
    assert Workspace.objects.get(slug="acme").name == "Acme Marketing"


def test_home_redirects_to_last_used_workspace(owner, other_workspace):
    services_ws = services.create_workspace(user=owner.user, name="Second")
    client = client_for(owner)
    client.get(reverse("accounts:dashboard", args=[services_ws.slug]))

    response = client.get(reverse("accounts:home"))

    assert response["Location"] == reverse("accounts:dashboard", args=[services_ws.slug])


def test_home_without_workspaces_goes_to_create(user):
    response = client_for(Membership(user=user)).get(reverse("accounts:home"))

    assert response["Location"] == reverse("accounts:workspace_create")


def test_anonymous_user_is_sent_to_login(workspace):
    response = Client().get(reverse("accounts:dashboard", args=["acme"]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_csrf_failure_explains_and_changes_nothing(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner.user)

    response = client.post(
        reverse("accounts:workspace_settings", args=["acme"]),
        {"name": "Forged", "timezone": "UTC", "currency": "USD"},
    )

    assert response.status_code == 403
    assert "This form expired" in response.content.decode()
    assert Workspace.objects.get(slug="acme").name == "Acme Marketing"
