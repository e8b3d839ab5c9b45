"""What each Graph API error means for the person who sees it: cause, fix, retryability, doc.

One table (ARCHITECTURE §5 "Errors users can act on"), keyed by Meta's (code, subcode), built
from GRAPH_NOTES §5.2 (Graph codes, 190 subcodes, rate limits) and §2.9 (Instagram
publishing subcodes). `explain(error)` looks up, in order:

1. the exact (code, subcode);
2. an Instagram publishing subcode (2207xxx) on its own, whatever code Meta sent with it;
3. the code alone, (code, None);
4. a code range (200-299 permissions, 80000-80014 business-use-case limits);
5. a fallback that still names the code, the subcode and Meta's own message.

It never answers "Unknown error". Whether ProSocial retries is decided by
`meta_integration.graph.classify` (which honours Meta's `is_transient` flag), and the
explanation always follows it: `retryable` is the error's own, and an entry whose words
promise the other outcome (code 1 "temporary, ProSocial retries" for an error Meta marked
`is_transient: false`) gives way to the fallback. When Meta sent `error_user_title` /
`error_user_msg` (localized, safe to show; GRAPH_NOTES §5.1), they are the `title` and the
`cause`, and the entry contributes its fix. Texts may use `{code}`, `{subcode}` and
`{message}`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from meta_integration.graph import ErrorKind, GraphError

ERROR_HANDLING = "https://developers.facebook.com/docs/graph-api/guides/error-handling"
RATE_LIMITING = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
MARKETING_RATE_LIMITING = (
    "https://developers.facebook.com/docs/marketing-api/overview/rate-limiting"
)
ACCESS_TOKENS = "https://developers.facebook.com/docs/facebook-login/guides/access-tokens"
MANUAL_LOGIN_FLOW = (
    "https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow"
)
PERMISSIONS = "https://developers.facebook.com/docs/permissions"
CHANGELOG = "https://developers.facebook.com/docs/graph-api/changelog"
PAGE_FEED = "https://developers.facebook.com/docs/graph-api/reference/page/feed/"
MARKETING_INSIGHTS = "https://developers.facebook.com/docs/marketing-api/insights"
PAGE_INSIGHTS = "https://developers.facebook.com/docs/graph-api/reference/page/insights/"
IG_INSIGHTS = (
    "https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights"
)
IG_ERROR_CODES = "https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes"
IG_MEDIA = "https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media"
IG_PUBLISHING = "https://developers.facebook.com/docs/instagram-platform/content-publishing"
MESSAGING = (
    "https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message"
)
MESSENGER_ERRORS = "https://developers.facebook.com/docs/messenger-platform/error-codes"
PRIVATE_REPLIES = "https://developers.facebook.com/docs/instagram-platform/private-replies"
COMMENTS = "https://developers.facebook.com/docs/instagram-platform/comment-moderation"

# Entries that read better for one kind of action (``explain(error, about=...)``), tried first.
# 100/33 is "object does not exist": for a comment action that means the comment is gone.
ABOUT: dict[str, dict[tuple[int, int | None], Explanation]] = {}


@dataclass(frozen=True)
class Explanation:
    cause: str
    fix: str
    retryable: bool
    doc_url: str
    title: str = ""  # Meta's error_user_title, when it sent one: the failure's headline


def _e(cause: str, fix: str, retryable: bool, doc_url: str) -> Explanation:
    return Explanation(cause=cause, fix=fix, retryable=retryable, doc_url=doc_url)


_RETRY_LATER = "ProSocial retries automatically; if it keeps failing, try again in a few minutes."
_WAIT_FOR_LIMIT = "ProSocial waits and retries on its own; if it persists, sync less often."
_RECONNECT = "Reconnect Meta from the workspace's Connections page."
_NEW_CONTAINER = "Publish again: ProSocial creates a fresh Instagram upload."

CATALOGUE: dict[tuple[int, int | None], Explanation] = {
    # --- transient (§5.2) ---
    (1, None): _e(
        "Meta had a temporary internal problem (code 1).", _RETRY_LATER, True, ERROR_HANDLING
    ),
    (2, None): _e(
        "Meta's service is temporarily unavailable (code 2).", _RETRY_LATER, True, ERROR_HANDLING
    ),
    (3, None): _e(
        "ProSocial's Meta app is not allowed to use this feature (code 3).",
        "An operator must enable the feature or permission for the app in the Meta App Dashboard.",
        False,
        ERROR_HANDLING,
    ),
    # --- rate limits (§5.2, §5.4) ---
    (4, None): _e(
        "ProSocial's Meta app has reached its hourly request limit (code 4).",
        _WAIT_FOR_LIMIT,
        True,
        RATE_LIMITING,
    ),
    (17, None): _e(
        "This Facebook user has made too many requests (code 17).",
        _WAIT_FOR_LIMIT,
        True,
        RATE_LIMITING,
    ),
    (17, 2446079): _e(
        "The ad account used up its Marketing API request budget (code 17, subcode 2446079).",
        "Wait about five minutes; ProSocial retries after the block lifts.",
        True,
        MARKETING_RATE_LIMITING,
    ),
    (17, 1885172): _e(
        "The ad account's spending limit was changed too often today (at most 10 times a day).",
        "Try the change again tomorrow.",
        True,
        MARKETING_RATE_LIMITING,
    ),
    (32, None): _e(
        "This Facebook Page has made too many requests (code 32).",
        _WAIT_FOR_LIMIT,
        True,
        RATE_LIMITING,
    ),
    (341, None): _e(
        "ProSocial's Meta app has reached an application limit (code 341).",
        "Wait and try again later; ProSocial does not retry it immediately.",
        True,
        RATE_LIMITING,
    ),
    (613, None): _e(
        "Too many calls in a short time for this app or ad account (code 613).",
        _WAIT_FOR_LIMIT,
        True,
        MARKETING_RATE_LIMITING,
    ),
    (613, 1487742): _e(
        "The ad account used up its Marketing API request budget (code 613, subcode 1487742).",
        "Wait a few minutes; ProSocial retries after the block lifts.",
        True,
        MARKETING_RATE_LIMITING,
    ),
    (613, 5044001): _e(
        "Too many changes per second to campaigns, ad sets or ads of this ad account.",
        "ProSocial slows down and retries; nothing to do.",
        True,
        MARKETING_RATE_LIMITING,
    ),
    (613, 1487632): _e(
        "An ad set's budget can change at most 4 times an hour.",
        "Wait an hour before changing this ad set's budget again.",
        True,
        MARKETING_RATE_LIMITING,
    ),
    (80000, None): _e(
        "Too many calls to this ad account (business use case limit, code 80000).",
        "Wait for the time Meta gives; ProSocial reschedules the work.",
        True,
        MARKETING_RATE_LIMITING,
    ),
    (80001, None): _e(
        "Too many calls to this Facebook Page (Pages rate limit, code 80001).",
        "Wait for the time Meta gives; ProSocial reschedules the work.",
        True,
        RATE_LIMITING,
    ),
    (80002, None): _e(
        "Too many calls to this Instagram account (Instagram rate limit, code 80002).",
        "Wait for the time Meta gives; ProSocial reschedules the work.",
        True,
        RATE_LIMITING,
    ),
    (80004, None): _e(
        "Too many calls to this ad account (ads management limit, code 80004).",
        "Wait for the time Meta gives; ProSocial reschedules the work.",
        True,
        MARKETING_RATE_LIMITING,
    ),
    # --- permissions ---
    (10, None): _e(
        "The connection lacks a permission this action needs, or it was removed (code 10).",
        "Reconnect Meta and keep every requested permission ticked.",
        False,
        PERMISSIONS,
    ),
    (10, 2018278): _e(
        "The 24-hour window to reply to this person has closed.",
        "Wait until they message again, or reply as a human agent within 7 days if the app "
        "has that feature.",
        False,
        MESSAGING,
    ),
    (10, 2534022): _e(
        "The 24-hour window to reply to this person has closed.",
        "Wait until they message again, or reply as a human agent within 7 days if the app "
        "has that feature.",
        False,
        MESSAGING,
    ),
    (10, 1893063): _e(
        "Meta has temporarily restricted this Page from sending messages.",
        "Check the Page's quality notices in Meta Business Suite and try again later.",
        False,
        MESSAGING,
    ),
    # --- messaging and comments (GRAPH_NOTES §9) ---
    (551, None): _e(
        "This person isn't available right now: they blocked the Page, deactivated or deleted "
        "their account, or can't receive messages from businesses.",
        "Don't send again; the message stays here. Answer publicly or wait until they write.",
        False,
        MESSENGER_ERRORS,
    ),
    (551, 1545041): _e(
        "This person isn't available right now: they blocked the Page, deactivated or deleted "
        "their account, or can't receive messages from businesses.",
        "Don't send again; the message stays here. Answer publicly or wait until they write.",
        False,
        MESSENGER_ERRORS,
    ),
    (10900, None): _e(
        "A private reply was already sent for this comment: Meta allows one per comment.",
        "Continue in the direct-message conversation it started, or reply publicly.",
        False,
        PRIVATE_REPLIES,
    ),
    (10903, None): _e(
        "This comment can't get a private reply any more (more than 7 days old, or Meta "
        "doesn't allow one for it).",
        "Reply publicly under the comment instead.",
        False,
        PRIVATE_REPLIES,
    ),
    (200, None): _e(
        "Meta refused for lack of permission (code 200): the permission was not granted, or "
        "the person lacks the needed role on the Page or ad account.",
        "Reconnect Meta granting every requested permission, and check the person's role on "
        "the asset in Meta Business Suite.",
        False,
        PERMISSIONS,
    ),
    # --- invalid requests ---
    (100, None): _e(
        "Meta rejected a parameter of the request (code 100): {message}",
        "Check the item's settings against the placement's requirements, then try again.",
        False,
        ERROR_HANDLING,
    ),
    (100, 33): _e(
        "The Page, account or object doesn't exist, or this connection can't see it "
        "(code 100, subcode 33).",
        "Refresh the connection's assets; if the asset is gone from the list, reconnect Meta "
        "and select it.",
        False,
        ERROR_HANDLING,
    ),
    (100, 36007): _e(
        "The Facebook login code expired before ProSocial could use it.",
        "Start connecting Meta again.",
        False,
        MANUAL_LOGIN_FLOW,
    ),
    (100, 36008): _e(
        "The login's redirect address differs from the one used in Facebook's dialog.",
        "An operator must make the OAuth redirect URI identical in the dialog and the code "
        "exchange (check the site URL setting), then connect again.",
        False,
        MANUAL_LOGIN_FLOW,
    ),
    (100, 36009): _e(
        "This Facebook login code was already used.",
        "Start connecting Meta again (reloading the return page reuses the old code).",
        False,
        MANUAL_LOGIN_FLOW,
    ),
    (104, None): _e(
        "The request reached Meta without a valid access token or signature (code 104).",
        _RECONNECT,
        False,
        ERROR_HANDLING,
    ),
    (368, None): _e(
        "Meta has temporarily blocked this action for policy reasons (code 368).",
        "Don't retry now. Review the content against Meta's Community Standards and "
        "Advertising Policies, and try again later.",
        False,
        ERROR_HANDLING,
    ),
    (506, None): _e(
        "Meta refused a duplicate post (code 506).",
        "Change the text: Meta rejects the same status posted twice in a row.",
        False,
        PAGE_FEED,
    ),
    (1609005, None): _e(
        "Meta could not attach the link to the post (code 1609005).",
        "Check the link opens publicly without a login, then post again.",
        False,
        PAGE_FEED,
    ),
    (2500, None): _e(
        "Meta could not understand the request (code 2500): {message}",
        "Reconnect Meta; if it still fails, report it to ProSocial with the trace id.",
        False,
        ERROR_HANDLING,
    ),
    (2635, None): _e(
        "ProSocial called a Graph API version Meta no longer supports (code 2635).",
        "An operator must raise META_API_VERSION to a supported version.",
        False,
        CHANGELOG,
    ),
    (3001, None): _e(
        "Meta rejected the insights query (code 3001): {message}",
        "Choose at least one metric that Meta still offers for this object.",
        False,
        PAGE_INSIGHTS,
    ),
    (3018, None): _e(
        "The report's start date is more than 37 months ago (code 3018).",
        "Pick a date range within the last 37 months.",
        False,
        MARKETING_INSIGHTS,
    ),
    # --- insights (GRAPH_NOTES §4.7, §10; results collection, #18) ---
    (-2, 2490547): _e(
        "Meta's report on these ads' results failed (code -2, subcode 2490547).",
        "Nothing to fix: the next refresh asks Meta for a new report.",
        False,
        MARKETING_INSIGHTS,
    ),
    (4, 1504022): _e(
        "ProSocial's app reached Meta's limit on insights requests (code 4, subcode 1504022).",
        "ProSocial waits for the time Meta gives, then goes on reading results.",
        True,
        MARKETING_RATE_LIMITING,
    ),
    (100, 1504018): _e(
        "Meta stopped a results query that took too long (code 100, subcode 1504018).",
        "Nothing to fix: large ads results are asked for as a report Meta prepares in the "
        "background.",
        False,
        MARKETING_INSIGHTS,
    ),
    (100, 2108006): _e(
        "This Instagram post is older than the account's switch to a professional account, "
        "so Meta has no insights for it (code 100, subcode 2108006).",
        "Nothing to fix: results are collected for posts published after the switch.",
        False,
        IG_INSIGHTS,
    ),
    (3001, 1504028): _e(
        "Meta was asked for insights without naming a metric (code 3001, subcode 1504028).",
        "Report it to ProSocial with the trace id: every results request names its metrics.",
        False,
        PAGE_INSIGHTS,
    ),
    # --- the access token (§5.2, 190 subcodes) ---
    (102, None): _e(
        "The Facebook session is no longer valid (code 102).", _RECONNECT, False, ACCESS_TOKENS
    ),
    (190, None): _e(
        "The Meta access token is invalid or has expired (code 190).",
        _RECONNECT,
        False,
        ACCESS_TOKENS,
    ),
    (190, 458): _e(
        "The person removed ProSocial from their Facebook account.",
        "Reconnect Meta and approve ProSocial again.",
        False,
        ACCESS_TOKENS,
    ),
    (190, 459): _e(
        "Facebook has locked the account until its owner logs in on facebook.com "
        "(security checkpoint).",
        "Log in on facebook.com, complete Facebook's security check, then reconnect Meta.",
        False,
        ACCESS_TOKENS,
    ),
    (190, 460): _e(
        "The Facebook password was changed, which ended ProSocial's access.",
        _RECONNECT,
        False,
        ACCESS_TOKENS,
    ),
    (190, 463): _e(
        "The Meta access token has expired.",
        "Reconnect Meta to get a fresh token.",
        False,
        ACCESS_TOKENS,
    ),
    (190, 464): _e(
        "The Facebook account is not confirmed yet.",
        "Confirm the Facebook account (email or phone), then reconnect Meta.",
        False,
        ACCESS_TOKENS,
    ),
    (190, 467): _e(
        "The Meta access token is no longer valid (the person logged out or it was revoked).",
        _RECONNECT,
        False,
        ACCESS_TOKENS,
    ),
    (190, 492): _e(
        "The person who connected Meta no longer has a role on this Page.",
        "Ask a Page admin to reconnect Meta, or give the person their Page role back.",
        False,
        ACCESS_TOKENS,
    ),
    # --- Instagram publishing (§2.9) ---
    (-2, 2207003): _e(
        "Instagram timed out downloading the media.",
        "ProSocial retries; if it keeps failing it uploads the file directly instead.",
        True,
        IG_ERROR_CODES,
    ),
    (-2, 2207020): _e(
        "The Instagram upload expired before it was published.",
        _NEW_CONTAINER,
        False,
        IG_ERROR_CODES,
    ),
    (-1, 2207001): _e(
        "Instagram had a temporary server error.", _RETRY_LATER, True, IG_ERROR_CODES
    ),
    (-1, 2207032): _e(
        "Instagram failed to create the media; this is usually temporary.",
        _RETRY_LATER,
        True,
        IG_ERROR_CODES,
    ),
    (-1, 2207053): _e(
        "Instagram could not process the uploaded video and gave no reason.",
        _NEW_CONTAINER,
        False,
        IG_ERROR_CODES,
    ),
    (1, 2207057): _e(
        "The thumbnail position (thumb_offset) is outside the video.",
        "Choose a cover frame within the video's length.",
        False,
        IG_MEDIA,
    ),
    (4, 2207051): _e(
        "Instagram blocked this action as spam, or the account is restricted.",
        "Don't repeat it now: check the Instagram app for warnings on the account and try "
        "again later.",
        False,
        IG_ERROR_CODES,
    ),
    (9, 2207042): _e(
        "The Instagram account has reached its publishing limit for the last 24 hours.",
        "Wait until the 24-hour window frees a slot (the connection page shows the quota "
        "left), then publish.",
        True,
        IG_PUBLISHING,
    ),
    (24, 2207006): _e(
        "Instagram can't find the media: it expired, or the token lost access to it.",
        _NEW_CONTAINER,
        False,
        IG_ERROR_CODES,
    ),
    (24, 2207008): _e(
        "The Instagram upload isn't ready yet or has expired.",
        "ProSocial retries for a couple of minutes, then starts a fresh upload.",
        True,
        IG_ERROR_CODES,
    ),
    (25, 2207050): _e(
        "The Instagram account is restricted or inactive.",
        "Open the Instagram app, resolve the account's restriction, then publish again.",
        False,
        IG_ERROR_CODES,
    ),
    (100, 2207023): _e(
        "Instagram doesn't support this media type.",
        "Use a JPEG image or an MP4/MOV video.",
        False,
        IG_MEDIA,
    ),
    (100, 2207028): _e(
        "An Instagram carousel needs between 2 and 10 items.",
        "Add or remove items so the carousel has 2 to 10.",
        False,
        IG_MEDIA,
    ),
    (100, 2207035): _e(
        "A product tag is placed outside the image.",
        "Move or remove the product tags.",
        False,
        IG_MEDIA,
    ),
    (100, 2207036): _e(
        "A product tag is invalid for this post.",
        "Check the tagged products exist in the catalogue, or remove the tags.",
        False,
        IG_MEDIA,
    ),
    (100, 2207037): _e(
        "The product tags could not be validated.",
        "Check the tagged products and their positions, or remove the tags.",
        False,
        IG_MEDIA,
    ),
    (100, 2207040): _e(
        "The caption tags more than 20 accounts.",
        "Use at most 20 @-mentions in the caption.",
        False,
        IG_MEDIA,
    ),
    (352, 2207026): _e(
        "Instagram doesn't support this video format.",
        "Convert the video to the placement's spec (MP4, H.264/AAC) with the one-click "
        "transcode, then publish again.",
        False,
        IG_MEDIA,
    ),
    (9004, 2207052): _e(
        "Instagram could not fetch the media from its URL.",
        "Make sure the media URL is public and reachable from the internet (PUBLIC_BASE_URL). "
        "ProSocial uploads an Instagram video directly instead; Instagram takes images only "
        "by link.",
        False,
        IG_ERROR_CODES,
    ),
    (9007, 2207027): _e(
        "The Instagram media is still processing and can't be published yet.",
        "ProSocial waits until processing finishes, then publishes.",
        True,
        IG_PUBLISHING,
    ),
    (36000, 2207004): _e(
        "The image is larger than Instagram's 8 MB limit.",
        "Shrink the image below 8 MB (re-export or transcode), then publish again.",
        False,
        IG_MEDIA,
    ),
    (36001, 2207005): _e(
        "Instagram only accepts JPEG images here.",
        "Convert the image to JPEG, then publish again.",
        False,
        IG_MEDIA,
    ),
    (36003, 2207009): _e(
        "The image's aspect ratio is outside Instagram's 4:5 to 1.91:1 range.",
        "Crop or pad the image to the placement (the editor's crop presets do this).",
        False,
        IG_MEDIA,
    ),
    (36004, 2207010): _e(
        "The caption is too long: at most 2,200 characters, 30 hashtags and 20 @-mentions.",
        "Shorten the caption, then publish again.",
        False,
        IG_MEDIA,
    ),
}

ABOUT.update(
    {
        # Meta marks 2/1504041 not transient (a breakdown combination it refuses); without the
        # flag, code 2 reads as an outage and the general explanation applies.
        "insights": {
            (2, 1504041): _e(
                "Meta can't break these results down that way (code 2, subcode 1504041).",
                "Choose one breakdown, or age with gender, or platform with placement.",
                False,
                MARKETING_INSIGHTS,
            ),
        },
        "comment": {
            (100, 33): _e(
                "The comment was deleted (by its author, another moderator or Meta), or this "
                "connection can no longer see it.",
                "Nothing to do: ProSocial marks it as deleted. Refresh the thread to see the rest.",
                False,
                COMMENTS,
            ),
        },
        "message": {
            (613, None): _e(
                "Meta is limiting how fast this Page can send messages right now (code 613).",
                "Wait a few minutes and press Retry; the message you wrote is kept.",
                True,
                MESSENGER_ERRORS,
            ),
            (100, 33): _e(
                "Meta can't find this person or conversation for the Page any more.",
                "Don't send again; wait until they write to the Page.",
                False,
                MESSENGER_ERRORS,
            ),
        },
    }
)

# Code ranges, tried after the exact table.
RANGES: list[tuple[range, Explanation]] = [
    (
        range(200, 300),
        _e(
            "Meta refused for lack of permission (code {code}): a permission was not granted, "
            "or the person lacks the needed role on the Page or ad account.",
            "Reconnect Meta granting every requested permission, and check the person's role "
            "on the asset in Meta Business Suite.",
            False,
            PERMISSIONS,
        ),
    ),
    (
        range(80000, 80015),
        _e(
            "Meta's business use case rate limit was reached (code {code}).",
            "Wait for the time Meta gives; ProSocial reschedules the work.",
            True,
            RATE_LIMITING,
        ),
    ),
]

NETWORK_ERROR = _e(
    "ProSocial could not reach Meta (network error or timeout).",
    _RETRY_LATER,
    True,
    ERROR_HANDLING,
)
# No envelope at all (an envelope without a code is Meta's error: see _fallback).
NOT_JSON_SERVER = _e(
    "Meta (or a proxy in front of it) failed with HTTP {http_status} and sent an error page "
    "or nothing, not Graph data or a Graph error.",
    _RETRY_LATER,
    True,
    ERROR_HANDLING,
)
NOT_JSON_CLIENT = _e(
    "Meta answered HTTP {http_status} with something that is neither Graph data nor a Graph error.",
    "Check META_GRAPH_URL points at the Graph API; report it to ProSocial if it persists.",
    False,
    ERROR_HANDLING,
)

_FALLBACK_FIX = {
    ErrorKind.TRANSIENT: _RETRY_LATER,
    ErrorKind.THROTTLED: "Wait a few minutes; ProSocial retries after the limit resets.",
    ErrorKind.QUOTA: "Wait until the quota's window frees up; ProSocial tries again then.",
    ErrorKind.AUTH: _RECONNECT,
    ErrorKind.PERMISSION: "Reconnect Meta granting every requested permission, and check the "
    "person's role on the asset.",
    ErrorKind.INVALID: "Check the item's settings against Meta's requirements; if it persists, "
    "report it to ProSocial with the trace id.",
}

_IG_SUBCODES = {
    subcode: explanation
    for (_code, subcode), explanation in CATALOGUE.items()
    if subcode is not None and 2207000 <= subcode < 2208000
}


def lookup(code: int | None, subcode: int | None) -> Explanation | None:
    """Return the table's explanation for (code, subcode), most specific first, or None."""
    if code is None:
        return None
    if subcode is not None:
        if (code, subcode) in CATALOGUE:
            return CATALOGUE[(code, subcode)]
        if subcode in _IG_SUBCODES:
            return _IG_SUBCODES[subcode]
    if (code, None) in CATALOGUE:
        return CATALOGUE[(code, None)]
    for codes, explanation in RANGES:
        if code in codes:
            return explanation
    return None


