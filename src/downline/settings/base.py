"""Settings shared by every deployment.

The database is SQLite under ``./var/`` (WAL mode) unless ``DATABASE_URL`` is set, in which case
that database (PostgreSQL in production) is used. Company-wide rules (time zone, currency, period
length, shape of the placement tree) come from ``DOWNLINE_*`` environment variables.
"""

import os
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from downline.core.secret_key import resolve_secret_key, var_dir_from_environment
from downline.core.smtp_url import mailers_from_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = var_dir_from_environment()

DEBUG = os.environ.get("DOWNLINE_DEBUG", "0") == "1"
# DOWNLINE_SECRET_KEY, else the key file the demo made in VAR_DIR (made now under DEBUG), else
# refuse to start (downline.core.secret_key). DOWNLINE_SECRET_KEY_FILE: where it came from.
SECRET_KEY, DOWNLINE_SECRET_KEY_FILE = resolve_secret_key(os.environ, VAR_DIR, debug=DEBUG)
ALLOWED_HOSTS = os.environ.get("DOWNLINE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
# Capture pages at <slug>.<this domain> as well as at /p/<slug>/ (needs wildcard DNS and TLS).
DOWNLINE_PAGES_DOMAIN = os.environ.get("DOWNLINE_PAGES_DOMAIN", "")
if DOWNLINE_PAGES_DOMAIN:
    ALLOWED_HOSTS.append("." + DOWNLINE_PAGES_DOMAIN.partition(":")[0])

INSTALLED_APPS = [
    "downline.core.admin_apps.DownlineAdminConfig",  # the admin site needs a second factor
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
    "downline.academy",
    "downline.contacts",
    "downline.outreach",
    "downline.growth",
    "downline.contests",
    "downline.support",
    "downline.assistant",
    "downline.webhooks",
    "downline.shops",
    "downline.web",
    "ninja",  # its bundled Swagger UI assets: the API reference needs no outside host
    "downline.api",
    "downline.demo",
]

MIDDLEWARE = [
    # /healthz for load balancers: before host checks, HTTPS redirects and sessions
    "downline.core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # <slug>.DOWNLINE_PAGES_DOMAIN serves that distributor's capture page (off while unset)
    "downline.outreach.subdomains.PageSubdomainMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "downline.web.middleware.CompanyTimeZoneMiddleware",
    # a NUL character anywhere in the path, query or form fields: 400 (``web.input_guard``)
    "downline.web.input_guard.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "downline.web.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# covering indexes (``Index(include=…)``) serve index-only scans on PostgreSQL; SQLite builds the
# same index on its key columns alone, which is what this warning says
SILENCED_SYSTEM_CHECKS = ["models.W040"]

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
# DOWNLINE_SMTP_URL (smtp+tls://user:password@host:587); unset: e-mails go to the console
MAILERS = mailers_from_url(os.environ.get("DOWNLINE_SMTP_URL"))

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
# Over the per-account limit an account is slowed down, not locked: one attempt per delay,
# doubling from 2 s up to this many seconds (docs/web.md, "Security model").
DOWNLINE_LOGIN_MAX_DELAY_SECONDS = int(os.environ.get("DOWNLINE_LOGIN_MAX_DELAY_SECONDS", "300"))
# requests to change one's e-mail address, per login and per client address and hour
DOWNLINE_ADDRESS_REQUESTS_PER_HOUR = int(os.environ.get("DOWNLINE_ADDRESS_REQUESTS_PER_HOUR", "10"))
# Staff confirm a TOTP code on every sign-in to the back office, the console and the Django
# admin (always; the admin has no login of its own, see core/admin_site.py).
OTP_TOTP_ISSUER = os.environ.get("DOWNLINE_COMPANY_NAME", "Downline Demo Company")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Rate limits and caches live in a store every app server shares, never in one process's
# memory: Redis when DOWNLINE_REDIS_URL is set (e.g. redis://127.0.0.1:6379/0), else the
# database (table downline_cache, created by migration accounts/0003).
DOWNLINE_REDIS_URL = os.environ.get("DOWNLINE_REDIS_URL", "")
if DOWNLINE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DOWNLINE_REDIS_URL,
            "KEY_PREFIX": "downline",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "downline_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
DOWNLINE_LIMITS_CACHE = "default"
# Public API (downline.api.limits): requests per key in each fixed window of seconds.
DOWNLINE_API_RATE_LIMIT = int(os.environ.get("DOWNLINE_API_RATE_LIMIT", "600"))
DOWNLINE_API_RATE_WINDOW = int(os.environ.get("DOWNLINE_API_RATE_WINDOW", "60"))

# --------------------------------------------------------------------------- logging
# One JSON object per line on stderr (downline.core.logs): time, level, logger, message, the
# request's path, method, status and user id where known, and the traceback of an exception.
# Unhandled errors in views come through django.request, also with DEBUG off.
DOWNLINE_LOG_LEVEL = os.environ.get("DOWNLINE_LOG_LEVEL", "INFO").strip().upper()
if DOWNLINE_LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"DOWNLINE_LOG_LEVEL={DOWNLINE_LOG_LEVEL!r} is not a log level; use DEBUG, INFO, "
        "WARNING, ERROR or CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "downline.core.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "downline.core.logs.StderrHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": DOWNLINE_LOG_LEVEL},
    # replaces Django's defaults (console only under DEBUG, mail to ADMINS)
    "loggers": {
        "django": {"handlers": ["stderr"], "level": DOWNLINE_LOG_LEVEL, "propagate": False},
        # PDF rendering reports every font it loads and every CSS rule it skips at INFO
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # aiosmtpd (support's inbound mail, the demo's and tests' SMTP server) logs each connection
        "mail.log": {"level": "WARNING"},
    },
}

