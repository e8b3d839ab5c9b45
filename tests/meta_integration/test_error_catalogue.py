"""The error catalogue: exact explanations, precedence, fallback, agreement with classify()."""

import json
import re

import pytest

from meta_integration import error_catalogue
from meta_integration.error_catalogue import CATALOGUE, Explanation, explain
from meta_integration.graph import ErrorKind, GraphClient, GraphError

IG_ERRORS = "https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes"
IG_MEDIA = "https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media"
TOKENS = "https://developers.facebook.com/docs/facebook-login/guides/access-tokens"
ERRORS = "https://developers.facebook.com/docs/graph-api/guides/error-handling"
RATES = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
PERMISSIONS = "https://developers.facebook.com/docs/permissions"
KEYS = sorted(CATALOGUE, key=lambda key: (key[0], key[1] or 0))


def error(code, subcode=None, *, message="", http_status=400, **fields) -> GraphError:
    return GraphError(message, code=code, subcode=subcode, http_status=http_status, **fields)


@pytest.mark.parametrize(
    ("graph_error", "expected"),
    [
        (
            error(190, 463, message="Error validating access token: Session has expired"),
            Explanation(
                "The Meta access token has expired.",
                "Reconnect Meta to get a fresh token.",
                False,
                TOKENS,
            ),
        ),
        (
            error(190, 458),
            Explanation(
                "The person removed ProSocial from their Facebook account.",
                "Reconnect Meta and approve ProSocial again.",
                False,
                TOKENS,
            ),
        ),
        (
            error(190, 492),
            Explanation(
                "The person who connected Meta no longer has a role on this Page.",
                "Ask a Page admin to reconnect Meta, or give the person their Page role back.",
                False,
                TOKENS,
            ),
        ),
        (
            error(4, message="(#4) Application request limit reached"),
            Explanation(
                "ProSocial's Meta app has reached its hourly request limit (code 4).",
                "ProSocial waits and retries on its own; if it persists, sync less often.",
                True,
                RATES,
            ),
        ),
        (
            error(1, http_status=500),
            Explanation(
                "Meta had a temporary internal problem (code 1).",
                "ProSocial retries automatically; if it keeps failing, try again in a few minutes.",
                True,
                ERRORS,
            ),
        ),
        (
            error(100, message="(#100) Param caption must be at most 2200 characters"),
            Explanation(
                "Meta rejected a parameter of the request (code 100): "
                "(#100) Param caption must be at most 2200 characters",
                "Check the item's settings against the placement's requirements, then try again.",
                False,
                ERRORS,
            ),
        ),
        (
            error(100, 33),
            Explanation(
                "The Page, account or object doesn't exist, or this connection can't see it "
                "(code 100, subcode 33).",
                "Refresh the connection's assets; if the asset is gone from the list, reconnect "
                "Meta and select it.",
                False,
                ERRORS,
            ),
        ),
        (
            error(100, 36009),
            Explanation(
                "This Facebook login code was already used.",
                "Start connecting Meta again (reloading the return page reuses the old code).",
                False,
                "https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow",
            ),
        ),
        (
            error(9, 2207042),
            Explanation(
                "The Instagram account has reached its publishing limit for the last 24 hours.",
                "Wait until the 24-hour window frees a slot (the connection page shows the quota "
                "left), then publish.",
                True,
                "https://developers.facebook.com/docs/instagram-platform/content-publishing",
            ),
        ),
        (
            error(352, 2207026),
            Explanation(
                "Instagram doesn't support this video format.",
                "Convert the video to the placement's spec (MP4, H.264/AAC) with the one-click "
                "transcode, then publish again.",
                False,
                IG_MEDIA,
            ),
        ),
        (
            error(9004, 2207052),
            Explanation(
                "Instagram could not fetch the media from its URL.",
                "Make sure the media URL is public and reachable from the internet "
                "(PUBLIC_BASE_URL). ProSocial uploads an Instagram video directly instead; "
                "Instagram takes images only by link.",
                False,
                IG_ERRORS,
            ),
        ),
        (
            error(-2, 2207003),
            Explanation(
                "Instagram timed out downloading the media.",
                "ProSocial retries; if it keeps failing it uploads the file directly instead.",
                True,
                IG_ERRORS,
            ),
        ),
        (
            error(36004, 2207010),
            Explanation(
                "The caption is too long: at most 2,200 characters, 30 hashtags and 20 @-mentions.",
                "Shorten the caption, then publish again.",
                False,
                IG_MEDIA,
            ),
        ),
    ],
    ids=lambda value: f"{value.code}/{value.subcode}" if isinstance(value, GraphError) else "",
)
def test_exact_explanations(graph_error, expected):
    assert explain(graph_error) == expected


