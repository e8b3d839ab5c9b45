import pytest
from django.urls import reverse

from accounts import services
from accounts.errors import WorkspaceError
from accounts.models import AuditEvent, Membership
from accounts.permissions import Role
from tests.conftest import client_for
from tests.factories import MembershipFactory


def roles(workspace):
    return dict(Membership.objects.filter(workspace=workspace).values_list("user__email", "role"))


def test_owner_can_make_someone_an_owner(owner, editor):
    services.change_member_role(actor=owner, member=editor, role=Role.OWNER)

    assert roles(owner.workspace)[editor.user.email] == Role.OWNER
    event = AuditEvent.objects.get(action="member.role_changed")
    assert event.metadata == {"from": "editor", "to": "owner", "email": editor.user.email}


def test_admin_cannot_grant_owner(admin, editor):
    before = roles(admin.workspace)

    with pytest.raises(WorkspaceError, match="Only an owner can grant the owner role"):
        services.change_member_role(actor=admin, member=editor, role=Role.OWNER)

    assert roles(admin.workspace) == before


def test_admin_cannot_demote_an_owner(owner, admin):
    with pytest.raises(WorkspaceError, match="Only an owner"):
        services.change_member_role(actor=admin, member=owner, role=Role.VIEWER)

    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_last_owner_cannot_be_demoted(owner):
    with pytest.raises(WorkspaceError, match="only owner"):
        services.change_member_role(actor=owner, member=owner, role=Role.ADMIN)

    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_one_of_two_owners_can_step_down(owner, editor):
    services.change_member_role(actor=owner, member=editor, role=Role.OWNER)

    services.change_member_role(actor=owner, member=owner, role=Role.ADMIN)

    assert roles(owner.workspace)[owner.user.email] == Role.ADMIN


def test_remove_member(admin, editor):
    services.remove_member(actor=admin, member=editor)

    assert not Membership.objects.filter(pk=editor.pk).exists()
    assert AuditEvent.objects.get(action="member.removed").metadata["email"] == editor.user.email


def test_admin_cannot_remove_owner(owner, admin):
    with pytest.raises(WorkspaceError, match="Only an owner can remove an owner"):
        services.remove_member(actor=admin, member=owner)

    assert Membership.objects.filter(pk=owner.pk).exists()


def test_last_owner_cannot_leave(owner, editor):
    with pytest.raises(WorkspaceError, match="Transfer ownership"):
        services.leave_workspace(membership=owner)

    assert Membership.objects.filter(pk=owner.pk).exists()


def test_member_can_leave(editor):
    services.leave_workspace(membership=editor)

    assert not Membership.objects.filter(pk=editor.pk).exists()


def test_transfer_ownership_swaps_roles(owner, editor):
    services.transfer_ownership(actor=owner, new_owner=editor)

    assert roles(owner.workspace) == {owner.user.email: Role.ADMIN, editor.user.email: Role.OWNER}


def test_transfer_view_rejects_member_of_other_workspace(owner, editor, outsider):
    response = client_for(owner).post(
        reverse("accounts:workspace_transfer", args=["acme"]),
        {"new_owner": outsider.pk, "confirm": "on"},
    )

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert Membership.objects.get(pk=outsider.pk).role == Role.OWNER
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_role_view_explains_refusal_with_422(admin, owner):
    response = client_for(admin).post(
        reverse("accounts:member_role", args=["acme", owner.pk]), {"role": "viewer"}
    )

    assert response.status_code == 422
    assert "Only an owner can grant the owner role or change an owner." in response.content.decode()
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_role_view_with_htmx_returns_the_member_list_partial(admin, editor):
    response = client_for(admin).post(
        reverse("accounts:member_role", args=["acme", editor.pk]),
        {"role": "viewer"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="member-list">')
    assert "<html" not in body
    assert Membership.objects.get(pk=editor.pk).role == Role.VIEWER


def test_role_view_rejects_unknown_role(owner, editor):
    response = client_for(owner).post(
        reverse("accounts:member_role", args=["acme", editor.pk]), {"role": "god"}
    )

    assert response.status_code == 422
    assert Membership.objects.get(pk=editor.pk).role == Role.EDITOR


def test_member_of_another_workspace_is_404(owner, outsider):
    response = client_for(owner).post(reverse("accounts:member_remove", args=["acme", outsider.pk]))

    assert response.status_code == 404
    assert Membership.objects.filter(pk=outsider.pk).exists()


def test_members_page_lists_everyone(cast):
    response = client_for(cast["viewer"]).get(reverse("accounts:members", args=["acme"]))

    body = response.content.decode()
    assert response.status_code == 200
    for persona in ("owner", "admin", "editor", "viewer"):
        assert cast[persona].user.email in body
    assert cast["outsider"].user.email not in body
    assert "Invite a teammate" not in body


def test_members_page_is_paginated(owner):
    MembershipFactory.create_batch(59, workspace=owner.workspace, role=Role.VIEWER)
    client = client_for(owner)
    url = reverse("accounts:members", args=["acme"])

    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()

    assert first.count('class="member-row"') == 50
    assert second.count('class="member-row"') == 10
    assert "51\u201360 of 60 members" in second  # en dash, as rendered
    assert client.get(url, {"page": "nonsense"}).status_code == 200
