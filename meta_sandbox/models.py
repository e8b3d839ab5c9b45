"""The sandbox's in-memory objects: the Meta world and the app's view of it.

The world is people, Pages, Instagram accounts and ad accounts; the app's view is
authorizations, OAuth codes and tokens. Plain dataclasses, no behaviour beyond small derived properties; `SandboxState` owns
them and guards them with its lock. Ids are strings, as Graph returns them.
"""

from dataclasses import dataclass, field


@dataclass
class Business:
    id: str
    name: str


@dataclass
class MetaUser:
    id: str  # app-scoped user id
    name: str
    first_name: str
    last_name: str
    email: str
    page_ids: list[str] = field(default_factory=list)
    ad_account_ids: list[str] = field(default_factory=list)


@dataclass
class Page:
    id: str
    name: str
    category: str
    category_id: str
    username: str
    tasks: list[str]
    fan_count: int
    followers_count: int
    ig_user_id: str | None = None


@dataclass
class IgAccount:
    id: str  # IG user id (1784…)
    ig_id: int  # legacy Instagram id
    username: str
    name: str
    account_type: str  # BUSINESS | MEDIA_CREATOR
    biography: str
    website: str
    followers_count: int
    follows_count: int
    media_count: int
    page_id: str


@dataclass
class AdAccount:
    account_id: str  # bare number; the Graph id is "act_<account_id>"
    name: str
    account_status: int
    disable_reason: int
    currency: str
    timezone_name: str
    timezone_offset_hours_utc: float
    amount_spent: str  # minor units, as a string (§1.10)
    balance: str
    spend_cap: str
    business_id: str | None = None

    @property
    def id(self) -> str:
        return f"act_{self.account_id}"


@dataclass
class World:
    users: dict[str, MetaUser] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    ig_accounts: dict[str, IgAccount] = field(default_factory=dict)
    ad_accounts: dict[str, AdAccount] = field(default_factory=dict)  # keyed by "act_…"
    businesses: dict[str, Business] = field(default_factory=dict)


@dataclass
class Authorization:
    """What one person granted this app: scopes and, per asset kind, which assets."""

    user_id: str
    granted: list[str]
    declined: list[str]
    page_ids: list[str]
    ig_user_ids: list[str]
    ad_account_ids: list[str]
    granted_at: int
    data_access_expires_at: int
    active: bool = True

    def grants(self, scope: str) -> bool:
        return self.active and scope in self.granted


@dataclass
class AuthCode:
    code: str
    user_id: str
    client_id: str
    redirect_uri: str
    issued_at: float
    used: bool = False


@dataclass
class Token:
    """An access token and what Meta remembers about it."""

    value: str
    kind: str  # USER | PAGE
    user_id: str
    issued_at: int
    expires_at: int  # 0 = never
    long_lived: bool
    page_id: str | None = None
    source: str | None = None  # the user token a Page token or long-lived token came from
    revoked: bool = False


# account_status values (GRAPH_NOTES §1.10), for labels in the dialog and console.
ACCOUNT_STATUS_NAMES = {
    1: "ACTIVE",
    2: "DISABLED",
    3: "UNSETTLED",
    7: "PENDING_RISK_REVIEW",
    8: "PENDING_SETTLEMENT",
    9: "IN_GRACE_PERIOD",
    100: "PENDING_CLOSURE",
    101: "CLOSED",
}
