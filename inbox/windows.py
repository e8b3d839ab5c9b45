"""Meta's messaging windows: when a reply may be sent, as what, and how to say so.

GRAPH_NOTES §9.3 (Meta's messaging policy):

- **Standard window.** A business may answer with standard messages (``messaging_type=RESPONSE``)
  for 24 hours after the person's last message, or another action of theirs that opens it (a
  story mention or a reply to a story is a message too). A conversation that started from a
  click-to-Messenger / click-to-Direct ad gets up to 7 days for the business's answers.
- **Human agent.** After those 24 hours and until 7 days after the person's last message, a
  *person* on the business's side may still answer, with ``messaging_type=MESSAGE_TAG`` and
  ``tag=HUMAN_AGENT``. Never for an automated or AI-sent message, and never inside the 24 hours
  (there a standard message is what is right).
- **Closed** after that: nothing can be sent until the person writes again.
- **Private reply** to a comment (``recipient={"comment_id": …}``): one message per comment,
  within 7 days of the comment.

Pure functions of the thread's times and the sandbox-free clock ``now``: no database, no Graph.
``inbox`` services ask ``dm_window`` / ``private_reply_window`` before sending, and the thread
page shows ``describe()`` so a marketer knows where they stand before typing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

STANDARD_WINDOW = timedelta(hours=24)
AD_REFERRAL_WINDOW = timedelta(days=7)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)

RESPONSE = "RESPONSE"
MESSAGE_TAG = "MESSAGE_TAG"
HUMAN_AGENT = "HUMAN_AGENT"


class WindowState(StrEnum):
    OPEN = "open"  # anyone (and anything) may answer with a standard message
    HUMAN_AGENT = "human_agent"  # only a reply a person wrote, with the HUMAN_AGENT tag
    CLOSED = "closed"  # nothing may be sent until the customer writes again


class ReplyRefused(ValueError):
    """The window does not allow this reply; ``reason`` is for the marketer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SendAs:
    """What the Send API call carries: ``messaging_type`` and, with a tag, the tag."""

    messaging_type: str
    tag: str | None = None

    def as_params(self) -> dict[str, str]:
        params = {"messaging_type": self.messaging_type}
        if self.tag:
            params["tag"] = self.tag
        return params


@dataclass(frozen=True)
class DmWindow:
    state: WindowState
    # OPEN: when standard replies stop; HUMAN_AGENT: when the human-agent tag stops;
    # CLOSED: when the window closed (None when the customer never wrote).
    until: datetime | None
    closed_since: datetime | None = None

    def send_as(self, *, written_by_person: bool) -> SendAs:
        """How a reply goes out now, or ``ReplyRefused`` with a reason a marketer can act on."""
        if self.state is WindowState.OPEN:
            return SendAs(RESPONSE)
        if self.state is WindowState.HUMAN_AGENT:
            if written_by_person:
                return SendAs(MESSAGE_TAG, HUMAN_AGENT)
            raise ReplyRefused(
                _(
                    "More than 24 hours have passed since the customer's last message: only a "
                    "reply a person writes may be sent now, not an automatic one."
                )
            )
        raise ReplyRefused(
            _(
                "The customer's last message is more than 7 days old, so Meta does not allow a "
                "reply. You can answer when they write again."
            )
            if self.closed_since
            else _("The customer has not written yet, so Meta does not allow a message.")
        )

    def describe(self, tz: tzinfo | None = None, *, now: datetime | None = None) -> str:
        """Say where the window stands in plain words, with times in ``tz`` (the workspace's zone)."""
        if self.state is WindowState.OPEN:
            return _("You can reply until %(time)s.") % {"time": when(self.until, tz, now=now)}
        if self.state is WindowState.HUMAN_AGENT:
            return _("Only a person can reply, until %(time)s.") % {
                "time": when(self.until, tz, now=now)
            }
        if self.closed_since:
            return _("Closed since %(time)s: you can reply when the customer writes again.") % {
                "time": when(self.closed_since, tz, now=now)
            }
        return _("Closed: the customer has not written yet.")


def dm_window(
    *,
    last_customer_message_at: datetime | None,
    now: datetime,
    opened_by_ad: bool = False,
    human_agent_enabled: bool = True,
) -> DmWindow:
    """Return the window of a DM thread at ``now``.

    ``last_customer_message_at`` is the person's last message (a story mention or story reply
    counts); ``opened_by_ad`` is a conversation that started from a click-to-Messenger/Direct ad
    and has had no other customer message since; ``human_agent_enabled`` is whether the app has
    Meta's Human Agent feature (without it the window closes at 24 hours).
    """
    if last_customer_message_at is None:
        return DmWindow(WindowState.CLOSED, None)
    standard_end = last_customer_message_at + (
        AD_REFERRAL_WINDOW if opened_by_ad else STANDARD_WINDOW
    )
    if now < standard_end:
        return DmWindow(WindowState.OPEN, standard_end)
    agent_end = last_customer_message_at + HUMAN_AGENT_WINDOW
    if human_agent_enabled and now < agent_end:
        return DmWindow(WindowState.HUMAN_AGENT, agent_end)
    closed_since = max(standard_end, agent_end) if human_agent_enabled else standard_end
    return DmWindow(WindowState.CLOSED, None, closed_since=closed_since)


@dataclass(frozen=True)
class PrivateReplyWindow:
    available: bool
    until: datetime | None
    already_sent: bool = False

    def check(self) -> None:
        if self.already_sent:
            raise ReplyRefused(
                _("A private reply was already sent for this comment; Meta allows only one.")
            )
        if not self.available:
            raise ReplyRefused(
                _("The comment is more than 7 days old, so Meta no longer allows a private reply.")
            )

    def describe(self, tz: tzinfo | None = None, *, now: datetime | None = None) -> str:
        if self.already_sent:
            return _("Private reply sent.")
        if self.available:
            return _("You can reply privately until %(time)s.") % {
                "time": when(self.until, tz, now=now)
            }
        return _("A private reply is no longer possible (the comment is over 7 days old).")


def private_reply_window(
    *, comment_created_at: datetime, already_sent: bool, now: datetime
) -> PrivateReplyWindow:
    until = comment_created_at + PRIVATE_REPLY_WINDOW
    return PrivateReplyWindow(
        available=not already_sent and now < until, until=until, already_sent=already_sent
    )


def when(moment: datetime | None, tz: tzinfo | None = None, *, now: datetime | None = None) -> str:
    """``14:05`` today, ``Tuesday 09:12`` within a week, ``3 March 2027 09:12`` otherwise."""
    if moment is None:
        return ""
    tz = tz or timezone.get_current_timezone()
    local = timezone.localtime(moment, tz)
    today = timezone.localtime(now or timezone.now(), tz).date()
    if local.date() == today:
        return date_format(local, "H:i")
    if abs((local.date() - today).days) < 7:
        return date_format(local, "l H:i")
    return date_format(local, "j F Y H:i")
