"""Settings shared by every deployment.

The database is SQLite under ``./var/`` (WAL mode) unless ``DATABASE_URL`` is set, in which case
that database (PostgreSQL in production) is used. Company-wide rules (time zone, currency, period
length, shape of the placement tree) come from ``DOWNLINE_*`` environment variables.
"""

import os
from pathlib import Path

import dj_database_url
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
    "django_tasks_db",
    "downline.core",
    "downline.accounts",
    "downline.periods",
    "downline.genealogy",
    "downline.orders",
    "downline.exchange",
    "downline.demo",
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

LOGIN_URL = "admin:login"

# Company rules. The time zone decides which period an order belongs to; the placement shape
# decides placement capacity ("binary": L/R; "matrix": slots 1..DOWNLINE_MATRIX_WIDTH;
# "unilevel": no limit).
DOWNLINE_COMPANY_NAME = os.environ.get("DOWNLINE_COMPANY_NAME", "Downline Demo Company")
DOWNLINE_TIME_ZONE = os.environ.get("DOWNLINE_TIME_ZONE", "Europe/Berlin")
DOWNLINE_CURRENCY = os.environ.get("DOWNLINE_CURRENCY", "EUR")
DOWNLINE_PERIOD_KIND = os.environ.get("DOWNLINE_PERIOD_KIND", "monthly")
DOWNLINE_PLACEMENT = os.environ.get("DOWNLINE_PLACEMENT", "binary")
DOWNLINE_MATRIX_WIDTH = int(os.environ.get("DOWNLINE_MATRIX_WIDTH", "3"))
