"""SI Tracker settings: one module, read from environment variables.

Local use needs nothing set: SQLite, DEBUG on, a secret key generated into a git-ignored file.
Production sets DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, SITRACKER_AUDIT_KEYS and
DATABASE_URL.
"""

import hashlib
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envkeys(name: str) -> dict[str, bytes]:
    """Keys given as ``id:secret,id:secret``; ids are short names, secrets at least 32 characters.
    The order is kept: the first key is the current one."""
    keys: dict[str, bytes] = {}
    for item in envlist(name, ""):
        key_id, _, secret = item.partition(":")
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,32}", key_id) or len(secret) < 32:
            raise ImproperlyConfigured(
                f"{name} must be id:secret pairs, separated by commas: an id of 1-32 letters, "
                "digits, dots, dashes or underscores, and a secret of at least 32 characters."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{name} names the key {key_id!r} twice.")
        keys[key_id] = secret.encode()
    return keys


def local_secret_key() -> str:
    """A development key, generated once into a git-ignored file so sessions survive restarts."""
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("DJANGO_DEBUG", "1")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0")
    SECRET_KEY = local_secret_key()

# The audit chain's keys (HMAC-SHA-256), held outside the database so that someone who can write
# to it cannot recompute the chain after changing a record. The first key seals new events; the
# others still verify the events they sealed, so a key can be rotated by putting a new one first.
AUDIT_KEYS = envkeys("SITRACKER_AUDIT_KEYS")
if not AUDIT_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("SITRACKER_AUDIT_KEYS is required when DJANGO_DEBUG=0")
    AUDIT_KEYS = {"local": hashlib.sha256(b"sitracker audit chain:" + SECRET_KEY.encode()).digest()}
AUDIT_KEY_ID = next(iter(AUDIT_KEYS))

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG=0")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "sitracker.apps.SiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Drag-and-drop order of a procedure's steps in the admin.
    "adminsortable2",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "django_filters",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "procedures",
    "accounts",
    "catalogue",
    "checklists",
    "review",
    "wall",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files carry the policy and refuse odd methods too.
    "sitracker.http_policy.PermissionsPolicyMiddleware",
    "sitracker.http_policy.AllowedMethodsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sitracker.http_policy.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.TabletLoginRequiredMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    # A database that is locked, read-only or out of reach answers 503 "Not saved, try again".
    "sitracker.database.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out login's answer into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sitracker.urls"
WSGI_APPLICATION = "sitracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sitracker.context_processors.roles",
                "sitracker.context_processors.session_limits",
                "sitracker.context_processors.live_push",
                "review.context_processors.emergency_access",
            ],
        },
    },
]

# SQLite is the embedded default: WAL lets readers run beside the writer, IMMEDIATE takes the
# write lock at BEGIN (so two writers queue instead of failing to upgrade a read lock), and the
# busy timeout makes the second writer wait rather than answer "database is locked".
# The wait is bounded well below gunicorn's request timeout (gunicorn.conf.py, 30 s): a change
# takes milliseconds, so a lock held for seconds means something is wrong, and the tablet must
# hear "Not saved, try again" (a 503, sitracker.database) long before gunicorn kills the worker.
# A request may wait more than once (its change, then its session), hence the margin; a test
# (tests/site/test_database_settings.py) keeps the two in step.
SQLITE_BUSY_TIMEOUT = 5  # seconds
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": SQLITE_BUSY_TIMEOUT,  # sqlite3's busy timeout, set on every connection
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;",
}

if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"],
            conn_max_age=envint("DATABASE_CONN_MAX_AGE", "60"),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    elif envbool("DATABASE_PREPARED_STATEMENTS", "0"):
        # PostgreSQL parses and plans each query anew; with server-side binding, psycopg
        # prepares a statement once it has run five times on a connection. Off by default:
        # poolers in transaction mode (PgBouncer before 1.21) cannot hold prepared statements.
        # Added to the URL's own options (?sslmode=verify-full and the like), never instead.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "db.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's shared-cache memory database: concurrency tests need real
    # SQLite locking (WAL, busy timeout) between threads. One file per test process.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}

