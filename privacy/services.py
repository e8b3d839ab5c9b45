"""Privacy use-cases: every way of starting an erasure, the erasure job, and the contact form.

A deletion request is a job row: whoever starts it (Meta's callback, a person in ProSocial, an
operator in Django admin, the public deletion request form through ``privacy.self_service``)
records it and returns at once; a worker claims it, erases what it names through
``prosocial.erasure`` (each app declares its own data), stores per-kind counts and clears the
subject, leaving a minimal receipt. There is no other path: Django admin's user and workspace
deletes call ``erase_user_for_operator`` / ``erase_workspace_for_operator`` too.
"""

import hashlib
import hmac
import logging
import re
import secrets
import string
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.audit import record_audit_event
from accounts.models import Membership, User, Workspace
from accounts.permissions import Role, has_permission
from privacy import exports, tasks
from privacy.errors import PrivacyError
from privacy.models import ContactMessage, DataDeletionRequest, RetentionSettings
from prosocial import erasure, jobs

logger = logging.getLogger(__name__)

Status = DataDeletionRequest.Status
Source = DataDeletionRequest.Source
Channel = DataDeletionRequest.Channel
MAX_ERASURE_ATTEMPTS = 5
# After a failed erasure: wait this long before the next try (the last failure is final).
ERASURE_RETRY_SECONDS = 60
CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 20  # ~103 bits: unguessable, yet readable on a status page


def _subject_hash(subject: str) -> str:
    """Return a keyed hash of a subject: matches repeats without keeping the identifier."""
    return hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256).hexdigest()


def user_subject_hash(*, user_id: int, meta_data_only: bool = False) -> str:
    """Return the subject hash of an account's erasure, or of its Meta-connected data's."""
    return _subject_hash(f"user-meta-data:{user_id}" if meta_data_only else f"user:{user_id}")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def record_meta_deletion_request(
    *, meta_user_id: str, channel: str = Channel.META
) -> DataDeletionRequest:
    """Record a deletion request for ``meta_user_id`` (Meta's, by default) and queue the erasure.

    While an earlier request for the same person is still open, that one is returned (same
    confirmation code) instead of a second.
    """
    subject = _subject_hash(f"meta-user:{meta_user_id}")
    open_request = _open_request_for(subject)
    if open_request is not None:
        return open_request
    request = DataDeletionRequest.objects.create(
        confirmation_code=_new_code(),
        source=Source.META_CALLBACK,
        channel=channel,
        subject_hash=subject,
        meta_user_id=meta_user_id,
        next_attempt_at=timezone.now(),
    )
    _queue_erasure(request)
    return request


def _erase_subject(request: DataDeletionRequest) -> dict[str, int]:
    """Erase what the request is about, through the registries; return per-kind counts."""
    if request.source == Source.META_CALLBACK:
        return erasure.erase_meta_user(request.meta_user_id)
    if request.subject_pk is None:
        raise ValueError(f"deletion request {request.pk} names no subject")
    if request.source == Source.ACCOUNT:
        counts = erasure.erase_user_data(request.subject_pk)
        counts["accounts.users"] = account_services.delete_user_row(user_id=request.subject_pk)
        return counts
    if request.source == Source.META_DATA:
        return erasure.erase_user_meta_data(request.subject_pk)
    counts = erasure.erase_workspace_data(request.subject_pk)
    counts["accounts.workspaces"] = account_services.delete_workspace_row(
        workspace_id=request.subject_pk
    )
    return counts


def _receipt_kept_until(request: DataDeletionRequest) -> datetime:
    years = request.receipt_years or settings.RETENTION_DELETION_RECEIPT_YEARS
    return timezone.now() + timedelta(days=365 * years)


def erase_deletion_request(*, request_id: int) -> None:
    """Erase everything the request is about; idempotent and resumable.

    A failure is retried a minute later (the last one is final, for an administrator to
    retry); the receipt is written only while the job still owns the request.
    """
    lease = jobs.claim(ERASURES, request_id)
    if lease is None:
        return
    with lease:
        request = lease.row
        try:
            counts = _erase_subject(request)
        except jobs.LeaseLost:
            raise
        except Exception as exc:
            lease.fail(type(exc).__name__, retry_in=ERASURE_RETRY_SECONDS, retryable=True)
            logger.exception(
                "deletion request %s failed (attempt %s)", request_id, request.attempts
            )
            raise
        lease.finish(
            counts={kind: count for kind, count in counts.items() if count},
            meta_user_id="",
            subject_pk=None,
            completed_at=timezone.now(),
            keep_until=_receipt_kept_until(request),
        )


