"""Meta's messaging windows (inbox/windows.py): pure rules, checked at their edges."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.windows import (
    ReplyRefused,
    WindowState,
    dm_window,
    private_reply_window,
    when,
)

WROTE = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # a Monday
BERLIN = ZoneInfo("Europe/Berlin")


def at(**delta: float) -> datetime:
    return WROTE + timedelta(**delta)


def test_within_24_hours_anyone_replies_with_a_standard_message() -> None:
    window = dm_window(last_customer_message_at=WROTE, now=at(hours=23, minutes=59))
    assert window.state is WindowState.OPEN
    assert window.until == at(hours=24)
    assert window.send_as(written_by_person=False).as_params() == {"messaging_type": "RESPONSE"}
    # Inside the 24 hours even a person's reply is a standard one: the tag is not for this.
    assert window.send_as(written_by_person=True).as_params() == {"messaging_type": "RESPONSE"}


def test_after_24_hours_only_a_person_replies_with_the_human_agent_tag() -> None:
    window = dm_window(last_customer_message_at=WROTE, now=at(hours=24))
    assert window.state is WindowState.HUMAN_AGENT
    assert window.until == at(days=7)
    assert window.send_as(written_by_person=True).as_params() == {
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
    }
    with pytest.raises(ReplyRefused, match="only a reply a person writes"):
        window.send_as(written_by_person=False)


def test_after_7_days_the_window_is_closed_and_says_since_when() -> None:
    window = dm_window(last_customer_message_at=WROTE, now=at(days=7))
    assert window.state is WindowState.CLOSED
    assert window.closed_since == at(days=7)
    with pytest.raises(ReplyRefused, match="more than 7 days old"):
        window.send_as(written_by_person=True)


def test_without_the_human_agent_feature_the_window_closes_at_24_hours() -> None:
    window = dm_window(last_customer_message_at=WROTE, now=at(hours=25), human_agent_enabled=False)
    assert window.state is WindowState.CLOSED
    assert window.closed_since == at(hours=24)


def test_a_conversation_from_an_ad_is_open_for_7_days() -> None:
    window = dm_window(last_customer_message_at=WROTE, now=at(days=6), opened_by_ad=True)
    assert window.state is WindowState.OPEN
    assert window.until == at(days=7)
    assert (
        dm_window(last_customer_message_at=WROTE, now=at(days=7), opened_by_ad=True).state
        is WindowState.CLOSED
    )


def test_a_customer_who_never_wrote_cannot_be_messaged() -> None:
    window = dm_window(last_customer_message_at=None, now=WROTE)
    assert window.state is WindowState.CLOSED
    with pytest.raises(ReplyRefused, match="has not written yet"):
        window.send_as(written_by_person=True)
    assert window.describe(BERLIN) == "Closed: the customer has not written yet."


def test_describe_speaks_in_the_workspace_time_zone() -> None:
    now = at(hours=1)
    open_window = dm_window(last_customer_message_at=WROTE, now=now)
    # 12:00 UTC on Tuesday is 13:00 in Berlin (winter time), one day after "now".
    assert open_window.describe(BERLIN, now=now) == "You can reply until Tuesday 13:00."
    agent = dm_window(last_customer_message_at=WROTE, now=at(days=2))
    assert agent.describe(BERLIN, now=at(days=2)) == "Only a person can reply, until Monday 13:00."
    closed = dm_window(last_customer_message_at=WROTE, now=at(days=30))
    assert closed.describe(BERLIN, now=at(days=30)) == (
        "Closed since 8 March 2027 13:00: you can reply when the customer writes again."
    )


def test_when_uses_the_time_alone_for_today() -> None:
    assert when(at(hours=2), BERLIN, now=at(hours=1)) == "15:00"
    assert when(None) == ""


def test_a_private_reply_is_one_message_within_7_days_of_the_comment() -> None:
    fresh = private_reply_window(comment_created_at=WROTE, already_sent=False, now=at(days=6))
    assert fresh.available
    fresh.check()
    assert fresh.describe(BERLIN, now=at(days=6)) == "You can reply privately until Monday 13:00."

    old = private_reply_window(comment_created_at=WROTE, already_sent=False, now=at(days=7))
    assert not old.available
    with pytest.raises(ReplyRefused, match="more than 7 days old"):
        old.check()

    used = private_reply_window(comment_created_at=WROTE, already_sent=True, now=at(hours=1))
    assert not used.available
    with pytest.raises(ReplyRefused, match="only one"):
        used.check()
    assert used.describe() == "Private reply sent."
