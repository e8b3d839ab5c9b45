"""Who hears about a publication's approval and outcome, in the app and by email.

Called from the transition points in ``publishing.services``: submitted (to those who may
approve it), sent back (to its author, with the reviewer's note), approved (to its author),
published (to its author, with the link) and failed (to its author and those who may approve,
with the reason). Nobody is told about their own action.

The in-app rows are written in the caller's transaction (``accounts.services.notify_workspace``),
so a change that rolls back tells nobody. Each email leaves from its own Celery task, queued
after commit (``accounts.email_notification``), never from the request; a mail failure is
logged and the change and the in-app notification stand.
"""

from collections.abc import Iterable

from django.urls import reverse

from accounts import services as account_services
from accounts.models import Membership
from publishing import selectors
from publishing.models import Publication

APPROVE = "publish.approve"


def _notify(
    publication: Publication, *, kind: str, title: str, body: str, user_ids: Iterable[int]
) -> list[int]:
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = account_services.notify_workspace(
        publication.workspace,
        kind=kind,
        title=title,
        body=body,
        link=reverse("publishing:detail", args=[publication.workspace.slug, publication.pk]),
        user_ids=ids,
    )
    return [row.pk for row in rows]


def _author(publication: Publication, *, besides: Membership | None = None) -> list[int]:
    author = publication.created_by_id
    if author is None or (besides is not None and author == besides.user_id):
        return []
    return [author]


def publication_submitted(publication: Publication, *, actor: Membership) -> list[int]:
    """Tell those who may approve that ``publication`` waits for them."""
    approvers = selectors.list_member_user_ids(publication.workspace, action=APPROVE)
    return _notify(
        publication,
        kind="publishing.submitted",
        title=f"“{publication.title}” is waiting for your approval",
        body=f"{actor.user.display_name} submitted it for approval. Open it to approve it "
        "or send it back with a note.",
        user_ids=[pk for pk in approvers if pk != actor.user_id],
    )


def publication_reviewed(
    publication: Publication, *, actor: Membership, approve: bool
) -> list[int]:
    """Tell the author it was approved, or sent back with the reviewer's note."""
    note = publication.approval_comment
    if approve:
        title = f"“{publication.title}” was approved"
        body = f"{actor.user.display_name} approved it; you can publish or schedule it now."
        body += f"\nTheir note: {note}" if note else ""
    else:
        title = f"“{publication.title}” was sent back"
        body = f"{actor.user.display_name} asked for changes: {note}"
    return _notify(
        publication,
        kind="publishing.approved" if approve else "publishing.sent_back",
        title=title,
        body=body,
        user_ids=_author(publication, besides=actor),
    )


def publication_published(publication: Publication) -> list[int]:
    """Tell the author it went out, with the link to it."""
    where = publication.get_target_display()
    link = publication.permalink or publication.remote_id
    return _notify(
        publication,
        kind="publishing.published",
        title=f"“{publication.title}” is published",
        body=f"It went out as a {where}." + (f"\nSee it: {link}" if link else ""),
        user_ids=_author(publication),
    )


def publication_failed(publication: Publication, *, reason: str) -> list[int]:
    """Tell the author and those who may approve that it failed, and why."""
    approvers = selectors.list_member_user_ids(publication.workspace, action=APPROVE)
    return _notify(
        publication,
        kind="publishing.failed",
        title=f"“{publication.title}” could not be published",
        body=f"{reason}\nOpen it to see what happened and retry.",
        user_ids=[*_author(publication), *approvers],
    )
