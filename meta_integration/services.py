"""Meta connection use-cases: connect, choose assets, refresh, check health, disconnect.

Choosing assets also decides which Pages Meta must send webhooks for: each MetaPage's
MetaPageSubscription is kept in line by a job on the runner (``sync_page_subscription``), and a
disconnect unsubscribes first, while the Page tokens still work (section at the end).

Removing assets (disconnect, Meta's callbacks, erasures) never damages what other apps built
on them: ``announce_removed_assets`` sends ``signals.assets_removed`` (publishing pauses what
was about to use them; history keeps their names) and notifies owners and admins; saving a
connection sends ``signals.assets_restored`` so the same Meta ids are picked up again.

Every change to MetaConnection and its assets goes through here. Graph calls (through
``meta_integration.graph``) always happen before the transaction that records their result, so
no row lock is held during network I/O and a failed flow writes nothing. Raises
``MetaConnectionError`` with a message that names what happened and what to do.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_audit_event
from accounts.models import Membership, Workspace
from accounts.permissions import MANAGERS, has_permission
from accounts.services import notify_workspace
from meta_integration import graph, signals, tasks
from meta_integration.error_catalogue import explain
from meta_integration.errors import MetaConnectionError
from meta_integration.health import scope_covers, status_for_expiry
from meta_integration.models import (
    InstagramAccount,
    MetaAdAccount,
    MetaConnection,
    MetaPage,
    MetaPageSubscription,
)
from meta_integration.scopes import requested_scopes
from prosocial import jobs

logger = logging.getLogger(__name__)

Status = MetaConnection.Status
ADS_SCOPES = {"ads_read", "ads_management"}


def oauth_redirect_uri() -> str:
    """Return the callback URL registered in the Meta app (ARCHITECTURE §6)."""
    return settings.PUBLIC_BASE_URL + reverse("meta_integration:oauth_callback")


def build_connect_url(*, actor: Membership, state: str, rerequest: bool = False) -> str:
    """Return Meta's login dialog URL asking for every scope ProSocial's features use."""
    _require(actor)
    return graph.build_login_url(
        redirect_uri=oauth_redirect_uri(),
        state=state,
        scopes=requested_scopes(),
        rerequest=rerequest,
    )


def _require(actor: Membership) -> None:
    if not has_permission(actor.role, "meta.connect"):
        raise MetaConnectionError(_("Only owners and admins can manage the Meta connection."))


def _graph_failure(step: str, exc: graph.GraphError) -> MetaConnectionError:
    explanation = explain(exc)
    return MetaConnectionError(
        _("Meta refused while %(step)s: %(cause)s %(fix)s")
        % {"step": step, "cause": explanation.cause, "fix": explanation.fix}
    )


# --- Reading what a token can reach -----------------------------------------------------------


@dataclass(frozen=True)
class MetaWorld:
    """Everything one user token reaches, fetched before anything is written."""

    token: graph.TokenInfo
    user: graph.MetaUser
    pages: list[graph.PageInfo]
    instagram: dict[str, graph.InstagramInfo]  # ig user id -> account
    instagram_page: dict[str, str]  # ig user id -> page id
    ad_accounts: list[graph.AdAccountInfo]


def _fetch_world(access_token: str) -> MetaWorld:
    step = _("checking the token")
    try:
        info = graph.debug_token(input_token=access_token)
        if not info.is_valid:
            raise MetaConnectionError(
                _("Meta says the token is no longer valid (%(reason)s). Connect again.")
                % {"reason": info.error_message or _("expired or revoked")}
            )
        step = _("reading your profile")
        user = graph.get_me(access_token=access_token)
        step = _("listing your Pages")
        pages = (
            graph.list_pages(access_token=access_token) if "pages_show_list" in info.scopes else []
        )
        instagram: dict[str, graph.InstagramInfo] = {}
        instagram_page: dict[str, str] = {}
        if "instagram_basic" in info.scopes:
            step = _("reading the linked Instagram accounts")
            for page in pages:
                ig_id = page.instagram_business_account_id
                if ig_id and ig_id not in instagram:
                    instagram[ig_id] = graph.get_instagram_account(
                        access_token=access_token, ig_user_id=ig_id
                    )
                    instagram_page[ig_id] = page.id
        step = _("listing your ad accounts")
        ads = (
            graph.list_ad_accounts(access_token=access_token)
            if ADS_SCOPES & set(info.scopes)
            else []
        )
    except graph.GraphError as exc:
        raise _graph_failure(step, exc) from exc
    return MetaWorld(info, user, pages, instagram, instagram_page, ads)


# --- Connect and refresh ----------------------------------------------------------------------


def connect_meta_account(*, actor: Membership, code: str) -> MetaConnection:
    """Finish the OAuth flow: exchange ``code``, read the assets, save the connection.

    Reconnecting the same Facebook account updates its existing connection (and keeps the
    assets' selection); nothing is saved unless every step succeeded.
    """
    _require(actor)
    try:
        short = graph.exchange_code(code=code, redirect_uri=oauth_redirect_uri())
        long_lived = graph.exchange_long_lived(access_token=short.token)
    except graph.GraphError as exc:
        raise _graph_failure(_("exchanging the login code"), exc) from exc
    world = _fetch_world(long_lived.token)
    return _save_connection(actor=actor, access_token=long_lived.token, world=world)


def refresh_meta_assets(*, actor: Membership, connection: MetaConnection) -> MetaConnection:
    """Re-read the connection's Pages, Instagram and ad accounts with its stored token."""
    _require(actor)
    if not connection.access_token:
        raise MetaConnectionError(_("This connection was disconnected. Connect Meta again."))
    try:
        world = _fetch_world(connection.access_token)
    except MetaConnectionError as exc:
        _record_failure(connection.pk, exc.message)
        raise
    return _save_connection(actor=actor, access_token=connection.access_token, world=world)


def _token_type(expires_at: datetime | None) -> str:
    if expires_at is None:
        return MetaConnection.TokenType.NEVER_EXPIRES
    if (expires_at - timezone.now()).days >= 7:
        return MetaConnection.TokenType.LONG_LIVED
    return MetaConnection.TokenType.SHORT_LIVED


@transaction.atomic
def _save_connection(*, actor: Membership, access_token: str, world: MetaWorld) -> MetaConnection:
    info = world.token
    requested = requested_scopes()
    declined = [s for s in requested if s not in info.scopes]
    status = status_for_expiry(info.expires_at)
    fields = {
        "display_name": world.user.name,
        "access_token": access_token,
        "token_type": _token_type(info.expires_at),
        "expires_at": info.expires_at,
        "data_access_expires_at": info.data_access_expires_at,
        "requested_scopes": requested,
        "granted_scopes": list(info.scopes),
        "declined_scopes": declined,
        "granular_scopes": {
            scope: list(targets) if targets is not None else None
            for scope, targets in info.granular_scopes.items()
        },
        "status": status,
        "notified_status": status,
        "last_checked_at": timezone.now(),
        "last_error": "",
        "disconnected_at": None,
        "connected_by": actor.user,
    }
    connection, created = MetaConnection.objects.select_for_update().get_or_create(
        workspace=actor.workspace, meta_user_id=world.user.id, defaults=fields
    )
    if not created:
        for name, value in fields.items():
            setattr(connection, name, value)
        connection.save(update_fields=[*fields, "updated_at"])
    pages = _sync_pages(connection, world.pages)
    _sync_instagram(connection, world, pages)
    _sync_ad_accounts(connection, world.ad_accounts)
    # A new token (connect, reconnect, refresh): make sure Meta still sends our webhooks.
    plan_page_subscriptions(connection=connection, recheck=True)
    # Same Meta ids as before a disconnect: what pointed at the old rows points at these.
    signals.assets_restored.send(
        sender=MetaConnection, workspace_id=connection.workspace_id, connection_id=connection.pk
    )
    record_audit_event(
        actor=actor.user,
        action="meta.connected" if created else "meta.refreshed",
        workspace=actor.workspace,
        target=connection,
        metadata={
            "meta_user": world.user.name,
            "granted": len(info.scopes),
            "declined": len(declined),
            "pages": len(world.pages),
            "instagram_accounts": len(world.instagram),
            "ad_accounts": len(world.ad_accounts),
        },
    )
    connection_id = connection.pk
    transaction.on_commit(
        lambda: signals.connection_ready.send(sender=MetaConnection, connection_id=connection_id)
    )
    return connection


def _sync_pages(connection: MetaConnection, pages: list[graph.PageInfo]) -> dict[str, MetaPage]:
    rows = {}
    for page in pages:
        rows[page.id], _created = MetaPage.objects.update_or_create(
            connection=connection,
            page_id=page.id,
            defaults={
                "workspace_id": connection.workspace_id,
                "name": page.name,
                "category": page.category,
                "tasks": list(page.tasks),
                "access_token": page.access_token,
                "is_available": True,
            },
        )
    MetaPage.objects.filter(connection=connection).exclude(page_id__in=rows).update(
        is_available=False, access_token="", updated_at=timezone.now()
    )
    return rows


def _sync_instagram(
    connection: MetaConnection, world: MetaWorld, pages: dict[str, MetaPage]
) -> None:
    for ig_id, account in world.instagram.items():
        InstagramAccount.objects.update_or_create(
            connection=connection,
            ig_user_id=ig_id,
            defaults={
                "workspace_id": connection.workspace_id,
                "page": pages.get(world.instagram_page.get(ig_id, "")),
                "name": account.name,
                "username": account.username,
                "profile_picture_url": account.profile_picture_url,
                "followers_count": account.followers_count,
                "is_available": True,
            },
        )
    InstagramAccount.objects.filter(connection=connection).exclude(
        ig_user_id__in=world.instagram
    ).update(is_available=False, updated_at=timezone.now())


def _sync_ad_accounts(connection: MetaConnection, accounts: list[graph.AdAccountInfo]) -> None:
    for account in accounts:
        MetaAdAccount.objects.update_or_create(
            connection=connection,
            ad_account_id=account.id,
            defaults={
                "workspace_id": connection.workspace_id,
                "account_id": account.account_id,
                "name": account.name,
                "currency": account.currency,
                "timezone_name": account.timezone_name,
                "account_status": account.account_status,
                "disable_reason": account.disable_reason,
                "business_name": account.business_name,
                "is_available": True,
            },
        )
    MetaAdAccount.objects.filter(connection=connection).exclude(
        ad_account_id__in=[a.id for a in accounts]
    ).update(is_available=False, updated_at=timezone.now())


@transaction.atomic
def select_meta_assets(
    *,
    actor: Membership,
    connection: MetaConnection,
    page_ids: Iterable[int],
    instagram_ids: Iterable[int],
    ad_account_ids: Iterable[int],
) -> None:
    """Mark exactly the given assets (row pks) of ``connection`` as used by the workspace."""
    _require(actor)
    chosen: dict[str, int] = {}
    for model, ids in (
        (MetaPage, set(page_ids)),
        (InstagramAccount, set(instagram_ids)),
        (MetaAdAccount, set(ad_account_ids)),
    ):
        rows = model.objects.filter(connection=connection)  # type: ignore[attr-defined]
        rows.filter(pk__in=ids, is_available=True).update(is_selected=True)
        rows.exclude(pk__in=ids).update(is_selected=False)
        chosen[model.__name__] = len(ids)
    plan_page_subscriptions(connection=connection)
    record_audit_event(
        actor=actor.user,
        action="meta.assets_selected",
        workspace=actor.workspace,
        target=connection,
        metadata=chosen,
    )


# --- Health -----------------------------------------------------------------------------------


def _record_failure(connection_id: int, message: str) -> None:
    MetaConnection.objects.filter(pk=connection_id).update(
        last_error=message[:500], last_checked_at=timezone.now(), updated_at=timezone.now()
    )


def check_meta_connection(*, connection_id: int) -> MetaConnection | None:
    """Ask Meta about the connection's token and update its status, scopes and expiry.

    A token Meta rejects marks the connection needs-reauth (or revoked when the person
    removed the app); one expiring within the warning window marks it expiring. Admins are
    told once per change. A transient Meta failure only records the error.
    """
    connection = MetaConnection.objects.filter(pk=connection_id).first()
    if connection is None or not connection.access_token:
        return None
    try:
        info = graph.debug_token(input_token=connection.access_token)
    except graph.GraphError as exc:
        _record_failure(connection.pk, explain(exc).cause)
        logger.warning("meta connection %s: health check failed: %s", connection.pk, exc)
        return connection
    with transaction.atomic():
        connection = MetaConnection.objects.select_for_update().get(pk=connection_id)
        if not info.is_valid:
            # 458/460: the person removed the app or changed password on Meta's side.
            revoked = info.error_subcode == 458
            connection.status = Status.REVOKED if revoked else Status.NEEDS_REAUTH
            connection.last_error = (info.error_message or _("Token rejected by Meta."))[:500]
        else:
            connection.status = status_for_expiry(info.expires_at)
            connection.expires_at = info.expires_at
            connection.data_access_expires_at = info.data_access_expires_at
            connection.granted_scopes = list(info.scopes)
            connection.granular_scopes = {
                scope: list(targets) if targets is not None else None
                for scope, targets in info.granular_scopes.items()
            }
            connection.last_error = ""
        connection.last_checked_at = timezone.now()
        announce = connection.status != connection.notified_status and connection.status in (
            Status.EXPIRING,
            Status.NEEDS_REAUTH,
            Status.REVOKED,
        )
        connection.notified_status = connection.status
        connection.save(
            update_fields=[
                "status",
                "notified_status",
                "expires_at",
                "data_access_expires_at",
                "granted_scopes",
                "granular_scopes",
                "last_error",
                "last_checked_at",
                "updated_at",
            ]
        )
        if announce:
            pk = connection.pk
            transaction.on_commit(lambda: _email_admins_about(pk))
        if connection.is_usable:
            # Pages can lose the app's subscription on Meta's side (a Page admin removes the
            # app in Business Suite): each check confirms it and says when it last did.
            plan_page_subscriptions(connection=connection, recheck=True)
    return connection


def check_all_meta_connections() -> int:
    """Check every connection that still holds a token; return how many were checked."""
    ids = list(
        MetaConnection.objects.exclude(status=Status.DISCONNECTED)
        .exclude(access_token="")
        .values_list("pk", flat=True)
    )
    for connection_id in ids:
        check_meta_connection(connection_id=connection_id)
    return len(ids)


def _email_admins_about(connection_id: int) -> None:
    connection = MetaConnection.objects.select_related("workspace").get(pk=connection_id)
    recipients = list(
        Membership.objects.filter(workspace=connection.workspace, role__in=MANAGERS).values_list(
            "user__email", flat=True
        )
    )
    url = settings.PUBLIC_BASE_URL + reverse(
        "meta_integration:connection", args=[connection.workspace.slug, connection.pk]
    )
    subject = _("Meta connection for %(workspace)s: %(status)s") % {
        "workspace": connection.workspace.name,
        "status": connection.get_status_display().lower(),
    }
    body = _(
        "The Meta connection of %(name)s in %(workspace)s is now: %(status)s.\n\n"
        "%(error)s\nOpen the connection's health page to see what to do:\n%(url)s\n"
    ) % {
        "name": connection.display_name,
        "workspace": connection.workspace.name,
        "status": connection.get_status_display().lower(),
        "error": connection.last_error + "\n" if connection.last_error else "",
        "url": url,
    }
    try:
        send_mail(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, None, recipients)
    except OSError:
        logger.exception("meta connection %s: admin email could not be sent", connection_id)


# --- Assets that go away ------------------------------------------------------------------------


@dataclass(frozen=True)
class RemovedAssets:
    """The assets of one workspace about to be deleted: Meta id -> name, per kind."""

    workspace_id: int
    pages: dict[str, str] = field(default_factory=dict)
    instagram: dict[str, str] = field(default_factory=dict)
    ad_accounts: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [*self.pages.values(), *self.instagram.values(), *self.ad_accounts.values()]


def collect_removed_assets(connections: Iterable[MetaConnection]) -> list[RemovedAssets]:
    """Return, per workspace, the assets of ``connections`` (call it before deleting them)."""
    found: dict[int, RemovedAssets] = {}
    ids = [connection.pk for connection in connections]
    for page in MetaPage.objects.filter(connection_id__in=ids).order_by("name", "pk"):
        found.setdefault(page.workspace_id, RemovedAssets(page.workspace_id)).pages[
            page.page_id
        ] = page.name
    for account in InstagramAccount.objects.filter(connection_id__in=ids).order_by("pk"):
        found.setdefault(account.workspace_id, RemovedAssets(account.workspace_id)).instagram[
            account.ig_user_id
        ] = str(account)
    for ad in MetaAdAccount.objects.filter(connection_id__in=ids).order_by("name", "pk"):
        found.setdefault(ad.workspace_id, RemovedAssets(ad.workspace_id)).ad_accounts[
            ad.ad_account_id
        ] = ad.name
    return list(found.values())


def announce_removed_assets(
    removed: RemovedAssets,
    *,
    kind: str,
    title: str,
    cause: str,
    intro: str,
    name_assets: bool = True,
) -> list[str]:
    """Tell the apps built on the removed assets, then owners and admins; return what paused.

    Runs inside the transaction that deleted the rows (receivers pause in the same commit).
    Texts never name the Facebook person; after an erasure (``name_assets=False``) they don't
    name the Pages and accounts either (a creator's Page carries their name), only count them.
    """
    responses = signals.assets_removed.send(
        sender=MetaConnection,
        workspace_id=removed.workspace_id,
        page_ids=list(removed.pages),
        ig_user_ids=list(removed.instagram),
        ad_account_ids=list(removed.ad_accounts),
        cause=cause,
    )
    paused = [line for _receiver, lines in responses for line in lines or []]
    lines = [intro]
    if removed.names and name_assets:
        lines.append(_("No longer connected: %(names)s.") % {"names": ", ".join(removed.names)})
    elif removed.names:
        lines.append(
            _("No longer connected: %(count)s Pages, Instagram and ad accounts.")
            % {"count": len(removed.names)}
        )
    if paused:
        lines.append(
            _("Paused until Meta is reconnected (%(count)s): %(items)s.")
            % {"count": len(paused), "items": "; ".join(paused)}
        )
    lines.append(
        _(
            "Published posts keep their history. Reconnect the same Facebook account to pick "
            "the accounts up again; paused publications then resume."
        )
    )
    workspace = Workspace.objects.get(pk=removed.workspace_id)
    notify_workspace(
        workspace,
        roles=MANAGERS,
        kind=kind,
        title=title,
        body="\n".join(lines),
        link=reverse("meta_integration:connections", args=[workspace.slug]),
    )
    return paused


# --- Disconnect -------------------------------------------------------------------------------


def disconnect_meta_account(*, actor: Membership, connection: MetaConnection) -> bool:
    """Revoke ProSocial's access on Meta, wipe every token and drop the assets.

    Keeps the connection row (who, which Meta user, when) as a minimal record. Returns whether
    Meta confirmed the revocation; the local wipe happens either way.
    """
    _require(actor)
    # Before the revocation: unsubscribing needs the Page tokens, which die with it.
    webhooks = unsubscribe_pages_now(connection=connection)
    revoked_on_meta = False
    if connection.access_token:
        try:
            graph.revoke_permissions(access_token=connection.access_token)
            revoked_on_meta = True
        except graph.GraphError as exc:
            # A token Meta already rejects has nothing left to revoke; anything else is logged
            # and the user is told to remove the app in Facebook settings.
            revoked_on_meta = exc.is_auth
            logger.warning("meta connection %s: revoke failed: %s", connection.pk, exc)
    _wipe_connection(
        actor=actor,
        connection_id=connection.pk,
        revoked_on_meta=revoked_on_meta,
        webhooks=webhooks,
    )
    return revoked_on_meta


@transaction.atomic
def _wipe_connection(
    *,
    actor: Membership,
    connection_id: int,
    revoked_on_meta: bool,
    webhooks: "UnsubscribeResult | None" = None,
) -> None:
    connection = MetaConnection.objects.select_for_update().get(pk=connection_id)
    removed = collect_removed_assets([connection])
    counts = {
        "pages": MetaPage.objects.filter(connection=connection).delete()[0],
        "instagram_accounts": InstagramAccount.objects.filter(connection=connection).delete()[0],
        "ad_accounts": MetaAdAccount.objects.filter(connection=connection).delete()[0],
    }
    connection.access_token = ""
    connection.status = Status.DISCONNECTED
    connection.notified_status = Status.DISCONNECTED
    connection.granted_scopes = []
    connection.granular_scopes = {}
    connection.declined_scopes = []
    connection.disconnected_at = timezone.now()
    connection.save(
        update_fields=[
            "access_token",
            "status",
            "notified_status",
            "granted_scopes",
            "granular_scopes",
            "declined_scopes",
            "disconnected_at",
            "updated_at",
        ]
    )
    record_audit_event(
        actor=actor.user,
        action="meta.disconnected",
        workspace=actor.workspace,
        target=connection,
        metadata={
            **counts,
            "revoked_on_meta": revoked_on_meta,
            **(webhooks.as_metadata() if webhooks is not None else {}),
        },
    )
    for assets in removed or [RemovedAssets(connection.workspace_id)]:
        announce_removed_assets(
            assets,
            kind="meta.disconnected",
            title=_("Meta was disconnected from %(workspace)s")
            % {"workspace": actor.workspace.name},
            cause=_("Meta was disconnected"),
            intro=_("%(person)s disconnected Meta; its tokens were deleted.")
            % {"person": actor.user.display_name},
        )


def remove_deauthorized_meta_page(*, page_id: str) -> int:
    """Meta says a Facebook Page removed ProSocial: drop that Page from every workspace.

    Called from the deauthorize callback when it names a Page (``profile_id``) instead of a
    person. Only that Page and the Instagram account linked to it go, in every connection that
    holds it; the connections and their other assets stay. Publications built on them pause
    (``assets_removed``), and each workspace's owners and admins are told. Returns how many
    Page rows were removed.
    """
    removed_rows = 0
    for connection_id in list(
        MetaPage.objects.filter(page_id=page_id)
        .order_by("connection_id")
        .values_list("connection_id", flat=True)
        .distinct()
    ):
        with transaction.atomic():
            connection = (
                MetaConnection.objects.select_for_update()
                .select_related("workspace")
                .get(pk=connection_id)
            )
            pages = list(MetaPage.objects.filter(connection=connection, page_id=page_id))
            if not pages:
                continue
            accounts = list(InstagramAccount.objects.filter(connection=connection, page__in=pages))
            removed = RemovedAssets(
                connection.workspace_id,
                pages={page_id: pages[0].name},
                instagram={account.ig_user_id: str(account) for account in accounts},
            )
            InstagramAccount.objects.filter(pk__in=[a.pk for a in accounts]).delete()
            MetaPage.objects.filter(pk__in=[page.pk for page in pages]).delete()
            removed_rows += len(pages)
            record_audit_event(
                actor=None,
                action="meta.page_deauthorized",
                workspace=connection.workspace,
                target=connection,
                metadata={
                    "page_id": page_id,
                    "page": pages[0].name,
                    "instagram_accounts": len(accounts),
                },
            )
            announce_removed_assets(
                removed,
                kind="meta.page_deauthorized",
                title=_("The Facebook Page %(page)s removed ProSocial") % {"page": pages[0].name},
                cause=_("The Page removed ProSocial on Facebook"),
                intro=_(
                    "The Facebook Page %(page)s removed ProSocial from its apps on Facebook, so "
                    "it is no longer connected here, nor is its Instagram account."
                )
                % {"page": pages[0].name},
            )
    return removed_rows


def revoke_meta_connections_for_user(*, meta_user_id: str) -> int:
    """Meta says the person removed ProSocial: mark their connections revoked, wipe tokens.

    Called from the deauthorize callback. Workspace owners and admins are notified (in the app
    and by email) once per connection.
    Returns how many connections were revoked.
    """
    ids = list(
        MetaConnection.objects.filter(meta_user_id=meta_user_id)
        .exclude(status__in=[Status.REVOKED, Status.DISCONNECTED])
        .values_list("pk", flat=True)
    )
    for connection_id in ids:
        with transaction.atomic():
            connection = MetaConnection.objects.select_for_update().get(pk=connection_id)
            MetaPage.objects.filter(connection=connection).update(access_token="")
            connection.access_token = ""
            connection.status = Status.REVOKED
            connection.notified_status = Status.REVOKED
            connection.last_error = _("The person removed ProSocial from their Facebook account.")
            connection.save(
                update_fields=[
                    "access_token",
                    "status",
                    "notified_status",
                    "last_error",
                    "updated_at",
                ]
            )
            record_audit_event(
                actor=None,
                action="meta.deauthorized",
                workspace=connection.workspace,
                target=connection,
            )
            # Scheduled and queued work waits for a reconnect instead of failing without a token.
            signals.connection_revoked.send(
                sender=MetaConnection, connection_id=connection.pk, cause=connection.last_error
            )
            # In-app and emailed; it names the workspace's Pages, never the Facebook person.
            pages = ", ".join(
                MetaPage.objects.filter(connection=connection).values_list("name", flat=True)
            )
            notify_workspace(
                connection.workspace,
                roles=MANAGERS,
                kind="meta.deauthorized",
                title=_("Meta access to %(workspace)s was removed on Facebook")
                % {"workspace": connection.workspace.name},
                body=_(
                    "A Facebook account connected here removed ProSocial from its apps, so its "
                    "tokens were deleted%(pages)s. Nothing can be published through it until "
                    "someone reconnects Meta; history is kept."
                )
                % {"pages": _(" (Pages: %(names)s)") % {"names": pages} if pages else ""},
                link=reverse(
                    "meta_integration:connection", args=[connection.workspace.slug, connection.pk]
                ),
            )
    return len(ids)


# --- Webhook subscriptions (GRAPH_NOTES §7.3) ---------------------------------------------------
#
# Meta sends a Page's webhooks (feed, Messenger) only while the app is installed on it
# (`/{page-id}/subscribed_apps`), and an Instagram account's (comments, mentions, DMs) only
# while its *linked Page* is; in both cases the app-level subscription for the object must exist
# too. Each MetaPage has one MetaPageSubscription row: `plan_page_subscriptions` decides what the
# workspace wants (inside the transaction that changed the selection) and queues a job, and the
# job (`sync_page_subscription`, on the runner of prosocial.jobs) makes Meta match it and records
# what Meta reports. Jobs retry transient failures and rate limits with back-off; everything else
# fails with the catalogue's explanation, shown on the connection's health page with *Resubscribe*.

SubscriptionStatus = MetaPageSubscription.Status
SUBSCRIPTION_MAX_ATTEMPTS = 5
SUBSCRIPTION_RETRY_SECONDS = 30.0  # first retry; doubles per attempt (jobs.retry_delay's shape)
MESSAGING_FIELDS = tuple(f for f in graph.PAGE_SUBSCRIBED_FIELDS if f != "feed")


def _enqueue_subscription(subscription_id: int, *, countdown: float = 0) -> None:
    transaction.on_commit(
        partial(
            tasks.sync_page_subscription_task.apply_async, (subscription_id,), countdown=countdown
        )
    )


PAGE_SUBSCRIPTIONS = jobs.register(
    jobs.JobKind(
        name="page webhook subscription",
        model=MetaPageSubscription,
        runnable=Q(status__in=[SubscriptionStatus.PENDING, SubscriptionStatus.RUNNING]),
        enqueue=_enqueue_subscription,
        running_status=SubscriptionStatus.RUNNING,
        queued_status=SubscriptionStatus.PENDING,
        done_status=SubscriptionStatus.SUBSCRIBED,
        failed_status=SubscriptionStatus.FAILED,
        max_attempts=SUBSCRIPTION_MAX_ATTEMPTS,
        attempts_used=lambda row: row.attempts - row.attempts_base,
        exhausted=lambda n: (
            _("Meta kept failing after %(n)d tries. Press Resubscribe to try again.") % {"n": n}
        ),
    )
)


def _wanted_page_ids(connection: MetaConnection) -> set[int]:
    """Return the pks of the Pages whose webhooks the workspace needs.

    A selected Page, and the Page linked to a selected Instagram account (Instagram's webhooks
    need the linked Page's subscription, §7.3).
    """
    wanted = set(
        MetaPage.objects.filter(connection=connection, is_selected=True).values_list(
            "pk", flat=True
        )
    )
    wanted |= {
        pk
        for pk in InstagramAccount.objects.filter(
            connection=connection, is_selected=True, is_available=True
        ).values_list("page_id", flat=True)
        if pk is not None
    }
    return wanted


def _requeue(pks: list[int], *, message: str) -> int:
    """Queue the given subscription rows now, fencing off any worker still on them."""
    if not pks:
        return 0
    changed = MetaPageSubscription.objects.filter(pk__in=pks).update(
        status=SubscriptionStatus.PENDING,
        message=message[:300],
        next_attempt_at=timezone.now(),
        lease_expires_at=None,
        # Bumping attempts fences a worker still holding an older claim (prosocial.jobs).
        attempts=F("attempts") + 1,
        attempts_base=F("attempts") + 1,
        retryable=False,
        updated_at=timezone.now(),
    )
    for pk in pks:
        _enqueue_subscription(pk)
    return changed


def plan_page_subscriptions(*, connection: MetaConnection, recheck: bool = False) -> list[int]:
    """Decide which of the connection's Pages must be subscribed, and queue the jobs that do it.

    Runs inside the caller's transaction (jobs are sent after COMMIT). A Page whose want changed
    gets a job; so does a wanted Page that isn't subscribed yet. ``recheck`` also queues every
    Page that is or was wanted (a new token, the periodic check, *Resubscribe*). Returns the
    queued rows' pks.
    """
    wanted_ids = _wanted_page_ids(connection)
    queued: list[int] = []
    again: list[int] = []
    pages = MetaPage.objects.filter(connection=connection).order_by("pk")
    existing = {
        row.page_id: row for row in MetaPageSubscription.objects.filter(page__connection=connection)
    }
    for page in pages:
        wanted = page.pk in wanted_ids and page.is_available
        row = existing.get(page.pk)
        if row is None:
            if not wanted:
                continue
            row = MetaPageSubscription.objects.create(
                page=page, is_wanted=True, status=SubscriptionStatus.PENDING
            )
            queued.append(row.pk)
            _enqueue_subscription(row.pk)
            continue
        busy = row.status in (SubscriptionStatus.PENDING, SubscriptionStatus.RUNNING)
        changed = wanted != row.is_wanted
        if changed:
            MetaPageSubscription.objects.filter(pk=row.pk).update(
                is_wanted=wanted, updated_at=timezone.now()
            )
        if (
            changed
            or (recheck and (wanted or row.status != SubscriptionStatus.UNSUBSCRIBED))
            or (wanted and not busy and row.status != SubscriptionStatus.SUBSCRIBED)
        ):
            again.append(row.pk)
    _requeue(again, message=_("Queued: checking the subscription with Meta."))
    return queued + again


def resubscribe_meta_pages(*, actor: Membership, connection: MetaConnection) -> int:
    """Run every Page subscription of ``connection`` again (*Resubscribe*); return how many."""
    _require(actor)
    if not connection.is_usable:
        raise MetaConnectionError(
            _("This connection can't reach Meta (%(status)s). Reconnect it first.")
            % {"status": connection.get_status_display().lower()}
        )
    with transaction.atomic():
        connection = MetaConnection.objects.select_for_update().get(pk=connection.pk)
        queued = plan_page_subscriptions(connection=connection, recheck=True)
        record_audit_event(
            actor=actor.user,
            action="meta.webhooks_resubscribed",
            workspace=actor.workspace,
            target=connection,
            metadata={"pages": len(queued)},
        )
    return len(queued)


def _used_elsewhere(row: MetaPageSubscription) -> bool:
    """Whether another connection (any workspace) still wants this Meta Page's webhooks.

    The subscription belongs to ProSocial's app and the Page, not to a workspace: removing it
    for one workspace would silence every other workspace that uses the same Page.
    """
    return (
        MetaPageSubscription.objects.filter(page__page_id=row.page.page_id, is_wanted=True)
        .exclude(pk=row.pk)
        .exclude(page__connection__status=Status.DISCONNECTED)
        .exists()
    )


def _page_fields(page: MetaPage) -> tuple[list[str], str]:
    """Return the fields to subscribe the Page to, and a note on what is left out and why."""
    connection = page.connection
    ids = {page.page_id}
    if scope_covers(connection, "pages_messaging", ids):
        return list(graph.PAGE_SUBSCRIBED_FIELDS), ""
    note = _(
        "Messenger messages are not subscribed: the pages_messaging permission was not granted "
        "for this Page. Reconnect and keep it ticked."
    )
    return ["feed"], note


def sync_page_subscription(*, subscription_id: int) -> None:
    """Make Meta's subscription of one Page match ``is_wanted``, and record what Meta reports.

    A job of the runner (claimed, fenced, retried). Subscribing is idempotent at Meta (the call
    replaces the field list) and is confirmed by reading ``subscribed_apps`` back; an unwanted
    Page is unsubscribed unless another workspace still uses it. The Page token is read from
    the vault here, never passed around.
    """
    lease = jobs.claim(PAGE_SUBSCRIPTIONS, subscription_id)
    if lease is None:
        return
    with lease:
        row = MetaPageSubscription.objects.select_related("page__connection").get(
            pk=subscription_id
        )
        page = row.page
        now = timezone.now()
        if not row.is_wanted and not page.access_token:
            lease.finish(
                status=SubscriptionStatus.UNSUBSCRIBED,
                subscribed_fields=[],
                missing_app_objects=[],
                last_checked_at=now,
                message=_("No longer shared with ProSocial, so there is nothing to unsubscribe."),
            )
            return
        if not page.access_token or not page.connection.is_usable:
            lease.fail(
                _("ProSocial has no working access to this Page (reconnect Meta)."),
                last_checked_at=now,
            )
            return
        if row.is_wanted and not scope_covers(
            page.connection, "pages_manage_metadata", {page.page_id}
        ):
            lease.fail(
                _(
                    "The pages_manage_metadata permission, which webhooks need, was not granted "
                    "for this Page. Reconnect and keep it ticked."
                ),
                last_checked_at=now,
            )
            return
        try:
            if row.is_wanted:
                _subscribe(lease, row)
                # Meta sends this Page's webhooks from now on: what came before can be read.
                for _receiver, error in signals.webhooks_subscribed.send_robust(
                    sender=MetaConnection, connection_id=page.connection_id
                ):
                    if isinstance(error, Exception):
                        logger.warning("webhooks_subscribed receiver failed: %r", error)
            else:
                _unsubscribe(lease, row)
        except graph.GraphError as exc:
            explanation = explain(exc)
            text = f"{explanation.cause} {explanation.fix}"
            logger.warning("page subscription %s: %s", subscription_id, exc)
            if exc.is_retryable:
                wait = exc.retry_after or SUBSCRIPTION_RETRY_SECONDS * 2 ** (
                    PAGE_SUBSCRIPTIONS.attempts_used(row) - 1
                )
                lease.fail(text, retry_in=wait, retryable=True, last_checked_at=now)
            else:
                lease.fail(text, last_checked_at=now)


def _subscribe(lease: "jobs.Lease[MetaPageSubscription]", row: MetaPageSubscription) -> None:
    page = row.page
    fields, note = _page_fields(page)
    lease.progress(20, _("Subscribing the Page with Meta…"))
    graph.subscribe_page(access_token=page.access_token, page_id=page.page_id, fields=fields)
    lease.progress(60, _("Confirming with Meta…"))
    ours = _our_fields(page)
    missing_app = _ensure_app_subscriptions(with_instagram=page.instagram_accounts.exists())
    notes = [note] if note else []
    if not set(fields) <= set(ours):
        notes.append(
            _("Meta reports only these fields: %(fields)s.") % {"fields": ", ".join(ours) or "—"}
        )
    if missing_app:
        notes.append(
            _(
                "Meta's app-level webhook subscription is missing for: %(objects)s; an operator "
                "must set the callback URL (docs: Using a real Meta app)."
            )
            % {"objects": ", ".join(missing_app)}
        )
    lease.finish(
        subscribed_fields=list(ours),
        missing_app_objects=missing_app,
        last_checked_at=timezone.now(),
        message=" ".join(notes) or _("Subscribed."),
    )


def _unsubscribe(lease: "jobs.Lease[MetaPageSubscription]", row: MetaPageSubscription) -> None:
    page = row.page
    if _used_elsewhere(row):
        lease.finish(
            status=SubscriptionStatus.UNSUBSCRIBED,
            subscribed_fields=[],
            missing_app_objects=[],
            last_checked_at=timezone.now(),
            message=_("Not used here; left subscribed for another workspace that uses this Page."),
        )
        return
    lease.progress(30, _("Unsubscribing the Page with Meta…"))
    graph.unsubscribe_page(access_token=page.access_token, page_id=page.page_id)
    lease.finish(
        status=SubscriptionStatus.UNSUBSCRIBED,
        subscribed_fields=[],
        missing_app_objects=[],
        last_checked_at=timezone.now(),
        message=_("Unsubscribed: this workspace doesn't use the Page."),
    )


def _our_fields(page: MetaPage) -> list[str]:
    """Return the fields Meta reports for ProSocial's app on the Page ([] when not installed)."""
    for app in graph.list_page_subscriptions(access_token=page.access_token, page_id=page.page_id):
        if app.id == settings.META_APP_ID:
            return list(app.subscribed_fields)
    return []


def webhook_callback_url() -> str:
    """Return the address Meta posts webhooks to (ARCHITECTURE §6: /meta/webhooks/)."""
    return settings.PUBLIC_BASE_URL + reverse("meta_integration:webhooks")


def _ensure_app_subscriptions(*, with_instagram: bool) -> list[str]:
    """Make sure the app-level subscriptions the inbox needs exist; return the objects missing.

    Checked on every Page job (one GET). A missing or incomplete object is subscribed at our
    callback URL (Meta then calls it to verify, §7.1). Failures are not the Page's: they are
    returned, recorded on the row and shown on the health page, and the Page stays subscribed.
    """
    objects = ["page", "instagram"] if with_instagram else ["page"]
    try:
        current = {sub.object: sub for sub in graph.list_app_subscriptions()}
    except graph.GraphError as exc:
        logger.warning("app webhook subscriptions could not be read: %s", exc)
        return objects
    missing = []
    for object_type in objects:
        needed = graph.APP_SUBSCRIBED_FIELDS[object_type]
        sub = current.get(object_type)
        if sub is not None and sub.active and set(needed) <= set(sub.fields):
            continue
        try:
            graph.subscribe_app(
                object=object_type,
                callback_url=webhook_callback_url(),
                fields=needed,
                verify_token=settings.META_WEBHOOK_VERIFY_TOKEN,
            )
        except graph.GraphError as exc:
            logger.warning("app webhook subscription for %s failed: %s", object_type, exc)
            missing.append(object_type)
    return missing


@dataclass
class UnsubscribeResult:
    """What a disconnect did to the Pages' webhook subscriptions (for the audit log)."""

    unsubscribed: list[str] = field(default_factory=list)  # Page names
    kept: list[str] = field(default_factory=list)  # still used by another workspace
    failed: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, object]:
        """Return the audit metadata; nothing when no Page was subscribed."""
        if not (self.unsubscribed or self.kept or self.failed):
            return {}
        return {
            "webhooks_unsubscribed": len(self.unsubscribed),
            "webhooks_kept_for_other_workspaces": len(self.kept),
            "webhooks_unsubscribe_failed": self.failed,
        }


