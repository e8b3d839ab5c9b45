"""Query counts of the busiest pages, pinned and independent of the number of members."""

import pytest
from django.urls import reverse

from accounts.permissions import Role
from tests.conftest import client_for
from tests.factories import MembershipFactory

# Both: session, user, membership with workspace, the switcher's memberships, the bell's
# unread notification count, the sidebar's "Waiting for you" count, and (for admins) Meta
# connections needing attention.
# Dashboard adds: member count, pending invitation count, member preview, recent activity, and
# publishing's panels (next steps, waiting, scheduled next, failed, recent results).
DASHBOARD_QUERIES = 16
# Members adds: member count (pagination), one page of members with users, invitations.
MEMBERS_QUERIES = 10


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [("accounts:dashboard", DASHBOARD_QUERIES), ("accounts:members", MEMBERS_QUERIES)],
)
def test_query_count_does_not_grow_with_members(
    owner, url_name, expected, django_assert_num_queries
):
    client = client_for(owner)
    url = reverse(url_name, args=["acme"])
    client.get(url)  # warm the session

    with django_assert_num_queries(expected):
        client.get(url)
    MembershipFactory.create_batch(199, workspace=owner.workspace, role=Role.EDITOR)
    with django_assert_num_queries(expected):
        response = client.get(url)

    assert response.status_code == 200
