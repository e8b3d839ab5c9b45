"""What meta_integration holds about a Meta user, and how to erase it (prosocial.erasure)."""

from django.db import transaction

from accounts.models import AuditEvent
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaConnection, MetaPage


@transaction.atomic
def erase_meta_user(meta_user_id: str) -> dict[str, int]:
    """Delete every connection of ``meta_user_id`` with its tokens and assets.

    Audit events about those connections stay (who did what, when) but lose the Meta
    person's name and identifiers.
    """
    connections = MetaConnection.objects.filter(meta_user_id=meta_user_id)
    ids = [str(pk) for pk in connections.values_list("pk", flat=True)]
    counts = {
        "pages": MetaPage.objects.filter(connection__in=connections).count(),
        "instagram_accounts": InstagramAccount.objects.filter(connection__in=connections).count(),
        "ad_accounts": MetaAdAccount.objects.filter(connection__in=connections).count(),
    }
    counts["audit_events_scrubbed"] = AuditEvent.objects.filter(
        target_type=MetaConnection._meta.label, target_id__in=ids
    ).update(target_repr="[erased Meta connection]", metadata={})
    counts["connections"] = connections.delete()[1].get(MetaConnection._meta.label, 0)
    return counts
