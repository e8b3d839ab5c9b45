"""AI on inbox threads: a summary on demand, and reply drafts for the member who asks.

Both are ``AssistJob`` rows on the one job runner (``ASSIST``, prosocial.jobs). Asking
(``request_summary``, ``request_suggestions``) needs ``inbox.reply``; reading the summary
needs only ``inbox.view``. A request is checked before anything is queued: the workspace's
AI budget (``creatives.studio.generation.check_cost_cap``; the built-in provider is free and
is not held to it), and a thread with something to read. There is one open job per thread
and kind (for suggestions: per member too); asking again while it runs returns it.

The job reads the thread (``thread_text``: its last ``MAX_THREAD_MESSAGES`` messages, oldest
first, customer or business; removed messages and replies that never reached Meta are left
out, hidden comments are marked), calls the workspace's provider and records every call as
an ``AICall`` (operation ``inbox_summary`` / ``inbox_suggestions``, with its cost) through
``generation.record_usage``, with a description of the thread as its prompt, never the
customers' words: those are personal data and are erased with the thread, while AI call
records are kept for the spending history. A summary is written to the thread
(``summary``, ``summary_message_count``, ``summary_updated_at``); suggestions stay in the
job's ``result`` for the member who asked. Nothing here sends anything: a person picks a
draft, edits it and sends it through the reply box.

A provider's refusal (quota, bad key, content policy, an outage that outlasted the provider's
own retries) fails the job with the provider's explanation; asking again starts a new one.

"Refreshed when a long thread grows": a summary covers ``summary_message_count`` messages;
once the thread has ``REFRESH_AFTER_MESSAGES`` more, or ``REFRESH_AFTER_SHARE`` more, the
panel offers to summarise again. Nothing is summarised without a person asking (see
docs/inbox.md, "AI summaries and suggested replies").
"""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Workspace
from creatives.studio import generation
from creatives.studio.ai import base as ai_base
from inbox import tasks
from inbox.errors import InboxError
from inbox.models import AssistJob, Contact, Message, Thread
from prosocial import jobs

logger = logging.getLogger(__name__)

Kind = AssistJob.Kind
Status = AssistJob.Status
OPEN = (Status.QUEUED, Status.RUNNING)
MAX_ATTEMPTS = 3
# What a provider reads: the last 40 messages, each cut at 1,000 characters (a long thread's
# start is in its earlier summary's words, or simply older than what needs an answer).
MAX_THREAD_MESSAGES = 40
MAX_MESSAGE_CHARS = 1000
MAX_SUMMARY_CHARS = 2000
# A summary is offered again once the thread grew by 5 messages or by 30 % since.
REFRESH_AFTER_MESSAGES = 5
REFRESH_AFTER_SHARE = 0.3
# From this many messages the panel suggests a summary (it never asks for one by itself).
LONG_THREAD_MESSAGES = 8
SUGGESTION_COUNT = 3


def _enqueue(job_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.run_assist_job_task.apply_async, (job_id,), countdown=countdown)
    )


ASSIST = jobs.register(
    jobs.JobKind(
        name="inbox assist job",
        model=AssistJob,
        runnable=Q(status__in=OPEN),
        enqueue=_enqueue,
        running_status=Status.RUNNING,
        queued_status=Status.QUEUED,
        done_status=Status.SUCCEEDED,
        failed_status=Status.FAILED,
        failed_message=lambda: _("Failed"),
        max_attempts=MAX_ATTEMPTS,
        exhausted=lambda n: (
            _("The AI request stopped %(n)d times before finishing; ask again.") % {"n": n}
        ),
    )
)


# --- Reading a thread ------------------------------------------------------------------------


def _readable_messages(thread: Thread) -> QuerySet[Message]:
    """Return the thread's messages a provider reads and a summary counts.

    Removed messages are left out (their text is gone); so are replies still sending or
    refused by Meta (the customer never saw them).
    """
    return Message.objects.filter(
        thread_id=thread.pk, workspace_id=thread.workspace_id, is_deleted=False
    ).exclude(
        direction=Message.Direction.OUTBOUND,
        status__in=(Message.SendStatus.SENDING, Message.SendStatus.FAILED),
    )


