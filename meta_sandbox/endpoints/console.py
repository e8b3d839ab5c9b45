"""The sandbox console, `GET /_sandbox/`: the state at a glance, plus a few buttons.

Shows the app credentials and Graph base URL, the sandbox clock, each seeded person
with their Pages / Instagram accounts / ad accounts and what they granted, live tokens
(with an Expire button), active faults (add/clear, optionally after the write), Meta's privacy callbacks (send a
data-deletion or deauthorize request to the app, see the checked replies), webhooks
(subscriptions, recent deliveries, pause/deliver now and the fault knobs), the objects
the app published (with a "disapprove the next ad" switch), and the latest requests. Every
button is a plain form posting (the "Play a customer" panel, endpoints/customer.py, too) to the `/_sandbox/` JSON endpoints, which answer forms
with a 303 back here.
"""

import json
from datetime import UTC, datetime

from werkzeug.wrappers import Response

from meta_sandbox import config
from meta_sandbox.callbacks import DATA_DELETION, DEAUTHORIZE, CallbackResult
from meta_sandbox.endpoints.customer import customer_panel
from meta_sandbox.html import esc, html_response, page
from meta_sandbox.models import ACCOUNT_STATUS_NAMES, MetaUser, Token
from meta_sandbox.routing import Call, route
from meta_sandbox.state import SandboxState
from meta_sandbox.webhooks import OBJECT_FIELDS, Delivery

RECENT_REQUESTS = 60
RECENT_CALLBACKS = 20
RECENT_OBJECTS = 100
RECENT_DELIVERIES = 30
CALLBACK_LABELS = {DATA_DELETION: "Data deletion", DEAUTHORIZE: "Deauthorize"}


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _left(expires_at: int, now: float) -> str:
    if expires_at == 0:
        return "never"
    seconds = int(expires_at - now)
    if seconds <= 0:
        return "expired"
    days, rest = divmod(seconds, 86400)
    return f"in {days}d {rest // 3600}h {rest % 3600 // 60}m"


def _button(action: str, label: str, fields: dict[str, str] | None = None) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in (fields or {}).items()
    )
    return f'<form method="post" action="{esc(action)}" style="display:inline">{hidden}<button type="submit">{esc(label)}</button></form>'


def _overview(call: Call) -> str:
    state = call.state
    base = call.request.base_url
    version = state.settings.default_api_version
    proof = state.settings.require_appsecret_proof
    clock_buttons = " ".join(
        _button("/_sandbox/clock", label, {"advance_seconds": str(seconds)})
        for label, seconds in (("+1 hour", 3600), ("+1 day", 86400), ("+61 days", 61 * 86400))
    )
    return (
        '<div class="card"><h1>Meta sandbox</h1><table>'
        f"<tr><th>App id / secret</th><td><code>{esc(state.app_id)}</code> / <code>{esc(state.app_secret)}</code></td></tr>"
        f"<tr><th>Graph base URL</th><td><code>{esc(base)}/{esc(version)}/</code></td></tr>"
        f"<tr><th>Login dialog</th><td><code>{esc(base)}/{esc(version)}/dialog/oauth</code></td></tr>"
        f'<tr><th>Sandbox time</th><td id="clock">{_when(state.now())} <span class="hint">(offset {int(state.clock.offset)} s)</span></td></tr>'
        f"<tr><th>Require appsecret_proof</th><td>{'yes' if proof else 'no'} "
        f"{_button('/_sandbox/settings', 'Turn off' if proof else 'Turn on', {'require_appsecret_proof': 'false' if proof else 'true'})}</td></tr>"
        "</table><p class=row>"
        f"{_button('/_sandbox/reset', 'Reset everything')} {clock_buttons}</p></div>"
    )


def _person(state: SandboxState, user: MetaUser) -> str:
    world = state.world
    auth = state.auth.active_authorization(user.id)
    granted = ", ".join(auth.granted) if auth else "app not authorized"
    declined = (
        f'<br><span class="bad">declined: {esc(", ".join(auth.declined))}</span>'
        if auth and auth.declined
        else ""
    )
    rows = []
    for page_id in user.page_ids:
        item = world.pages[page_id]
        ig = world.ig_accounts.get(item.ig_user_id or "")
        ig_text = (
            f"@{esc(ig.username)} <code>{esc(ig.id)}</code> {esc(ig.account_type)}"
            if ig
            else '<span class="hint">no Instagram</span>'
        )
        mark = "✓" if auth and page_id in auth.page_ids else ""
        rows.append(
            f"<tr><td>{mark}</td><td>Page</td><td><code>{esc(page_id)}</code></td><td>{esc(item.name)}</td><td>{ig_text}</td></tr>"
        )
    for account_id in user.ad_account_ids:
        account = world.ad_accounts[account_id]
        status = ACCOUNT_STATUS_NAMES.get(account.account_status, account.account_status)
        mark = "✓" if auth and account_id in auth.ad_account_ids else ""
        rows.append(
            f"<tr><td>{mark}</td><td>Ad account</td><td><code>{esc(account_id)}</code></td><td>{esc(account.name)}</td>"
            f"<td>{esc(status)} · {esc(account.currency)} · {esc(account.timezone_name)}</td></tr>"
        )
    table = (
        f"<table><tr><th>granted</th><th>kind</th><th>id</th><th>name</th><th>details</th></tr>{''.join(rows)}</table>"
        if rows
        else '<p class="hint">Manages no Pages or ad accounts.</p>'
    )
    return (
        f'<div class="card"><h2>{esc(user.name)} <code>{esc(user.id)}</code></h2>'
        f'<p class="hint">Scopes: {esc(granted)}{declined}</p>{table}</div>'
    )


