"""The sandbox's whole state, held in memory by one `SandboxState` behind one lock.

The server is threaded: every read or change of the world, the login machinery, the
faults or the request log happens while holding `state.lock` (an RLock, so helpers can
nest). The public methods below are also the in-process test API:

    state.reset()                      # reseed, clear faults and tokens, reset clock
    state.advance_clock(3600)          # time travel
    state.add_fault(path="/me/accounts", error={"code": 4})
    state.clear_faults()
    state.expire_tokens(user_id=...)   # -> number of tokens changed
    state.grant(user_id=..., scopes=[...])  # skip the dialog: authorize + user token
    state.authorize_user(user_id=..., scopes=[...]); state.auth.issue_code(...)
    state.send_callback(kind="data_deletion", url=..., user_id=...)  # -> CallbackResult;
                                       # removes the app for that person first
    state.snapshot()                   # the JSON served at GET /_sandbox/state
    state.describe_objects(kind="ig_media", owner_id=..., marker=...)  # created objects
    state.save()                       # write the state file now (see below)

Playing the customer (meta_sandbox/engagement.py, messaging.py; seeded people in seed.py).
Each emits its webhook item(s) through `state.webhooks`; each raises `CustomerError` (a
ValueError) for an action the person cannot play, before changing anything:

    state.customer_comment(customer_id=seed.MARIA_ID, object_id=post_id, message="Hi",
                           parent_id=None)          # -> Comment (a reply with parent_id)
    state.customer_edit_comment(comment_id=..., message="...")   # Facebook only
    state.customer_delete_comment(comment_id=...)
    state.customer_react(customer_id=..., object_id=post_id, reaction="love")  # "none" removes
    state.customer_message(customer_id=..., to=page_or_ig_id, text="...", image_url=None,
                           story_id=None)           # -> Message (story_id: a story reply)
    state.customer_story_mention(customer_id=..., ig_user_id=...)  # -> Message, opens window
    state.customer_react_to_message(customer_id=..., mid=..., reaction="love")  # None: unreact
    state.customer_unsend(customer_id=..., mid=...)  # Instagram: is_deleted
    state.customer_mention(customer_id=..., ig_user_id=..., text="@you", in_comment=False)
    state.update_customer(customer_id, blocked_asset_ids=[...], deleted=True)
    state.webhooks                     # subscriptions, webhook delivery, its knobs: webhooks.py
                                       # (.subscribe_app/.subscribe_page, .pause(), .flush(),
                                       # .set_faults(...), .emitted, .deliveries)

With `state_file` (the runner's `--state-file`), the state is loaded from that file at
creation and `save()` writes it back; the app saves after every request, so a restarted
sandbox still knows its tokens and objects (`persistence.py` says what is kept). Without
it, as in tests, everything stays in memory and `save()` does nothing.
"""

import logging
import threading
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from meta_sandbox import config, engagement, insights, lifecycle, messaging, persistence, seed
from meta_sandbox.callbacks import CallbackResult, check_callback, send_callback
from meta_sandbox.clock import Clock, SandboxClock
from meta_sandbox.faults import Fault, FaultBook
from meta_sandbox.models import Authorization, Token, World
from meta_sandbox.objects import ObjectStore
from meta_sandbox.tokens import AuthStore
from meta_sandbox.webhooks import WebhookOutbox

logger = logging.getLogger(__name__)


