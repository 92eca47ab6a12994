"""Settings for the gazetteer archive, read from environment variables.

The embedded default needs no server: SQLite and the Whoosh index live in one data
dir. With DJANGO_DEBUG unset the site runs in production mode, so a missing secret
key is an error rather than a silently shared development key.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envlist(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", "False")

DATA_DIR = Path(os.environ.get("GAZETTEER_DATA_DIR", BASE_DIR / "var")).resolve()
CORPUS_DIR = Path(os.environ.get("GAZETTEER_CORPUS_DIR", BASE_DIR / "corpus")).resolve()


def _secret_key():
    key = os.environ.get("DJANGO_SECRET_KEY", "")
    if key:
        return key
    # The serve script keeps a generated key here, so the embedded default works
    # without anyone choosing a secret, and a restart keeps sessions valid.
    kept = DATA_DIR / "secret_key"
    if kept.exists():
        return kept.read_text().strip()
    if DEBUG:
        return "development-only-insecure-key"
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is not set and {kept} does not exist. Set DJANGO_SECRET_KEY, "
        "or DJANGO_DEBUG=true for development."
    )


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "haystack",
    "gazetteer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gazetteer.urls"
WSGI_APPLICATION = "gazetteer.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{DATA_DIR / 'gazetteer.sqlite3'}",
        conn_max_age=600,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Readers and the loader share the file: wait for a writer instead of failing
    # at once, and let readers go on while it writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 5,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", DATA_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "gazetteer.search.backend.ArchiveWhooshEngine",
        "PATH": str(Path(os.environ.get("GAZETTEER_INDEX_DIR", DATA_DIR / "whoosh_index"))),
    },
}

# Saves and deletes queue index updates for the single indexer (gazetteer/search/indexing.py).
HAYSTACK_SIGNAL_PROCESSOR = "gazetteer.search.indexing.QueueSignalProcessor"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
