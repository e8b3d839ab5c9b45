import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, Invitation, Membership, User, Workspace
from accounts.permissions import Role
from tests.conftest import client_for


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("ops@example.com", "ops-password-123")


@pytest.fixture
def operator_client(operator):
    client = Client()
    client.force_login(operator)
    return client


@pytest.mark.parametrize(
    "model", [User, Workspace, Membership, Invitation, AuditEvent, Authenticator]
)
def test_changelist_with_search_loads(operator_client, owner, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    assert operator_client.get(url).status_code == 200
    assert operator_client.get(url, {"q": "acme"}).status_code == 200


def test_workspace_search_finds_by_name(operator_client, owner, other_workspace):
    response = operator_client.get(
        reverse("admin:accounts_workspace_changelist"), {"q": "Marketing"}
    )

    assert list(response.context["cl"].result_list) == [owner.workspace]


def test_secrets_are_not_displayed(operator_client, owner):
    secret = generate_totp_secret()
    authenticator = TOTP.activate(owner.user, secret).instance
    invitation = services.invite_member(actor=owner, email="new@example.com", role=Role.VIEWER)
    stored_secret = Authenticator.objects.get(pk=authenticator.pk).data["secret"]

    pages = [
        operator_client.get(reverse("admin:mfa_authenticator_change", args=[authenticator.pk])),
        operator_client.get(reverse("admin:accounts_invitation_change", args=[invitation.pk])),
        operator_client.get(reverse("admin:accounts_user_change", args=[owner.user.pk])),
    ]

    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200
        assert secret not in body
        assert stored_secret not in body
        assert invitation.token_hash not in body
        assert owner.user.password not in body


def test_audit_events_are_read_only(operator_client, owner):
    event = AuditEvent.objects.create(workspace=owner.workspace, action="x.y")

    response = operator_client.post(
        reverse("admin:accounts_auditevent_change", args=[event.pk]), {"action": "forged"}
    )

    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y"


# --- signing in to the admin -----------------------------------------------------------------


@pytest.fixture
def staff_with_totp(db):
    staff = User.objects.create_user(
        "staff@example.com", "staff-password-123", is_staff=True, is_superuser=True
    )
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    return staff, secret


def _totp_code(secret):
    counter = next(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counter))


def test_admin_never_takes_a_password_alone(staff_with_totp):
    client = Client()

    page = client.get("/admin/login/?next=/admin/")
    posted = client.post(
        "/admin/login/?next=/admin/",
        {"username": "staff@example.com", "password": "staff-password-123"},
    )

    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/?next=")
    assert posted.status_code == 302
    assert posted["Location"].startswith("/accounts/login/")
    assert client.get("/admin/").status_code == 302  # still signed out


def test_staff_sign_in_to_the_admin_through_the_two_factor_step(staff_with_totp):
    staff, secret = staff_with_totp
    client = Client()
    start = client.get("/admin/login/?next=/admin/")

    password_step = client.post(
        start["Location"], {"login": staff.email, "password": "staff-password-123"}
    )

    assert password_step.status_code == 302
    assert password_step["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # a password is not enough

    code_step = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret)})
    assert code_step.status_code == 302
    admin_index = client.get(client.get(code_step["Location"])["Location"])
    assert admin_index.status_code == 200
    assert admin_index.context["user"] == staff


def test_admin_sign_in_locks_out_after_repeated_wrong_passwords(staff_with_totp):
    staff, _secret = staff_with_totp
    client = Client()
    login = "/accounts/login/?next=/admin/"

    for _ in range(30):
        client.post(login, {"login": staff.email, "password": "wrong-password"})
    right = client.post(login, {"login": staff.email, "password": "staff-password-123"})

    assert right.status_code in (200, 429)  # refused: the form again, or "too many attempts"
    assert right.get("Location") != reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302


def test_a_signed_in_member_who_is_not_staff_is_refused(owner):
    assert client_for(owner).get("/admin/login/").status_code == 403