def _token_row(state: SandboxState, token: Token) -> str:
    owner = state.world.users[token.user_id].name
    subject = (
        f"Page {token.page_id}"
        if token.page_id
        else ("long-lived" if token.long_lived else "short-lived")
    )
    expire = _button("/_sandbox/tokens/expire", "Expire", {"access_token": token.value})
    return (
        f"<tr><td>{esc(token.kind)}<br><span class=hint>{esc(subject)}</span></td><td>{esc(owner)}</td>"
        f"<td>{_left(token.expires_at, state.now())}</td><td><code>{esc(token.value)}</code></td><td>{expire}</td></tr>"
    )


def _tokens(state: SandboxState) -> str:
    rows = "".join(_token_row(state, token) for token in state.auth.live_tokens())
    body = (
        f"<table><tr><th>type</th><th>person</th><th>expires</th><th>token</th><th></th></tr>{rows}</table>"
        if rows
        else '<p class="hint">No live tokens.</p>'
    )
    return f'<div class="card" id="tokens"><h2>Live tokens</h2>{body}</div>'


def _faults(state: SandboxState) -> str:
    rows = "".join(
        f"<tr><td>{esc(f.id)}</td><td>{esc(f.method)} <code>{esc(f.path)}</code></td><td>{f.hits}/{esc(f.times if f.times is not None else '∞')}</td>"
        f"<td><code>{esc(json.dumps(f.error) if f.error else '')}</code> {esc(f.http_status or '')}{' drop' if f.drop else ''}{f' +{f.latency_ms} ms' if f.latency_ms else ''}{' (after write)' if f.after_write else ''}</td></tr>"
        for f in state.faults.active()
    )
    table = (
        f"<table><tr><th>id</th><th>match</th><th>hits</th><th>effect</th></tr>{rows}</table>"
        if rows
        else '<p class="hint">No active faults.</p>'
    )
    form = (
        '<form method="post" action="/_sandbox/faults" class="row" style="margin-top:10px">'
        '<select name="method"><option>*</option><option>GET</option><option>POST</option><option>DELETE</option></select>'
        '<input type="text" name="path" placeholder="/me/accounts" required>'
        '<input type="number" name="times" placeholder="times" min="1" style="width:80px">'
        '<input type="number" name="code" placeholder="code" style="width:90px">'
        '<input type="number" name="error_subcode" placeholder="subcode" style="width:100px">'
        '<input type="number" name="http_status" placeholder="HTTP" style="width:80px">'
        '<input type="number" name="latency_ms" placeholder="ms" style="width:80px">'
        '<label><input type="checkbox" name="drop" value="1"> drop</label>'
        '<label><input type="checkbox" name="after_write" value="1"> after write</label>'
        '<button type="submit" class="primary">Add fault</button></form>'
    )
    return f'<div class="card" id="faults"><h2>Faults</h2>{table}<p>{_button("/_sandbox/faults/clear", "Clear all faults")}</p>{form}</div>'


def _callback_form(state: SandboxState, kind: str, url: str) -> str:
    users = "".join(
        f'<option value="{esc(user.id)}">{esc(user.name)} ({esc(user.id)})</option>'
        for user in state.world.users.values()
    )
    return (
        '<form method="post" action="/_sandbox/callbacks" class="row" style="margin-top:8px">'
        f'<input type="hidden" name="kind" value="{esc(kind)}">'
        f'<strong style="width:110px">{esc(CALLBACK_LABELS[kind])}</strong>'
        f'<select name="user_id">{users}</select>'
        f'<input type="text" name="url" value="{esc(url)}" required style="width:360px">'
        '<button type="submit" class="primary">Send</button></form>'
    )