# Live updates pushed to the tablets and wall displays (server-sent events, checklists.live_push)
# instead of their polls: PostgreSQL only (a trigger NOTIFYs each change of a case), and only
# where the deployment runs the ASGI events server for /events/ beside the application
# (deploy/: nginx routes /events/ to sitracker-events.service). Off, or on SQLite, the pages poll.
LIVE_PUSH = envbool("SITRACKER_LIVE_PUSH", "0") and (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out username before any password is checked. Then
# Django's ModelBackend, reading a person's permissions in one query (accounts/backends.py).
# Sessions store the backend's path: changing it signs everyone out once (README, upgrading).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.RoleBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Source maps are fetched only by a developer's tools, never by a tablet: served as they are,
# not compressed. Brotli on the API docs' and Chart.js's maps (some 8 MB) was more than half of
# collectstatic's time, a deployment's and CI's (23 s, now 10 s on 2 cores).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- transport and browser security (HIPAA §164.312(e), ASVS V3, V14) ------------------------
# Local `make run` is plain http with DEBUG on; everything below tightens when DEBUG is off.
# Behind a load balancer or reverse proxy that terminates TLS, DJANGO_BEHIND_TLS_PROXY=1 trusts
# its X-Forwarded-Proto (the proxy must set it, overwriting any the client sent) and takes the
# client's address from the last X-Forwarded-For entry, the one the proxy appended.
BEHIND_TLS_PROXY = envbool("DJANGO_BEHIND_TLS_PROXY", "0")
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXY_HOPS = envint("DJANGO_TRUSTED_PROXY_HOPS", "1" if BEHIND_TLS_PROXY else "0")

SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
# The load balancer's health check may ask over plain http from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 0 if DEBUG else envint("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading binds the whole registrable domain to HTTPS in every browser, for good: the
# hospital's IT decides that, not an application default.
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", "0")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# htmx reads the CSRF token from the page (hx-headers on <body>), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4). Every script and stylesheet is a file of ours under
# static/: no inline script, no inline style, no eval. htmx's one inline <style> (indicator
# styles) is turned off in base.html's htmx-config; Chart.js sizes its canvas through the CSSOM,
# which style-src does not govern. Bootstrap's form icons are data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Permissions-Policy (sitracker.http_policy): every powerful browser feature denied to every
# page, for no page uses one. The camera is among them: scanning implant barcodes with the
# tablet's camera would need `"camera": ["self"]` here, a deliberate change when that comes.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"one_line_client_errors": {"()": "sitracker.log_filters.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # SQL with its parameters holds patient identity: never logged, whatever the level says.
        "django.db.backends": {"level": "INFO"},
        # A 403 (or any 4xx) is one line: status, method, path, user id; no traceback.
        "django.request": {"filters": ["one_line_client_errors"]},
        # WeasyPrint (the record's PDF) logs seven progress lines a document: noise. Its
        # warnings (a CSS rule it cannot apply) stay.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

CSRF_FAILURE_VIEW = "sitracker.views.csrf_failure"

# The hospital's name as the patient's implant card prints it (review/documents.py).
HOSPITAL_NAME = os.environ.get("SITRACKER_HOSPITAL_NAME", "SI Tracker Demonstration Hospital")

# Patient identity: the hospital's MRN format, as a regular expression the whole MRN matches, and
# what the form says when one does not. By default ASCII letters, digits and hyphens, so that
# two MRNs that look the same are the same (no look-alike letters or non-ASCII digits).
MRN_PATTERN = os.environ.get("SITRACKER_MRN_PATTERN", r"[A-Za-z0-9-]+")
MRN_FORMAT_MESSAGE = os.environ.get(
    "SITRACKER_MRN_FORMAT_MESSAGE", "An MRN has only letters A to Z, digits and hyphens."
)
try:
    re.compile(MRN_PATTERN)
except re.error as error:
    raise ImproperlyConfigured(
        f"SITRACKER_MRN_PATTERN is not a regular expression: {error}"
    ) from None

# Quick user switch on shared tablets (accounts.pins) and automatic logoff.
PIN_MAX_FAILURES = 5
PIN_LOCK_MINUTES = envint("SITRACKER_PIN_LOCK_MINUTES", "15")
SESSION_IDLE_TIMEOUT = envint("SITRACKER_IDLE_MINUTES", "15") * 60
SESSION_ABSOLUTE_TIMEOUT = envint("SITRACKER_SESSION_HOURS", "12") * 3600

# Emergency access ("break-glass", review.emergency): how long one grant to read a case's record
# lasts. Short on purpose: whoever needs longer gives a reason again.
EMERGENCY_ACCESS_MINUTES = envint("SITRACKER_EMERGENCY_ACCESS_MINUTES", "30")
if not 1 <= EMERGENCY_ACCESS_MINUTES <= 24 * 60:
    raise ImproperlyConfigured("SITRACKER_EMERGENCY_ACCESS_MINUTES must be from 1 to 1440.")
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
# A desktop's session ends with its browser; the server still ends any session at the limits.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# PIN guesses from one address across everyone's PINs (accounts.pins): a tablet whose people
# mistype now and then stays far below this; someone trying PIN after PIN does not.
PIN_MAX_FAILURES_PER_ADDRESS = envint("SITRACKER_PIN_ADDRESS_FAILURES", "10")
# Wrong passwords when signing (checklists.workflow): the sixth within the period is refused.
SIGNATURE_MAX_FAILURES = 5
SIGNATURE_LOCK_MINUTES = 15

# Login throttling (django-axes 8): five failures for one username from one address lock that
# pair for 15 minutes, the right password included; attempts are kept in the database
# (AccessAttempt, AccessFailureLog, AccessLog), readable in the admin.
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try during the lock does not restart the 15 minutes: the lock ends when the page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Masked in axes' log lines and in the form an attempt keeps (AccessAttempt.post_data, which
# Administrators read): axes' own defaults (the password always), and what the other forms that
# check a password through authenticate() carry beside it, a new PIN or a new password.
AXES_SENSITIVE_PARAMETERS = [
    *("username", "ip_address"),
    *("pin", "pin_again", "old_password", "new_password1", "new_password2"),
]
AXES_CLIENT_IP_CALLABLE = "accounts.context.client_ip"
AXES_LOCKOUT_CALLABLE = "sitracker.views.locked_out"

# --- the REST API for integrations (app ``api``, /api/v1/) -----------------------------------
# Only an integration's token lets anyone in (accounts.tokens): no session, so no CSRF question.
# Every answer is JSON; every refusal an RFC 9457 problem (api.problems).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
}
# Calls per token (``N/second|minute|hour|day``); over it, 429 with Retry-After. Counted in the
# database (the cache below), so every web process shares the count.
API_RATE = os.environ.get("SITRACKER_API_RATE", "600/minute")
# The system (a URI) naming the hospital's medical record numbers in FHIR resources (the
# Patient's identifier in /fhir/ Bundles); the hospital's own namespace in production.
FHIR_MRN_SYSTEM = os.environ.get("SITRACKER_FHIR_MRN_SYSTEM", "urn:sitracker:mrn")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Its table is made by migration accounts 0013 (Django's createcachetable).
    "api_throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "api_throttle",
        # One row per token in use: far below this, so no token's count is ever culled early.
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SI Tracker API",
    "DESCRIPTION": (
        "Cases, their checklist steps and implants, for the hospital's integration engine. "
        "Authenticate with `Authorization: Bearer <token>` (an administrator makes tokens in "
        "the admin). Refusals are RFC 9457 problem details (`application/problem+json`)."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "checklists.choices.CaseStatus",
        "StepStatusEnum": "checklists.choices.StepStatus",
        "ImplantStatusEnum": "checklists.choices.ImplantStatus",
        "StepRoleEnum": "procedures.choices.StepRole",
    },
    # The documentation's scripts and styles from our own server (no CDN: closed networks).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