@dataclass
class SandboxSettings:
    """Switches a test may flip; `reset()` restores the values given at creation."""

    require_appsecret_proof: bool = True
    default_api_version: str = config.DEFAULT_API_VERSION
    # Meta's "Valid OAuth Redirect URIs"; empty = accept any absolute http(s) URI.
    valid_redirect_uris: list[str] = field(default_factory=list)
    # Publishing: the IG quota (GRAPH_NOTES §2.8) and sandbox-clock processing times.
    ig_publish_quota: int = config.IG_PUBLISH_QUOTA
    ig_image_processing_seconds: float = config.IG_IMAGE_PROCESSING_SECONDS
    ig_video_processing_seconds: float = config.IG_VIDEO_PROCESSING_SECONDS
    video_processing_seconds: float = config.VIDEO_PROCESSING_SECONDS
    ad_review_seconds: float = config.AD_REVIEW_SECONDS
    # Insights (meta_sandbox/insights.py): the seed of every number, how late data shows,
    # async report runs (duration; the next N fail) and the hourly call budgets behind the
    # usage headers and throttling errors.
    insights_seed: int = config.INSIGHTS_SEED
    insights_delay_seconds: float = config.INSIGHTS_DELAY_SECONDS
    insights_report_seconds: float = config.INSIGHTS_REPORT_SECONDS
    insights_fail_next_reports: int = 0
    insights_sync_row_limit: int = config.INSIGHTS_SYNC_ROW_LIMIT
    insights_app_calls_per_hour: int = config.INSIGHTS_APP_CALLS_PER_HOUR
    insights_account_calls_per_hour: int = config.INSIGHTS_ACCOUNT_CALLS_PER_HOUR
    insights_organic_calls_per_hour: int = config.INSIGHTS_ORGANIC_CALLS_PER_HOUR


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int  # 0 = connection dropped
    time: float
    fault_id: str | None = None