def count_messages(thread: Thread) -> int:
    """Return how many messages of ``thread`` a summary would cover now."""
    return _readable_messages(thread).count()


def business_name(thread: Thread, workspace: Workspace) -> str:
    """Return what the customer sees the business as: the Page, the Instagram account, else."""
    if thread.page is not None and thread.page.name:
        return thread.page.name
    if thread.instagram_account is not None and thread.instagram_account.username:
        return f"@{thread.instagram_account.username}"
    return workspace.name


def customer_first_name(contact: Contact | None) -> str:
    """Return how a reply greets the customer: their first name, else their username."""
    if contact is None:
        return ""
    if contact.name.strip():
        return contact.name.split()[0]
    return contact.username


def thread_text(thread: Thread) -> tuple[ai_base.ThreadText, int]:
    """Return the thread as providers read it, and how many messages it has in all.

    The last ``MAX_THREAD_MESSAGES`` readable messages, oldest first; a message without text
    or attachments (a reaction's placeholder) is skipped. Customers are named as Meta names
    them; the business by its Page or account name.
    """
    readable = _readable_messages(thread)
    total = readable.count()
    latest = list(readable.order_by("-sent_at", "-id")[:MAX_THREAD_MESSAGES])
    latest.reverse()
    business = business_name(thread, thread.workspace)
    customer = thread.contact.display_name if thread.contact else ""
    lines = []
    for message in latest:
        inbound = message.direction == Message.Direction.INBOUND
        kinds = tuple(
            str(item.get("type") or "file")
            for item in message.attachments
            if isinstance(item, dict)
        )
        if not message.text.strip() and not kinds:
            continue
        lines.append(
            ai_base.ThreadMessage(
                from_customer=inbound,
                author=(message.author_name or customer or _("Customer")) if inbound else business,
                text=message.text[:MAX_MESSAGE_CHARS],
                hidden=message.is_hidden,
                attachments=kinds,
            )
        )
    text = ai_base.ThreadText(
        messages=tuple(lines),
        channel=thread.channel,
        kind=thread.kind,
        post_caption=thread.post_caption,
        omitted=max(0, total - len(latest)),
    )
    return text, total


def is_summary_stale(*, covered: int, current: int) -> bool:
    """Return whether a summary of ``covered`` messages is worth redoing at ``current``.

    It is once the thread grew by ``REFRESH_AFTER_MESSAGES`` messages or by
    ``REFRESH_AFTER_SHARE`` of what the summary covered (a short thread changes with fewer).
    """
    grown = current - covered
    return grown > 0 and (grown >= REFRESH_AFTER_MESSAGES or grown >= REFRESH_AFTER_SHARE * covered)


# --- The panel (what the thread page shows) --------------------------------------------------


@dataclass
class AssistPanel:
    """The thread page's AI panel: the summary and its freshness, the member's drafts."""

    thread: Thread
    message_count: int
    summary_job: AssistJob | None  # the latest summary job when it is open or failed since
    suggestions_job: AssistJob | None  # the member's latest suggestions job
    can_request: bool
    budget_used_up: bool
    budget_message: str = ""
    suggestions: list[str] = field(default_factory=list)

    @property
    def has_summary(self) -> bool:
        return bool(self.thread.summary)

    @property
    def covers(self) -> int:
        return self.thread.summary_message_count

    @property
    def new_since_summary(self) -> int:
        return max(0, self.message_count - self.thread.summary_message_count)

    @property
    def summary_is_stale(self) -> bool:
        return self.has_summary and is_summary_stale(
            covered=self.thread.summary_message_count, current=self.message_count
        )

    @property
    def is_long(self) -> bool:
        return self.message_count >= LONG_THREAD_MESSAGES

    @property
    def summary_running(self) -> bool:
        return self.summary_job is not None and self.summary_job.status in OPEN

    @property
    def suggestions_running(self) -> bool:
        return self.suggestions_job is not None and self.suggestions_job.status in OPEN

    @property
    def is_running(self) -> bool:
        """Whether the panel polls: a job it shows is still queued or running."""
        return self.summary_running or self.suggestions_running

    @property
    def suggestions_count(self) -> int:
        """How many messages the thread had when the drafts were written."""
        if self.suggestions_job is None:
            return 0
        return int(self.suggestions_job.result.get("message_count", 0))