def test_subcode_entry_wins_over_the_code_entry():
    assert explain(error(190, 460)).cause == (
        "The Facebook password was changed, which ended ProSocial's access."
    )
    assert explain(error(190, 999)).cause == (
        "The Meta access token is invalid or has expired (code 190)."
    )
    assert explain(error(190)).cause == explain(error(190, 999)).cause


def test_instagram_subcode_wins_whatever_code_comes_with_it():
    assert explain(error(100, 2207026)) == CATALOGUE[(352, 2207026)]
    assert explain(error(100, 2207026)) != CATALOGUE[(100, None)]


def test_code_ranges_after_exact_entries():
    assert explain(error(283, http_status=403)) == Explanation(
        "Meta refused for lack of permission (code 283): a permission was not granted, or the "
        "person lacks the needed role on the Page or ad account.",
        "Reconnect Meta granting every requested permission, and check the person's role on the "
        "asset in Meta Business Suite.",
        False,
        PERMISSIONS,
    )
    assert explain(error(80003)).cause == (
        "Meta's business use case rate limit was reached (code 80003)."
    )
    assert explain(error(80004)).cause == (
        "Too many calls to this ad account (ads management limit, code 80004)."
    )


def test_fallback_names_the_code_and_metas_message():
    explanation = explain(error(12345, 6, message="(#12345) Something Meta invented"))

    assert explanation == Explanation(
        "Meta refused the request (code 12345, subcode 6): (#12345) Something Meta invented",
        "Check the item's settings against Meta's requirements; if it persists, report it to "
        "ProSocial with the trace id.",
        False,
        ERRORS,
    )


def test_fallback_shows_metas_user_message_and_keeps_retryability():
    explanation = explain(
        error(
            54321,
            message="Try later",
            user_message="Please wait a minute and retry.",
            meta_is_transient=True,
        )
    )

    assert explanation == Explanation(
        "Please wait a minute and retry.",
        "ProSocial retries automatically; if it keeps failing, try again in a few minutes.",
        True,
        ERRORS,
    )


def test_fallback_for_a_quota_says_to_wait_for_its_window():
    explanation = explain(error(9, message="(#9) Application request limit reached"))

    assert explanation == Explanation(
        "Meta refused the request (code 9): (#9) Application request limit reached",
        "Wait until the quota's window frees up; ProSocial tries again then.",
        True,
        ERRORS,
    )


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_fallback_has_a_fix_for_every_kind(kind):
    assert explain(error(12345, kind=kind)).fix.strip()


def test_fallback_without_any_message_still_names_the_code():
    assert explain(error(77)).cause == "Meta refused the request (code 77): no message"


def test_network_and_non_json_failures():
    network = GraphError("Could not reach Meta (ConnectTimeout): ...", kind=ErrorKind.TRANSIENT)
    proxy = GraphError("Meta answered HTTP 502 with a non-JSON body", http_status=502)
    not_found = GraphError("Meta answered HTTP 404 with a non-JSON body", http_status=404)

    assert explain(network) == error_catalogue.NETWORK_ERROR
    assert explain(proxy) == Explanation(
        "Meta (or a proxy in front of it) failed with HTTP 502 and sent an error page or "
        "nothing, not Graph data or a Graph error.",
        "ProSocial retries automatically; if it keeps failing, try again in a few minutes.",
        True,
        ERRORS,
    )
    assert (explain(not_found).retryable, explain(not_found).cause) == (
        False,
        "Meta answered HTTP 404 with something that is neither Graph data nor a Graph error.",
    )


