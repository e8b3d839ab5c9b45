"""The public deletion request form: ask by email address, confirm through an emailed link.

Anyone can ask, signed in or not. The answer on the page is the same whether or not an account
uses the address: the address gets either a confirmation link or a note that no account uses
it. The link is signed (``django.core.signing``), expires after LINK_TTL_HOURS and works once:
confirming records the link's hash on the deletion request it starts, and a link is refused when
its hash is recorded or a deletion of the same data was asked for after it was sent. Only confirming starts anything, and it starts the same erasure
as every other path (``privacy.services``), then emails the confirmation code.

Opening the link shows a page with a button; the erasure starts on the button's POST, so a mail
scanner that fetches links erases nothing.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from privacy import services
from privacy.errors import PrivacyError
from privacy.models import DataDeletionRequest

logger = logging.getLogger(__name__)

LINK_TTL_HOURS = 24
_SALT = "privacy.deletion-request-link"


class Scope:
    ACCOUNT = "account"
    META_DATA = "meta_data"


class DeletionLinkError(PrivacyError):
    """A confirmation link that cannot be used (forged, expired or used); nothing was erased."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class DeletionLink:
    user: User
    scope: str
    link_hash: str


def request_deletion_by_email(*, email: str, scope: str, ip_address: str | None) -> None:
    """Email ``email`` a confirmation link to delete its account or Meta data; erase nothing.

    Same outcome for the caller whether or not an account uses the address (the email differs).
    Rate-limited per IP address like the contact form; raises ``PrivacyError`` past it.
    """
    services.check_public_form_rate(
        form="deletion-request-form",
        ip_address=ip_address,
        message=_("Several requests came from here in the last hour; please wait and try again."),
    )
    email = email.strip()
    user = services.find_user_by_email(email)
    if user is None:
        transaction.on_commit(partial(_send, email, "privacy/email/deletion_no_account.txt", {}))
        return
    token = signing.dumps(
        {"u": user.pk, "s": scope, "n": secrets.token_urlsafe(16), "t": int(time.time())},
        salt=_SALT,
        compress=True,
    )
    context = {
        "url": settings.PUBLIC_BASE_URL + reverse("privacy:confirm_deletion", args=[token]),
        "scope": scope,
        "ttl_hours": LINK_TTL_HOURS,
    }
    transaction.on_commit(
        partial(_send, user.email, "privacy/email/deletion_confirm_link.txt", context)
    )


def _send(address: str, template: str, context: dict[str, object]) -> None:
    context = {
        **context,
        "form_url": settings.PUBLIC_BASE_URL + reverse("privacy:request_deletion"),
        "instructions_url": settings.PUBLIC_BASE_URL
        + reverse("privacy:data_deletion_instructions"),
    }
    try:
        send_mail(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _("Confirm your data deletion request"),
            message=render_to_string(template, context),
            from_email=None,
            recipient_list=[address],
        )
    except Exception:
        # After the request has been answered: the person can ask again; never a 500.
        logger.exception("deletion request form: email could not be sent")


def read_deletion_link(token: str) -> DeletionLink:
    """Return who and what a confirmation link is for; raise ``DeletionLinkError`` if unusable."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=LINK_TTL_HOURS * 3600)
    except signing.SignatureExpired as exc:
        raise DeletionLinkError(
            _("This link has expired (links work for %(hours)d hours). Nothing was deleted.")
            % {"hours": LINK_TTL_HOURS},
            status_code=410,
        ) from exc
    except signing.BadSignature as exc:
        raise DeletionLinkError(
            _("This link isn't valid: it may have been cut short. Nothing was deleted."),
            status_code=400,
        ) from exc
    link_hash = hashlib.sha256(str(data.get("n", "")).encode()).hexdigest()
    scope = data.get("s")
    issued_at = datetime.fromtimestamp(int(data.get("t", 0)), tz=UTC)
    subject = services.user_subject_hash(
        user_id=int(data.get("u", 0)), meta_data_only=scope == Scope.META_DATA
    )
    if DataDeletionRequest.objects.filter(
        Q(link_hash=link_hash) | Q(subject_hash=subject, requested_at__gte=issued_at)
    ).exists():
        raise DeletionLinkError(
            _(
                "This link has already been used (each link works once), or the same deletion "
                "was asked for after it was sent. Nothing more was deleted."
            ),
            status_code=410,
        )
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or scope not in (Scope.ACCOUNT, Scope.META_DATA):
        raise DeletionLinkError(
            _("This link is no longer valid: the account it was for is gone."), status_code=410
        )
    return DeletionLink(user=user, scope=scope, link_hash=link_hash)


@transaction.atomic
def confirm_deletion_request(*, token: str) -> DataDeletionRequest:
    """Start the erasure a confirmation link asks for; return the deletion request.

    Raises ``DeletionLinkError`` for an unusable link and ``PrivacyError`` (409) while the
    person is the only owner of a workspace; nothing is erased either way.
    """
    link = read_deletion_link(token)
    if link.scope == Scope.META_DATA:
        request = services.start_meta_data_erasure(
            user=link.user, channel=DataDeletionRequest.Channel.FORM
        )
    else:
        try:
            request = services.start_account_erasure(
                user=link.user, channel=DataDeletionRequest.Channel.FORM
            )
        except PrivacyError as exc:
            raise DeletionLinkError(
                exc.message + " " + _("Sign in to do that, then ask again."), status_code=409
            ) from exc
    if not request.link_hash:  # else an open request another link started: it stands for both
        request.link_hash = link.link_hash
        request.save(update_fields=["link_hash", "updated_at"])
    services.email_deletion_started(request=request, recipients=[link.user.email])
    return request
