"""ProSocial settings: the one place that reads the environment.

Every runtime choice (database, broker, storage, Meta, AI) is made here from environment
variables, as ARCHITECTURE §4 describes. With nothing set, the product runs in its embedded
default: SQLite under ``var/``, a broker and cache that need no server, media on disk, the
local Meta sandbox and the offline AI provider. ``ENVIRONMENT=production`` turns the
development conveniences off and makes the secrets mandatory.

The README's environment-variable table documents every name read below.
"""

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PROSOCIAL_VAR_DIR", BASE_DIR / "var"))


# --- Typed environment helpers (healthchecks hc/settings.py style) ---------------------------

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str:
    """Return a secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    if value := os.environ.get(name):
        return value
    if path := os.environ.get(f"{name}_FILE"):
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return ""


def _development_secret(filename: str, make: Callable[[], str]) -> str:
    """Return a per-checkout secret kept in var/secrets/, creating it on first use.

    Only for development: the embedded default must start with no configuration, yet the
    keys must be random (never derived from SECRET_KEY) and survive restarts so encrypted
    rows stay readable. O_EXCL makes concurrent first starts (web, worker, beat) agree.
    """
    path = VAR_DIR / "secrets" / filename
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(make())
    return path.read_text(encoding="utf-8").strip()


# --- Core -------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/6.0/ref/settings/

ENVIRONMENT = env_str("ENVIRONMENT", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("ENVIRONMENT must be 'development' or 'production'")
IS_PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required in production")
    SECRET_KEY = _development_secret("secret_key", lambda: secrets.token_urlsafe(50))

# Field encryption for tokens and MFA secrets (prosocial/vault.py). A comma-separated list of
# Fernet keys, newest first; `manage.py rotate_encryption_keys` re-encrypts under the first.
FIELD_ENCRYPTION_KEYS = [k for k in env_secret("FIELD_ENCRYPTION_KEYS").split(",") if k.strip()]
if not FIELD_ENCRYPTION_KEYS:
    if IS_PRODUCTION:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEYS_FILE) is required in production"
        )
    FIELD_ENCRYPTION_KEYS = [
        _development_secret("field_encryption_key", lambda: Fernet.generate_key().decode())
    ]

PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_public_host = urlsplit(PUBLIC_BASE_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_public_host, "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [PUBLIC_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "prosocial",
    "accounts",
    "campaigns",
    "creatives.library",
    "creatives.studio",
    "creatives.editor",
    "meta_integration",
    "publishing",
    "inbox",
    "insights",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
]

if IS_PRODUCTION:
    # gunicorn serves the collected static files itself; in development runserver does.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "prosocial.urls"
FORM_RENDERER = "prosocial.forms.FormRenderer"
WSGI_APPLICATION = "prosocial.wsgi.application"
ASGI_APPLICATION = "prosocial.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspace_nav",
                "meta_integration.context_processors.meta_notices",
                "publishing.context_processors.approval_queue",
            ],
        },
    },
]


# --- Database ---------------------------------------------------------------------------------
# PostgreSQL from DATABASE_URL; the embedded default is a SQLite file in WAL mode.

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "prosocial.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server and the worker read while the other writes;
                # IMMEDIATE avoids "database is locked" on read-then-write transactions.
                # bench/embedded_load.py shows they hold under load (bench/README.md says
                # why each is there); tests/test_sqlite_settings.py pins them.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
USES_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
# The queries every page runs are planned once per connection (prosocial/prepared.py). Turn
# off behind a transaction-mode pooler that doesn't keep prepared statements (PgBouncer
# before 1.21, or without max_prepared_statements).
PREPARED_STATEMENTS = env_bool("PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Broker, cache, Celery --------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "prosocial",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # Sessions are read from Redis on every request and written through to the database, so
    # a page costs no session query while the database still holds every session: the
    # "Security" list, signing out other sessions and the hourly purge of expired ones (with
    # their IP and user agent, accounts/sessions.py) work as with the database engine.
    # prosocial.sessions is Django's cached_db that can read a kept page with the session.
    SESSION_ENGINE = "prosocial.sessions"
else:
    # No server: a file cache every process shares (allauth rate limits need one shared
    # cache) and kombu's filesystem transport, which web, worker and beat all see.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # The exchange tables; kombu's default is ./control, in whatever directory we run in.
        "control_folder": str(_broker_dir / "control"),
    }

CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How long /healthz waits for the broker before answering 503.
BROKER_HEALTH_TIMEOUT = 2


# --- Accounts (django-allauth) ----------------------------------------------------------------
# https://docs.allauth.org/en/latest/account/configuration.html

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[ProSocial] "
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ProSocial"
# Tracking would cost a SELECT and an UPDATE on every request; sessions still list IP and start.
USERSESSIONS_TRACK_ACTIVITY = False

INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)


# --- Meta (Graph and Marketing APIs) ---------------------------------------------------------
# https://developers.facebook.com/docs/graph-api/ ; facts used by the client: shared/meta/GRAPH_NOTES.md
# No META_APP_ID selects the local sandbox (meta_sandbox), which `make run` and the tests start.

META_SANDBOX_PORT = env_int("META_SANDBOX_PORT", 8765)
META_USES_SANDBOX = not env_str("META_APP_ID")
if META_USES_SANDBOX:
    # The credentials meta_sandbox accepts by default (meta_sandbox/config.py).
    META_APP_ID = "1000000000000001"
    META_APP_SECRET = "sandbox-app-secret"  # noqa: S105 - the sandbox's public test secret
    _meta_default_graph = f"http://127.0.0.1:{META_SANDBOX_PORT}"
    _meta_default_dialog = _meta_default_graph
else:
    META_APP_ID = env_str("META_APP_ID")
    META_APP_SECRET = env_secret("META_APP_SECRET")
    if not META_APP_SECRET:
        raise ImproperlyConfigured("META_APP_SECRET is required when META_APP_ID is set")
    _meta_default_graph = "https://graph.facebook.com"
    _meta_default_dialog = "https://www.facebook.com"
META_GRAPH_URL = env_str("META_GRAPH_URL", _meta_default_graph).rstrip("/")
META_DIALOG_URL = env_str("META_DIALOG_URL", _meta_default_dialog).rstrip("/")
META_API_VERSION = env_str("META_API_VERSION", "v25.0")
META_CONNECT_TIMEOUT = 3.05
META_READ_TIMEOUT = env_int("META_READ_TIMEOUT", 30)
META_MAX_RETRIES = env_int("META_MAX_RETRIES", 3)
# How long before expiry a connection counts as "expiring" and admins are told.
META_TOKEN_EXPIRY_WARNING_DAYS = 7
# The string entered with the callback URL /meta/webhooks/ in the App Dashboard; Meta sends it
# back in hub.verify_token (GRAPH_NOTES §7.1). Empty in production: every verification is
# refused (403) until it is set. Event POSTs are checked with META_APP_SECRET instead.
META_WEBHOOK_VERIFY_TOKEN = env_secret("META_WEBHOOK_VERIFY_TOKEN")
if not META_WEBHOOK_VERIFY_TOKEN and not IS_PRODUCTION:
    META_WEBHOOK_VERIFY_TOKEN = _development_secret(
        "meta_webhook_verify_token", lambda: secrets.token_urlsafe(32)
    )


# --- Email ------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/6.1/topics/email/ (MAILERS replaces EMAIL_BACKEND in 6.1)
_smtp_host = env_str("EMAIL_HOST")
if _smtp_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp_host,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_secret("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", default=True),
                "timeout": 10,
            },
        }
    }
else:
    # No SMTP server configured: emails (verification, invitations) print to the console,
    # decoded, so links stay whole (prosocial/mail.py).
    MAILERS = {"default": {"BACKEND": "prosocial.mail.ConsoleEmailBackend"}}
# Where contact-form messages and privacy questions go.
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "support@prosocial.localhost")
CONTACT_RATE_LIMIT_PER_HOUR = env_int("CONTACT_RATE_LIMIT_PER_HOUR", 5)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ProSocial <no-reply@prosocial.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Operator and privacy ---------------------------------------------------------------------
# Who runs this installation: shown on the privacy policy, terms and deletion pages.
OPERATOR_NAME = env_str("OPERATOR_NAME", "ProSocial (self-hosted demo)")
OPERATOR_ADDRESS = env_str("OPERATOR_ADDRESS", "Address not configured (set OPERATOR_ADDRESS)")
PRIVACY_EMAIL = env_str("PRIVACY_EMAIL", SUPPORT_EMAIL)
# The date the current policy and terms took effect (ISO date), shown on both pages.
POLICY_EFFECTIVE_DATE = env_str("POLICY_EFFECTIVE_DATE", "2026-12-01")
# Data exports: how long the download link works, and the biggest export built.
EXPORT_LINK_TTL_HOURS = env_int("EXPORT_LINK_TTL_HOURS", 72)
EXPORT_MAX_MEDIA_BYTES = env_int("EXPORT_MAX_MEDIA_MB", 10 * 1024) * 1024 * 1024
# Retention defaults for new workspaces; owners change them per workspace in the privacy centre.
RETENTION_UNUSED_GENERATED_MEDIA_DAYS = env_int("RETENTION_UNUSED_GENERATED_MEDIA_DAYS", 90)
RETENTION_PUBLISH_TRACE_DAYS = env_int("RETENTION_PUBLISH_TRACE_DAYS", 180)
RETENTION_WEBHOOK_EVENT_DAYS = env_int("RETENTION_WEBHOOK_EVENT_DAYS", 30)
# Inbox threads marked done are deleted (with their messages and notes) this long after their
# last message (site-wide; inbox.privacy).
RETENTION_INBOX_THREAD_DAYS = env_int("RETENTION_INBOX_THREAD_DAYS", 365)
# How far back the inbox reads a Page's or Instagram account's comments and conversations
# when it is first selected (inbox.reconcile, docs/inbox.md "When webhooks miss something").
INBOX_BACKFILL_DAYS = env_int("INBOX_BACKFILL_DAYS", 30)
RETENTION_DELETION_RECEIPT_YEARS = env_int("RETENTION_DELETION_RECEIPT_YEARS", 3)
# Audit events are kept this long (site-wide), then removed by the nightly retention run.
RETENTION_AUDIT_EVENT_DAYS = env_int("RETENTION_AUDIT_EVENT_DAYS", 730)

# --- Jobs (prosocial/jobs.py, docs/jobs.md) -----------------------------------------------------
# How long a worker owns a job row unless it renews it. The worker's heartbeat renews it every
# third of this while the job runs, so a dead worker's job is taken over within this time plus
# one sweep (every 15 s).
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 45)
# Where jobs make their temporary work folders (empty: the system's temporary directory).
JOB_WORK_DIR = env_str("JOB_WORK_DIR", "")

# --- Publishing ---------------------------------------------------------------------------------
# The publish job's lease (see JOB_LEASE_SECONDS); separate so fault tests can shorten it alone.
PUBLISH_LEASE_SECONDS = env_int("PUBLISH_LEASE_SECONDS", JOB_LEASE_SECONDS)

# --- Outbound fetches of user-supplied URLs (prosocial/safe_http.py) ----------------------------
# Hosts that may resolve to loopback/private addresses anyway: the local sandbox in dev/test.
# Everything else must resolve only to global addresses.
# "host:port" exempts one port, a bare "host" every port. Development allows only the ports of
# ProSocial's own local services (the Meta sandbox and the app itself), not Redis or PostgreSQL.
_own_port = urlsplit(PUBLIC_BASE_URL).port or 80
SAFE_HTTP_ALLOWED_HOSTS = env_list(
    "SAFE_HTTP_ALLOWED_HOSTS",
    []
    if IS_PRODUCTION
    else [
        f"{host}:{port}"
        for host in ("127.0.0.1", "localhost")
        for port in (META_SANDBOX_PORT, _own_port)
    ],
)
SAFE_HTTP_MAX_BYTES = env_int("SAFE_HTTP_MAX_MB", 5) * 1024 * 1024
SAFE_HTTP_TIMEOUT_SECONDS = env_int("SAFE_HTTP_TIMEOUT_SECONDS", 10)
SAFE_HTTP_MAX_REDIRECTS = env_int("SAFE_HTTP_MAX_REDIRECTS", 5)


# --- Static files and front-end assets --------------------------------------------------------
# Bootstrap comes from npm (package-lock.json); htmx from the django-htmx wheel. Nothing is
# fetched from a CDN at runtime and no third-party minified file is committed.

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    # The video editor's audio waveforms.
    ("vendor/wavesurfer", BASE_DIR / "node_modules" / "wavesurfer.js" / "dist"),
    # The results pages' charts (the UMD build: one file, no bundler).
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
_staticfiles_backend = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if IS_PRODUCTION
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)


# --- Media storage ----------------------------------------------------------------------------
# https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
# A bucket name selects S3 (MinIO in docker-compose, moto's server in tests); otherwise media
# lives on the filesystem under var/media. Media files are never served from a public path:
# Meta and browsers get signed, expiring URLs (creatives/media_urls.py).

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
MEDIA_USES_S3 = bool(AWS_STORAGE_BUCKET_NAME)
MEDIA_ROOT = VAR_DIR / "media"
if MEDIA_USES_S3:
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME", "us-east-1")
    AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID") or None
    AWS_SECRET_ACCESS_KEY = env_secret("AWS_SECRET_ACCESS_KEY") or None
    AWS_S3_ADDRESSING_STYLE = env_str("AWS_S3_ADDRESSING_STYLE", "path")
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    _media_backend = "storages.backends.s3.S3Storage"
else:
    _media_backend = "django.core.files.storage.FileSystemStorage"
STORAGES = {
    "default": {"BACKEND": _media_backend},
    "staticfiles": {"BACKEND": _staticfiles_backend},
}
# Uploads larger than this spool to a temporary file, so a 1 GB upload costs constant memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
# One pass over an upload's bytes as they arrive: written next to the media (so keeping the
# file is a rename), hashed, sniffed, scanned and held to its kind's size cap
# (creatives/library/uploads.py). Chunks of 4 MB keep the per-chunk Python work small.
FILE_UPLOAD_HANDLERS = ["creatives.library.uploads.OnePassUploadHandler"]
MEDIA_UPLOAD_CHUNK_BYTES = env_int("MEDIA_UPLOAD_CHUNK_KB", 4096) * 1024
MEDIA_MAX_IMAGE_BYTES = env_int("MEDIA_MAX_IMAGE_MB", 30) * 1024 * 1024
MEDIA_MAX_VIDEO_BYTES = env_int("MEDIA_MAX_VIDEO_MB", 4096) * 1024 * 1024
MEDIA_MAX_AUDIO_BYTES = env_int("MEDIA_MAX_AUDIO_MB", 200) * 1024 * 1024
MEDIA_WORKSPACE_QUOTA_BYTES = env_int("MEDIA_WORKSPACE_QUOTA_GB", 50) * 1024 * 1024 * 1024
# How long a signed media URL handed to Meta or a browser stays valid.
MEDIA_SIGNED_URL_TTL_SECONDS = env_int("MEDIA_SIGNED_URL_TTL_SECONDS", 6 * 60 * 60)
MEDIA_FFMPEG_TIMEOUT_SECONDS = env_int("MEDIA_FFMPEG_TIMEOUT_SECONDS", 30 * 60)


# --- Security ---------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/6.0/howto/csp/

SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # The nonce is for wavesurfer.js's <style> in its shadow root (the editor's waveforms).
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if MEDIA_USES_S3:
    # Browsers show media and upload straight to the bucket through presigned URLs.
    _bucket = urlsplit(
        AWS_S3_ENDPOINT_URL
        or f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com"
    )
    _bucket_origin = f"{_bucket.scheme}://{_bucket.netloc}"
    for _directive in ("img-src", "media-src", "connect-src", "form-action"):
        SECURE_CSP.setdefault(_directive, [CSP.SELF]).append(_bucket_origin)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "prosocial.views.csrf_failure"
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS: list[str] = []
if IS_PRODUCTION and not SECURE_HSTS_PRELOAD:
    # HSTS preloading is a one-way commitment for the whole domain; operators opt in with
    # SECURE_HSTS_PRELOAD=1 rather than being nagged into it.
    SILENCED_SYSTEM_CHECKS.append("security.W021")


# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
# Only languages the interface is written in: otherwise LocaleMiddleware activates any of
# Django's from Accept-Language, and <html lang> (base.html) would call English text German.
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True


# --- AI providers -----------------------------------------------------------------------------
# https://platform.openai.com/docs/api-reference — no key selects the built-in offline provider.

OPENAI_API_KEY = env_secret("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL", "")  # empty: the SDK's default (api.openai.com)
OPENAI_TEXT_MODEL = env_str("OPENAI_TEXT_MODEL", "gpt-4.1-mini")
OPENAI_IMAGE_MODEL = env_str("OPENAI_IMAGE_MODEL", "gpt-image-1")
OPENAI_SPEECH_MODEL = env_str("OPENAI_SPEECH_MODEL", "gpt-4o-mini-tts")
# Captions from speech (the video editor): a model that returns segment timings.
OPENAI_TRANSCRIPTION_MODEL = env_str("OPENAI_TRANSCRIPTION_MODEL", "whisper-1")
OPENAI_TIMEOUT_SECONDS = env_int("OPENAI_TIMEOUT_SECONDS", 60)
AI_MONTHLY_COST_CAP_USD = env_int("AI_MONTHLY_COST_CAP_USD", 50)


# --- Logging ----------------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "prosocial.redaction.RedactSecretsFilter"},
        "expected_refusals": {"()": "prosocial.log_filters.ExpectedRefusalFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's DEFAULT_LOGGING gives "django" console and mail_admins handlers of its own
        # (django/utils/log.py); its records also reach the root's, so each printed twice.
        # Only the root prints. (mail_admins needs ADMINS, which we never set.)
        "django": {"handlers": [], "level": "INFO"},
        # A 403 or 404 a view raised on purpose is one warning line, not a traceback.
        "django.request": {"filters": ["expected_refusals"]},
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
        # Celery's own "received" and "succeeded" line per task: our job_task logs the runs
        # that matter (not the 15-second sweeps); failures still show, at WARNING and above.
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        # Beat's "Sending due task" for every sweep, every 15 s.
        "celery.beat": {"level": "WARNING"},
    },
}
