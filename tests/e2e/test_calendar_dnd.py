"""Rescheduling in the calendar's week view: drag a scheduled post to another day and hour (the
change persists), then move it again with the keyboard-accessible "Move" form.

Times are the workspace's (Europe/Berlin); every page visited passes axe-core.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from publishing.models import Publication
from tests.e2e.test_accessibility import AXE, axe_violations
from tests.e2e.tour import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")


def _next_week(weekday: int, hour: int, minute: int = 0) -> datetime:
    today = timezone.now().astimezone(BERLIN).date()
    day = today - timedelta(days=today.weekday()) + timedelta(days=7 + weekday)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def test_drag_a_scheduled_post_to_another_day_and_hour(
    page: Page, live_server, owner, csp_violations
):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci)")
    start = _next_week(2, 9, 30)  # Wednesday 09:30
    publication = Publication.objects.create(
        workspace=owner.workspace,
        created_by=owner.user,
        title="Story drop",
        target="fb_post",
        status=Publication.Status.SCHEDULED,
        scheduled_at=start.astimezone(UTC),
        next_attempt_at=start.astimezone(UTC),
    )
    sign_in(page, live_server.url, owner)
    # The whole week fits the window: Playwright's drag scrolls between press and move, which
    # ends a native drag before it starts (a person's drag auto-scrolls instead).
    page.set_viewport_size({"width": 1280, "height": 2200})

    # From the month view, the toggle opens the week; next week holds the post.
    page.goto(f"{live_server.url}/w/acme/publish/calendar/")
    page.get_by_test_id("view-week").click()
    page.get_by_test_id("next-week").click()
    item = page.get_by_test_id(f"cal-item-{publication.pk}")
    expect(page.get_by_test_id(f"slot-{start:%Y-%m-%d}-09")).to_contain_text("09:30 Story drop")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []

    # Drag it to Friday 14:00: it keeps its minutes, and the page reloads with it there.
    friday = _next_week(4, 14, 30)
    item.drag_to(page.get_by_test_id(f"slot-{friday:%Y-%m-%d}-14"))
    expect(page.get_by_text("Rescheduled.")).to_be_visible()
    expect(page.get_by_test_id(f"slot-{friday:%Y-%m-%d}-14")).to_contain_text("14:30 Story drop")
    publication.refresh_from_db()
    assert publication.scheduled_at == friday.astimezone(UTC)

    # It persists: a fresh load shows it on Friday and nothing left on Wednesday.
    page.reload()
    expect(page.get_by_test_id(f"slot-{start:%Y-%m-%d}-09")).not_to_contain_text("Story drop")
    expect(page.get_by_test_id(f"slot-{friday:%Y-%m-%d}-14")).to_contain_text("Story drop")

    # The keyboard way: the "Move" button opens a date and time field.
    monday = _next_week(0, 8, 15)
    move = page.get_by_test_id(f"move-{publication.pk}")
    move.locator("summary").focus()
    page.keyboard.press("Enter")
    field = move.get_by_label("New time (Europe/Berlin)")
    field.fill(f"{monday:%Y-%m-%dT%H:%M}")
    field.press("Enter")
    expect(page.get_by_test_id(f"slot-{monday:%Y-%m-%d}-08")).to_contain_text("08:15 Story drop")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
    publication.refresh_from_db()
    assert publication.scheduled_at == monday.astimezone(UTC)
    assert csp_violations == []