@pytest.mark.parametrize("key", KEYS, ids=[f"{code}/{subcode}" for code, subcode in KEYS])
def test_catalogue_agrees_with_the_client_on_retrying(key):
    code, subcode = key
    status = 500 if code in (1, 2) and subcode is None else 400
    graph_error = error(code, subcode, http_status=status)

    assert explain(graph_error).retryable is graph_error.is_retryable


@pytest.mark.parametrize("key", KEYS, ids=[f"{code}/{subcode}" for code, subcode in KEYS])
def test_every_entry_is_complete_and_never_says_unknown_error(key):
    explanation = CATALOGUE[key]

    assert explanation.cause.strip()
    assert explanation.fix.strip()
    assert explanation.doc_url.startswith("https://developers.facebook.com/docs/")
    assert "unknown error" not in explanation.cause.lower()


def test_catalogue_covers_the_codes_of_graph_notes():
    codes = {code for code, _subcode in CATALOGUE}
    assert {1, 2, 4, 10, 17, 32, 100, 102, 190, 200, 341, 368, 506, 613, 2500, 3001} <= codes
    assert {(190, s) for s in (458, 459, 460, 463, 464, 467, 492)} <= set(CATALOGUE)
    ig_subcodes = {
        subcode for _code, subcode in CATALOGUE if subcode and 2207000 <= subcode < 2208000
    }
    assert ig_subcodes == {
        2207001, 2207003, 2207004, 2207005, 2207006, 2207008, 2207009, 2207010, 2207020,
        2207023, 2207026, 2207027, 2207028, 2207032, 2207035, 2207036, 2207037, 2207040,
        2207042, 2207050, 2207051, 2207052, 2207053, 2207057,
    }  # fmt: skip


# --- Meta's real answers, parsed by the client (issue #14 item 17) -----------------------------

FIX_REQUEST = (
    "Check the item's settings against Meta's requirements; if it persists, report it to "
    "ProSocial with the trace id."
)
RETRY_LATER = "ProSocial retries automatically; if it keeps failing, try again in a few minutes."
# Any promise that ProSocial will try again by itself.
PROMISES_RETRY = re.compile(r"ProSocial (retries|waits|reschedules|slows down|tries again)")


