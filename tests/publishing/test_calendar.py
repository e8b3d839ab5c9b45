"""The publishing calendar's week view, and rescheduling from the calendar (drag or "Move").

The workspace is in Europe/Berlin (the factory's zone): days, hours and the times typed or
dropped are Berlin's; the database keeps UTC.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from publishing.models import Publication
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
CALENDAR = "/w/acme/publish/calendar/"


def _scheduled(membership, when, title="Story drop", **fields):
    return Publication.objects.create(
        workspace=membership.workspace,
        created_by=membership.user,
        title=title,
        target="fb_post",
        status=fields.pop("status", "scheduled"),
        scheduled_at=when,
        next_attempt_at=when,
        **fields,
    )


def _next_week_at(hour, minute=0, *, weekday=2):
    """Return a Berlin time next week (Wednesday by default) at ``hour:minute``."""
    today = timezone.now().astimezone(BERLIN).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    day = monday + timedelta(days=weekday)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def _week(client, day):
    return client.get(reverse("publishing:calendar", args=["acme"]), {"view": "week", "week": day})


# --- the week view -------------------------------------------------------------------------------


def test_week_view_places_items_in_their_local_day_and_hour(owner):
    when = _next_week_at(9, 30)
    publication = _scheduled(owner, when.astimezone(UTC))
    published = _scheduled(
        owner,
        None,
        title="Already out",
        status="published",
        published_at=_next_week_at(23, 15, weekday=6).astimezone(UTC),
    )

    response = _week(client_for(owner), f"{when:%Y-%m-%d}")

    html = response.content.decode()
    week = response.context["week"]
    assert response.status_code == 200
    assert week.start == when.date() - timedelta(days=2)  # the Monday
    assert sorted(week.items) == [
        (when.date(), 9),
        (when.date() + timedelta(days=4), 23),
    ]
    slot = html.split(f'data-testid="slot-{when:%Y-%m-%d}-09"', 1)[1].split("</td>", 1)[0]
    assert f'data-testid="cal-item-{publication.pk}"' in slot
    assert '<span class="pub-cal-time">09:30</span> Story drop' in slot
    sunday_slot = html.split(f'data-testid="slot-{when.date() + timedelta(days=4):%Y-%m-%d}-23"')[1]
    assert f'data-testid="cal-item-{published.pk}"' in sunday_slot.split("</td>", 1)[0]


def test_week_view_has_previous_and_next_weeks_and_a_month_toggle(owner):
    when = _next_week_at(9)
    monday = when.date() - timedelta(days=2)

    html = _week(client_for(owner), f"{when:%Y-%m-%d}").content.decode()

    assert f'href="?view=week&amp;week={monday - timedelta(days=7):%Y-%m-%d}"' in html
    assert f'href="?view=week&amp;week={monday + timedelta(days=7):%Y-%m-%d}"' in html
    assert f'href="?month={monday:%Y-%m}" data-testid="view-month"' in html
    assert 'data-testid="calendar-week"' in html
    assert '<script src="/static/js/calendar.js" defer></script>' in html


def test_month_view_stays_the_default_with_a_week_toggle(owner):
    response = client_for(owner).get(reverse("publishing:calendar", args=["acme"]))

    html = response.content.decode()
    assert response.context["view"] == "month"
    assert 'data-testid="calendar-month"' in html
    assert 'data-testid="view-week"' in html


@pytest.mark.parametrize("week", ["2026-13-40", "next week", "<script>", ""])
def test_a_bad_week_falls_back_to_this_week(owner, week):
    response = _week(client_for(owner), week)

    today = timezone.now().astimezone(BERLIN).date()
    assert response.status_code == 200
    assert response.context["view"] == ("week" if week == "" else "month")
    if week == "":
        assert response.context["week"].start == today - timedelta(days=today.weekday())


def test_only_scheduled_items_can_be_moved_and_only_by_editors(owner, viewer):
    when = _next_week_at(10)
    scheduled = _scheduled(owner, when.astimezone(UTC))
    published = _scheduled(
        owner, None, title="Out", status="published", published_at=when.astimezone(UTC)
    )

    html = _week(client_for(owner), f"{when:%Y-%m-%d}").content.decode()
    viewer_html = _week(client_for(viewer), f"{when:%Y-%m-%d}").content.decode()

    assert f'data-testid="move-form-{scheduled.pk}"' in html
    assert f'data-reschedule="/w/acme/publish/{scheduled.pk}/reschedule/"' in html
    assert f'data-testid="move-form-{published.pk}"' not in html
    assert 'draggable="true"' not in viewer_html
    assert "move-form-" not in viewer_html


# --- rescheduling from the calendar --------------------------------------------------------------


def _move(client, publication, when, *, next_url=None, slug="acme"):
    data = {"when": when}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("publishing:reschedule", args=[slug, publication.pk]), data)


def test_moving_reschedules_in_the_workspace_zone_and_returns_to_the_calendar(owner):
    publication = _scheduled(owner, _next_week_at(9).astimezone(UTC))
    back = f"{CALENDAR}?view=week&week={_next_week_at(9):%Y-%m-%d}"
    target = _next_week_at(14, 30, weekday=4)

    response = _move(client_for(owner), publication, f"{target:%Y-%m-%dT%H:%M}", next_url=back)

    publication.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == back
    assert publication.scheduled_at == target.astimezone(UTC)
    assert publication.next_attempt_at == target.astimezone(UTC)
    assert publication.status == "scheduled"


@pytest.mark.parametrize(
    ("_case", "when", "message"),
    [
        ("past", "2020-01-01T09:00", "Pick a time in the future."),
        ("bad format", "tomorrow at nine", "Enter a valid date/time."),
        ("empty", "", "This field is required."),
        ("too far", "2099-01-01T09:00", "Meta schedules at most 75 days ahead."),
    ],
)
def test_hostile_times_are_422_and_change_nothing(owner, _case, when, message):
    original = _next_week_at(9).astimezone(UTC)
    publication = _scheduled(owner, original)

    response = _move(client_for(owner), publication, when, next_url=CALENDAR)

    publication.refresh_from_db()
    assert response.status_code == 422
    assert message in response.content.decode()
    assert publication.scheduled_at == original


def test_only_a_scheduled_publication_moves(owner):
    draft = _scheduled(owner, None, status="draft")

    response = _move(client_for(owner), draft, f"{_next_week_at(9):%Y-%m-%dT%H:%M}")

    draft.refresh_from_db()
    assert response.status_code == 422
    assert response.context["action_error"] == "Only a scheduled publication can be rescheduled."
    assert draft.scheduled_at is None


@pytest.mark.parametrize("_case", ["outsider", "foreign pk", "missing"])
def test_another_workspaces_publication_is_404_and_unchanged(cast, _case):
    original = _next_week_at(9).astimezone(UTC)
    ours = _scheduled(cast["owner"], original)
    theirs = _scheduled(cast["outsider"], original, title="Rival drop")
    client, publication = {
        "outsider": (client_for(cast["outsider"]), ours),
        "foreign pk": (client_for(cast["owner"]), theirs),
        "missing": (client_for(cast["owner"]), Publication(pk=2**31 - 1)),
    }[_case]

    response = _move(client, publication, f"{_next_week_at(15):%Y-%m-%dT%H:%M}")

    assert response.status_code == 404
    assert [p.scheduled_at for p in Publication.objects.order_by("pk")] == [original, original]


def test_a_viewer_cannot_move(viewer, owner):
    original = _next_week_at(9).astimezone(UTC)
    publication = _scheduled(owner, original)

    response = _move(client_for(viewer), publication, f"{_next_week_at(15):%Y-%m-%dT%H:%M}")

    publication.refresh_from_db()
    assert response.status_code == 403
    assert publication.scheduled_at == original


@pytest.mark.parametrize(
    "next_url", ["https://evil.example.com/", "//evil.example.com/", "/w/rival/publish/calendar/"]
)
def test_next_only_returns_to_this_workspaces_calendar(owner, next_url):
    publication = _scheduled(owner, _next_week_at(9).astimezone(UTC))

    response = _move(
        client_for(owner), publication, f"{_next_week_at(15):%Y-%m-%dT%H:%M}", next_url=next_url
    )

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/publish/{publication.pk}/"