def _callback_row(result: CallbackResult) -> str:
    status = "no answer" if result.status_code is None else str(result.status_code)
    problems = "<br>".join(esc(problem) for problem in result.problems)
    if result.status_url:  # only ever an absolute http(s) URL (checked)
        link = f'<a href="{esc(result.status_url)}">{esc(result.status_url)}</a>'
        status_page = f"<code>{esc(result.confirmation_code or '')}</code><br>{link}"
    else:
        status_page = f"<code>{esc(result.confirmation_code or '')}</code>"
    return (
        f"<tr><td>{_when(result.sent_at)}</td><td>{esc(CALLBACK_LABELS.get(result.kind, result.kind))}"
        f"<br><code>{esc(result.user_id)}</code></td><td><code>{esc(result.url)}</code></td>"
        f'<td class="{"ok" if result.ok else "bad"}">{esc(status)} · {"ok" if result.ok else "not ok"}</td>'
        f'<td class="bad">{problems}</td><td>{status_page}</td></tr>'
    )


def _callbacks(state: SandboxState) -> str:
    forms = _callback_form(
        state, DATA_DELETION, config.DATA_DELETION_CALLBACK_URL
    ) + _callback_form(state, DEAUTHORIZE, config.DEAUTHORIZE_CALLBACK_URL)
    rows = "".join(_callback_row(r) for r in list(state.callbacks)[-RECENT_CALLBACKS:][::-1])
    table = (
        "<table><tr><th>sent</th><th>kind / user</th><th>url</th><th>status</th>"
        f"<th>problems</th><th>confirmation code / status page</th></tr>{rows}</table>"
        if rows
        else '<p class="hint">No callbacks sent yet.</p>'
    )
    return (
        '<div class="card" id="callbacks"><h2>Privacy callbacks</h2>'
        '<p class="hint">Sends Meta\'s signed_request to the app, as when the person removes the '
        "app on Facebook: the sandbox removes the app for them too (their tokens stop working). "
        "Loopback URLs only.</p>"
        f'{forms}<div style="margin-top:12px">{table}</div></div>'
    )


def _webhook_subscriptions(state: SandboxState) -> str:
    hooks = state.webhooks
    rows = "".join(
        f"<tr><td>App</td><td>{esc(sub.object)}</td><td><code>{esc(sub.callback_url)}</code></td>"
        f"<td>{esc(', '.join(sub.fields))}</td></tr>"
        for sub in hooks.app_subscriptions.values()
    ) + "".join(
        f"<tr><td>Page</td><td>{esc(state.world.pages[page_id].name if page_id in state.world.pages else page_id)}"
        f" <code>{esc(page_id)}</code></td><td>subscribed_apps</td><td>{esc(', '.join(fields))}</td></tr>"
        for page_id, fields in hooks.page_fields.items()
    )
    if not rows:
        return '<p class="hint">No subscriptions: nothing is delivered.</p>'
    return f"<table><tr><th>level</th><th>object / Page</th><th>callback</th><th>fields</th></tr>{rows}</table>"


def _webhook_row(delivery: Delivery) -> str:
    last = delivery.attempts[-1] if delivery.attempts else None
    answer = "" if last is None else (last.error or str(last.status_code))
    css = {"delivered": "ok", "dropped": "bad", "retrying": "bad"}.get(delivery.status, "")
    retry = "" if delivery.final else _when(delivery.next_attempt_at)
    return (
        f"<tr><td>{esc(delivery.id)}</td><td>{_when(delivery.created_at)}</td><td>{esc(delivery.object_type)}</td>"
        f'<td>{len(delivery.item_seqs)}</td><td class="{css}">{esc(delivery.status)}</td>'
        f"<td>{len(delivery.attempts)}</td><td>{esc(answer)}</td><td>{retry}</td><td>{esc(delivery.note)}</td></tr>"
    )


