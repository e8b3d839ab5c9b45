"""Deleting a post on Meta after its publication was deleted here, where Meta allows it.

Meta lets a Page delete its own posts and videos with ``DELETE /{id}`` and a Page access token
with ``pages_manage_posts`` (GRAPH_NOTES §3.1; Video reference:
https://developers.facebook.com/docs/graph-api/reference/video/#deleting). The Instagram Graph
API has no delete for published media, so an Instagram post is deleted in the Instagram app;
a Meta ad is deleted (or stopped) in Ads Manager. Only ``publishing.views`` calls this, on a
member's explicit request from a tombstone.

The tombstone records the request before the call and the answer after it (trace first,
call second); no row is locked during the call.
"""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership
from accounts.permissions import has_permission
from meta_integration import graph
from meta_integration.error_catalogue import explain
from meta_integration.models import MetaPage
from publishing.errors import PublishingError
from publishing.models import PublicationTombstone, Target
from publishing.targets import AD_TARGETS

RemoteStatus = PublicationTombstone.RemoteStatus
DELETABLE_TARGETS = frozenset({Target.FB_POST, Target.FB_REEL})
# Graph's answer for an id that no longer exists, can't be seen, or doesn't support the call:
# code 100, subcode 33. It means "already gone" only when the Page's own token can't read it.
GONE_CODE, GONE_SUBCODE = 100, 33


def why_not_deletable_for_target(target: str) -> str:
    """Return why ProSocial can't delete a published ``target`` on Meta ("" when it can)."""
    if target in AD_TARGETS:
        return _("Stop or delete the ad in Meta Ads Manager; ProSocial doesn't delete ads.")
    if target not in DELETABLE_TARGETS:
        return _(
            "Instagram doesn't let apps delete published posts, reels or stories: delete it in "
            "the Instagram app (open the post, then … → Delete)."
        )
    return ""


def why_not_deletable_on_meta(tombstone: PublicationTombstone) -> str:
    """Return why ProSocial can't delete ``tombstone``'s post on Meta ("" when it can)."""
    if tombstone.remote_status == RemoteStatus.DELETED:
        return _("It was deleted on Meta already.")
    if not tombstone.remote_id:
        return _("Meta never gave this publication an id, so there is nothing to delete there.")
    return why_not_deletable_for_target(tombstone.target)


def _is_unknown(exc: graph.GraphError) -> bool:
    return exc.code == GONE_CODE and exc.subcode == GONE_SUBCODE


def _is_gone(client: graph.GraphClient, remote_id: str) -> bool:
    """Return whether the Page's own token can no longer read ``remote_id`` (deleted on Meta)."""
    try:
        client.get(f"/{remote_id}", {"fields": "id"})
    except graph.GraphError as exc:
        return _is_unknown(exc)
    return False


def _page_for(tombstone: PublicationTombstone) -> MetaPage | None:
    pages = MetaPage.objects.filter(
        workspace_id=tombstone.workspace_id, page_id=tombstone.page_meta_id
    ).order_by("-updated_at")
    return next((page for page in pages if page.access_token), None)


def delete_publication_on_meta(
    *, actor: Membership, tombstone: PublicationTombstone
) -> PublicationTombstone:
    """Ask Meta to delete the post ``tombstone`` records; return the updated tombstone.

    Raises ``PublishingError`` when Meta doesn't allow it or the Page isn't connected. A
    refusal from Meta is recorded on the tombstone (``remote_status`` failed, with Meta's
    explanation) and raised too. Deleting an id Meta no longer has counts as deleted.
    """
    if not has_permission(actor.role, "content.edit"):
        raise PermissionDenied
    why = why_not_deletable_on_meta(tombstone)
    if why:
        raise PublishingError(why)
    page = _page_for(tombstone)
    if page is None:
        raise PublishingError(
            _(
                "The Facebook Page %(page)s isn't connected to this workspace any more. "
                "Reconnect it, or delete the post on Facebook."
            )
            % {"page": tombstone.page_name or tombstone.page_meta_id}
        )
    rows = PublicationTombstone.objects.filter(pk=tombstone.pk)
    rows.update(remote_status=RemoteStatus.REQUESTED, remote_message="")
    record_audit_event(
        actor=actor.user,
        action="publication.meta_delete_requested",
        workspace=actor.workspace,
        target=tombstone,
        metadata={"remote_id": tombstone.remote_id, "target": tombstone.target},
    )
    client = graph.GraphClient(page.access_token, max_retries=1)
    try:
        client.delete(f"/{tombstone.remote_id}")
    except graph.GraphError as exc:
        if not (_is_unknown(exc) and _is_gone(client, tombstone.remote_id)):
            explanation = explain(exc)
            message = f"{explanation.cause} {explanation.fix}".strip()[:500]
            rows.update(remote_status=RemoteStatus.FAILED, remote_message=message)
            raise PublishingError(_("Meta didn't delete it: %(why)s") % {"why": message}) from None
    rows.update(remote_status=RemoteStatus.DELETED, remote_deleted_at=timezone.now())
    record_audit_event(
        actor=actor.user,
        action="publication.deleted_on_meta",
        workspace=actor.workspace,
        target=tombstone,
        metadata={"remote_id": tombstone.remote_id, "target": tombstone.target},
    )
    tombstone.refresh_from_db()
    return tombstone
