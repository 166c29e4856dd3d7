"""Pond's one settings module: every value comes from the environment.

See `.env.example` for the full list. Bad values stop start-up with the variable's
name (see `webui.env`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from webui.env import envbool, envfloat, envint, envjson, envlist, envnetworks, envstr, envurl

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("POND_VAR_DIR", str(BASE_DIR / "var")))


def _owner_only(folder: Path) -> Path:
    """Make `folder` (and its parents) if needed, readable by its owner only.

    var/ holds the SQLite database (sessions, password hashes), the secret key, the
    file cache and the filesystem broker's messages (which carry webhook payloads):
    a 0700 folder keeps every file in it from other users, whatever mode SQLite or
    kombu gave the file. A folder made before this (0755) is tightened if it is ours.
    """
    if not folder.parent.exists():
        _owner_only(folder.parent)
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        folder.chmod(0o700)
    return folder


_owner_only(VAR_DIR)
# Under pytest-xdist each worker gets its own cache namespace and Celery queue
# (pytest-django already gives each its own test database).
TEST_WORKER = envstr("PYTEST_XDIST_WORKER")

DEBUG = envbool("DJANGO_DEBUG", False)
PORT = envint("PORT", 8000, minimum=1, maximum=65535)


def _secret_key() -> str:
    key = envstr("DJANGO_SECRET_KEY")
    if key:
        return key
    # Zero-setup default: a random key kept in var/ so that every process of this
    # checkout (web, worker, beat) agrees on it. Production sets DJANGO_SECRET_KEY.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Written whole into a file of our own that is 0600 from its creation (never
        # chmodded after), then linked into place: link fails if the key exists, so when
        # processes start together one key wins and every process reads it, complete.
        draft = VAR_DIR / f"secret_key.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(50))
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it (a new key is made) or set DJANGO_SECRET_KEY.")
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # First: its `runserver` (which points the embedded upstream at the port it serves
    # on) comes before whitenoise's and Django's.
    "webui.core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "registry",
    "webui.dashboard",
    "webui.status",
    "webui.reviews",
    "webui.activity",
    "webui.insights",
    "webui.api",
]

MIDDLEWARE = [
    # First: it times the whole request and labels it by view (webui/metrics/).
    "webui.metrics.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "webui.core.middleware.SecurityHeadersMiddleware",
    "webui.core.throttling.AuthAttemptLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "webui.urls"
WSGI_APPLICATION = "webui.wsgi.application"
ASGI_APPLICATION = "webui.asgi.application"

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
                "webui.core.context_processors.pond",
                "webui.reviews.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite (the embedded default) runs in WAL mode with IMMEDIATE transactions and a
# busy timeout so that web, worker and beat never trip "database is locked".
_SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("POND_DB_CONN_MAX_AGE", 60, minimum=0))
    except Exception as exc:  # dj-database-url raises several types
        raise ImproperlyConfigured(f"Environment variable DATABASE_URL is not a valid database URL: {exc}") from None
    if not _db.get("ENGINE"):
        raise ImproperlyConfigured("Environment variable DATABASE_URL names an unknown database scheme.")
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "pond.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(_SQLITE_OPTIONS)
    # Tests that start other processes (worker, fault proxy) need a file, never :memory:.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test-pond.sqlite3")}
    _db["CONN_MAX_AGE"] = 0
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, locks, Celery ----------------------------------------------------
REDIS_URL = envurl("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("POND_CACHE_PREFIX", "pond") + TEST_WORKER,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A Redis outage costs speed, never the site.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": envfloat("POND_REDIS_TIMEOUT", 0.5, minimum=0.01),
                "SOCKET_TIMEOUT": envfloat("POND_REDIS_TIMEOUT", 0.5, minimum=0.01),
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "pond.cache"
    CELERY_BROKER_URL = REDIS_URL
else:
    # Embedded default: a cache every process shares, on files; Celery on kombu's
    # filesystem transport. Nothing here needs a server.
    CACHES = {
        "default": {
            "BACKEND": "webui.core.filecache.FileCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": envstr("POND_CACHE_PREFIX", "pond") + TEST_WORKER,
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    _queue = _owner_only(VAR_DIR / "celery" / "queue")
    _owner_only(VAR_DIR / "celery" / "processed")
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        # kombu's default control folder is ./control, relative to the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
POND_LOCK_DIR = VAR_DIR / "locks"

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = envint("POND_TASK_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = envint("POND_TASK_SOFT_TIME_LIMIT", 100, minimum=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = envstr("POND_CELERY_QUEUE", "pond") + TEST_WORKER
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Sessions are read on every page view: with Redis, from the cache (written through
# to the database, so a Redis outage logs nobody out).
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # Session data is Pond's own record: kept in Redis as JSON, which loading cannot
    # turn into code (django-redis's default is pickle: whoever can write to Redis
    # could then run code in every web process). A value that is not JSON is a miss,
    # and the session is read from the database.
    CACHES["sessions"] = {
        **CACHES["default"],
        "OPTIONS": {**CACHES["default"]["OPTIONS"], "SERIALIZER": "django_redis.serializers.json.JSONSerializer"},
    }
    SESSION_CACHE_ALIAS = "sessions"

# --- JFrog ML upstream -------------------------------------------------------
JFROG_ML_URL_CONFIGURED = envurl("JFROG_ML_URL")
POND_EMBEDDED_REGISTRY = envbool("POND_EMBEDDED_REGISTRY", not JFROG_ML_URL_CONFIGURED)
POND_SELF_URL = envurl("POND_SELF_URL")
# `manage.py runserver` points it at the port it serves on (webui/core/management/commands/runserver.py).
JFROG_ML_URL = JFROG_ML_URL_CONFIGURED or (POND_SELF_URL or f"http://127.0.0.1:{PORT}") + "/ml/api"
if POND_EMBEDDED_REGISTRY and not JFROG_ML_URL_CONFIGURED:
    # Pond calls its own embedded registry at POND_SELF_URL: that host is always
    # allowed, whatever the operator's DJANGO_ALLOWED_HOSTS lists (compose sets
    # http://web:8000, a name no operator thinks to allow).
    _self_host = urlsplit(JFROG_ML_URL).hostname or ""
    _self_host = f"[{_self_host}]" if ":" in _self_host else _self_host
    if _self_host and "*" not in ALLOWED_HOSTS and _self_host not in ALLOWED_HOSTS:
        ALLOWED_HOSTS = [*ALLOWED_HOSTS, _self_host]
JFROG_ML_TOKEN = envstr("JFROG_ML_TOKEN")
JFROG_ML_USER = envstr("JFROG_ML_USER")
JFROG_ML_PASSWORD = envstr("JFROG_ML_PASSWORD")
if bool(JFROG_ML_USER) != bool(JFROG_ML_PASSWORD):
    raise ImproperlyConfigured("Environment variables JFROG_ML_USER and JFROG_ML_PASSWORD must be set together.")
# The embedded registry trusts one service principal: Pond itself. Its token is
# derived from the secret key so that every process agrees without any setup.
REGISTRY_SERVICE_TOKEN = (
    hmac.new(SECRET_KEY.encode(), b"pond-embedded-registry-service-principal", hashlib.sha256).hexdigest()
    if POND_EMBEDDED_REGISTRY
    else ""
)
if POND_EMBEDDED_REGISTRY and not (JFROG_ML_TOKEN or JFROG_ML_USER) and not JFROG_ML_URL_CONFIGURED:
    JFROG_ML_TOKEN = REGISTRY_SERVICE_TOKEN
REGISTRY_SERVICE_USERNAME = "pond-service"
# Which protocol JFROG_ML_URL speaks: "rest" (the JFrog ML REST API; the default) or
# "grpc" (JFrog ML's platform through JFrog's SDK `frogml`, `pip install 'pond[jfrog-platform]'`;
# docs/jfrog-platform.md). With grpc, JFROG_ML_URL is the JFrog platform URL (the tenant is
# looked up there) and JFROG_ML_GRPC_ADDRESS the control plane.
JFROG_ML_PROTOCOL = envstr("JFROG_ML_PROTOCOL", "rest").strip().lower() or "rest"
if JFROG_ML_PROTOCOL not in {"rest", "grpc"}:
    raise ImproperlyConfigured("Environment variable JFROG_ML_PROTOCOL must be rest or grpc.")
if JFROG_ML_PROTOCOL == "grpc" and not JFROG_ML_URL_CONFIGURED:
    raise ImproperlyConfigured("Environment variable JFROG_ML_URL must be set when JFROG_ML_PROTOCOL is grpc.")
JFROG_ML_GRPC_ADDRESS = envstr("JFROG_ML_GRPC_ADDRESS", "grpc.qwak.ai:443").strip()
# TLS on the gRPC channel; the token and tenant id are sent only over TLS.
JFROG_ML_GRPC_TLS = envbool("JFROG_ML_GRPC_TLS", True)
# PEM roots for a private CA (unset: the system's).
JFROG_ML_GRPC_CA_FILE = envstr("JFROG_ML_GRPC_CA_FILE")
# JFrog ML project ids whose models Pond shows (unset: every project the token sees).
JFROG_ML_PROJECTS = envlist("JFROG_ML_PROJECTS")
REGISTRY_DEPLOY_DELAY = envfloat("REGISTRY_DEPLOY_DELAY", 3.0, minimum=0)
# Seconds a registry process trusts a bearer token it has checked (a token revoked from
# another process keeps working there up to this long; 0: check every request).
REGISTRY_TOKEN_CACHE_SECONDS = envfloat("REGISTRY_TOKEN_CACHE_SECONDS", 10.0, minimum=0)

JFROG_ML_CONNECT_TIMEOUT = envfloat("JFROG_ML_CONNECT_TIMEOUT", 2.0, minimum=0.01)
JFROG_ML_READ_TIMEOUT = envfloat("JFROG_ML_READ_TIMEOUT", 5.0, minimum=0.01)
JFROG_ML_RETRIES = envint("JFROG_ML_RETRIES", 2, minimum=0, maximum=10)
JFROG_ML_BACKOFF = envfloat("JFROG_ML_BACKOFF", 0.2, minimum=0)
JFROG_ML_BREAKER_THRESHOLD = envint("JFROG_ML_BREAKER_THRESHOLD", 5, minimum=1)
JFROG_ML_BREAKER_RESET = envfloat("JFROG_ML_BREAKER_RESET", 30.0, minimum=0.1)
# An answer's body larger than this fails like a timeout (stale-if-error applies).
JFROG_ML_MAX_RESPONSE_BYTES = envint("JFROG_ML_MAX_RESPONSE_BYTES", 64 * 1024 * 1024, minimum=1024)
# One call's whole budget, retries included (0: connect + 2 x read timeout).
JFROG_ML_BUDGET = envfloat("JFROG_ML_BUDGET", 0.0, minimum=0) or None
# Cache TTLs per resource (seconds); the last good value is kept JFROG_ML_STALE_KEEP
# longer for stale-if-error.
JFROG_ML_TTL_DEPLOYMENTS = envfloat("JFROG_ML_TTL_DEPLOYMENTS", 10.0, minimum=0)
JFROG_ML_TTL_DEPLOYMENT = envfloat("JFROG_ML_TTL_DEPLOYMENT", 5.0, minimum=0)
JFROG_ML_TTL_MODEL = envfloat("JFROG_ML_TTL_MODEL", 60.0, minimum=0)
JFROG_ML_TTL_VERSIONS = envfloat("JFROG_ML_TTL_VERSIONS", 30.0, minimum=0)
JFROG_ML_TTL_EXPERIMENTS = envfloat("JFROG_ML_TTL_EXPERIMENTS", 30.0, minimum=0)
JFROG_ML_TTL_EXPERIMENT = envfloat("JFROG_ML_TTL_EXPERIMENT", 60.0, minimum=0)
JFROG_ML_STALE_KEEP = envfloat("JFROG_ML_STALE_KEEP", 7 * 24 * 3600.0, minimum=0)
JFROG_ML_REVALIDATE_EXPERIMENTS = envfloat("JFROG_ML_REVALIDATE_EXPERIMENTS", 600.0, minimum=0)
JFROG_ML_POOL_THREADS = envint("JFROG_ML_POOL_THREADS", 8, minimum=1, maximum=64)
# The catalog of every model and version (see webui/jfrogml/__init__.py).
JFROG_ML_CATALOG_PAGE_SIZE = envint("JFROG_ML_CATALOG_PAGE_SIZE", 500, minimum=1)
JFROG_ML_CATALOG_THREADS = envint("JFROG_ML_CATALOG_THREADS", 4, minimum=1, maximum=64)
JFROG_ML_CATALOG_FULL_REFRESH = envfloat("JFROG_ML_CATALOG_FULL_REFRESH", 3600.0, minimum=0)
JFROG_ML_CATALOG_REFRESH_BUDGET = envfloat("JFROG_ML_CATALOG_REFRESH_BUDGET", 80.0, minimum=1)
JFROG_ML_CATALOG_SAVE_EVERY = envfloat("JFROG_ML_CATALOG_SAVE_EVERY", 15.0, minimum=1)
JFROG_ML_CATALOG_SYNC_MAX = envint("JFROG_ML_CATALOG_SYNC_MAX", 500, minimum=0)
JFROG_ML_CATALOG_BUILD_TIMEOUT = envfloat("JFROG_ML_CATALOG_BUILD_TIMEOUT", 60.0, minimum=1)
JFROG_ML_CATALOG_MEMO_MAX_AGE = envfloat("JFROG_ML_CATALOG_MEMO_MAX_AGE", 60.0, minimum=0)

POND_POLL_INTERVAL = envfloat("POND_POLL_INTERVAL", 5.0, minimum=0.5)
POND_STATUS_PUBLIC = envbool("POND_STATUS_PUBLIC", False)

# --- REST framework (the embedded registry) ----------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # DRF's default (AnonymousUser): with None, DRF hands `request.user = None` back to
    # Django, and HTML pages served by DRF views (the registry's /ml/api/docs/) then break
    # middleware that reads `request.user.is_authenticated`.
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "JFrog ML REST API (Pond embedded registry)",
    "DESCRIPTION": (
        "Pond's faithful implementation of the JFrog ML REST API. Operations marked "
        "`x-pond-extension: true` are Pond extensions that the JFrog ML spec lacks."
    ),
    "VERSION": "1.x",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/ml/api",
    "SERVERS": [{"url": "/ml/api"}],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "registry.openapi.postprocess"],
    "ENUM_NAME_OVERRIDES": {
        "VersionStatusEnum": "registry.models.VersionStatus",
        "ExperimentStatusEnum": "registry.models.ExperimentStatus",
        "DeploymentStatusEnum": "registry.models.DeploymentStatus",
    },
}

# --- Auth ---------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# --- Governance ------------------------------------------------------------------
# Versions that may be deployed: anything else needs a promotion first (or a
# reviewer's written reason, recorded). A version in production is never deleted
# (it leaves production through a review), and stopping live deployments, with a
# delete or on their own, takes an explicit choice. See the README.
POND_DEPLOYABLE_STATUSES = envlist("POND_DEPLOYABLE_STATUSES", ["staging", "production"])

# --- Login throttling (django-axes) --------------------------------------------
# Failed logins are counted per (username, client address); after
# POND_LOGIN_FAILURE_LIMIT of them that pair is refused (429, the login form with a
# message) for POND_LOGIN_COOLOFF seconds, then may try again: a cool-off, never a
# permanent lockout that an attacker could use to shut a colleague out. The client
# address is the TCP peer (webui.core.throttling.client_ip), or, when the peer is one
# of POND_TRUSTED_PROXIES, the nearest X-Forwarded-For hop that is not: a spoofed
# header from anyone else changes nothing, and behind a proxy each person keeps an
# address of their own (failures from one never lock another out). The registry's
# basic auth goes through the same backends, so it is throttled the same way (a
# locked pair gets 401). In front of that, every failed authentication attempt (a login
# or password-change POST, a basic-auth API call) counts against a per-address limit of
# POND_AUTH_ATTEMPTS_PER_MINUTE (429 past it): guessing across many usernames, each
# costing a full password hash, is limited too.
POND_TRUSTED_PROXIES = envnetworks("POND_TRUSTED_PROXIES")
POND_AUTH_ATTEMPTS_PER_MINUTE = envint("POND_AUTH_ATTEMPTS_PER_MINUTE", 60, minimum=1)
INSTALLED_APPS.append("axes")
# Last, as axes requires: it turns the backend's "locked out" flag into the response.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading the session's user from Redis when there is one.
    "webui.core.auth.CachedModelBackend",
]
AXES_ENABLED = envbool("POND_LOGIN_THROTTLING", True)
AXES_FAILURE_LIMIT = envint("POND_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(seconds=envfloat("POND_LOGIN_COOLOFF", 900.0, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "webui.core.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "webui.core.throttling.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Hammering during the cool-off must not extend it forever (that would be a permanent lockout).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

# --- Single sign-on (OpenID Connect) --------------------------------------------
# Off unless POND_OIDC_ISSUER is set. Pond is a confidential client of that provider:
# authorization code flow with PKCE (S256), state and nonce checked, ID token signed
# RS256, through mozilla-django-oidc (webui/sso/). The provider's endpoints come from
# its discovery document ({issuer}/.well-known/openid-configuration), read when a
# sign-in starts, with POND_OIDC_TIMEOUT seconds per call. Roles come from the
# POND_OIDC_GROUPS_CLAIM claim through POND_OIDC_ROLE_MAP at every sign-in, e.g.
# "ml-admins:admin,ml-engineers:engineer,*:viewer" (or a JSON object); "*" is the role
# of someone in no mapped group; without "*" such a person is refused. People are
# matched by the provider's `sub`, never by email. An SSO session lasts
# POND_OIDC_SESSION_SECONDS, so a role taken away at the provider is gone from Pond
# within that time at most. POND_LOCAL_LOGIN=0 hides and refuses password sign-in
# (the login form and /admin/login/). See the README, "Single sign-on".
POND_OIDC_ISSUER = envurl("POND_OIDC_ISSUER")
POND_OIDC_CLIENT_ID = envstr("POND_OIDC_CLIENT_ID")
POND_OIDC_CLIENT_SECRET = envstr("POND_OIDC_CLIENT_SECRET")
POND_OIDC_SCOPES = envstr("POND_OIDC_SCOPES", "openid email profile groups")
POND_OIDC_GROUPS_CLAIM = envstr("POND_OIDC_GROUPS_CLAIM", "groups")
# Checked at start-up (webui.sso.apps): a bad item stops start-up naming it.
POND_OIDC_ROLE_MAP = envstr("POND_OIDC_ROLE_MAP")
POND_OIDC_NAME = envstr("POND_OIDC_NAME", "single sign-on")
POND_OIDC_TIMEOUT = envfloat("POND_OIDC_TIMEOUT", 5.0, minimum=0.1)
POND_OIDC_SESSION_SECONDS = envint("POND_OIDC_SESSION_SECONDS", 12 * 3600, minimum=60)
POND_LOCAL_LOGIN = envbool("POND_LOCAL_LOGIN", True)
if POND_OIDC_ISSUER:
    for _name in ("POND_OIDC_CLIENT_ID", "POND_OIDC_CLIENT_SECRET", "POND_OIDC_ROLE_MAP"):
        if not globals()[_name]:
            raise ImproperlyConfigured(
                f"Environment variable {_name} must be set when POND_OIDC_ISSUER is."
            )
    if "openid" not in POND_OIDC_SCOPES.split():
        raise ImproperlyConfigured(
            f"Environment variable POND_OIDC_SCOPES={POND_OIDC_SCOPES!r} must include openid."
        )
elif not POND_LOCAL_LOGIN:
    raise ImproperlyConfigured(
        "POND_LOCAL_LOGIN=0 leaves no way to sign in: set POND_OIDC_ISSUER too."
    )
INSTALLED_APPS.append("webui.sso")
# Inert unless called by the sign-in callback (webui.sso.views).
AUTHENTICATION_BACKENDS.append("webui.sso.backend.OIDCBackend")

# --- Internationalisation, static files --------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("POND_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = envbool("POND_STATIC_FINDERS", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": envstr("POND_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")
    },
}

# --- Security -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
POND_HTTPS = envbool("POND_HTTPS", False)
if POND_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Probes and the Prometheus scraper call inside the network, often by plain HTTP (a
    # redirect would not keep the metrics token off the wire: it is in the first request).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Share-link tokens in request paths (django.request's "Forbidden: /status/s/<token>/")
    # are credentials: redacted on the way out. gunicorn's logs: webui.core.gunicorn_logging.
    "filters": {"share_tokens": {"()": "webui.core.logging_redaction.RedactShareTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["share_tokens"]}
    },
    "root": {"handlers": ["console"], "level": envstr("POND_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # runserver's request lines: through the console handler (and its filter), not
        # Django's own handler.
        "django.server": {"level": "WARNING", "propagate": True},
        # urllib3 logs every request line, path and query included, at DEBUG: a webhook's
        # path is its credential. Pond's clients log one line per call of their own.
        "urllib3": {"level": "INFO"},
    },
}

# --- Status page and poller ----------------------------------------------------
# The beat ticks every POND_POLL_FAST_INTERVAL seconds; each tick polls only when a
# poll is due: every POND_POLL_INTERVAL seconds, or every fast interval while any
# deployment is `deploying` or unconfirmed (see webui/status/poller.py).
POND_POLL_FAST_INTERVAL = min(envfloat("POND_POLL_FAST_INTERVAL", 1.0, minimum=0.5), POND_POLL_INTERVAL)
# Upstream failures back off exponentially from one interval up to this cap.
POND_POLL_BACKOFF_MAX = envfloat("POND_POLL_BACKOFF_MAX", 60.0, minimum=0.5)
# The status shows as "unknown" once the poller has not succeeded for this many intervals.
POND_STATUS_STALE_INTERVALS = envint("POND_STATUS_STALE_INTERVALS", 3, minimum=1)
# A raw status counts (confirmed: opens or closes incidents) once seen on this many
# consecutive polls, so a single flap never becomes an incident.
POND_STATUS_CONFIRMATIONS = envint("POND_STATUS_CONFIRMATIONS", 2, minimum=1, maximum=100)
# Confirmed statuses that open an incident (and leaving them closes it).
POND_STATUS_INCIDENT_STATUSES = envlist("POND_STATUS_INCIDENT_STATUSES", ["failed"])
# An incident that starts within this many seconds of an applied promotion of its model
# links that ledger entry ("started 12 min after 3.1.0 was promoted by alice").
POND_STATUS_PROMOTION_WINDOW = envint("POND_STATUS_PROMOTION_WINDOW", 3600, minimum=0)
# Uptime figures and 90-day bars are recomputed at least this often (seconds), and at
# once for a deployment that has a new event.
POND_STATUS_HISTORY_TTL = envfloat("POND_STATUS_HISTORY_TTL", 60.0, minimum=0)
POND_STATUS_HISTORY_DAYS = envint("POND_STATUS_HISTORY_DAYS", 90, minimum=1, maximum=366)
POND_STATUS_PAGE_SIZE = envint("POND_STATUS_PAGE_SIZE", 50, minimum=1)
POND_STATUS_REFRESH_SECONDS = envint("POND_STATUS_REFRESH_SECONDS", 10, minimum=1)
# Slack-compatible webhooks ({"text": ...}) told about confirmed status changes.
POND_STATUS_WEBHOOKS = envlist("POND_STATUS_WEBHOOKS", [])
for _hook in POND_STATUS_WEBHOOKS:
    if not _hook.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"Environment variable POND_STATUS_WEBHOOKS has {_hook!r}: expected comma-separated http(s) URLs."
        )
POND_STATUS_WEBHOOK_TIMEOUT = envfloat("POND_STATUS_WEBHOOK_TIMEOUT", 3.0, minimum=0.1)
POND_STATUS_WEBHOOK_RETRIES = envint("POND_STATUS_WEBHOOK_RETRIES", 3, minimum=0, maximum=10)
# Every webhook delivery (status and review) is an outbox row written with the event it
# announces (webui/status/webhooks.py): sent at once after commit, and by a beat sweep
# every POND_WEBHOOK_OUTBOX_INTERVAL seconds whatever a crash or a failing receiver left.
# A delivery is tried at most POND_WEBHOOK_ATTEMPTS times, waiting up to
# POND_WEBHOOK_BACKOFF_MAX seconds between tries; sent rows are kept POND_WEBHOOK_KEEP_DAYS.
POND_WEBHOOK_OUTBOX_INTERVAL = envfloat("POND_WEBHOOK_OUTBOX_INTERVAL", 5.0, minimum=0.5)
POND_WEBHOOK_ATTEMPTS = envint("POND_WEBHOOK_ATTEMPTS", 10, minimum=1, maximum=100)
POND_WEBHOOK_BACKOFF_MAX = envfloat("POND_WEBHOOK_BACKOFF_MAX", 600.0, minimum=1)
POND_WEBHOOK_KEEP_DAYS = envint("POND_WEBHOOK_KEEP_DAYS", 7, minimum=1)
POND_CATALOG_REFRESH_INTERVAL = envfloat("POND_CATALOG_REFRESH_INTERVAL", 300.0, minimum=5)
# Seconds between refreshes of the list of every experiment (kept warm by Celery).
POND_EXPERIMENTS_REFRESH_INTERVAL = envfloat("POND_EXPERIMENTS_REFRESH_INTERVAL", 60.0, minimum=5)

# Beat schedule, in one place (but for decision recovery, added with its settings
# below). The poll tick runs at the fast interval and the task skips when no poll is
# due; `expires` drops ticks a busy worker could not take in time instead of letting
# them pile up.
CELERY_BEAT_SCHEDULE = {
    "deployment-status-poll": {
        "task": "webui.status.tasks.deployment_status_poll",
        "schedule": POND_POLL_FAST_INTERVAL,
        "options": {"expires": max(POND_POLL_FAST_INTERVAL * 2, 1.0)},
    },
    "catalog-refresh": {
        "task": "webui.status.tasks.catalog_refresh",
        "schedule": POND_CATALOG_REFRESH_INTERVAL,
        "options": {"expires": POND_CATALOG_REFRESH_INTERVAL},
    },
    "experiments-refresh": {
        "task": "webui.status.tasks.experiments_refresh",
        "schedule": POND_EXPERIMENTS_REFRESH_INTERVAL,
        "options": {"expires": POND_EXPERIMENTS_REFRESH_INTERVAL},
    },
    "webhook-outbox-send": {
        "task": "webui.status.tasks.webhook_outbox_send",
        "schedule": POND_WEBHOOK_OUTBOX_INTERVAL,
        "options": {"expires": max(POND_WEBHOOK_OUTBOX_INTERVAL * 2, 1.0)},
    },
}

# --- Metrics for operators (/metrics, webui/metrics/) ---------------------------
# /metrics answers only when at least one of these is set (404 otherwise): a bearer
# token the scraper sends (`Authorization: Bearer <token>`), and/or the addresses it
# may come from (CIDRs; behind a proxy, see POND_TRUSTED_PROXIES). With both, both apply.
POND_METRICS_TOKEN = envstr("POND_METRICS_TOKEN")
if POND_METRICS_TOKEN and len(POND_METRICS_TOKEN) < 16:
    raise ImproperlyConfigured(
        "Environment variable POND_METRICS_TOKEN is too short: expected at least 16 characters "
        "(e.g. `openssl rand -hex 32`)."
    )
POND_METRICS_ALLOW = envnetworks("POND_METRICS_ALLOW")

# --- Pond's API (/api/v1/, webui/api/) -----------------------------------------
# GET /api/v1/reviews/<id>?wait=N holds the answer until the request is decided, for
# at most this many seconds (a pipeline asks again to wait longer), looking every
# POND_API_WAIT_POLL seconds. A waiting call holds one of gunicorn's threads.
POND_API_WAIT_MAX = envfloat("POND_API_WAIT_MAX", 60.0, minimum=0)
POND_API_WAIT_POLL = envfloat("POND_API_WAIT_POLL", 0.5, minimum=0.05)


def _metrics_run_dir() -> Path:
    """A directory of this run's own for prometheus_client's multiprocess files.

    Every process of one run must write to the same directory: the one that starts
    the others (run_pond for `make run`, pytest) makes it and exports it, and its
    children (gunicorn, the Celery worker) inherit it. Folders left by runs whose
    process is gone are removed here, so var/ does not fill up with them.
    """
    root = _owner_only(VAR_DIR / "prometheus")
    for old in root.glob("run-*"):
        pid = old.name.removeprefix("run-")
        # Ours too: a folder named by this pid is a finished run's whose pid was reused.
        if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
            shutil.rmtree(old, ignore_errors=True)
    return _owner_only(root / f"run-{os.getpid()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


# prometheus_client reads this variable itself, when it is first imported: set it
# before anything imports it. Production sets a directory that web and worker share
# (docker-compose.yml); unset, each run gets one under var/prometheus/.
PROMETHEUS_MULTIPROC_DIR = envstr("PROMETHEUS_MULTIPROC_DIR") or str(_metrics_run_dir())
if TEST_WORKER and Path(PROMETHEUS_MULTIPROC_DIR).name != TEST_WORKER:
    # pytest-xdist's workers inherit the controller's directory: each gets its own in it.
    PROMETHEUS_MULTIPROC_DIR = str(Path(PROMETHEUS_MULTIPROC_DIR) / TEST_WORKER)
Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR

# --- Reviews and promotions ----------------------------------------------------
# Nobody approves their own promotion request unless this is turned off.
POND_TWO_PERSON_RULE = envbool("POND_TWO_PERSON_RULE", True)
# Reviewers may also promote without a request (still recorded, still gated by rules).
POND_REVIEWER_DIRECT_PROMOTE = envbool("POND_REVIEWER_DIRECT_PROMOTE", False)
# Promotion gates as a JSON list, e.g. [{"tag": "fraud", "kind": "metric_min",
# "metric": "accuracy", "threshold": 0.9}]; checked at start-up (webui.reviews.apps).
POND_PROMOTION_RULES = envjson("POND_PROMOTION_RULES", [])
# Slack-compatible incoming-webhook URLs told about every decision (never blocking).
POND_REVIEW_WEBHOOKS = envlist("POND_REVIEW_WEBHOOKS", [])
POND_REVIEW_WEBHOOK_TIMEOUT = envfloat("POND_REVIEW_WEBHOOK_TIMEOUT", 2.0, minimum=0.1)
# An approved promotion is a recorded plan of steps (webui/reviews/decisions.py),
# applied in the reviewer's request under a per-model lock: a lease of
# POND_PROMOTION_LOCK_SECONDS that a live holder keeps renewing, so a holder that died
# blocks the model at most that long (a second decision waits up to a minute). Every
# POND_DECISION_RECOVERY_INTERVAL seconds, beat finishes (or undoes) any plan with steps
# left undone for POND_DECISION_RECOVERY_GRACE seconds, e.g. by a web worker that was
# killed. A step whose outcome JFrog ML cannot tell (it does not answer) is tried
# POND_DECISION_STEP_ATTEMPTS times before it counts as failed.
POND_PROMOTION_LOCK_SECONDS = envfloat("POND_PROMOTION_LOCK_SECONDS", 10.0, minimum=1)
POND_DECISION_RECOVERY_INTERVAL = envfloat("POND_DECISION_RECOVERY_INTERVAL", 10.0, minimum=0.5)
POND_DECISION_RECOVERY_GRACE = envfloat("POND_DECISION_RECOVERY_GRACE", 30.0, minimum=0)
POND_DECISION_STEP_ATTEMPTS = envint("POND_DECISION_STEP_ATTEMPTS", 5, minimum=1, maximum=100)
CELERY_BEAT_SCHEDULE["decision-recovery"] = {
    "task": "webui.reviews.tasks.decisions_recover",
    "schedule": POND_DECISION_RECOVERY_INTERVAL,
    "options": {"expires": max(POND_DECISION_RECOVERY_INTERVAL * 2, 1.0)},
}

# --- Insights -------------------------------------------------------------------
# How many versions of one model may be in production at once before the
# production-truth page flags it (one, unless a team runs several side by side).
POND_INSIGHTS_MAX_PRODUCTION_VERSIONS = envint("POND_INSIGHTS_MAX_PRODUCTION_VERSIONS", 1, minimum=1)
# Exceptions to that limit as a JSON object: {"<model id>": 2, "tag:<tag>": 3}; a
# model id wins over its tags, the largest tag limit wins among tags (checked at
# start-up by webui.insights.apps).
POND_INSIGHTS_PRODUCTION_LIMITS = envjson("POND_INSIGHTS_PRODUCTION_LIMITS", {})
# Hygiene thresholds: a deployment `failed` or `deploying` for longer than this many
# seconds (default 30 minutes) ...
POND_INSIGHTS_STUCK_DEPLOYMENT_SECONDS = envfloat("POND_INSIGHTS_STUCK_DEPLOYMENT_SECONDS", 1800.0, minimum=0)
# ... an experiment `running` for longer than this many seconds (default 3 days) ...
POND_INSIGHTS_LONG_EXPERIMENT_SECONDS = envfloat("POND_INSIGHTS_LONG_EXPERIMENT_SECONDS", 3 * 86400.0, minimum=0)
# ... and a draft version older than this many seconds (default 30 days).
POND_INSIGHTS_STALE_DRAFT_SECONDS = envfloat("POND_INSIGHTS_STALE_DRAFT_SECONDS", 30 * 86400.0, minimum=0)
# Weeks shown by the overview's promotions/failures trend.
POND_INSIGHTS_TREND_WEEKS = envint("POND_INSIGHTS_TREND_WEEKS", 12, minimum=1, maximum=104)
# The overview's insight counts are kept this many seconds (0: computed on every view);
# after a write through Pond, counted again once they are ..._AFTER_WRITE seconds old.
POND_INSIGHTS_ATTENTION_SECONDS = envfloat("POND_INSIGHTS_ATTENTION_SECONDS", 15.0, minimum=0)
POND_INSIGHTS_ATTENTION_AFTER_WRITE = envfloat("POND_INSIGHTS_ATTENTION_AFTER_WRITE", 5.0, minimum=0)
