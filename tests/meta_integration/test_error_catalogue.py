"""The error catalogue: exact explanations, precedence, fallback, agreement with classify()."""

import pytest

from meta_integration import error_catalogue
from meta_integration.error_catalogue import CATALOGUE, Explanation, explain
from meta_integration.graph import ErrorKind, GraphError

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
                "Make sure the media URL is public and reachable; ProSocial falls back to "
                "uploading the file directly.",
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


def test_fallback_prefers_metas_user_message_as_the_fix_and_keeps_retryability():
    explanation = explain(
        error(
            54321,
            message="Try later",
            user_message="Please wait a minute and retry.",
            meta_is_transient=True,
        )
    )

    assert explanation.cause == "Meta refused the request (code 54321): Try later"
    assert explanation.fix == "Please wait a minute and retry."
    assert explanation.retryable is True


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
        "Meta (or a proxy in front of it) answered with an error page instead of data (HTTP 502).",
        "ProSocial retries automatically; if it keeps failing, try again in a few minutes.",
        True,
        ERRORS,
    )
    assert (explain(not_found).retryable, explain(not_found).cause) == (
        False,
        "Meta answered with something that is not data (HTTP 404).",
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
