import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, Invitation, Membership, User, Workspace
from accounts.permissions import Role


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
