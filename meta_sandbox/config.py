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