# Four eyes on money (docs/web.md, "Security model"): a balance adjustment larger than this, in
# minor units of its currency (50000 = 500.00 EUR), waits until a second finance or admin
# staff member approves it.
DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT = int(
    os.environ.get("DOWNLINE_ADJUSTMENT_APPROVAL_LIMIT", "50000")
)
# The account SEPA payout files pay from (`downline payouts export --format sepa`).
DOWNLINE_PAYOUT_NAME = os.environ.get("DOWNLINE_PAYOUT_NAME", "")
DOWNLINE_PAYOUT_IBAN = os.environ.get("DOWNLINE_PAYOUT_IBAN", "")
DOWNLINE_PAYOUT_BIC = os.environ.get("DOWNLINE_PAYOUT_BIC", "")

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
# a running job beats this often (seconds); one whose worker is on another machine and has been
# silent for DOWNLINE_JOB_STALE_SECONDS is failed as lost (see downline.core.jobs)
DOWNLINE_JOB_HEARTBEAT_SECONDS = int(os.environ.get("DOWNLINE_JOB_HEARTBEAT_SECONDS", "15"))
DOWNLINE_JOB_STALE_SECONDS = int(os.environ.get("DOWNLINE_JOB_STALE_SECONDS", "120"))
# days after a change of bank details during which payout batches hold the member (anti-fraud)
DOWNLINE_PAYOUT_COOLING_OFF_DAYS = int(os.environ.get("DOWNLINE_PAYOUT_COOLING_OFF_DAYS", "7"))

# Uploaded files (lesson media, attachments): under DOWNLINE_VAR_DIR, served by the app with
# each app's own permission checks, never as public static files.
MEDIA_ROOT = Path(os.environ.get("DOWNLINE_MEDIA_DIR", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# --- the distributor's tools (each app reads its settings with a default; docs/<app>.md) ------
# Links in e-mails (unsubscribe, confirmation, pages) are absolute: the site's public address.
DOWNLINE_SITE_URL = os.environ.get("DOWNLINE_SITE_URL", "http://127.0.0.1:8000")
# Outreach mail is sent from the company's domain with the distributor as Reply-To.
# (a bare address: the sender's display name is the distributor's, added per mail)
DOWNLINE_MAIL_FROM = os.environ.get("DOWNLINE_MAIL_FROM", parseaddr(DEFAULT_FROM_EMAIL)[1])
DOWNLINE_BOUNCE_SECRET = os.environ.get("DOWNLINE_BOUNCE_SECRET", "")
# The company's video servers for webinars (BigBlueButton API, Jitsi with signed tokens).
DOWNLINE_BBB_URL = os.environ.get("DOWNLINE_BBB_URL", "")
DOWNLINE_BBB_SECRET = os.environ.get("DOWNLINE_BBB_SECRET", "")
DOWNLINE_JITSI_URL = os.environ.get("DOWNLINE_JITSI_URL", "")
DOWNLINE_JITSI_APP_ID = os.environ.get("DOWNLINE_JITSI_APP_ID", "")
DOWNLINE_JITSI_SECRET = os.environ.get("DOWNLINE_JITSI_SECRET", "")
# Web push (VAPID keys, base64url); push is off while they are unset.
DOWNLINE_VAPID_PUBLIC_KEY = os.environ.get("DOWNLINE_VAPID_PUBLIC_KEY", "")
DOWNLINE_VAPID_PRIVATE_KEY = os.environ.get("DOWNLINE_VAPID_PRIVATE_KEY", "")
DOWNLINE_VAPID_SUBJECT = os.environ.get(
    "DOWNLINE_VAPID_SUBJECT", "mailto:" + parseaddr(DEFAULT_FROM_EMAIL)[1]
)
# Seconds an API key may be kept in a process's memory between reads (0: read on every request).
# Above 0 a revocation reaches every process within that time; ``docs/api.md``.
DOWNLINE_API_KEY_CACHE_SECONDS = int(os.environ.get("DOWNLINE_API_KEY_CACHE_SECONDS", "0"))
# Outreach mails sent per committed window: after a worker is killed, at most this many mails
# are in doubt (marked failed, never sent twice); 1 commits each mail.
DOWNLINE_MAIL_SEND_WINDOW = int(os.environ.get("DOWNLINE_MAIL_SEND_WINDOW", "20"))
# Webhooks go to public internet addresses only (``core.outbound``); 1 lets them reach
# the company's own network too (receivers on private addresses, the tests' 127.0.0.1).
WEBHOOK_PRIVATE_DESTINATIONS = os.environ.get("DOWNLINE_WEBHOOK_PRIVATE_DESTINATIONS", "") == "1"
# Support: the country whose holidays close the help desk, and its inbound mail.
DOWNLINE_SUPPORT_COUNTRY = os.environ.get("DOWNLINE_SUPPORT_COUNTRY", "DE")
DOWNLINE_SUPPORT_EMAIL = os.environ.get("DOWNLINE_SUPPORT_EMAIL", "")  # default: DEFAULT_FROM_EMAIL
DOWNLINE_SUPPORT_SMTP_BIND = os.environ.get("DOWNLINE_SUPPORT_SMTP_BIND", "127.0.0.1:2525")
DOWNLINE_CONTACT_RETENTION_DAYS = int(os.environ.get("DOWNLINE_CONTACT_RETENTION_DAYS", "730"))
# The assistant's optional local language model (a GGUF file; llama-cpp-python must be installed).
DOWNLINE_ASSISTANT_GGUF = os.environ.get("DOWNLINE_ASSISTANT_GGUF", "")