def _open_request_for(subject: str) -> DataDeletionRequest | None:
    return (
        DataDeletionRequest.objects.select_for_update()
        .filter(subject_hash=subject, status__in=[Status.RECEIVED, Status.PROCESSING])
        .first()
    )


def _enqueue_erasure(request_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(tasks.erase_deletion_request_task.apply_async, (request_id,), countdown=countdown)
    )


def _queue_erasure(request: DataDeletionRequest) -> None:
    _enqueue_erasure(request.pk)


ERASURES = jobs.register(
    jobs.JobKind(
        name="deletion request",
        model=DataDeletionRequest,
        runnable=Q(status__in=[Status.RECEIVED, Status.PROCESSING]),
        enqueue=_enqueue_erasure,
        running_status=Status.PROCESSING,
        done_status=Status.COMPLETED,
        failed_status=Status.FAILED,
        max_attempts=MAX_ERASURE_ATTEMPTS,
        exhausted=lambda n: (
            _("The erasure stopped %(n)d times before finishing; an administrator can retry it.")
            % {"n": n}
        ),
    )
)


def solely_owned_workspaces(user: User) -> list[Workspace]:
    """Workspaces in which ``user`` is the only owner: they block deleting the account."""
    # Annotating before filtering keeps the count on its own join (all owners, not just user).
    return list(
        Workspace.objects.annotate(
            owners=Count("memberships", filter=Q(memberships__role=Role.OWNER))
        )
        .filter(memberships__user=user, memberships__role=Role.OWNER, owners=1)
        .order_by("name")
    )


@transaction.atomic
def request_account_deletion(
    *, user: User, password: str, ip_address: str | None = None
) -> DataDeletionRequest:
    """Delete ``user``'s account: sign-in stops now, a job erases the data.

    Refused unless ``password`` is the account's password and no workspace depends on the user
    as its only owner. Returns the request, whose code the person can look up afterwards.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(password):
        raise PrivacyError(_("That password is not right; your account was not deleted."))
    return start_account_erasure(user=user, channel=Channel.IN_APP, ip_address=ip_address)


@transaction.atomic
def start_account_erasure(
    *, user: User, channel: str, ip_address: str | None = None
) -> DataDeletionRequest:
    """Start erasing ``user``'s account (whoever confirmed it is them): sign-in stops now.

    Refused while a workspace depends on the user as its only owner. Callers check who is
    asking first: the password, an emailed confirmation link, or an operator.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    owned = solely_owned_workspaces(user)
    if owned:
        names = ", ".join(workspace.name for workspace in owned)
        raise PrivacyError(
            _(
                "You are the only owner of %(names)s. Transfer ownership to another member or "
                "delete the workspace first."
            )
            % {"names": names}
        )
    subject = user_subject_hash(user_id=user.pk)
    request = _open_request_for(subject)
    if request is not None:
        return request
    for membership in user.memberships.select_related("workspace"):
        record_audit_event(
            actor=user,
            action="account.deletion_requested",
            workspace=membership.workspace,
            target=user,
            ip_address=ip_address,
        )
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    request = DataDeletionRequest.objects.create(
        confirmation_code=_new_code(),
        source=Source.ACCOUNT,
        channel=channel,
        subject_hash=subject,
        subject_pk=user.pk,
        next_attempt_at=timezone.now(),
    )
    _queue_erasure(request)
    return request


@transaction.atomic
def start_meta_data_erasure(*, user: User, channel: str) -> DataDeletionRequest:
    """Start erasing only the Meta-connected data of ``user``; the account stays as it is.

    That is the Facebook connections the person made, with their tokens (revoked at Meta),
    Pages, Instagram and ad accounts (``prosocial.erasure.erase_user_meta_data``).
    """
    subject = user_subject_hash(user_id=user.pk, meta_data_only=True)
    request = _open_request_for(subject)
    if request is not None:
        return request
    request = DataDeletionRequest.objects.create(
        confirmation_code=_new_code(),
        source=Source.META_DATA,
        channel=channel,
        subject_hash=subject,
        subject_pk=user.pk,
        next_attempt_at=timezone.now(),
    )
    _queue_erasure(request)
    return request


@transaction.atomic
def request_workspace_deletion(
    *, actor: Membership, confirm_name: str, ip_address: str | None = None
) -> DataDeletionRequest:
    """Delete the actor's workspace: members lose access now, a job erases the data.

    Owners only; ``confirm_name`` must be the workspace's name, typed.
    """
    if not has_permission(actor.role, "workspace.delete"):
        raise PermissionDenied
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace_id)
    if confirm_name.strip() != workspace.name:
        raise PrivacyError(
            _("Type the workspace's name exactly (%(name)s) to delete it.")
            % {"name": workspace.name}
        )
    return start_workspace_erasure(
        workspace=workspace, channel=Channel.IN_APP, actor=actor.user, ip_address=ip_address
    )


