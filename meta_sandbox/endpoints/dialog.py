"""The OAuth consent dialog, `GET|POST /{version}/dialog/oauth` (GRAPH_NOTES §1.1).

Real Meta serves it on www.facebook.com; the sandbox serves it on its own host. The
tester picks which seeded person they are (`<select name="user">`, re-rendered by the
`action=switch` button), unticks requested permissions (`<input name="scope">`, all
ticked; a permission declined earlier stays unticked and locked unless
`auth_type=rerequest`), picks the Pages (`name="page"`), Instagram accounts
(`name="instagram_account"`) and ad accounts (`name="ad_account"`) to grant, and
submits `action=allow` (302 to `redirect_uri?code=…&state=…#_=_`) or `action=cancel`
(302 with `error=access_denied&error_code=200&error_description=Permissions+error&
error_reason=user_denied&state=…`). The form posts back to the same URL, so the
dialog parameters always come from the query string.
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.datastructures import MultiDict
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from meta_sandbox import config
from meta_sandbox.html import checkbox, esc, html_response, page
from meta_sandbox.models import ACCOUNT_STATUS_NAMES, Authorization, MetaUser
from meta_sandbox.routing import Call, route
from meta_sandbox.scopes import AD_ACCOUNT, ASSET_KIND, INSTAGRAM, PAGE, parse_scope_param


@dataclass(frozen=True)
class Dialog:
    client_id: str
    redirect_uri: str
    state: str | None
    scopes: list[str]
    response_type: set[str]
    rerequest: bool

    @classmethod
    def from_query(cls, query: MultiDict[str, str]) -> "Dialog":
        response_type = query.get("response_type") or "code"
        return cls(
            client_id=query.get("client_id", ""),
            redirect_uri=query.get("redirect_uri", ""),
            state=query.get("state"),
            scopes=[s for s in parse_scope_param(query.get("scope", "")) if s != "public_profile"],
            response_type=set(response_type.replace(",", " ").split()),
            rerequest=query.get("auth_type") == "rerequest",
        )

    def asset_kinds(self) -> set[str | None]:
        return {ASSET_KIND.get(scope) for scope in self.scopes}


def _problem(call: Call, dialog: Dialog) -> str | None:
    if dialog.client_id != call.state.app_id:
        return "Invalid App ID: The provided app ID does not look like a valid app ID."
    if not dialog.redirect_uri:
        return "URL blocked: the redirect_uri parameter is missing."
    target = urlsplit(dialog.redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        return "URL blocked: redirect_uri must be an absolute http(s) URL."
    allowed = call.state.settings.valid_redirect_uris
    if allowed and dialog.redirect_uri not in allowed:
        return (
            "URL Blocked: This redirect failed because the redirect URI is not whitelisted in "
            "the app's Client OAuth Settings."
        )
    if not dialog.response_type <= {"code", "granted_scopes"}:
        return "The sandbox dialog supports response_type=code (optionally with granted_scopes)."
    return None


def _error_page(message: str) -> Response:
    body = f'<div class="card narrow error"><h1>Sorry, something went wrong.</h1><p id="dialog-error">{esc(message)}</p></div>'
    return html_response(page("Error", body), status=400)


def _locked_scopes(dialog: Dialog, auth: Authorization | None) -> set[str]:
    """Return the requested scopes the person declined before and may not be re-asked."""
    if dialog.rerequest or auth is None:
        return set()
    return {scope for scope in dialog.scopes if scope in auth.declined}


def _scope_fieldset(dialog: Dialog, locked: set[str]) -> str:
    rows = ['<label class="off">public_profile <span class="hint">(always shared)</span></label>']
    for scope in dialog.scopes:
        note = ' <span class="hint">(declined earlier; ask with auth_type=rerequest)</span>'
        label = esc(scope) + (note if scope in locked else "")
        rows.append(
            checkbox("scope", scope, label, checked=scope not in locked, disabled=scope in locked)
        )
    return f'<fieldset id="scopes"><legend>Permissions</legend>{"".join(rows)}</fieldset>'


def _asset_fieldsets(call: Call, dialog: Dialog, user: MetaUser) -> str:
    kinds = dialog.asset_kinds()
    parts = [
        _pages_fieldset(call, user) if PAGE in kinds else "",
        _instagram_fieldset(call, user) if INSTAGRAM in kinds else "",
        _ad_accounts_fieldset(call, user) if AD_ACCOUNT in kinds else "",
    ]
    return "".join(parts)


def _pages_fieldset(call: Call, user: MetaUser) -> str:
    pages = [call.state.world.pages[page_id] for page_id in user.page_ids]
    boxes = [checkbox("page", page.id, esc(page.name), checked=True) for page in pages]
    return _assets("pages", "Pages", boxes)


def _instagram_fieldset(call: Call, user: MetaUser) -> str:
    accounts = [call.state.world.ig_accounts[i] for i in call.state.ig_ids_of(user.id)]
    boxes = [
        checkbox("instagram_account", ig.id, f"@{esc(ig.username)} · {esc(ig.name)}", checked=True)
        for ig in accounts
    ]
    return _assets("instagram-accounts", "Instagram accounts", boxes)


def _ad_accounts_fieldset(call: Call, user: MetaUser) -> str:
    boxes = []
    for account_id in user.ad_account_ids:
        account = call.state.world.ad_accounts[account_id]
        status = ACCOUNT_STATUS_NAMES.get(account.account_status, str(account.account_status))
        details = f"{account.id} · {account.currency} · {status}"
        label = f'{esc(account.name)} <span class="hint">{esc(details)}</span>'
        boxes.append(checkbox("ad_account", account.id, label, checked=True))
    return _assets("ad-accounts", "Ad accounts", boxes)


def _assets(element_id: str, legend: str, boxes: list[str]) -> str:
    inner = "".join(boxes) or '<p class="hint">None to choose from.</p>'
    return f'<fieldset id="{element_id}"><legend>{legend}</legend>{inner}</fieldset>'


def _user_picker(call: Call, user: MetaUser) -> str:
    options = "".join(
        f'<option value="{esc(u.id)}"{" selected" if u.id == user.id else ""}>{esc(u.name)}</option>'
        for u in call.state.world.users.values()
    )
    return (
        '<fieldset id="who"><legend>Log in as</legend><div class="row">'
        f'<select name="user" id="user" onchange="document.getElementById(\'switch\').click()">{options}</select>'
        '<button type="submit" name="action" value="switch" id="switch">Switch</button></div></fieldset>'
    )


def render_dialog(call: Call, dialog: Dialog, user: MetaUser) -> str:
    locked = _locked_scopes(dialog, call.state.auth.active_authorization(user.id))
    body = (
        '<div class="card narrow">'
        f"<h1>{esc(config.APP_NAME)} is requesting access</h1>"
        f'<p class="hint">You will return to <code>{esc(dialog.redirect_uri)}</code>.</p>'
        '<form method="post" id="oauth-dialog">'
        f"{_user_picker(call, user)}{_scope_fieldset(dialog, locked)}{_asset_fieldsets(call, dialog, user)}"
        '<div class="row"><button class="primary" type="submit" name="action" value="allow" id="allow">'
        f"Continue as {esc(user.first_name)}</button>"
        '<button type="submit" name="action" value="cancel" id="cancel">Cancel</button></div>'
        "</form></div>"
    )
    return page("Log in with Facebook", body)


def _redirect_to(uri: str, params: list[tuple[str, str]], fragment: str = "") -> Response:
    parts = urlsplit(uri)
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True) + params)
    return redirect(urlunsplit(parts._replace(query=query, fragment=fragment)), code=302)


def _with_state(dialog: Dialog, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [*params, ("state", dialog.state)] if dialog.state is not None else params


def cancel(dialog: Dialog) -> Response:
    params = [
        ("error", "access_denied"),
        ("error_code", "200"),
        ("error_description", "Permissions error"),
        ("error_reason", "user_denied"),
    ]
    return _redirect_to(dialog.redirect_uri, _with_state(dialog, params))


def allow(call: Call, dialog: Dialog, user: MetaUser) -> Response:
    form = call.request.form
    locked = _locked_scopes(dialog, call.state.auth.active_authorization(user.id))
    ticked = set(form.getlist("scope")) - locked
    kinds = dialog.asset_kinds()

    def chosen(kind: str, name: str, owned: list[str]) -> list[str]:
        picked = set(form.getlist(name))
        return [asset for asset in owned if asset in picked] if kind in kinds else []

    auth = call.state.auth.authorize(
        user_id=user.id,
        granted=[s for s in dialog.scopes if s in ticked],
        declined=[s for s in dialog.scopes if s not in ticked],
        page_ids=chosen(PAGE, "page", user.page_ids),
        ig_user_ids=chosen(INSTAGRAM, "instagram_account", call.state.ig_ids_of(user.id)),
        ad_account_ids=chosen(AD_ACCOUNT, "ad_account", user.ad_account_ids),
    )
    code = call.state.auth.issue_code(
        user_id=user.id, client_id=dialog.client_id, redirect_uri=dialog.redirect_uri
    )
    params = [("code", code.code)]
    if "granted_scopes" in dialog.response_type:
        params += [
            ("granted_scopes", ",".join(auth.granted)),
            ("denied_scopes", ",".join(auth.declined)),
        ]
    return _redirect_to(dialog.redirect_uri, _with_state(dialog, params), fragment="_=_")


def _default_user(call: Call) -> MetaUser:
    users = call.state.world.users
    return users.get(call.request.query.get("user", "")) or next(iter(users.values()))


@route("GET", "/dialog/oauth", auth="none")
def show_dialog(call: Call) -> Response:
    dialog = Dialog.from_query(call.request.query)
    if (problem := _problem(call, dialog)) is not None:
        return _error_page(problem)
    return html_response(render_dialog(call, dialog, _default_user(call)))


@route("POST", "/dialog/oauth", auth="none")
def submit_dialog(call: Call) -> Response:
    dialog = Dialog.from_query(call.request.query)
    if (problem := _problem(call, dialog)) is not None:
        return _error_page(problem)
    user = call.state.world.users.get(call.request.form.get("user", ""))
    if user is None:
        return _error_page("Choose who you are from the list.")
    action = call.request.form.get("action")
    if action == "cancel":
        return cancel(dialog)
    if action == "allow":
        return allow(call, dialog, user)
    return html_response(render_dialog(call, dialog, user))
