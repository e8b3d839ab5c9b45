"""Drive the connect flow the way Meta's dialog would, without a browser."""

from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from meta_integration.scopes import requested_scopes
from meta_sandbox import seed

ALL_PAGES = [seed.PAGE_COFFEE_ID, seed.PAGE_PHOTO_ID, seed.PAGE_BAKERY_ID]
ALL_IG = [seed.IG_COFFEE_ID, seed.IG_PHOTO_ID]
ALL_ADS = [seed.ACT_COFFEE_US, seed.ACT_PHOTO_EU, seed.ACT_BAKERY_UK]


def start_connect(client, slug="acme", **data):
    """POST "Connect Meta"; return the dialog's query parameters."""
    response = client.get(reverse("meta_integration:connect", args=[slug]), data)
    assert response.status_code == 302, response.content[:500]
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def consent(sandbox, dialog, *, user_id=seed.ALEX_ID, scopes=None, pages=None, ig=None, ads=None):
    """Do what the person does on Meta's consent page; return the code Meta redirects with."""
    sandbox.state.authorize_user(
        user_id=user_id,
        scopes=scopes if scopes is not None else requested_scopes(),
        page_ids=ALL_PAGES if pages is None else pages,
        ig_user_ids=ALL_IG if ig is None else ig,
        ad_account_ids=ALL_ADS if ads is None else ads,
    )
    return sandbox.state.auth.issue_code(
        user_id=user_id, client_id=sandbox.state.app_id, redirect_uri=dialog["redirect_uri"]
    ).code


def callback(client, **params):
    return client.get(reverse("meta_integration:oauth_callback"), params)


def connect(client, sandbox, slug="acme", **consent_kwargs):
    dialog = start_connect(client, slug)
    code = consent(sandbox, dialog, **consent_kwargs)
    return callback(client, code=code, state=dialog["state"])
