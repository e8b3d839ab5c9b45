"""What a connection can and cannot do, and what to do about each gap.

Pure functions over stored rows (no network): the health page, the dashboard notice and the
periodic check all read the same verdicts.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from meta_integration.models import (
    InstagramAccount,
    MetaAdAccount,
    MetaConnection,
    MetaPage,
    MetaPageSubscription,
)
from meta_integration.scopes import FEATURES, SCOPE_ASSET_KIND, Feature

# Ad account statuses that can run ads (GRAPH_NOTES §1.10: 1 ACTIVE, 9 IN_GRACE_PERIOD delivers).
USABLE_AD_ACCOUNT_STATUSES = {1, 9}


@dataclass(frozen=True)
class Gap:
    problem: str
    fix: str


@dataclass(frozen=True)
class FeatureHealth:
    feature: Feature
    missing_scopes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing_scopes


@dataclass(frozen=True)
class WebhookHealth:
    """Whether Meta sends an asset's comments and messages to ProSocial, in plain words."""

    state: str  # "ok", "warning", "problem", "pending" or "off" (not used by the workspace)
    summary: str
    detail: str = ""
    checked_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


@dataclass
class AssetHealth:
    asset: MetaPage | InstagramAccount | MetaAdAccount
    kind: str
    gaps: list[Gap] = field(default_factory=list)
    webhooks: WebhookHealth | None = None

    @property
    def ok(self) -> bool:
        return not self.gaps


def status_for_expiry(expires_at: datetime | None, *, now: datetime | None = None) -> str:
    """Return ACTIVE or EXPIRING for a valid token that expires at ``expires_at``."""
    now = now or timezone.now()
    warning = timedelta(days=settings.META_TOKEN_EXPIRY_WARNING_DAYS)
    if expires_at is not None and expires_at - now <= warning:
        return MetaConnection.Status.EXPIRING
    return MetaConnection.Status.ACTIVE


def asset_ids(asset: MetaPage | InstagramAccount | MetaAdAccount) -> set[str]:
    """Return the ids a per-asset grant may name for ``asset``."""
    if isinstance(asset, MetaPage):
        return {asset.page_id}
    if isinstance(asset, InstagramAccount):
        return {asset.ig_user_id}
    return {asset.ad_account_id, asset.account_id}


def scope_covers(connection: MetaConnection, scope: str, asset_ids: set[str]) -> bool:
    """Return whether ``scope`` is granted and, if limited to some assets, includes this one."""
    if scope not in connection.granted_scopes:
        return False
    targets = connection.granular_scopes.get(scope)
    return targets is None or bool(asset_ids & set(targets))


def feature_health(connection: MetaConnection) -> list[FeatureHealth]:
    granted = set(connection.granted_scopes)
    return [
        FeatureHealth(feature, tuple(s for s in feature.scopes if s not in granted))
        for feature in FEATURES
    ]


def asset_health(
    connection: MetaConnection, asset: MetaPage | InstagramAccount | MetaAdAccount, kind: str
) -> AssetHealth:
    """Return every gap that stops ProSocial using ``asset`` for the features that need it."""
    result = AssetHealth(asset, kind)
    if not asset.is_available:
        result.gaps.append(
            Gap(
                _("Meta no longer shares this with ProSocial."),
                _("Reconnect and tick it again in Meta's dialog, or check your role on it."),
            )
        )
        return result
    ids = asset_ids(asset)
    limited = sorted(
        scope
        for scope, scope_kind in SCOPE_ASSET_KIND.items()
        if scope_kind == kind
        and scope in connection.granted_scopes
        and not scope_covers(connection, scope, ids)
    )
    if limited:
        result.gaps.append(
            Gap(
                _("Access was granted without this asset for: %(scopes)s.")
                % {"scopes": ", ".join(limited)},
                _("Reconnect and include it when Meta asks which assets to share."),
            )
        )
    if isinstance(asset, MetaPage) and not {"CREATE_CONTENT", "MANAGE"} & set(asset.tasks):
        result.gaps.append(
            Gap(
                _("Your role on this Page can't create content."),
                _("Ask a Page admin to give you Content (CREATE_CONTENT) access in Meta."),
            )
        )
    if isinstance(asset, MetaAdAccount) and asset.account_status not in USABLE_AD_ACCOUNT_STATUSES:
        result.gaps.append(
            Gap(
                _("This ad account can't run ads (status %(status)s).")
                % {"status": ad_account_status_label(asset.account_status)},
                _("Resolve it in Meta Ads Manager (billing, review or policy), then refresh."),
            )
        )
    return result


def ad_account_status_label(status: int | None) -> str:
    from meta_integration.graph import AD_ACCOUNT_STATUS_LABELS

    if status is None:
        return _("unknown")
    return str(AD_ACCOUNT_STATUS_LABELS.get(status, status))


