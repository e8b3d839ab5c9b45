"""Views for connecting Meta, choosing assets, the health page and disconnecting."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import member_required
from accounts.models import Membership
from accounts.selectors import get_membership_for_user
from meta_integration import health, selectors, services, webhooks
from meta_integration.errors import MetaConnectionError
from meta_integration.forms import AssetSelectionForm
from meta_integration.models import MetaConnection
from meta_integration.scopes import FEATURES

OAUTH_SESSION_KEY = "meta_oauth"
UNPROCESSABLE = 422


@member_required("workspace.view")
def connections(request: HttpRequest, membership: Membership) -> HttpResponse:
    rows = [
        (connection, health.connection_gaps(connection))
        for connection in selectors.list_meta_connections_for_workspace(membership)
    ]
    context = {"membership": membership, "workspace": membership.workspace, "rows": rows}
    return render(request, "meta_integration/connections.html", context)


@member_required("meta.connect")
@require_GET
def connect_permissions(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Before Meta's dialog: each permission ProSocial will ask for, and why (scopes.FEATURES)."""
    context = {
        "membership": membership,
        "workspace": membership.workspace,
        "features": FEATURES,
        "rerequest": request.GET.get("rerequest") == "1",
    }
    return render(request, "meta_integration/connect_permissions.html", context)


@member_required("meta.connect")
@require_GET
def connect(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Send the admin to Meta's consent dialog with a state bound to this session.

    A GET link, not a form: the Content-Security-Policy's form-action would block a form
    submission that redirects to Meta. Starting the flow changes nothing but this session's
    pending state, which only this browser can complete.
    """
    state = secrets.token_urlsafe(32)
    url = services.build_connect_url(
        actor=membership, state=state, rerequest=request.GET.get("rerequest") == "1"
    )
    request.session[OAUTH_SESSION_KEY] = {"state": state, "workspace": membership.workspace.slug}
    return redirect(url)


def _oauth_error(request: HttpRequest, message: str, slug: str | None = None) -> HttpResponse:
    context = {"message": message, "slug": slug}
    return render(request, "meta_integration/oauth_error.html", context, status=400)


@login_required
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Meta redirects here after consent (ARCHITECTURE §6: /meta/oauth/callback/)."""
    pending = request.session.pop(OAUTH_SESSION_KEY, None)
    state = request.GET.get("state", "")
    if not isinstance(pending, dict) or not constant_time_compare(state, pending.get("state", "")):
        return _oauth_error(
            request,
            _(
                "This answer from Meta doesn't match a connection started in this browser "
                "(it may have been used already, or the link was tampered with). Nothing was "
                "connected; start again from the Meta page of your workspace."
            ),
        )
    membership = get_membership_for_user(request.user, pending["workspace"])  # type: ignore[arg-type]
    if not membership.can("meta.connect"):
        raise PermissionDenied
    slug = membership.workspace.slug
    if error := request.GET.get("error"):
        reason = request.GET.get("error_reason") or error
        if reason in {"user_denied", "access_denied"}:
            messages.warning(request, _("You cancelled on Meta's page, so nothing was connected."))
            return redirect("meta_integration:connections", slug=slug)
        return _oauth_error(
            request,
            _("Meta answered with an error: %(error)s. Nothing was connected; try again.")
            % {"error": request.GET.get("error_description", error)[:200]},
            slug,
        )
    code = request.GET.get("code", "")
    if not code or len(code) > 4096:
        return _oauth_error(request, _("Meta's answer had no login code. Try again."), slug)
    try:
        connection = services.connect_meta_account(actor=membership, code=code)
    except MetaConnectionError as exc:
        return _oauth_error(request, exc.message, slug)
    messages.success(
        request,
        _("Connected %(name)s. Choose the assets this workspace will use.")
        % {"name": connection.display_name},
    )
    return redirect("meta_integration:connection", slug=slug, pk=connection.pk)


@member_required("workspace.view", post="meta.connect")
def connection_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    connection = selectors.get_meta_connection_for_member(membership, pk)
    data = request.POST if request.method == "POST" else None  # unticking all is a choice too
    form = AssetSelectionForm(data, connection=connection)
    if request.method == "POST" and form.is_valid():
        services.select_meta_assets(
            actor=membership,
            connection=connection,
            page_ids=[p.pk for p in form.cleaned_data["pages"]],
            instagram_ids=[a.pk for a in form.cleaned_data["instagram_accounts"]],
            ad_account_ids=[a.pk for a in form.cleaned_data["ad_accounts"]],
        )
        messages.success(request, _("Saved which assets this workspace uses."))
        return redirect("meta_integration:connection", slug=membership.workspace.slug, pk=pk)
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(
        request,
        "meta_integration/connection_detail.html",
        _detail_context(membership, connection, form),
        status=status,
    )


def _detail_context(
    membership: Membership, connection: MetaConnection, form: AssetSelectionForm
) -> dict[str, object]:
    pages, instagram, ad_accounts = selectors.list_connection_assets(connection)
    subscriptions = health.subscriptions_by_page(connection)
    page_rows = []
    for page in pages:
        item = health.asset_health(connection, page, "page")
        item.webhooks = health.page_webhook_health(
            page, subscriptions.get(page.pk), usable=connection.is_usable
        )
        page_rows.append(item)
    instagram_rows = []
    for account in instagram:
        item = health.asset_health(connection, account, "instagram")
        linked = subscriptions.get(account.page_id) if account.page_id else None
        item.webhooks = health.instagram_webhook_health(
            account, linked, usable=connection.is_usable
        )
        instagram_rows.append(item)
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "connection": connection,
        "form": form,
        "gaps": health.connection_gaps(connection),
        "features": health.feature_health(connection),
        "pages": page_rows,
        "instagram": instagram_rows,
        "ad_accounts": [health.asset_health(connection, ad, "ad_account") for ad in ad_accounts],
    }


