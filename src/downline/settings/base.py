"""Settings shared by every deployment.

The database is SQLite under ``./var/`` (WAL mode) unless ``DATABASE_URL`` is set, in which case
that database (PostgreSQL in production) is used. Company-wide rules (time zone, currency, period
length, shape of the placement tree) come from ``DOWNLINE_*`` environment variables.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DOWNLINE_VAR_DIR", Path.cwd() / "var")).resolve()

SECRET_KEY = os.environ.get("DOWNLINE_SECRET_KEY", "insecure-demo-key-change-me-in-production")
DEBUG = os.environ.get("DOWNLINE_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DOWNLINE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "downline.core",
    "downline.accounts",
    "downline.periods",
    "downline.genealogy",
    "downline.orders",
    "downline.exchange",
    "downline.compensation",
    "downline.ledger",
    "downline.payouts",
    "downline.compliance",
    "downline.simulation",
    "downline.web",
    "downline.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "downline.web.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "downline.urls"
WSGI_APPLICATION = "downline.wsgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "downline.web.context_processors.back_office",
            ],
        },
    },
]


def database_from_environment() -> dict:
    """``DATABASE_URL`` if set, else the embedded SQLite file ``./var/downline.sqlite3``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=60)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "downline.sqlite3",
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
    }


DATABASES = {"default": database_from_environment()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("pl", _("Polish")), ("de", _("German"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# --------------------------------------------------------------------------- web and security
# See docs/web.md. DOWNLINE_HTTPS=1 (production behind TLS) makes every cookie Secure, redirects
# http to https and sends HSTS; the local demo runs over http with it unset.
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"
DOWNLINE_HTTPS = os.environ.get("DOWNLINE_HTTPS", "0") == "1"
SESSION_COOKIE_SECURE = DOWNLINE_HTTPS
CSRF_COOKIE_SECURE = DOWNLINE_HTTPS
LANGUAGE_COOKIE_SECURE = DOWNLINE_HTTPS
SECURE_SSL_REDIRECT = DOWNLINE_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if DOWNLINE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = DOWNLINE_HTTPS
if os.environ.get("DOWNLINE_BEHIND_PROXY", "0") == "1":
    # the proxy in front terminates TLS and says so in this header (set it there, strip it
    # from clients)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
DEFAULT_FROM_EMAIL = os.environ.get("DOWNLINE_FROM_EMAIL", "Downline <no-reply@localhost>")
EMAIL_VERIFICATION_MAX_AGE = 3 * 24 * 60 * 60
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Login attempts that fail within the window, per account and per client address; over the
# limit, sign-in is refused (even with the right password) until the window has passed.
DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT = int(
    os.environ.get("DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT", "5")
)
DOWNLINE_LOGIN_FAILURES_PER_ADDRESS = int(
    os.environ.get("DOWNLINE_LOGIN_FAILURES_PER_ADDRESS", "20")
)
DOWNLINE_LOGIN_WINDOW_SECONDS = int(os.environ.get("DOWNLINE_LOGIN_WINDOW_SECONDS", "900"))
# Staff must confirm a TOTP code on every sign-in to the back office and console. The Django
# admin keeps its own login; DOWNLINE_ADMIN_REQUIRES_2FA=1 puts it behind the same check.
DOWNLINE_ADMIN_REQUIRES_2FA = os.environ.get("DOWNLINE_ADMIN_REQUIRES_2FA", "0") == "1"
OTP_TOTP_ISSUER = os.environ.get("DOWNLINE_COMPANY_NAME", "Downline Demo Company")
# The rate limiter keeps its counters in the cache: with several app servers, point the
# default cache at a shared store (database or Redis cache).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Company rules. The time zone decides which period an order belongs to; the placement shape
# decides placement capacity ("binary": L/R; "matrix": slots 1..DOWNLINE_MATRIX_WIDTH;
# "unilevel": no limit).
DOWNLINE_COMPANY_NAME = os.environ.get("DOWNLINE_COMPANY_NAME", "Downline Demo Company")
DOWNLINE_TIME_ZONE = os.environ.get("DOWNLINE_TIME_ZONE", "Europe/Berlin")
DOWNLINE_CURRENCY = os.environ.get("DOWNLINE_CURRENCY", "EUR")
DOWNLINE_PERIOD_KIND = os.environ.get("DOWNLINE_PERIOD_KIND", "monthly")
DOWNLINE_PLACEMENT = os.environ.get("DOWNLINE_PLACEMENT", "binary")
DOWNLINE_MATRIX_WIDTH = int(os.environ.get("DOWNLINE_MATRIX_WIDTH", "3"))
# the worker projects the current period this often (minutes), for the dashboards
DOWNLINE_PROJECTION_MINUTES = int(os.environ.get("DOWNLINE_PROJECTION_MINUTES", "10"))
# worker processes of one plan-lab simulation (default: one per core, at most one per replica)
DOWNLINE_SIMULATION_PROCESSES = int(os.environ.get("DOWNLINE_SIMULATION_PROCESSES", "0")) or None