def _budget_refusal(workspace: Workspace) -> str:
    """Return why the workspace can't ask its AI provider now ("" when it can)."""
    if generation.provider_name_for(workspace) == "offline":
        return ""  # the built-in provider is free: no budget to exceed
    if not settings.OPENAI_API_KEY:
        return _("This workspace uses OpenAI, but the server has no OpenAI key (OPENAI_API_KEY).")
    try:
        generation.check_cost_cap(workspace)
    except generation.AICostCapError as exc:
        return exc.message
    return ""


def assist_panel(membership: Membership, thread: Thread) -> AssistPanel:
    """Return the AI panel of ``thread`` as ``membership`` sees it (thread already resolved)."""
    summary_job = AssistJob.objects.filter(
        workspace_id=thread.workspace_id, thread_id=thread.pk, kind=Kind.SUMMARY
    ).first()
    if summary_job is not None and not (
        summary_job.status in OPEN
        or (
            summary_job.status == Status.FAILED
            and (
                thread.summary_updated_at is None
                or summary_job.updated_at > thread.summary_updated_at
            )
        )
    ):
        summary_job = None  # done: the thread holds its summary
    suggestions_job = AssistJob.objects.filter(
        workspace_id=thread.workspace_id,
        thread_id=thread.pk,
        kind=Kind.SUGGESTIONS,
        requested_by_id=membership.user_id,
    ).first()
    can_request = membership.can("inbox.reply")
    refusal = _budget_refusal(membership.workspace) if can_request else ""
    suggestions = []
    if suggestions_job is not None and suggestions_job.status == Status.SUCCEEDED:
        suggestions = [str(s) for s in suggestions_job.result.get("suggestions", [])]
    return AssistPanel(
        thread=thread,
        message_count=count_messages(thread),
        summary_job=summary_job,
        suggestions_job=suggestions_job,
        can_request=can_request,
        budget_used_up=bool(refusal),
        budget_message=refusal,
        suggestions=suggestions,
    )


# --- Asking ------------------------------------------------------------------------------------


def request_summary(*, actor: Membership, thread: Thread) -> AssistJob:
    """Queue a summary of ``thread``; return the job (the one already running, if any).

    Raises ``InboxError`` when the budget is used up, the thread has nothing to read or its
    summary already covers every message; ``PermissionDenied`` without ``inbox.reply``.
    """
    return _request(actor, thread, Kind.SUMMARY)


def request_suggestions(*, actor: Membership, thread: Thread) -> AssistJob:
    """Queue reply drafts for ``actor`` on ``thread``; return the job (the running one, if any).

    Raises ``InboxError`` when the budget is used up or no customer has written anything to
    answer; ``PermissionDenied`` without ``inbox.reply``.
    """
    return _request(actor, thread, Kind.SUGGESTIONS)


