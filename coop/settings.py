"""Settings come only from environment variables.

Nothing set: the embedded default (SQLite file, background jobs on kombu's filesystem
transport, emails on the console, keys generated once into VAR_DIR). DEBUG=false with SECRET_KEY
and ALLOWED_HOSTS: production. DEBUG=false with DEMO=true: the demo (`make demo`), which shows
the site's own error pages like production but keeps the embedded default's plain http, console
email, generated keys and no two-factor gate.
"""

import contextlib
import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def embedded_keys(path: Path) -> dict[str, str]:
    """The embedded default's keys, generated on first use and kept in `path` (mode 0600).

    A key in the source code would let anyone recompute the demo's secret-ballot receipts, so
    each installation makes its own. The web server, the worker and beat start together and
    must all read the same keys (with different receipt keys one member's ballot would not be
    recognised and could count twice), so the file appears exactly once and only complete:
    each process writes its candidate to a private temporary file, then hard-links it to the
    final name. link() fails when the name exists, so the first link wins and everyone,
    including the losers, reads the winner's file."""
    try:
        return _read_keys(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
                       f"BALLOT_RECEIPT_KEY={secrets.token_urlsafe(50)}\n")
            file.flush()
            os.fsync(file.fileno())
        # FileExistsError: another process got there first, and its keys are the ones.
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
    finally:
        candidate.unlink(missing_ok=True)
    return _read_keys(path)


def _read_keys(path: Path) -> dict[str, str]:
    keys = dict(line.split("=", 1) for line in path.read_text().split())
    if not all(len(keys.get(name, "")) >= 50 for name in ("SECRET_KEY", "BALLOT_RECEIPT_KEY")):
        raise ImproperlyConfigured(f"{path} is incomplete: delete it (receipts of secret ballots "
                                   "already cast will no longer be recognised) or set SECRET_KEY.")
    return keys


DEBUG = env_bool("DEBUG", True)
# The demo answers like production (DEBUG=false: the site's own 404/403/500 pages), yet keeps
# plain http, console email, generated keys and no two-factor gate, which a demo on
# http://127.0.0.1 needs. Production hardening is on exactly when neither DEBUG nor DEMO is.
DEMO = env_bool("DEMO", False)
PRODUCTION = not DEBUG and not DEMO
TESTING = env_bool("TESTING", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
_embedded_keys: dict[str, str] = {}
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    _embedded_keys = embedded_keys(VAR_DIR / "secret-keys")
    SECRET_KEY = _embedded_keys["SECRET_KEY"]

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver" if not PRODUCTION else ""
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The cooperative itself (the rest is configured in admin).
COOP_NAME = os.environ.get("COOP_NAME", "Lightbox Photographers' Cooperative")
COOP_CURRENCY = os.environ.get("COOP_CURRENCY", "EUR")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.usersessions",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "coop",
    "membership",
    "governance",
    "ledger",
    "patronage",
    "vitality",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "coop.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "coop.middleware.AdminTwoFactorMiddleware",
    "coop.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "coop.urls"
WSGI_APPLICATION = "coop.wsgi.application"

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
                "coop.context_processors.cooperative",
                "dashboard.context_processors.nav_counts",
            ],
        },
    }
]

# --- database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if TESTING:
        # One test database per test run, so runs side by side never drop each other's.
        DATABASES["default"]["TEST"] = {
            "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "coop.sqlite3")),
            # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so two writers
            # never deadlock on lock upgrade; WAL lets readers run beside the writer.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker ------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "coop.cache.RedisCache",
                          "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    # A file cache is shared by every process on the machine, so rate limits hold across
    # gunicorn workers without Redis.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}
    _queue = VAR_DIR / "celery-queue"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "control_folder": str(VAR_DIR / "celery-control"),
    }
    # kombu does not create the queue folders; without them the first .delay() fails.
    for _folder in (_queue, VAR_DIR / "celery-control"):
        _folder.mkdir(parents=True, exist_ok=True)

if TESTING:
    # Each test run gets its own in-process cache: clearing a shared file or Redis cache between
    # tests would disturb other runs on the machine (and flush the broker's queue bindings).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "coop.tasks.heartbeat", "schedule": 60.0},
    "audit-seal": {"task": "coop.tasks.audit_seal", "schedule": 60.0},
    "governance-open-due": {"task": "governance.tasks.open_due_votes", "schedule": 60.0},
    "governance-close-due": {"task": "governance.tasks.close_due_votes", "schedule": 60.0},
    "governance-reminders": {"task": "governance.tasks.send_due_reminders", "schedule": 60.0},
    "idempotency-purge": {"task": "coop.tasks.idempotency_purge", "schedule": crontab(minute=17)},
    # Erased former members' names, once the register's retention period has ended.
    "membership-erase-names": {"task": "membership.tasks.erase_names_due",
                               "schedule": crontab(hour=2, minute=23)},
    "ledger-reconcile": {"task": "ledger.tasks.reconcile_nightly",
                         "schedule": crontab(hour=3, minute=41)},
    # Vitality (RULES §5): the month just ended on the 1st, and the current month hourly.
    "vitality-monthly": {"task": "vitality.tasks.snapshots_monthly",
                         "schedule": crontab(day_of_month=1, hour=0, minute=10)},
    "vitality-provisional": {"task": "vitality.tasks.snapshot_provisional",
                             "schedule": crontab(minute=41)},
}