def answered(canned_server, status: int, body, content_type="application/json") -> GraphError:
    """Return the GraphError the client raises when Meta answers ``body`` (one attempt)."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    canned_server.answer(status, content_type, raw)
    with pytest.raises(GraphError) as caught:
        GraphClient("EAAB-token", max_retries=0).get("/me")
    return caught.value


@pytest.mark.parametrize(
    ("status", "envelope", "cause"),
    [
        (
            400,
            {
                "message": "Service temporarily unavailable",
                "type": "OAuthException",
                "is_transient": False,
                "code": 2,
                "error_subcode": 1504044,
                "fbtrace_id": "AXk2hS8vW0a",
            },
            "Meta refused the request (code 2, subcode 1504044): Service temporarily unavailable",
        ),
        (
            400,
            {
                "message": "Error validating client secret.",
                "type": "OAuthException",
                "code": 1,
                "is_transient": False,
                "fbtrace_id": "A9sN1p4QeZr",
            },
            "Meta refused the request (code 1): Error validating client secret.",
        ),
        (
            500,
            {
                "message": "An unknown error occurred",
                "type": "OAuthException",
                "code": 1,
                "error_subcode": 99,
                "is_transient": False,
                "fbtrace_id": "B3r7T0mKx1Q",
            },
            "Meta refused the request (code 1, subcode 99): An unknown error occurred",
        ),
    ],
    ids=["2/1504044 HTTP 400", "1 client secret", "1/99 HTTP 500"],
)
def test_code_1_or_2_meta_marks_not_transient_is_not_retried_nor_said_to_be(
    canned_server, status, envelope, cause
):
    graph_error = answered(canned_server, status, {"error": envelope})

    assert graph_error.is_retryable is False
    assert explain(graph_error) == Explanation(cause, FIX_REQUEST, False, ERRORS)


def test_code_2_meta_marks_transient_is_retried_and_said_to_be(canned_server):
    graph_error = answered(
        canned_server,
        500,
        {
            "error": {
                "message": "(#2) Service temporarily unavailable",
                "type": "OAuthException",
                "is_transient": True,
                "code": 2,
                "fbtrace_id": "DwmNHd5eHYr",
            }
        },
    )

    assert graph_error.is_retryable is True
    assert explain(graph_error) == CATALOGUE[(2, None)]


def test_metas_user_title_and_message_are_shown_when_the_catalogue_knows_the_code(
    canned_server,
):
    graph_error = answered(
        canned_server,
        400,
        {
            "error": {
                "message": "Invalid parameter",
                "type": "OAuthException",
                "code": 100,
                "error_subcode": 1885183,
                "is_transient": False,
                "error_user_title": "Ads creative post was created by an app that is in "
                "development mode",
                "error_user_msg": "Ads creative post was created by an app that is in "
                "development mode. It must be in public to create this ad.",
                "fbtrace_id": "AUqaoQnn0lXPacnJVRk3ATj",
            }
        },
    )

    assert explain(graph_error) == Explanation(
        "Ads creative post was created by an app that is in development mode. It must be in "
        "public to create this ad.",
        CATALOGUE[(100, None)].fix,
        False,
        ERRORS,
        title="Ads creative post was created by an app that is in development mode",
    )


def test_a_user_title_alone_heads_the_catalogues_cause():
    explanation = explain(error(190, 463, user_title="Session expired"))

    assert explanation == Explanation(
        "The Meta access token has expired.",
        "Reconnect Meta to get a fresh token.",
        False,
        TOKENS,
        title="Session expired",
    )


@pytest.mark.parametrize(
    ("status", "cause", "fix", "retryable"),
    [
        (
            400,
            "Meta answered HTTP 400 with an error but no error code: Error validating "
            "verification code. Please make sure your redirect_uri is identical to the one you "
            "used in the OAuth dialog request",
            FIX_REQUEST,
            False,
        ),
        (
            500,
            "Meta answered HTTP 500 with an error but no error code: Error validating "
            "verification code. Please make sure your redirect_uri is identical to the one you "
            "used in the OAuth dialog request",
            RETRY_LATER,
            True,
        ),
    ],
    ids=["HTTP 400", "HTTP 500"],
)
def test_an_envelope_without_a_code_is_explained_as_metas_error(
    canned_server, status, cause, fix, retryable
):
    graph_error = answered(
        canned_server,
        status,
        {
            "error": {
                "message": "Error validating verification code. Please make sure your "
                "redirect_uri is identical to the one you used in the OAuth dialog request",
                "type": "OAuthException",
            }
        },
    )

    assert explain(graph_error) == Explanation(cause, fix, retryable, ERRORS)


def test_a_proxys_error_page_says_what_happens_next(canned_server, sleeps):
    graph_error = answered(
        canned_server, 502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"
    )

    assert explain(graph_error) == Explanation(
        "Meta (or a proxy in front of it) failed with HTTP 502 and sent an error page or "
        "nothing, not Graph data or a Graph error.",
        RETRY_LATER,
        True,
        ERRORS,
    )
    assert graph_error.is_retryable is True


@pytest.mark.parametrize("is_transient", [True, False])
@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("key", KEYS, ids=[f"{code}/{subcode}" for code, subcode in KEYS])
def test_explanation_follows_metas_is_transient_flag(key, status, is_transient):
    code, subcode = key
    graph_error = error(code, subcode, http_status=status, meta_is_transient=is_transient)

    explanation = explain(graph_error)

    assert explanation.retryable is graph_error.is_retryable
    if not graph_error.is_retryable:
        assert PROMISES_RETRY.search(explanation.fix) is None, explanation.fix