@transaction.atomic
def start_workspace_erasure(
    *, workspace: Workspace, channel: str, actor: User | None, ip_address: str | None = None
) -> DataDeletionRequest:
    """Start erasing ``workspace``: members lose access now, a job erases the rest."""
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    subject = _subject_hash(f"workspace:{workspace.pk}")
    request = _open_request_for(subject)
    if request is not None:
        return request
    retention = RetentionSettings.objects.filter(workspace=workspace).first()
    request = DataDeletionRequest.objects.create(
        confirmation_code=_new_code(),
        source=Source.WORKSPACE,
        channel=channel,
        subject_hash=subject,
        subject_pk=workspace.pk,
        receipt_years=retention.deletion_receipt_years if retention else None,
        next_attempt_at=timezone.now(),
    )
    record_audit_event(
        actor=actor,
        action="workspace.deletion_requested",
        workspace=workspace,
        target=workspace,
        metadata={"confirmation_code": request.confirmation_code},
        ip_address=ip_address,
    )
    # Nobody reaches the workspace from now on; the job removes everything else.
    workspace.memberships.all().delete()
    workspace.invitations.all().delete()
    _queue_erasure(request)
    return request


def requeue_stalled_deletion_requests() -> int:
    """Queue again open requests whose worker died (lease expired) or never started."""
    return jobs.sweep(ERASURES)


def sweep_privacy_jobs() -> None:
    """Every minute: resume stalled erasures and exports, delete archives whose link expired."""
    requeue_stalled_deletion_requests()
    exports.requeue_stalled_exports()
    exports.expire_data_exports()


@transaction.atomic
def retry_failed_deletion_requests(*, ids: list[int]) -> int:
    """Put failed deletion requests back in the queue (admin action); return how many."""
    failed = DataDeletionRequest.objects.filter(pk__in=ids, status=Status.FAILED)
    retry_ids = list(failed.values_list("pk", flat=True))
    # attempts restart at 0: a failed request has no worker left whose writes need fencing.
    failed.update(
        status=Status.PROCESSING,
        attempts=0,
        lease_expires_at=None,
        next_attempt_at=timezone.now(),
        error="",
        retryable=False,
    )
    for pk in retry_ids:
        _enqueue_erasure(pk)
    return len(retry_ids)


# --- Operator (Django admin): emailed and contact-form requests, admin deletes ---------------

META_USER_ID = re.compile(r"[0-9]{1,64}", re.ASCII)


def erase_user_for_operator(
    *, user: User, meta_data_only: bool = False, notify_email: str = ""
) -> DataDeletionRequest:
    """Start erasing an account (or only its Meta-connected data) on an operator's word.

    The confirmation with the status link goes to ``notify_email``, else the account's address.
    Raises ``PrivacyError`` while the person is a workspace's only owner (whole account).
    """
    if meta_data_only:
        request = start_meta_data_erasure(user=user, channel=Channel.OPERATOR)
    else:
        request = start_account_erasure(user=user, channel=Channel.OPERATOR)
    email_deletion_started(request=request, recipients=[notify_email or user.email])
    return request


def erase_workspace_for_operator(
    *, workspace: Workspace, notify_email: str = ""
) -> DataDeletionRequest:
    """Start erasing a workspace on an operator's word; email who asked, else its owners."""
    recipients = [notify_email] if notify_email else _owner_emails(workspace)
    request = start_workspace_erasure(workspace=workspace, channel=Channel.OPERATOR, actor=None)
    email_deletion_started(request=request, recipients=recipients)
    return request


def erase_meta_user_for_operator(
    *, meta_user_id: str, notify_email: str = ""
) -> DataDeletionRequest:
    """Start erasing what is tied to a Meta (app-scoped) user id, as Meta's callback would.

    Raises ``PrivacyError`` unless the id is ASCII digits.
    """
    meta_user_id = meta_user_id.strip()
    if not META_USER_ID.fullmatch(meta_user_id):
        raise PrivacyError(_("A Meta user id is made of digits (0-9) only."))
    request = record_meta_deletion_request(meta_user_id=meta_user_id, channel=Channel.OPERATOR)
    email_deletion_started(request=request, recipients=[notify_email] if notify_email else [])
    return request


