"""The one settings module. Every value comes from liuyou.config (LIUYOU_* variables)."""

from __future__ import annotations

import sys

import dj_database_url

from liuyou import config as _config

try:
    CONFIG = _config.load()
except _config.ConfigError as exc:  # pragma: no cover - exercised through the CLI
    sys.stderr.write(f"配置错误：{exc}\n")
    raise SystemExit(2) from exc

PRODUCTION = CONFIG.production
DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins
VAR_DIR = CONFIG.var_dir

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "django_tables2",
    "axes",
    "csp",
    "ninja",
    "liuyou.core",
    "liuyou.system",
    "liuyou.customers",
    "liuyou.ingest",
    "liuyou.pipeline",
    "liuyou.features",
    "liuyou.mining",
    "liuyou.tags",
    "liuyou.products",
    "liuyou.targets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "liuyou.core.middleware.RequestContextMiddleware",
    "liuyou.system.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "liuyou.system.middleware.SessionGuardMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liuyou.urls"
WSGI_APPLICATION = "liuyou.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liuyou.core.context_processors.shell",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------
_db = dj_database_url.parse(CONFIG.database_url, conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] not in ("", ":memory:"):
        from pathlib import Path

        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one
        # failing on lock upgrade; WAL lets readers run beside the writer.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # A 64 MiB page cache (the default is 2 MiB): an import of a million customers
        # inserts into a dozen indexes at random places, which a small cache turns into I/O.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
    }
else:
    _db["CONN_MAX_AGE"] = 60
    _db["CONN_HEALTH_CHECKS"] = True
_db["ATOMIC_REQUESTS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth and sessions ----------------------------------------------------------------
AUTH_USER_MODEL = "system.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "liuyou.system.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "liuyou.system.passwords.CharacterClassValidator"},
    {"NAME": "liuyou.system.passwords.NoStaffNumberValidator"},
    {"NAME": "liuyou.system.passwords.HistoryValidator"},
]
LIUYOU_PASSWORD_HISTORY = 5
LIUYOU_PASSWORD_MAX_AGE_DAYS = CONFIG.password_max_age_days
LIUYOU_REQUIRE_TOTP = CONFIG.require_totp
LIUYOU_TOTP_ROLES = ("system_admin", "security_admin", "hq_admin", "auditor")
LIUYOU_AUDIT_RETENTION_DAYS = CONFIG.audit_retention_days
LIUYOU_TRUSTED_PROXIES = CONFIG.trusted_proxies
LIUYOU_DATA_KEY = CONFIG.data_key
LIUYOU_PREVIOUS_DATA_KEYS = CONFIG.previous_data_keys

LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = CONFIG.session_idle_minutes * 60
LIUYOU_IMPORT_MAX_UPLOAD_MB = CONFIG.import_max_upload_mb
LIUYOU_IMPORT_STALE_MINUTES = CONFIG.import_stale_minutes
# The cookie age is an idle timeout because the session is saved whenever it changes, and
# SessionGuardMiddleware stamps it at most once a minute of activity: 30 minutes idle, give or
# take a minute. Saving on every request would make every page view a write, and on SQLite
# writes queue one at a time.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "liuyou_session"
CSRF_COOKIE_NAME = "liuyou_csrftoken"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads it to send X-CSRFToken
CSRF_FAILURE_VIEW = "liuyou.core.views.csrf_failure"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION

AXES_FAILURE_LIMIT = CONFIG.lockout_attempts
AXES_COOLOFF_TIME = CONFIG.lockout_minutes / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locking by 工号 is the policy: locking by IP would lock a whole branch behind one NAT address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # our own hash-chained login log records every attempt
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "liuyou.system.views_auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "liuyou.core.request_context.client_ip"
AXES_VERBOSE = False

# --- security headers -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- i18n, static ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the package: no collectstatic step
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = str(VAR_DIR / "files")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}
    },
    "root": {"handlers": ["stderr"], "level": CONFIG.log_level},
    "loggers": {"django.security.DisallowedHost": {"level": "ERROR"}},
}