def connection_gaps(connection: MetaConnection, *, now: datetime | None = None) -> list[Gap]:
    """Return the problems with the connection as a whole, most urgent first."""
    now = now or timezone.now()
    gaps = []
    status = MetaConnection.Status
    if connection.status == status.NEEDS_REAUTH:
        gaps.append(
            Gap(
                _("Meta no longer accepts this connection's token."),
                _("Reconnect with the same Facebook account to resume publishing."),
            )
        )
    elif connection.status == status.REVOKED:
        gaps.append(
            Gap(
                _("ProSocial was removed from this Facebook account's apps."),
                _("Reconnect to grant access again."),
            )
        )
    elif connection.expires_at and connection.expires_at - now <= timedelta(
        days=settings.META_TOKEN_EXPIRY_WARNING_DAYS
    ):
        gaps.append(
            Gap(
                _("The token expires %(when)s.")
                % {"when": connection.expires_at.strftime("%Y-%m-%d %H:%M UTC")},
                _("Reconnect before then; scheduled posts after that time would fail."),
            )
        )
    if connection.data_access_expires_at and connection.data_access_expires_at <= now:
        gaps.append(
            Gap(
                _("Meta's 90-day data access window has ended."),
                _("Reconnect to renew data access."),
            )
        )
    if connection.declined_scopes:
        gaps.append(
            Gap(
                _("Permissions declined: %(scopes)s.")
                % {"scopes": ", ".join(connection.declined_scopes)},
                _("Use “Reconnect” and leave them ticked; Meta will ask for them again."),
            )
        )
    return gaps


# --- Webhook subscriptions (GRAPH_NOTES §7.3) ---------------------------------------------------

SubscriptionStatus = MetaPageSubscription.Status


def subscriptions_by_page(connection: MetaConnection) -> dict[int, MetaPageSubscription]:
    """Return the connection's Page subscription rows keyed by MetaPage pk (one query)."""
    rows = MetaPageSubscription.objects.filter(page__connection=connection)
    return {row.page_id: row for row in rows}


def _subscription_health(
    row: MetaPageSubscription | None,
    *,
    what: str,
    app_object: str,
    via: str = "",
    usable: bool = True,
) -> WebhookHealth:
    """Describe one subscription row for an asset whose events are ``what``."""
    if not usable and row is not None and row.is_wanted:
        return WebhookHealth(
            "problem",
            _("Not receiving %(what)s reliably: the connection needs reconnecting.")
            % {"what": what},
            "",
            row.last_checked_at,
        )
    if row is None or (not row.is_wanted and row.status == SubscriptionStatus.UNSUBSCRIBED):
        return WebhookHealth(
            "off",
            _("Not subscribed: tick it above to receive its %(what)s in the inbox.")
            % {"what": what},
            row.message if row is not None else "",
            row.last_checked_at if row is not None else None,
        )
    if not row.is_wanted:
        if row.status == SubscriptionStatus.FAILED:
            return WebhookHealth(
                "warning",
                _("Unsubscribing failed; Meta may still send its events (they are ignored)."),
                row.error,
                row.last_checked_at,
            )
        return WebhookHealth("pending", _("Unsubscribing…"), "", row.last_checked_at)
    if row.status in (SubscriptionStatus.PENDING, SubscriptionStatus.RUNNING):
        detail = row.error and _("Last try: %(error)s") % {"error": row.error}
        return WebhookHealth("pending", _("Subscribing…"), detail or "", row.last_checked_at)
    if row.status == SubscriptionStatus.FAILED:
        return WebhookHealth(
            "problem",
            _("Not receiving %(what)s: the subscription failed. Fix it, then press Resubscribe.")
            % {"what": what},
            row.error,
            row.last_checked_at,
        )
    if app_object in row.missing_app_objects:
        return WebhookHealth(
            "problem",
            _(
                "Subscribed, but nothing arrives yet: Meta's app-level webhook subscription is "
                "missing."
            ),
            row.message,
            row.last_checked_at,
        )
    summary = _("Receiving its %(what)s live%(via)s.") % {"what": what, "via": via}
    if app_object == "page" and "messages" not in row.subscribed_fields:
        return WebhookHealth(
            "warning",
            _("Receiving comments live, but not Messenger messages."),
            row.message,
            row.last_checked_at,
        )
    if "feed" not in row.subscribed_fields:
        return WebhookHealth(
            "problem",
            _("Meta no longer reports the subscription. Press Resubscribe."),
            row.message,
            row.last_checked_at,
        )
    return WebhookHealth("ok", summary, "", row.last_checked_at)


def page_webhook_health(
    page: MetaPage, row: MetaPageSubscription | None, *, usable: bool = True
) -> WebhookHealth:
    """Say whether the Page's comments and Messenger messages reach ProSocial."""
    return _subscription_health(
        row, what=_("comments and messages"), app_object="page", usable=usable
    )


def instagram_webhook_health(
    account: InstagramAccount, row: MetaPageSubscription | None, *, usable: bool = True
) -> WebhookHealth:
    """Say whether the account's comments, mentions and DMs reach ProSocial (via its Page)."""
    if account.page is None:
        return WebhookHealth(
            "problem" if account.is_selected else "off",
            _("Not linked to a Facebook Page here, so its comments and messages can't arrive."),
            _("Link it to a Page in Instagram's settings and share that Page when you reconnect."),
        )
    via = _(" through %(page)s's subscription") % {"page": account.page.name}
    return _subscription_health(
        row,
        what=_("comments, mentions and messages"),
        app_object="instagram",
        via=via,
        usable=usable,
    )