def start_erasure_for_operator(
    *, subject: str, identifier: str, notify_email: str = ""
) -> DataDeletionRequest:
    """Start the erasure an operator chose in admin for an emailed or contact-form request.

    ``subject`` is ``account`` or ``meta_data`` (``identifier``: the account's email address),
    ``workspace`` (its slug) or ``meta_user`` (a Meta app-scoped user id). Raises
    ``PrivacyError`` when nothing matches or the erasure is refused; nothing starts then.
    """
    identifier = identifier.strip()
    if subject == "meta_user":
        return erase_meta_user_for_operator(meta_user_id=identifier, notify_email=notify_email)
    if subject == "workspace":
        workspace = Workspace.objects.filter(slug=identifier).first()
        if workspace is None:
            raise PrivacyError(_("No workspace has the slug %(slug)s.") % {"slug": identifier})
        return erase_workspace_for_operator(workspace=workspace, notify_email=notify_email)
    user = find_user_by_email(identifier)
    if user is None:
        raise PrivacyError(
            _("No account (still active) uses the address %(email)s.") % {"email": identifier}
        )
    return erase_user_for_operator(
        user=user, meta_data_only=subject == "meta_data", notify_email=notify_email
    )


def _owner_emails(workspace: Workspace) -> list[str]:
    return sorted(
        Membership.objects.filter(workspace=workspace, role=Role.OWNER).values_list(
            "user__email", flat=True
        )
    )


def find_user_by_email(email: str) -> User | None:
    """Return the active account whose sign-in address is ``email`` (any case), if any."""
    return User.objects.filter(email__iexact=email.strip(), is_active=True).first()


def email_deletion_started(*, request: DataDeletionRequest, recipients: list[str]) -> None:
    """After commit, email ``recipients`` the request's confirmation code and status page link.

    Only the code, what is being deleted and the link: the email names no account or
    workspace. A mail failure is logged; the erasure goes on.
    """
    if recipients:
        transaction.on_commit(partial(_send_deletion_started, request.pk, recipients))


def _send_deletion_started(request_id: int, recipients: list[str]) -> None:
    request = DataDeletionRequest.objects.get(pk=request_id)
    context = {
        "deletion": request,
        "status_url": settings.PUBLIC_BASE_URL
        + reverse("privacy:deletion_status", args=[request.confirmation_code]),
    }
    try:
        send_mail(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
            + _("Your data deletion request %(code)s") % {"code": request.confirmation_code},
            message=render_to_string("privacy/email/deletion_started.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        # After the commit: the erasure stands whatever goes wrong with the email.
        logger.exception("deletion request %s: confirmation email could not be sent", request_id)


def deauthorize_meta_user(*, meta_user_id: str) -> int:
    """Meta's deauthorize callback: revoke that person's connections and wipe their tokens."""
    return erasure.deauthorize_meta_user(meta_user_id)


# --- Contact form -----------------------------------------------------------------------------


def check_public_form_rate(*, form: str, ip_address: str | None, message: str) -> None:
    """Count one submission of a public form; raise ``PrivacyError(message)`` past the limit.

    At most CONTACT_RATE_LIMIT_PER_HOUR submissions of each form per IP address per hour.
    """
    key = f"{form}:{ip_address or 'unknown'}"
    cache.add(key, 0, timeout=60 * 60)
    if cache.incr(key) > settings.CONTACT_RATE_LIMIT_PER_HOUR:
        raise PrivacyError(message)


@transaction.atomic
def submit_contact_message(
    *,
    name: str,
    email: str,
    subject: str,
    message: str,
    user_id: int | None,
    ip_address: str | None,
) -> ContactMessage:
    """Store a contact message and email it to the support address.

    At most CONTACT_RATE_LIMIT_PER_HOUR messages per IP address per hour.
    """
    check_public_form_rate(
        form="contact-form",
        ip_address=ip_address,
        message=_(
            "You've sent several messages in the last hour; please wait before sending more."
        ),
    )
    contact = ContactMessage.objects.create(
        name=name.strip(),
        email=email.strip(),
        subject=subject.strip(),
        message=message.strip(),
        user_id=user_id,
        ip_address=ip_address,
    )
    transaction.on_commit(partial(_email_contact_message, contact.pk))
    return contact


def _email_contact_message(contact_id: int) -> None:
    contact = ContactMessage.objects.get(pk=contact_id)
    try:
        send_mail(
            f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Contact: {contact.subject}",
            f"From: {contact.name} <{contact.email}>\n\n{contact.message}\n",
            None,
            [settings.SUPPORT_EMAIL],
        )
    except OSError:
        logger.exception("contact message %s: email could not be sent (it is stored)", contact_id)