@dataclass
class SandboxState:
    app_id: str
    app_secret: str
    clock: Clock = field(default_factory=SandboxClock)
    initial_settings: SandboxSettings = field(default_factory=SandboxSettings)
    state_file: Path | None = None

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.settings = replace(self.initial_settings)
        self.world: World = seed.build_world()
        self.objects = ObjectStore()
        self.auth = AuthStore(self.app_id, self.clock.now)
        self.faults = FaultBook()
        self.requests: deque[LoggedRequest] = deque(maxlen=config.REQUEST_LOG_SIZE)
        self.callbacks: deque[CallbackResult] = deque(maxlen=config.CALLBACK_LOG_SIZE)
        self.webhooks = WebhookOutbox(
            now=self.clock.now,
            app_secret=self.app_secret,
            lock=self.lock,
            linked_page=self._ig_page,
        )
        self.engagement = seed.build_engagement(self.clock.now())
        self.insights_usage = insights.UsageMeter()  # calls per hour, for usage headers
        self._saved_text: str | None = None
        if self.state_file is not None:
            self._load(self.state_file)

    # --- lifecycle ----------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def reset(self) -> None:
        """Reseed the world and forget tokens, codes, faults, the log and clock offset."""
        with self.lock:
            self.settings = replace(self.initial_settings)
            self.world = seed.build_world()
            numbered = self.objects.next_number
            self.objects = ObjectStore()
            # Forgotten objects' ids stay used: the app may still hold them.
            self.objects.next_number = max(self.objects.next_number, numbered)
            self.auth.clear()
            self.faults.clear()
            self.requests.clear()
            self.callbacks.clear()
            self.webhooks.clear()
            self.clock.reset()
            self.engagement = seed.build_engagement(self.clock.now())
            self.insights_usage.clear()

    def save(self) -> None:
        """Write the state file if anything it keeps changed since the last write."""
        if self.state_file is None:
            return
        with self.lock:
            text = persistence.encode(persistence.dump(self))
            if text != self._saved_text:
                persistence.write_atomically(self.state_file, text)
                self._saved_text = text

    def _load(self, path: Path) -> None:
        try:
            data = persistence.read(path)
            if data is not None:
                persistence.restore(self, data)
        except (persistence.StateFileError, KeyError, TypeError, ValueError) as exc:
            aside = persistence.set_aside(path)
            logger.warning("meta_sandbox: starting afresh; %s is unusable (%s)", aside, exc)
            return
        if data is not None:
            logger.info(
                "meta_sandbox: restored %d tokens and %d objects from %s",
                len(self.auth.tokens),
                len(self.objects.by_id),
                path,
            )

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox clock forward; return the new sandbox time."""
        with self.lock:
            self.clock.advance(seconds)
            return self.clock.now()

    def update_settings(self, **values: Any) -> SandboxSettings:
        with self.lock:
            unknown = set(values) - set(asdict(self.settings))
            if unknown:
                raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
            self.settings = replace(self.settings, **values)
            return self.settings

    # --- faults -------------------------------------------------------------------------

    def add_fault(self, **spec: Any) -> Fault:
        with self.lock:
            return self.faults.add(**spec)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            return self.faults.take(method, path)

    # --- tokens -------------------------------------------------------------------------

    def expire_tokens(self, *, access_token: str | None = None, user_id: str | None = None) -> int:
        with self.lock:
            return self.auth.expire(access_token=access_token, user_id=user_id)

    def authorize_user(
        self,
        *,
        user_id: str,
        scopes: list[str],
        page_ids: list[str] | None = None,
        ig_user_ids: list[str] | None = None,
        ad_account_ids: list[str] | None = None,
    ) -> Authorization:
        """Record a grant for a seeded person as if they had clicked through the dialog.

        Asset lists default to everything the person manages. Raises KeyError for an
        unknown person.
        """
        with self.lock:
            user = self.world.users[user_id]
            return self.auth.authorize(
                user_id=user_id,
                granted=scopes,
                declined=[],
                page_ids=user.page_ids if page_ids is None else page_ids,
                ig_user_ids=self.ig_ids_of(user_id) if ig_user_ids is None else ig_user_ids,
                ad_account_ids=user.ad_account_ids if ad_account_ids is None else ad_account_ids,
            )

    def grant(
        self,
        *,
        user_id: str,
        scopes: list[str],
        long_lived: bool = True,
        **assets: list[str] | None,
    ) -> Token:
        """Authorize the app for a seeded person without the dialog; return a user token.

        `assets` are `page_ids`, `ig_user_ids`, `ad_account_ids` as for `authorize_user`.
        """
        with self.lock:
            self.authorize_user(user_id=user_id, scopes=scopes, **assets)
            return self.auth.issue_user_token(user_id, long_lived=long_lived)

    def _ig_page(self, ig_user_id: str) -> str | None:
        """Return the Page an Instagram account is linked to (for its webhook subscription)."""
        ig = self.world.ig_accounts.get(ig_user_id)
        return ig.page_id if ig is not None else None

    def ig_ids_of(self, user_id: str) -> list[str]:
        pages = (self.world.pages[page_id] for page_id in self.world.users[user_id].page_ids)
        return [page.ig_user_id for page in pages if page.ig_user_id]

    def deauthorize(self, user_id: str) -> None:
        """Remove the app from a person's account: grant inactive, every token 190/458."""
        with self.lock:
            self.auth.deauthorize(user_id)

    # --- privacy callbacks --------------------------------------------------------------

    def send_callback(
        self, *, kind: str, url: str, user_id: str, timeout: float = 10
    ) -> CallbackResult:
        """Do what Meta does when a person removes the app: deauthorize, then call the app.

        Raises `CallbackRefused` (a ValueError) for an unknown kind or a
        non-loopback URL and KeyError for an unknown person, before changing anything.
        The HTTP call runs outside the lock, so the app may call the sandbox meanwhile.
        """
        check_callback(kind, url)
        with self.lock:
            if user_id not in self.world.users:
                raise KeyError(user_id)
            self.auth.deauthorize(user_id)
            secret = self.app_secret
        result = send_callback(
            kind=kind, url=url, user_id=user_id, app_secret=secret, timeout=timeout
        )
        with self.lock:
            self.callbacks.append(result)
        return result

    # --- request log --------------------------------------------------------------------

    def log_request(self, method: str, path: str, status: int, fault: Fault | None) -> None:
        with self.lock:
            entry = LoggedRequest(method, path, status, self.now(), fault.id if fault else None)
            self.requests.append(entry)

    # --- playing the customer (engagement.py, messaging.py) ------------------------------

    def _customer(self, customer_id: str) -> engagement.Customer:
        return self.engagement.customer(customer_id)

    def customer_comment(
        self, *, customer_id: str, object_id: str, message: str, parent_id: str | None = None
    ) -> engagement.Comment:
        with self.lock:
            return engagement.customer_comments(
                self,
                customer=self._customer(customer_id),
                object_id=object_id,
                message=message,
                parent_id=parent_id,
            )

    def customer_edit_comment(self, *, comment_id: str, message: str) -> engagement.Comment:
        with self.lock:
            return engagement.customer_edits(self, comment_id=comment_id, message=message)

    def customer_delete_comment(self, *, comment_id: str) -> engagement.Comment:
        with self.lock:
            return engagement.customer_deletes(self, comment_id=comment_id)

    def customer_react(self, *, customer_id: str, object_id: str, reaction: str | None) -> str:
        """React to a Facebook post ("none" removes); return the webhook verb used."""
        with self.lock:
            return engagement.customer_reacts_to_post(
                self, customer=self._customer(customer_id), object_id=object_id, reaction=reaction
            )

    def customer_message(
        self,
        *,
        customer_id: str,
        to: str,
        text: str | None = None,
        image_url: str | None = None,
        story_id: str | None = None,
    ) -> messaging.Message:
        with self.lock:
            return messaging.customer_sends(
                self,
                customer=self._customer(customer_id),
                asset_id=to,
                text=text,
                image_url=image_url,
                story_id=story_id,
            )

    def customer_story_mention(
        self, *, customer_id: str, ig_user_id: str, story_url: str | None = None
    ) -> messaging.Message:
        with self.lock:
            return messaging.customer_mentions_in_story(
                self,
                customer=self._customer(customer_id),
                ig_user_id=ig_user_id,
                story_url=story_url,
            )

    def customer_react_to_message(
        self, *, customer_id: str, mid: str, reaction: str | None
    ) -> messaging.Message:
        with self.lock:
            return messaging.customer_reacts(
                self, customer=self._customer(customer_id), mid=mid, reaction=reaction
            )

    def customer_unsend(self, *, customer_id: str, mid: str) -> messaging.Message:
        with self.lock:
            return messaging.customer_unsends(self, customer=self._customer(customer_id), mid=mid)

    def customer_mention(
        self, *, customer_id: str, ig_user_id: str, text: str, in_comment: bool = False
    ) -> engagement.Mention:
        with self.lock:
            if ig_user_id not in self.world.ig_accounts:
                raise engagement.CustomerError(f"unknown Instagram account {ig_user_id!r}")
            customer = self._customer(customer_id)
            if customer.deleted:
                raise engagement.CustomerError(f"{customer.name} deleted their account")
            return engagement.add_mention(
                self, customer=customer, ig_user_id=ig_user_id, text=text, in_comment=in_comment
            )

    def update_customer(
        self,
        customer_id: str,
        *,
        blocked_asset_ids: list[str] | None = None,
        deleted: bool | None = None,
    ) -> engagement.Customer:
        """Make a person block Pages / accounts (the full list) or delete their account."""
        with self.lock:
            customer = self._customer(customer_id)
            if blocked_asset_ids is not None:
                known = set(self.world.pages) | set(self.world.ig_accounts)
                unknown = [asset for asset in blocked_asset_ids if asset not in known]
                if unknown:
                    raise engagement.CustomerError(f"unknown assets: {', '.join(unknown)}")
                customer.blocked_asset_ids = list(blocked_asset_ids)
            if deleted is not None:
                customer.deleted = deleted
            return customer

    # --- snapshot -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Return the whole state as JSON-ready data (tokens included: it is a test tool)."""
        with self.lock:
            world = self.world
            return {
                "app_id": self.app_id,
                "now": int(self.now()),
                "clock_offset_seconds": self.clock.offset,
                "settings": asdict(self.settings),
                "users": [asdict(user) for user in world.users.values()],
                "pages": [asdict(page) for page in world.pages.values()],
                "instagram_accounts": [asdict(ig) for ig in world.ig_accounts.values()],
                "ad_accounts": [{"id": a.id, **asdict(a)} for a in world.ad_accounts.values()],
                "businesses": [asdict(b) for b in world.businesses.values()],
                "authorizations": [asdict(a) for a in self.auth.authorizations.values()],
                "tokens": [_token_dict(t) for t in self.auth.live_tokens()],
                "requests": [asdict(entry) for entry in self.requests],
                "faults": [fault.as_dict() for fault in self.faults.active()],
                "callbacks": [result.as_dict() for result in self.callbacks],
                "webhooks": self.webhooks.snapshot(with_bodies=False),
                "objects": self.describe_objects(),
            }

    def describe_objects(
        self, *, kind: str | None = None, owner_id: str | None = None, marker: str | None = None
    ) -> list[dict[str, Any]]:
        """Return every created publishing object (optionally filtered), oldest first."""
        with self.lock:
            found = self.objects.select(kind=kind, owner_id=owner_id, marker=marker)
            return [lifecycle.describe(self, obj) for obj in found]


def _token_dict(token: Token) -> dict[str, Any]:
    data = asdict(token)
    data["access_token"] = data.pop("value")
    return data