def explain_instagram_subcode(subcode: int) -> Explanation | None:
    """Explain a 2207xxx subcode found in a container's ERROR status text (GRAPH_NOTES §2.4)."""
    return _IG_SUBCODES.get(subcode)


def _fallback(error: GraphError) -> Explanation:
    message = error.message or error.user_title or "no message"
    if error.code is not None:
        name = f"{error.code}"
        if error.subcode is not None:
            name += f", subcode {error.subcode}"
        cause = f"Meta refused the request (code {name}): {message}"
    elif error.http_status is not None:
        cause = f"Meta answered HTTP {error.http_status} with an error but no error code: "
        cause += message
    else:
        cause = f"The request to Meta failed: {message}"
    fix = _FALLBACK_FIX[error.kind]
    return Explanation(cause=cause, fix=fix, retryable=error.is_retryable, doc_url=ERROR_HANDLING)


def _template(error: GraphError, about: str | None = None) -> Explanation | None:
    if error.code is not None:
        specific = ABOUT.get(about or "", {})
        if (error.code, error.subcode) in specific:
            return specific[(error.code, error.subcode)]
        return lookup(error.code, error.subcode)
    if error.has_envelope:
        return None  # Meta's error, just without a code: its message says the most
    if error.http_status is None:
        return NETWORK_ERROR
    return NOT_JSON_SERVER if error.http_status >= 500 else NOT_JSON_CLIENT


def explain(error: GraphError, *, about: str | None = None) -> Explanation:
    """Return what `error` means for the user: cause, fix, retryability and Meta's doc.

    `retryable` is always `error.is_retryable`; Meta's own user-facing title and message,
    when it sent them, are the `title` and the `cause`. `about` ("comment", "message") picks
    the wording for that kind of action where a code means something specific there.
    """
    template = _template(error, about)
    if template is None or template.retryable is not error.is_retryable:
        # No entry, or one whose words promise what won't happen (Meta's is_transient
        # flag overrode the code's usual meaning): explain from the error itself.
        explanation = _fallback(error)
    else:
        values = {
            "code": error.code,
            "subcode": error.subcode,
            "message": error.message or error.user_message or "no details given",
            "http_status": error.http_status,
        }
        explanation = replace(
            template, cause=template.cause.format_map(values), fix=template.fix.format_map(values)
        )
    if error.user_message:
        return replace(explanation, title=error.user_title, cause=error.user_message)
    if error.user_title:
        return replace(explanation, title=error.user_title)
    return explanation
