"""Defaults and fixed numbers of the Meta sandbox.

Everything a tester or the product's README may need to quote lives here: where the
runner listens, which app id/secret the sandbox knows, and the lifetimes it gives codes
and tokens (GRAPH_NOTES §1.2-§1.4, §12 #4).
"""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_APP_ID = "1000000000000001"
DEFAULT_APP_SECRET = "sandbox-app-secret"  # noqa: S105 - a well-known test secret, not a credential
APP_NAME = "ProSocial (sandbox)"

# Graph answers unversioned calls with the app's default version (GRAPH_NOTES §6.4).
DEFAULT_API_VERSION = "v25.0"
OLDEST_API_MAJOR = 20

# OAuth codes: Meta does not document a lifetime; the notes settle on 10 min, single use.
CODE_TTL_SECONDS = 10 * 60
# "About an hour or two" for a web-login token; long-lived as in Meta's doc sample.
SHORT_LIVED_TOKEN_SECONDS = 2 * 60 * 60
LONG_LIVED_TOKEN_SECONDS = 5_183_944
DATA_ACCESS_SECONDS = 90 * 24 * 60 * 60

DEFAULT_PAGE_LIMIT = 25
MAX_PAGE_LIMIT = 100
MAX_BATCH_SIZE = 50
REQUEST_LOG_SIZE = 500
CALLBACK_LOG_SIZE = 50

# Where the app (ProSocial's dev server) receives Meta's privacy callbacks (GRAPH_NOTES §8);
# the console pre-fills these.
APP_BASE_URL = "http://127.0.0.1:8000"
DATA_DELETION_CALLBACK_URL = f"{APP_BASE_URL}/privacy/meta/data-deletion/"
DEAUTHORIZE_CALLBACK_URL = f"{APP_BASE_URL}/privacy/meta/deauthorize/"

# Publishing (GRAPH_NOTES §2-§4). Processing times are sandbox-clock seconds and are
# settings a test may change (`POST /_sandbox/settings`).
IG_CONTAINER_TTL_SECONDS = 24 * 60 * 60  # §2.1: containers expire after 24 h
IG_PUBLISH_QUOTA = 100  # §2.8: sources say 100/50/25; a setting, default 100
IG_QUOTA_DURATION_SECONDS = 24 * 60 * 60  # §2.7: rolling 24 h
IG_IMAGE_PROCESSING_SECONDS = 2.0
IG_VIDEO_PROCESSING_SECONDS = 20.0
VIDEO_PROCESSING_SECONDS = 20.0  # Page videos, reels and ad videos (§3.4)
AD_REVIEW_SECONDS = 60.0  # ads read PENDING_REVIEW this long (§4.6)
VIDEO_UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024  # the end_offset step of upload_phase=transfer
MAX_ADS_PER_ADSET = 50  # §4.6

# Webhooks (GRAPH_NOTES §7). Where ProSocial's dev server receives them (the console pre-fills it).
WEBHOOK_CALLBACK_URL = f"{APP_BASE_URL}/meta/webhooks/"
WEBHOOK_MAX_BATCH = 1000  # §7.2: up to 1,000 updates in one POST
WEBHOOK_TIMEOUT_SECONDS = 5.0  # per POST and per verification GET
# §7.2: retried immediately, then less and less often; dropped 36 h after the first attempt.
# Delay before attempt n+1 after n failed attempts (sandbox-clock seconds); the last repeats.
WEBHOOK_RETRY_DELAYS_SECONDS = (0, 60, 5 * 60, 15 * 60, 60 * 60, 3 * 60 * 60, 6 * 60 * 60)
WEBHOOK_RETRY_WINDOW_SECONDS = 36 * 60 * 60
WEBHOOK_TICK_SECONDS = 0.25  # the sender thread looks for due retries this often (real time)
WEBHOOK_BATCH_WINDOW_SECONDS = 0.05  # events emitted this close together share one POST
WEBHOOK_MAX_ROUNDS = 20  # send rounds per flush (immediate retries and copies take one each)
WEBHOOK_LOG_SIZE = 200  # finished deliveries kept for GET /_sandbox/webhooks
WEBHOOK_EMITTED_LOG_SIZE = 1000

# Insights (GRAPH_NOTES §4.7, §5.4, §10; meta_sandbox/insights.py). Settings a test may change.
INSIGHTS_SEED = 1  # every number is a function of this seed, the objects and the clock
# Meta's data lags ("up to 48 h" for Instagram, §10.1); the sandbox shows data 30 minutes late
# so that a demo needs no long clock jump.
INSIGHTS_DELAY_SECONDS = 30 * 60
INSIGHTS_REPORT_SECONDS = 20.0  # an async report run takes this long on the sandbox clock
INSIGHTS_SYNC_ROW_LIMIT = 5000  # a bigger synchronous query times out (100/1504018): go async
# Hourly call budgets behind the usage headers (§5.4). Meta's ads_insights BUC for a
# development-tier app starts at 600 calls an hour per ad account (the +400 per active ad
# is left out so the budget is predictable); the others are sandbox choices.
INSIGHTS_APP_CALLS_PER_HOUR = 5000
INSIGHTS_ACCOUNT_CALLS_PER_HOUR = 600
INSIGHTS_ORGANIC_CALLS_PER_HOUR = 1000  # per Instagram account or Page (BUC instagram/pages)
