"""Shared fixtures: the cast of personas (STYLE §3.9) and test-wide hygiene.

``owner``, ``admin``, ``editor`` and ``viewer`` are memberships in ``workspace``;
``outsider`` owns ``other_workspace`` and belongs to nothing else.
"""

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Membership
from accounts.permissions import Role
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~0.3 s per hash; tests don't need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the shared Redis cache; start every test without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme Marketing", slug="acme")


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(name="Rival Co", slug="rival")


def _member(workspace, role, email) -> Membership:
    return MembershipFactory(workspace=workspace, role=role, user=UserFactory(email=email))


@pytest.fixture
def owner(workspace):
    return _member(workspace, Role.OWNER, "olivia.owner@example.com")


@pytest.fixture
def admin(workspace):
    return _member(workspace, Role.ADMIN, "adam.admin@example.com")


@pytest.fixture
def editor(workspace):
    return _member(workspace, Role.EDITOR, "eddie.editor@example.com")


@pytest.fixture
def viewer(workspace):
    return _member(workspace, Role.VIEWER, "vera.viewer@example.com")


@pytest.fixture
def outsider(other_workspace):
    return _member(other_workspace, Role.OWNER, "otto.outsider@example.com")


@pytest.fixture
def cast(owner, admin, editor, viewer, outsider):
    """Every persona, keyed by name (for parametrised tenancy tests)."""
    return {"owner": owner, "admin": admin, "editor": editor, "viewer": viewer, "outsider": outsider}


def client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def admin_client_ws(admin):
    return client_for(admin)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)