@member_required("meta.connect")
@require_POST
def connection_refresh(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    connection = selectors.get_meta_connection_for_member(membership, pk)
    try:
        services.refresh_meta_assets(actor=membership, connection=connection)
    except MetaConnectionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Refreshed from Meta."))
    return redirect("meta_integration:connection", slug=membership.workspace.slug, pk=pk)


@member_required("meta.connect")
@require_POST
def connection_check(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    connection = selectors.get_meta_connection_for_member(membership, pk)
    services.check_meta_connection(connection_id=connection.pk)
    messages.info(request, _("Checked the connection with Meta."))
    return redirect("meta_integration:connection", slug=membership.workspace.slug, pk=pk)


@member_required("meta.connect")
@require_POST
def connection_resubscribe(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """Run the webhook subscription of every Page of the connection again (health page fix)."""
    connection = selectors.get_meta_connection_for_member(membership, pk)
    try:
        count = services.resubscribe_meta_pages(actor=membership, connection=connection)
    except MetaConnectionError as exc:
        messages.error(request, exc.message)
    else:
        if count:
            messages.success(
                request,
                _("Subscribing %(count)s Page(s) again; this page shows the result shortly.")
                % {"count": count},
            )
        else:
            messages.info(
                request,
                _(
                    "No Page to subscribe: tick the Pages or Instagram accounts this workspace uses."
                ),
            )
    return redirect("meta_integration:connection", slug=membership.workspace.slug, pk=pk)


@member_required("meta.connect")
@require_http_methods(["GET", "POST"])
def connection_disconnect(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """GET: say what a disconnect does (assets, publications paused, history kept); POST: do it."""
    connection = selectors.get_meta_connection_for_member(membership, pk)
    if request.method == "GET":
        context = {
            "membership": membership,
            "workspace": membership.workspace,
            "connection": connection,
            "preview": selectors.describe_disconnect(connection),
        }
        return render(request, "meta_integration/connection_disconnect.html", context)
    if services.disconnect_meta_account(actor=membership, connection=connection):
        messages.success(request, _("Disconnected. ProSocial's access was removed on Meta too."))
    else:
        messages.warning(
            request,
            _(
                "Disconnected here and every token was deleted, but Meta didn't confirm the "
                "revocation. Remove ProSocial under Facebook Settings → Business integrations."
            ),
        )
    return redirect("meta_integration:connections", slug=membership.workspace.slug)


# --- Meta's webhook endpoint ---------------------------------------------------------------------------


def _verification(request: HttpRequest) -> HttpResponse:
    """Answer Meta's handshake (GRAPH_NOTES §7.1): the challenge as plain text, else 403."""
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if mode != "subscribe" or not webhooks.is_valid_verify_token(token):
        webhooks.logger.warning("meta webhook: verification refused (mode=%r)", mode[:20])
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    if not webhooks.is_valid_challenge(challenge):
        return HttpResponse("Bad challenge", status=400, content_type="text/plain")
    return HttpResponse(challenge, content_type="text/plain; charset=utf-8")


@csrf_exempt  # Meta's POSTs carry no CSRF token; the HMAC signature authenticates them.
@require_http_methods(["GET", "POST"])
def receive_webhook(request: HttpRequest) -> HttpResponse:
    """``/meta/webhooks/`` (ARCHITECTURE §6): GET handshake, POST signed notifications."""
    if request.method == "GET":
        return _verification(request)
    # Refuse by the announced length before reading, so a huge body is never buffered.
    announced = request.META.get("CONTENT_LENGTH") or "0"
    if announced.isdigit() and int(announced) > webhooks.MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        stored = webhooks.record_webhook_events(
            body=request.body, signature=request.headers.get("X-Hub-Signature-256", "")
        )
    except webhooks.WebhookRejected as exc:
        webhooks.logger.warning("meta webhook: rejected (%s)", exc.reason)
        return JsonResponse({"error": exc.reason}, status=exc.status)
    # Meta only needs a 200; anything else makes it retry (GRAPH_NOTES §7.2).
    return JsonResponse({"stored": stored})
