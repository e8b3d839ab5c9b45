"""Privacy use-cases: Meta's data-deletion and deauthorize callbacks, and the erasure job.

A deletion request is a job row: the callback records it and answers at once; a worker claims
it, erases everything tied to the Meta user id through ``prosocial.erasure`` (each app declares
its own data), stores per-kind counts and clears the user id, leaving a minimal receipt.
"""

import hashlib
import hmac
import logging
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
MAX_ERASURE_ATTEMPTS = 5
# After a failed erasure: wait this long before the next try (the last failure is final).
ERASURE_RETRY_SECONDS = 60
CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 20  # ~103 bits: unguessable, yet readable on a status page


def _subject_hash(subject: str) -> str:
    """Return a keyed hash of a subject: matches repeats without keeping the identifier."""
    return hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def record_meta_deletion_request(*, meta_user_id: str) -> DataDeletionRequest:
    """Record Meta's deletion request for ``meta_user_id`` and queue the erasure.

    While an earlier request for the same person is still open, that one is returned (same
    confirmation code) instead of a second.
    """
    subject = _subject_hash(f"meta-user:{meta_user_id}")
    open_request = _open_request_for(subject)
    if open_request is not None:
        return open_request
    request = DataDeletionRequest.objects.create(
        confirmation_code=_new_code(),
        source=DataDeletionRequest.Source.META_CALLBACK,
        subject_hash=subject,
        meta_user_id=meta_user_id,
        next_attempt_at=timezone.now(),
    )
    _queue_erasure(request)
    return request


def _erase_subject(request: DataDeletionRequest) -> dict[str, int]:
    """Erase what the request is about, through the registries; return per-kind counts."""
    if request.source == DataDeletionRequest.Source.META_CALLBACK:
        return erasure.erase_meta_user(request.meta_user_id)
    if request.subject_pk is None:
        raise ValueError(f"deletion request {request.pk} names no subject")
    if request.source == DataDeletionRequest.Source.ACCOUNT:
        counts = erasure.erase_user_data(request.subject_pk)
        counts["accounts.users"] = account_services.delete_user_row(user_id=request.subject_pk)
        return counts
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
    subject = _subject_hash(f"user:{user.pk}")
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
        source=DataDeletionRequest.Source.ACCOUNT,
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
    subject = _subject_hash(f"workspace:{workspace.pk}")
    request = _open_request_for(subject)
    if request is not None:
        return request
    retention = RetentionSettings.objects.filter(workspace=workspace).first()
    request = DataDeletionRequest.objects.create(
        confirmation_code=_new_code(),
        source=DataDeletionRequest.Source.WORKSPACE,
        subject_hash=subject,
        subject_pk=workspace.pk,
        receipt_years=retention.deletion_receipt_years if retention else None,
        next_attempt_at=timezone.now(),
    )
    record_audit_event(
        actor=actor.user,
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


def deauthorize_meta_user(*, meta_user_id: str) -> int:
    """Meta's deauthorize callback: revoke that person's connections and wipe their tokens."""
    return erasure.deauthorize_meta_user(meta_user_id)


# --- Contact form -----------------------------------------------------------------------------


def _contact_rate_key(ip_address: str | None) -> str:
    return f"contact-form:{ip_address or 'unknown'}"


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
    key = _contact_rate_key(ip_address)
    cache.add(key, 0, timeout=60 * 60)
    if cache.incr(key) > settings.CONTACT_RATE_LIMIT_PER_HOUR:
        raise PrivacyError(
            _("You've sent several messages in the last hour; please wait before sending more.")
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