def unsubscribe_pages_now(*, connection: MetaConnection) -> UnsubscribeResult:
    """Remove ProSocial's webhooks from the connection's Pages now, best effort (disconnect).

    Pages another workspace still uses keep theirs. Meta's refusals are logged and returned,
    never raised: the disconnect goes on either way (and the revocation that follows ends every
    subscription of a person who removed the app).
    """
    result = UnsubscribeResult()
    rows = MetaPageSubscription.objects.filter(page__connection=connection).select_related("page")
    for row in rows:
        if not row.is_wanted and row.status == SubscriptionStatus.UNSUBSCRIBED:
            continue
        page = row.page
        MetaPageSubscription.objects.filter(pk=row.pk).update(
            is_wanted=False, updated_at=timezone.now()
        )
        if _used_elsewhere(row):
            result.kept.append(page.name)
            continue
        if not page.access_token:
            result.failed.append(page.name)
            continue
        try:
            graph.unsubscribe_page(access_token=page.access_token, page_id=page.page_id)
        except graph.GraphError as exc:
            logger.warning("page %s: unsubscribe on disconnect failed: %s", page.pk, exc)
            result.failed.append(page.name)
        else:
            result.unsubscribed.append(page.name)
    return result


def sweep_page_subscriptions() -> int:
    """Queue subscription jobs whose worker died or whose message was lost (beat)."""
    return jobs.sweep(PAGE_SUBSCRIPTIONS)


def page_token_for(*, page: MetaPage) -> str:
    """Return the Page's token from the vault for a Graph call, or explain why there is none.

    For the inbox and other apps acting as a Page: the token goes straight into a
    ``graph`` call, never into a task argument, a log line or a template.
    """
    if not page.access_token or not page.connection.is_usable:
        raise MetaConnectionError(
            _("ProSocial has no working access to the Page %(page)s. Reconnect Meta.")
            % {"page": page.name}
        )
    return page.access_token