@transaction.atomic
def _request(actor: Membership, thread: Thread, kind: str) -> AssistJob:
    if not actor.can("inbox.reply"):
        raise PermissionDenied
    # The thread's row lock makes two clicks (two tabs, two members) one job.
    locked = (
        Thread.objects.select_for_update(no_key=True)
        .filter(pk=thread.pk, workspace_id=actor.workspace_id)
        .first()
    )
    if locked is None:
        raise InboxError(_("This conversation is gone."))
    running = AssistJob.objects.filter(
        workspace_id=actor.workspace_id, thread_id=locked.pk, kind=kind, status__in=OPEN
    )
    if kind == Kind.SUGGESTIONS:
        running = running.filter(requested_by_id=actor.user_id)
    existing = running.first()
    if existing is not None:
        return existing

    refusal = _budget_refusal(actor.workspace)
    if refusal:
        raise InboxError(refusal)
    readable = _readable_messages(locked)
    current = readable.count()
    if kind == Kind.SUMMARY:
        if current == 0:
            raise InboxError(_("There is nothing to summarise yet: the conversation is empty."))
        if locked.summary and locked.summary_message_count == current:
            raise InboxError(
                _("The summary is up to date: it covers all %(n)d messages.") % {"n": current}
            )
    elif not readable.filter(direction=Message.Direction.INBOUND).exists():
        raise InboxError(_("There is no message from the customer to answer yet."))

    job = AssistJob.objects.create(
        workspace_id=actor.workspace_id,
        thread=locked,
        kind=kind,
        requested_by=actor.user,
        message=_("Waiting for a worker…"),
        next_attempt_at=timezone.now(),
    )
    ASSIST.enqueue(job.pk)
    logger.info("assist job %s (%s) queued for thread %s", job.pk, kind, locked.pk)
    return job


# --- Running (the worker) ----------------------------------------------------------------------


def _described(thread: Thread, text: ai_base.ThreadText, kind: str) -> str:
    """Return what an AICall records as its prompt: the request, not the customers' words."""
    return (
        f"{kind} of inbox thread {thread.pk} ({thread.channel} {thread.kind}): "
        f"{len(text.messages)} messages read, {text.omitted} left out"
    )


def run_assist_job(*, job_id: int) -> None:
    """Run one assist job: read the thread, ask the provider, record the call, keep the result.

    A provider's ``AIError`` fails the job with its explanation (the OpenAI provider has already
    retried what a retry can fix); a crash is retried by the runner up to ``MAX_ATTEMPTS``.
    """
    lease = jobs.claim(ASSIST, job_id)
    if lease is None:
        return
    with lease:
        job = AssistJob.objects.select_related(
            "workspace", "thread", "thread__contact", "thread__page", "thread__instagram_account"
        ).get(pk=job_id)
        thread = job.thread
        workspace = job.workspace
        lease.progress(10, _("Reading the conversation…"))
        text, total = thread_text(thread)
        if not text.messages:
            lease.fail(_("The conversation has no messages left to read."))
            return
        summary = job.kind == Kind.SUMMARY
        lease.progress(30, _("Summarising…") if summary else _("Writing reply drafts…"))
        try:
            provider = generation.provider_for(workspace)
            if not provider.free:
                generation.check_cost_cap(workspace)  # it may have run out since the request
            try:
                if summary:
                    written = [provider.summarize_thread(text, language=settings.LANGUAGE_CODE)]
                else:
                    written = provider.suggest_replies(
                        text,
                        customer_name=customer_first_name(thread.contact),
                        business_name=business_name(thread, workspace),
                        website=workspace.website,
                        language=settings.LANGUAGE_CODE,
                        n=SUGGESTION_COUNT,
                    )
            finally:
                generation.record_usage(
                    provider,
                    workspace_id=workspace.pk,
                    prompt=_described(thread, text, job.kind),
                )
        except ai_base.AIError as exc:
            logger.info("assist job %s failed: %r", job_id, exc)
            lease.fail(exc.message, retryable=exc.retryable)
            return
        with lease.owned():
            if summary:
                Thread.objects.filter(pk=thread.pk).update(
                    summary=written[0][:MAX_SUMMARY_CHARS],
                    summary_message_count=total,
                    summary_updated_at=timezone.now(),
                )
                lease.finish(message=_("Summary ready."))
            else:
                lease.finish(
                    message=_("Reply drafts ready."),
                    result={"suggestions": written, "message_count": total},
                )


def sweep_assist_jobs() -> int:
    """Queue assist jobs whose worker died or whose message was lost; return how many."""
    return jobs.sweep(ASSIST)
