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
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meta_integration import services as meta_services
from privacy import tasks
from privacy.errors import PrivacyError
from privacy.models import ContactMessage, DataDeletionRequest
from prosocial import erasure
from prosocial.jobs import claim_job_row

logger = logging.getLogger(__name__)

Status = DataDeletionRequest.Status
ERASURE_LEASE = timedelta(minutes=10)
MAX_ERASURE_ATTEMPTS = 5
CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 20  # ~103 bits: unguessable, yet readable on a status page


def _subject_hash(meta_user_id: str) -> str:
    """Return a keyed hash of the Meta user id: matches repeats without keeping the id."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"meta-user:{meta_user_id}".encode(), hashlib.sha256
    ).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def record_meta_deletion_request(*, meta_user_id: str) -> DataDeletionRequest:
    """Record Meta's deletion request for ``meta_user_id`` and queue the erasure.

    While an earlier request for the same person is still open, that one is returned (same
    confirmation code) instead of a second.
    """
    subject = _subject_hash(meta_user_id)
    open_request = (
        DataDeletionRequest.objects.select_for_update()
        .filter(subject_hash=subject, status__in=[Status.RECEIVED, Status.PROCESSING])
        .first()
    )
    if open_request is not None:
        return open_request
    request = DataDeletionRequest.objects.create(
        confirmation_code=_new_code(),
        source=DataDeletionRequest.Source.META_CALLBACK,
        subject_hash=subject,
        meta_user_id=meta_user_id,
    )
    transaction.on_commit(lambda: tasks.erase_deletion_request_task.delay(request.pk))
    return request


def erase_deletion_request(*, request_id: int) -> None:
    """Erase everything tied to the request's Meta user id; idempotent and resumable."""
    if not claim_job_row(
        DataDeletionRequest,
        request_id,
        runnable={"status__in": [Status.RECEIVED, Status.PROCESSING]},
        lease=ERASURE_LEASE,
    ):
        return
    DataDeletionRequest.objects.filter(pk=request_id).update(status=Status.PROCESSING)
    request = DataDeletionRequest.objects.get(pk=request_id)
    try:
        counts = erasure.erase_meta_user(request.meta_user_id)
    except Exception as exc:
        failed = request.attempts >= MAX_ERASURE_ATTEMPTS
        DataDeletionRequest.objects.filter(pk=request_id).update(
            status=Status.FAILED if failed else Status.PROCESSING,
            error=type(exc).__name__,
            lease_expires_at=None if failed else request.lease_expires_at,
        )
        logger.exception("deletion request %s failed (attempt %s)", request_id, request.attempts)
        raise
    request.counts = counts
    request.meta_user_id = ""
    request.status = Status.COMPLETED
    request.completed_at = timezone.now()
    request.lease_expires_at = None
    request.error = ""
    request.save(
        update_fields=[
            "counts",
            "meta_user_id",
            "status",
            "completed_at",
            "lease_expires_at",
            "error",
            "updated_at",
        ]
    )


def requeue_stalled_deletion_requests() -> int:
    """Queue again open requests whose worker died (lease expired) or never started."""
    now = timezone.now()
    stale_cutoff = now - timedelta(minutes=1)
    ids = list(
        DataDeletionRequest.objects.filter(status__in=[Status.RECEIVED, Status.PROCESSING])
        .filter(lease_expires_at__lt=now)
        .values_list("pk", flat=True)
    ) + list(
        DataDeletionRequest.objects.filter(
            status=Status.RECEIVED, lease_expires_at__isnull=True, requested_at__lt=stale_cutoff
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        transaction.on_commit(partial(tasks.erase_deletion_request_task.delay, pk))
    return len(ids)


@transaction.atomic
def retry_failed_deletion_requests(*, ids: list[int]) -> int:
    """Put failed deletion requests back in the queue (admin action); return how many."""
    failed = DataDeletionRequest.objects.filter(pk__in=ids, status=Status.FAILED)
    retry_ids = list(failed.values_list("pk", flat=True))
    failed.update(status=Status.PROCESSING, attempts=0, lease_expires_at=None, error="")
    for pk in retry_ids:
        transaction.on_commit(partial(tasks.erase_deletion_request_task.delay, pk))
    return len(retry_ids)


def deauthorize_meta_user(*, meta_user_id: str) -> int:
    """Meta's deauthorize callback: revoke that person's connections and wipe their tokens."""
    return meta_services.revoke_meta_connections_for_user(meta_user_id=meta_user_id)


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
