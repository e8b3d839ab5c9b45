"""Query counts of the busiest pages, pinned and independent of the number of members."""

import pytest
from django.urls import reverse

from accounts.permissions import Role
from tests.conftest import client_for
from tests.factories import MembershipFactory

# Both: one query reading the user, their memberships with the workspace (the switcher's),
# the bell's unread count, the sidebar's "Waiting for you" count, (for admins) how many Meta
# connections need attention, and the page's state (prosocial.kept): a page whose body is
# kept stops there. The session comes from Redis (cached_db): no query.
KEPT_QUERIES = 1
# Dashboard adds: member and pending invitation counts (one query), member preview, recent
# activity, and publishing's panels: next steps, and waiting + scheduled next + failed +
# recent results as one UNION ALL.
DASHBOARD_QUERIES = 6
# Members adds: member count (pagination), one page of members with users, invitations.
MEMBERS_QUERIES = 4


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [("accounts:dashboard", DASHBOARD_QUERIES), ("accounts:members", MEMBERS_QUERIES)],
)
def test_query_count_does_not_grow_with_members(
    owner, url_name, expected, django_assert_num_queries
):
    client = client_for(owner)
    url = reverse(url_name, args=["acme"])
    client.get(reverse("accounts:workspace_settings", args=["acme"]))  # warm the session

    with django_assert_num_queries(expected):
        client.get(url)
    with django_assert_num_queries(KEPT_QUERIES):
        client.get(url)
    MembershipFactory.create_batch(199, workspace=owner.workspace, role=Role.EDITOR)
    with django_assert_num_queries(expected):
        response = client.get(url)
    with django_assert_num_queries(KEPT_QUERIES):
        assert client.get(url).status_code == 200

    assert response.status_code == 200