# --- auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "coop.User"
AUTHENTICATION_BACKENDS = [
    "coop.auth_backends.ModelBackend",
    "coop.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "coop.account_adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {} if env_bool("DISABLE_RATE_LIMITS", False) else {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = COOP_NAME
HEADLESS_CLIENTS = ("app",)
HEADLESS_SERVE_SPECIFICATION = False
# Staff must have two-factor switched on to reach the admin (on in production).
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", PRODUCTION)

# --- email --------------------------------------------------------------------------------
# Django 6.1 MAILERS (EMAIL_BACKEND, EMAIL_HOST... are deprecated). The environment variables
# keep their familiar names. The embedded default and the demo write emails to the console;
# production defaults to SMTP, because `check --deploy` rejects a console mailer.
_email_backend = os.environ.get("EMAIL_BACKEND") or (
    "coop.mail.ConsoleEmailBackend"  # the console, lines unwrapped (coop/mail.py)
    if not PRODUCTION
    else "django.core.mail.backends.smtp.EmailBackend"
)
_mailer: dict = {"BACKEND": _email_backend}
if _email_backend.endswith("smtp.EmailBackend"):
    _mailer["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ["EMAIL_PORT"]) if os.environ.get("EMAIL_PORT") else None,
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "10")),
    }
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cooperative@localhost")
# Background emails try again after a failure that may pass (server or network down, a 4xx
# answer): exponential backoff with full jitter from EMAIL_RETRY_BACKOFF seconds, each wait capped
# at 30 minutes (under the Redis broker's one-hour visibility timeout, past which a waiting task
# is delivered twice), EMAIL_MAX_RETRIES times; the defaults give up within about two hours.
EMAIL_RETRY_BACKOFF = int(os.environ.get("EMAIL_RETRY_BACKOFF", "60"))
EMAIL_MAX_RETRIES = int(os.environ.get("EMAIL_MAX_RETRIES", "8"))

# --- i18n, static -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One date format across the member pages and the admin ("1 Dec 2026"; coop/formats/en).
FORMAT_MODULE_PATH = ["coop.formats"]
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves the collected files (collectstatic runs in the image build); the demo and
# the tests serve straight from the app folders, so they need no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION or TESTING
WHITENOISE_AUTOREFRESH = not PRODUCTION or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "coop.api_auth.ApiKeyAuthentication",
        "allauth.headless.contrib.rest_framework.authentication.XSessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "coop.api_pagination.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "coop.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "coop.api_errors.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "coop.api_auth.CallerRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "6000/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cooperative platform API",
    "DESCRIPTION": "The REST API partner services use: membership, governance, ledger, vitality.",
    "VERSION": "1.0.0",
    # Several models have a `status` or `kind`; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "membership.models.Application.Status",
        "MemberStatusEnum": "membership.models.Member.Status",
        "CertificateStatusEnum": "membership.models.ShareCertificate.Status",
        "MemberKindEnum": "membership.models.Kind",
        "SharePaymentKindEnum": "membership.models.SharePayment.Kind",
        "ProposalStatusEnum": "governance.models.Proposal.Status",
        "ImplementationStatusEnum": "governance.models.Proposal.Implementation",
        "ImplementationStepEnum": "governance.api.IMPLEMENTATION_STEPS",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # 503 (database unreachable), 413 and the guards' 400 apply to every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "coop.api_schema.add_global_problems",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # CI validates the schema on its own (`spectacular --validate --fail-on-warn`); keeping it
    # out of `check --deploy` lets that check judge the deployment settings alone.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKey": {"type": "apiKey", "in": "header", "name": "Authorization",
                       "description": "`Api-Key <key>`"},
        }
    },
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"

# --- security -----------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
    if os.environ.get("SECURE_PROXY_SSL_HEADER")
    else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Health probes come from inside the cluster over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
# Preload is a commitment for the whole domain: the operator decides it (see SILENCED below).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Sessions (browser cookies and the app's X-Session-Token) are read from the cache and kept in
# the database too, so a restart of Redis signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is the operator's decision (SECURE_HSTS_PRELOAD=true opts in).
    "security.W021",
]
# Audit receipts for secret ballots are HMACs under this key (separate from SECRET_KEY so the
# session key can be rotated without breaking receipts). The embedded default generates its own.
BALLOT_RECEIPT_KEY = (
    os.environ.get("BALLOT_RECEIPT_KEY") or _embedded_keys.get("BALLOT_RECEIPT_KEY") or SECRET_KEY
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