def _webhooks(state: SandboxState) -> str:
    hooks = state.webhooks
    deliveries = "".join(_webhook_row(d) for d in hooks.deliveries[-RECENT_DELIVERIES:][::-1])
    table = (
        "<table><tr><th>id</th><th>created</th><th>object</th><th>updates</th><th>status</th>"
        f"<th>attempts</th><th>last answer</th><th>next attempt</th><th>fault</th></tr>{deliveries}</table>"
        if deliveries
        else '<p class="hint">Nothing delivered yet.</p>'
    )
    objects = "".join(f"<option>{esc(name)}</option>" for name in OBJECT_FIELDS)
    subscribe = (
        '<form method="post" action="/_sandbox/webhooks/subscribe" class="row" style="margin-top:8px">'
        f'<select name="object">{objects}</select>'
        f'<input type="text" name="callback_url" value="{esc(config.WEBHOOK_CALLBACK_URL)}" required style="width:300px">'
        '<input type="text" name="fields" placeholder="feed,messages" required>'
        '<input type="text" name="verify_token" placeholder="verify token">'
        '<button type="submit" class="primary">Subscribe the app</button></form>'
    )
    faults = hooks.faults
    knobs = "".join(
        f'<input type="number" name="{name}" placeholder="{label}" min="0" style="width:120px">'
        for name, label in (
            ("never", "never"),
            ("duplicate", "twice"),
            ("out_of_order", "out of order"),
            ("late", "late (count)"),
            ("late_seconds", "late by s"),
        )
    )
    sender = "paused" if hooks.paused else ("running" if hooks.running else "not started")
    toggle = (
        _button("/_sandbox/webhooks/resume", "Resume")
        if hooks.paused
        else _button("/_sandbox/webhooks/pause", "Pause")
    )
    return (
        '<div class="card" id="webhooks"><h2>Webhooks</h2>'
        '<p class="hint">Events on subscribed Pages and Instagram accounts are POSTed to the app, '
        "signed with the app secret, batched and retried as Meta does (JSON: "
        "<code>GET /_sandbox/webhooks</code>). A field is delivered only when the app subscribed "
        "it and the Page did (subscribed_apps); Instagram needs its linked Page subscribed.</p>"
        f"{_webhook_subscriptions(state)}{subscribe}"
        f'<p class=row style="margin-top:12px">Sender: <strong>{sender}</strong> {toggle} '
        f"{_button('/_sandbox/webhooks/flush', 'Deliver now')}</p>"
        f'<p class="hint">Knobs for the next updates: never {faults.never}, twice {faults.duplicate}, '
        f"out of order {faults.out_of_order}, late {faults.late} by {faults.late_seconds:g} s.</p>"
        f'<form method="post" action="/_sandbox/webhooks/faults" class="row">{knobs}'
        '<button type="submit" class="primary">Set knobs</button></form>'
        f"<p>{_button('/_sandbox/webhooks/faults/clear', 'Clear knobs')}</p>{table}</div>"
    )


def _objects(state: SandboxState) -> str:
    records = state.describe_objects()[-RECENT_OBJECTS:][::-1]
    rows = "".join(
        f"<tr><td>{_when(o['created_at'])}</td><td>{esc(o['kind'])}</td><td><code>{esc(o['id'])}</code></td>"
        f"<td><code>{esc(o['owner_id'])}</code></td><td>{esc(o['status'] or '')}</td><td>{esc(o['marker'] or '')}</td></tr>"
        for o in records
    )
    table = (
        "<table><tr><th>created</th><th>kind</th><th>id</th><th>owner</th><th>status</th>"
        f"<th>caption / message / name</th></tr>{rows}</table>"
        if rows
        else '<p class="hint">Nothing published yet.</p>'
    )
    pending = state.objects.disapprove_next
    review = _button(
        "/_sandbox/ad_review", "Disapprove the next ad", {"disapprove_next": str(pending + 1)}
    )
    settings = state.settings
    return (
        '<div class="card" id="objects"><h2>Published objects</h2>'
        '<p class="hint">Everything the app created: IG containers and media, Page posts, photos, '
        "videos and reels, ad images, videos, creatives, campaigns, ad sets and ads "
        f"(JSON: <code>GET /_sandbox/objects?kind=&amp;owner=&amp;marker=</code>). IG quota "
        f"{settings.ig_publish_quota}/24 h; processing {settings.ig_image_processing_seconds:g} s "
        f"(IG image), {settings.ig_video_processing_seconds:g} s (IG video), "
        f"{settings.video_processing_seconds:g} s (video); ad review {settings.ad_review_seconds:g} s.</p>"
        f"<p class=row>{review} <span class=hint>{pending} ad(s) queued for disapproval</span></p>"
        f"{table}</div>"
    )


def _requests(state: SandboxState) -> str:
    entries = list(state.requests)[-RECENT_REQUESTS:][::-1]
    rows = "".join(
        f"<tr><td>{_when(e.time)}</td><td>{esc(e.method)}</td><td><code>{esc(e.path)}</code></td>"
        f'<td class="{"ok" if 0 < e.status < 400 else "bad"}">{e.status or "dropped"}</td><td>{esc(e.fault_id or "")}</td></tr>'
        for e in entries
    )
    body = (
        f"<table><tr><th>time</th><th>method</th><th>path</th><th>status</th><th>fault</th></tr>{rows}</table>"
        if rows
        else '<p class="hint">No requests yet.</p>'
    )
    return f'<div class="card" id="requests"><h2>Recent requests</h2>{body}</div>'


@route("GET", "/_sandbox", auth="none")
def console(call: Call) -> Response:
    state = call.state
    people = "".join(_person(state, user) for user in state.world.users.values())
    body = (
        _overview(call)
        + people
        + _tokens(state)
        + _faults(state)
        + _callbacks(state)
        + _webhooks(state)
        + customer_panel(state)
        + _objects(state)
        + _requests(state)
    )
    return html_response(page("Meta sandbox console", body, subtitle="Meta sandbox console"))
