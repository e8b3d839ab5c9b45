"""The signed-in user is read with SQL written once per process (``get_user_by_pk``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _fields(user):
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


def test_get_by_pk_gives_what_the_orm_gives(owner):
    User.objects.filter(pk=owner.user_id).update(contact_name="Ann", is_staff=True)

    fast = User.objects.get(pk=owner.user_id)
    orm = User.objects.filter(pk=owner.user_id).get()

    assert _fields(fast) == _fields(orm)
    assert fast._state.adding is False
    assert fast._state.db == "default"
    assert fast.date_joined.tzinfo is not None


def test_an_unknown_or_malformed_pk_is_refused_as_the_orm_refuses_it(owner):
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=10**12)
    with pytest.raises(ValueError, match="expected a number"):
        User.objects.get(pk="abc")


def test_other_lookups_are_the_orms(owner):
    with CaptureQueriesContext(connection) as queries:
        assert User.objects.get(email=owner.user.email) == owner.user

    assert "email" in queries[0]["sql"].split("WHERE", 1)[1]


def test_a_deactivated_or_changed_password_user_is_signed_out(owner):
    """The backends still check ``is_active`` and the session's password hash on this row."""
    client = client_for(owner)
    url = reverse("accounts:dashboard", args=["acme"])
    assert client.get(url).status_code == 200

    user = User.objects.get(pk=owner.user_id)
    user.set_password("a-new-password-1")
    user.save()

    assert client.get(url).status_code == 302  # to the sign-in page
