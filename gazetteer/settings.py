"""Settings for the gazetteer archive, read from environment variables.

The embedded default needs no server: SQLite and the Whoosh index live in one data
dir. With DJANGO_DEBUG unset the site runs in production mode, so a missing secret
key is an error rather than a silently shared development key.
"""

import datetime
import os
import secrets
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
# SQLite cannot create the folder its file is in: make the data dir on first use,
# readable by this account only (it holds password hashes and session keys).
try:
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
except OSError:  # a read-only location; the database error will name it
    pass
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
    if os.environ.get("GAZETTEER_OFFLINE_COMMAND"):
        # A command that serves no page (manage.py says which): a key of its own that
        # nothing outlives this process.
        return secrets.token_urlsafe(50)
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is not set and {kept} does not exist. Set DJANGO_SECRET_KEY, "
        "or DJANGO_DEBUG=true for development."
    )


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")

# Served over HTTPS (directly or through a proxy): redirect plain HTTP, send cookies
# only over TLS and tell browsers to use nothing else for a year (HSTS). Off by
# default because the embedded default serves plain HTTP on 127.0.0.1.
HTTPS = envbool("DJANGO_HTTPS", "False")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", "True")
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", "True")
# A load balancer probes over plain HTTP, often by IP address (see gazetteer/health.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if envbool("DJANGO_BEHIND_PROXY", "False"):
    # Only behind a proxy that sets this header itself; otherwise a client could
    # claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600  # an editor's working day, not the default two weeks
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Before haystack: its rebuild_index command is replaced by the archive's one-commit rebuild.
    "gazetteer",
    "haystack",
    "simple_history",
    "axes",
]

MIDDLEWARE = [
    # First: answers /healthz before the host check and the HTTPS redirect.
    "gazetteer.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gazetteer.middleware.SecurityHeadersMiddleware",
    "gazetteer.middleware.DatabaseUnavailableMiddleware",
    # Before the CSRF check: a write to the read-only site is a 405, not a 403.
    "gazetteer.methods.MethodMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a locked-out sign-in into the lockout page (gazetteer/signin.py).
    "axes.middleware.AxesMiddleware",
]

# Admin sign-in (django-axes): after 5 failures for one user name or from one client
# address, refuse every sign-in there for 15 minutes, even with the right password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Tries during a lockout do not prolong it: an attacker cannot keep an editor out for good.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "gazetteer.signin.client_address"
AXES_LOCKOUT_CALLABLE = "gazetteer.signin.locked_out"
AXES_VERBOSE = False
# Reverse proxies whose X-Forwarded-For names the client (addresses or networks).
GAZETTEER_TRUSTED_PROXIES = envlist("GAZETTEER_TRUSTED_PROXIES", "127.0.0.1,::1")

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
        conn_health_checks=True,
    )
}
# How long a request waits for a lock another transaction holds before it gives up
# (and the site answers 503, gazetteer/middleware.py) instead of hanging.
DB_LOCK_TIMEOUT = int(os.environ.get("GAZETTEER_DB_LOCK_TIMEOUT", "5"))
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"connect_timeout": 5, "options": f"-c lock_timeout={DB_LOCK_TIMEOUT * 1000}"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates its file (and the -wal and -shm files with the same mode) world-
    # readable under the usual umask: create it first, readable by this account only.
    _database = Path(DATABASES["default"]["NAME"])
    try:
        os.close(os.open(_database, os.O_CREAT | os.O_WRONLY, 0o600))
        if _database.stat().st_mode & 0o077:
            _database.chmod(0o600)
    except OSError:  # not ours, or a read-only place: the database error will name it
        pass
    # Readers and the loader share the file: wait for a writer instead of failing
    # at once, and let readers go on while it writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": DB_LOCK_TIMEOUT,
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
# /healthz reports "degraded" once a queued change has waited this long (gazetteer/health.py).
GAZETTEER_INDEX_QUEUE_STALE_SECONDS = int(os.environ.get("GAZETTEER_INDEX_QUEUE_STALE_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_client_errors": {"()": "gazetteer.logs.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_client_errors"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
