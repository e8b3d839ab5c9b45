import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.errors import WorkspaceError
from accounts.models import Invitation, Membership
from accounts.permissions import Role
from tests.conftest import client_for
from tests.factories import UserFactory

LINK = re.compile(r"http://[^\s]+/invitations/([A-Za-z0-9_-]+)/")


def invite(actor, email="new.hire@example.com", role=Role.EDITOR, *, capture):
    with capture(execute=True):
        invitation = services.invite_member(actor=actor, email=email, role=role)
    token = LINK.search(mail.outbox[-1].body).group(1)
    return invitation, token


def test_invitation_emails_a_link_and_stores_only_a_hash(owner, django_capture_on_commit_callbacks):
    invitation, token = invite(
        owner, "New.Hire@Example.com", capture=django_capture_on_commit_callbacks
    )

    assert invitation.email == "new.hire@example.com"
    assert mail.outbox[-1].to == ["new.hire@example.com"]
    assert "Acme Marketing" in mail.outbox[-1].subject
    assert token not in invitation.token_hash
    assert invitation.token_hash == services.hash_invitation_token(token)


def test_email_is_sent_only_after_commit(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invite_member(actor=owner, email="x@example.com", role=Role.VIEWER)

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_inviting_an_existing_member_is_refused(owner, editor):
    with pytest.raises(WorkspaceError, match="already a member"):
        services.invite_member(actor=owner, email=editor.user.email.upper(), role=Role.VIEWER)

    assert Invitation.objects.count() == 0


def test_second_pending_invitation_is_refused(owner, django_capture_on_commit_callbacks):
    invite(owner, capture=django_capture_on_commit_callbacks)

    with pytest.raises(WorkspaceError, match="already has a pending invitation"):
        services.invite_member(actor=owner, email="new.hire@example.com", role=Role.VIEWER)

    assert Invitation.objects.count() == 1


def test_admin_cannot_invite_an_owner(admin):
    with pytest.raises(WorkspaceError, match="can't grant the Owner role"):
        services.invite_member(actor=admin, email="boss@example.com", role=Role.OWNER)

    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    ("email", "message"),
    [
        pytest.param("not-an-email", "Enter a valid email address", id="malformed"),
        pytest.param("a@b@example.com", "Enter a valid email address", id="two-ats"),
        pytest.param("x" * 250 + "@example.com", "at most 254 characters", id="too-long"),
    ],
)
def test_invite_view_rejects_bad_email_with_422(owner, email, message):
    response = client_for(owner).post(
        reverse("accounts:member_invite", args=["acme"]), {"email": email, "role": "editor"}
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Invitation.objects.count() == 0


def test_invite_view_for_existing_member_says_so(owner, editor):
    response = client_for(owner).post(
        reverse("accounts:member_invite", args=["acme"]),
        {"email": editor.user.email, "role": "viewer"},
    )

    assert response.status_code == 422
    assert (
        f"{editor.user.email} is already a member of this workspace." in response.content.decode()
    )


def test_existing_user_accepts(owner, django_capture_on_commit_callbacks):
    user = UserFactory(email="new.hire@example.com")
    _, token = invite(owner, capture=django_capture_on_commit_callbacks)
    client = client_for(Membership(user=user))
    url = reverse("accounts:invitation", args=[token])

    page = client.get(url)
    response = client.post(url)

    assert 'data-testid="accept-invitation"' in page.content.decode()
    assert response["Location"] == reverse("accounts:dashboard", args=["acme"])
    membership = Membership.objects.get(user=user)
    assert (membership.workspace, membership.role) == (owner.workspace, Role.EDITOR)
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.accepted_by) == (Invitation.Status.ACCEPTED, user)


def test_used_invitation_is_gone(owner, django_capture_on_commit_callbacks):
    user = UserFactory(email="new.hire@example.com")
    _, token = invite(owner, capture=django_capture_on_commit_callbacks)
    client = client_for(Membership(user=user))
    client.post(reverse("accounts:invitation", args=[token]))

    response = client.post(reverse("accounts:invitation", args=[token]))

    assert response.status_code == 410
    assert "already been accepted" in response.content.decode()
    assert Membership.objects.filter(user=user).count() == 1


