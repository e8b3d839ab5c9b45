"""Authorizations, OAuth codes and access tokens: the sandbox's login machinery.

`AuthStore` is owned by `SandboxState` and is only used under the state's lock. It
follows GRAPH_NOTES §1: a person's grant (scopes + per-asset choices) belongs to the
person-and-app pair, so every live token of that person sees the current grant;
codes are single use and expire after `CODE_TTL_SECONDS`; short-lived and long-lived
user tokens expire by the sandbox clock; Page tokens made from a long-lived user token
never expire; `DELETE /me/permissions` revokes every token of that person (190/458).
"""

import secrets
import string
from collections.abc import Callable

from meta_sandbox import config, errors
from meta_sandbox.errors import GraphError
from meta_sandbox.models import AuthCode, Authorization, Token

_TOKEN_ALPHABET = string.ascii_letters + string.digits


def new_token_value() -> str:
    """Return an opaque token string that starts with `EAA`, like Meta's."""
    return "EAA" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(180))


def new_code_value() -> str:
    return "AQ" + secrets.token_urlsafe(240)[:300]


class AuthStore:
    """Every authorization, code and token the sandbox has handed out."""

    def __init__(self, app_id: str, now: Callable[[], float]) -> None:
        self.app_id = app_id
        self._now = now
        self.authorizations: dict[str, Authorization] = {}
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, Token] = {}

    def clear(self) -> None:
        self.authorizations.clear()
        self.codes.clear()
        self.tokens.clear()

    # --- authorizations -----------------------------------------------------------------

    def authorize(
        self,
        *,
        user_id: str,
        granted: list[str],
        declined: list[str],
        page_ids: list[str],
        ig_user_ids: list[str],
        ad_account_ids: list[str],
    ) -> Authorization:
        """Record what the person granted in the dialog, merging earlier grants.

        Scopes accumulate across logins unless unticked again; the asset choice made in
        the latest dialog replaces the earlier one.
        """
        now = int(self._now())
        previous = self.active_authorization(user_id)
        earlier_granted = previous.granted if previous else []
        earlier_declined = previous.declined if previous else []
        kept = [scope for scope in earlier_granted if scope not in declined]
        granted_now = list(dict.fromkeys(["public_profile", *kept, *granted]))
        declined_now = [
            s for s in dict.fromkeys([*earlier_declined, *declined]) if s not in granted_now
        ]
        auth = Authorization(
            user_id=user_id,
            granted=granted_now,
            declined=declined_now,
            page_ids=list(page_ids),
            ig_user_ids=list(ig_user_ids),
            ad_account_ids=list(ad_account_ids),
            granted_at=now,
            data_access_expires_at=now + config.DATA_ACCESS_SECONDS,
        )
        self.authorizations[user_id] = auth
        return auth

    def active_authorization(self, user_id: str) -> Authorization | None:
        auth = self.authorizations.get(user_id)
        return auth if auth and auth.active else None

    def deauthorize(self, user_id: str) -> None:
        """Remove the app from the person's account and revoke all their tokens."""
        auth = self.authorizations.get(user_id)
        if auth:
            auth.active = False
        for token in self.tokens.values():
            if token.user_id == user_id:
                token.revoked = True

    def revoke_scope(self, user_id: str, scope: str) -> None:
        auth = self.active_authorization(user_id)
        if auth is None:
            return
        if scope == "public_profile":
            # Without public_profile the app holds nothing: Meta treats it as removal.
            self.deauthorize(user_id)
            return
        if scope in auth.granted:
            auth.granted.remove(scope)
            auth.declined.append(scope)

    # --- OAuth codes --------------------------------------------------------------------

    def issue_code(self, *, user_id: str, client_id: str, redirect_uri: str) -> AuthCode:
        code = AuthCode(new_code_value(), user_id, client_id, redirect_uri, self._now())
        self.codes[code.code] = code
        return code

    def redeem_code(self, *, code: str, client_id: str, redirect_uri: str) -> Token:
        """Exchange a dialog code for a short-lived user token (§1.2).

        Raises GraphError 100/36009 on reuse, 100/36007 once expired, 100/36008 when the
        redirect_uri differs from the dialog's.
        """
        record = self.codes.get(code)
        if record is None or record.client_id != client_id:
            raise errors.code_invalid()
        if record.used:
            raise errors.code_used()
        if self._now() >= record.issued_at + config.CODE_TTL_SECONDS:
            raise errors.code_expired()
        if record.redirect_uri != redirect_uri:
            raise errors.redirect_mismatch()
        record.used = True
        return self.issue_user_token(record.user_id, long_lived=False)

    # --- tokens -------------------------------------------------------------------------

    def issue_user_token(
        self, user_id: str, *, long_lived: bool, source: str | None = None
    ) -> Token:
        now = int(self._now())
        lifetime = (
            config.LONG_LIVED_TOKEN_SECONDS if long_lived else config.SHORT_LIVED_TOKEN_SECONDS
        )
        token = Token(
            value=new_token_value(),
            kind="USER",
            user_id=user_id,
            issued_at=now,
            expires_at=now + lifetime,
            long_lived=long_lived,
            source=source,
        )
        self.tokens[token.value] = token
        return token

    def exchange_long_lived(self, value: str) -> Token:
        """Trade a valid user token for a new 60-day one (§1.3)."""
        token = self.require_valid(value)
        if token.kind != "USER":
            raise errors.invalid_parameter("(#100) fb_exchange_token must be a user access token")
        return self.issue_user_token(token.user_id, long_lived=True, source=token.value)

    def page_token(self, user_token: Token, page_id: str) -> Token:
        """Return the Page token a user token gets for a Page, reusing a live one.

        From a long-lived user token it never expires (`expires_at` 0); from a
        short-lived one it dies with its source (§1.4).
        """
        for token in self.tokens.values():
            if token.source == user_token.value and token.page_id == page_id and not token.revoked:
                return token
        token = Token(
            value=new_token_value(),
            kind="PAGE",
            user_id=user_token.user_id,
            issued_at=int(self._now()),
            expires_at=0 if user_token.long_lived else user_token.expires_at,
            long_lived=user_token.long_lived,
            page_id=page_id,
            source=user_token.value,
        )
        self.tokens[token.value] = token
        return token

    def problem(self, token: Token) -> GraphError | None:
        """Return why a token is unusable, or None when it is valid now."""
        if token.revoked or self.active_authorization(token.user_id) is None:
            return errors.app_not_authorized(self.app_id)
        now = self._now()
        if token.expires_at and now >= token.expires_at:
            return errors.expired_token(token.expires_at, now)
        auth = self.authorizations[token.user_id]
        if token.page_id is not None and token.page_id not in auth.page_ids:
            return errors.session_invalid()
        return None

    def require_valid(self, value: str) -> Token:
        """Return the token for `value`, or raise the 190 error Meta gives for it."""
        token = self.tokens.get(value)
        if token is None:
            raise errors.cannot_parse_token()
        if (problem := self.problem(token)) is not None:
            raise problem
        return token

    def expire(self, *, access_token: str | None = None, user_id: str | None = None) -> int:
        """Make matching tokens expire now; return how many were changed."""
        now = int(self._now())
        changed = 0
        for token in self.tokens.values():
            if token.value == access_token or (user_id is not None and token.user_id == user_id):
                token.expires_at = now
                changed += 1
        return changed

    def live_tokens(self) -> list[Token]:
        return [token for token in self.tokens.values() if self.problem(token) is None]