def test_wrong_account_cannot_accept(owner, outsider, django_capture_on_commit_callbacks):
    _, token = invite(owner, capture=django_capture_on_commit_callbacks)

    response = client_for(outsider).post(reverse("accounts:invitation", args=[token]))

    assert response.status_code == 403
    assert "This invitation was sent to new.hire@example.com" in response.content.decode()
    assert not Membership.objects.filter(user=outsider.user, workspace=owner.workspace).exists()
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_new_user_signs_up_from_the_invitation_without_a_second_email(
    owner, django_capture_on_commit_callbacks
):
    _, token = invite(owner, capture=django_capture_on_commit_callbacks)
    sent_before = len(mail.outbox)
    client = Client()
    invitation_url = reverse("accounts:invitation", args=[token])
    page = client.get(invitation_url)
    assert 'data-testid="signup-to-accept"' in page.content.decode()

    response = client.post(
        f"{reverse('account_signup')}?next={invitation_url}",
        {
            "email": "new.hire@example.com",
            "password1": "a-Long-unique-pass-91",
            "password2": "a-Long-unique-pass-91",
            "contact_name": "Nina Newhire",
            "old_enough": "on",
        },
    )
    accepted = client.post(invitation_url)

    assert response.status_code == 302
    assert response["Location"] == invitation_url
    assert len(mail.outbox) == sent_before  # the invitation link already proved the address
    assert accepted["Location"] == reverse("accounts:dashboard", args=["acme"])
    member = Membership.objects.select_related("user").get(user__email="new.hire@example.com")
    assert (member.role, member.user.contact_name) == (Role.EDITOR, "Nina Newhire")


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        pytest.param(
            {"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "expired", id="expired"
        ),
        pytest.param({"status": "revoked"}, 410, "withdrawn", id="revoked"),
    ],
)
def test_unusable_invitations_explain_themselves(
    owner, django_capture_on_commit_callbacks, change, status, message
):
    invitation, token = invite(owner, capture=django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    user = UserFactory(email="new.hire@example.com")

    response = client_for(Membership(user=user)).post(reverse("accounts:invitation", args=[token]))

    assert response.status_code == status
    assert message in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.parametrize("token", ["forged-token", "x" * 300, "%00"])
def test_forged_token_is_404(db, token):
    response = Client().get(f"/invitations/{token}/")

    assert response.status_code == 404
    assert "The link is not valid" in response.content.decode()


def test_resend_rotates_the_link(owner, django_capture_on_commit_callbacks):
    invitation, old_token = invite(owner, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_invitation(actor=owner, invitation=invitation)
    new_token = LINK.search(mail.outbox[-1].body).group(1)

    assert new_token != old_token
    assert Client().get(reverse("accounts:invitation", args=[old_token])).status_code == 404
    assert Client().get(reverse("accounts:invitation", args=[new_token])).status_code == 200
    assert Invitation.objects.get().send_count == 2


def test_revoke(owner, django_capture_on_commit_callbacks):
    invitation, token = invite(owner, capture=django_capture_on_commit_callbacks)

    client_for(owner).post(reverse("accounts:invitation_revoke", args=["acme", invitation.pk]))

    assert Invitation.objects.get().status == Invitation.Status.REVOKED
    assert Client().get(reverse("accounts:invitation", args=[token])).status_code == 410


def test_expire_invitations_marks_only_past_ones(owner, django_capture_on_commit_callbacks):
    old, _ = invite(owner, "old@example.com", capture=django_capture_on_commit_callbacks)
    invite(owner, "fresh@example.com", capture=django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert services.expire_invitations() == 1

    statuses = dict(Invitation.objects.values_list("email", "status"))
    assert statuses == {"old@example.com": "expired", "fresh@example.com": "pending"}
