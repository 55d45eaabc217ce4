"""Settings for the job-marketplace back-office.

Everything that differs between a laptop, CI and production comes from the environment. The defaults run
on a laptop with no server at all: SQLite in ``var/`` and a Celery broker on a SQLite file (kombu's
SQLAlchemy transport). Production points ``DATABASE_URL`` at PostgreSQL and ``CELERY_BROKER_URL`` /
``REDIS_URL`` at Redis.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is convenient for a developer; it never overrides a variable that is already set.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("BACKOFFICE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)

# Without DEBUG a real key is mandatory: a guessable key lets anyone forge sessions of staff accounts.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-only-for-a-laptop-never-for-production")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The admin theme must come before django.contrib.admin so its templates win.
    "admin_interface",
    "colorfield",
    "backoffice.admin_site.BackofficeAdminConfig",  # django.contrib.admin with the back-office site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "graphene_django",
    "django_celery_beat",
    "django_celery_results",
    "backoffice",
    "jobs",
    "moderation",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "backoffice.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"
ASGI_APPLICATION = "backoffice.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
# SQLite by default (laptop); PostgreSQL in production and in the test suite through DATABASE_URL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'backoffice.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat read while one of them writes; the timeout makes a
    # writer wait for the lock instead of failing at once with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ---------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ko")
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Compressed, content-hashed files in production; plain storage with DEBUG so runserver needs no
        # collectstatic step.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Security -------------------------------------------------------------------------------------------
# django-admin-interface opens related objects in modals (iframes) from the same origin.
X_FRAME_OPTIONS = "SAMEORIGIN"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # Production runs behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a one-way commitment for the whole domain; the internal back-office does not make
    # it on its own. Explained in the README.
    "security.W021",
    # X_FRAME_OPTIONS is SAMEORIGIN, not DENY: django-admin-interface shows related objects in same-origin
    # modals (iframes). Other origins still cannot frame the admin. Explained in the README.
    "security.W019",
    # Covering indexes (Index.include) are a PostgreSQL feature; on the SQLite laptop default the index is
    # created without the included columns, which only matters at production sizes.
    "models.W040",
]

# --- Caches (claims, locks and rate counters use the cache when Redis is configured) ---------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------------------
# Server-less default: kombu's SQLAlchemy transport on a SQLite file. Production and tests: Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_CACHE_BACKEND = "django-cache"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers a task that is not acked within the visibility timeout; every countdown and retry
# delay stays well below it (an hour), or the task would run again in a loop.
# (Redis only: kombu's SQLAlchemy transport hands its options to create_engine, which rejects this one.)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60} if CELERY_BROKER_URL.startswith("redis") else {}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Queues by kind of work (backoffice.automation.Queue), so a burst of one kind cannot starve the others:
# `celery worker -Q default,screening,maintenance` (one worker for all, the demo) or one worker per queue.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "moderation.screen_pending": {"queue": "screening"},
    "moderation.recheck_wages": {"queue": "screening"},
    "jobs.*": {"queue": "maintenance"},
    "moderation.*": {"queue": "maintenance"},
    "reports.*": {"queue": "maintenance"},
    "backoffice.relay_outbox": {"queue": "maintenance"},
    "backoffice.expire_parked_events": {"queue": "maintenance"},
    "backoffice.run_background_job": {"queue": "default"},
}
CELERY_WORKER_QUEUES = ("default", "screening", "maintenance")
# acks_late tasks: a worker takes one message at a time, so a long task does not sit on others it prefetched.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- E-mail ---------------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="backoffice@localhost")
# Where staff reach the back-office: links in e-mails (notifications, digests) start with it.
BACKOFFICE_BASE_URL = env.str("BACKOFFICE_BASE_URL", default="http://127.0.0.1:8000")

# --- Admin theme ----------------------------------------------------------------------------------------
# The theme's language chooser is off: LocaleMiddleware picks the language from the browser.

# --- Logging --------------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Product settings -----------------------------------------------------------------------------------
# How many rows the admin counts exactly before it says "more than N" (a full COUNT(*) on a large table
# costs seconds on every page view).
ADMIN_COUNT_LIMIT = env.int("ADMIN_COUNT_LIMIT", default=10_000)
# Retention: a seeker's personal data (name, phone, birth year, application messages) is anonymised this many
# days after their last activity (jobs.automation, daily). Rows and counts stay, so reports are unchanged.
RETENTION_SEEKER_DAYS = env.int("RETENTION_SEEKER_DAYS", default=365)

# --- Moderation -----------------------------------------------------------------------------------------
# Tunables of the review queue. Scores are documented in moderation/policies.py.
MODERATION = {
    # Hours from opening to due, per priority band.
    "SLA_HOURS": {"urgent": 1, "high": 4, "medium": 24, "low": 72},
    # Lowest score of each band (below "medium" is low).
    "BAND_THRESHOLDS": {"urgent": 80, "high": 50, "medium": 25},
    # A posting is hidden at once (decided by `system`) when its case's score reaches this; a person then
    # confirms or restores it.
    "AUTO_HIDE_SCORE": env.int("MODERATION_AUTO_HIDE_SCORE", default=90),
    "CLAIM_MINUTES": env.int("MODERATION_CLAIM_MINUTES", default=15),
    "UNDO_MINUTES": env.int("MODERATION_UNDO_MINUTES", default=10),
    # Share of approvals sent to a second moderator (four-eyes sampling).
    "SECOND_REVIEW_SHARE": env.float("MODERATION_SECOND_REVIEW_SHARE", default=0.1),
}

# --- Events ---------------------------------------------------------------------------------------------
# EVENTS.md: at most 500 events of at most 64 KiB per HTTP request; larger bodies get 413.
EVENTS_HTTP_MAX_BODY = env.int("EVENTS_HTTP_MAX_BODY", default=8 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(EVENTS_HTTP_MAX_BODY + 1024, 2_621_440)
# How long an event whose entity is unknown waits (parked) before it is dead-lettered.
EVENTS_PARK_SECONDS = env.int("EVENTS_PARK_SECONDS", default=3600)
EVENTS_STREAM = env.str("EVENTS_STREAM", default="marketplace.events")
EVENTS_DEAD_STREAM = env.str("EVENTS_DEAD_STREAM", default="marketplace.events.dead")
EVENTS_GROUP = env.str("EVENTS_GROUP", default="backoffice")
OUTBOX_STREAM = env.str("OUTBOX_STREAM", default="backoffice.events")
# The relay publishes outbox rows once they are this old, so rows of transactions that commit out of id order
# are published in commit order (backoffice/events/relay.py).
OUTBOX_RELAY_LAG_MS = env.int("OUTBOX_RELAY_LAG_MS", default=1000)

# Reports: the first incremental rollup (no watermark yet) computes this many days back; later runs start a
# little before the last watermark (the overlap covers transactions that committed just after it).
REPORTS_BACKFILL_DAYS = env.int("REPORTS_BACKFILL_DAYS", default=90)
REPORTS_ROLLUP_OVERLAP_SECONDS = env.int("REPORTS_ROLLUP_OVERLAP_SECONDS", default=600)
# Context managers around each ingestion batch (consumer and POST /events/), by dotted path: moderation's
# collects the postings a batch creates or updates and screens them as one batch after the commit.
EVENTS_BATCH_CONTEXTS = env.list("EVENTS_BATCH_CONTEXTS", default=["moderation.screening.screening_deferred"])

# --- GraphQL (/graphql/) ---------------------------------------------------------------------------------
GRAPHENE = {
    "SCHEMA": "backoffice.graphql.schema.schema",
    "ATOMIC_MUTATIONS": True,
    # Scopes are checked once per request before execution (backoffice/graphql/limits.py), not per field.
    "MIDDLEWARE": [],
}
GRAPHQL_QUERY_MIXINS = ["jobs.schema.Query", "moderation.schema.Query", "reports.schema.ReportsQueries"]
GRAPHQL_MUTATION_MIXINS = ["moderation.schema.Mutation"]
# Refused before any resolver runs (backoffice/graphql/limits.py).
GRAPHQL_MAX_PAGE_SIZE = 100
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=10)
GRAPHQL_MAX_COST = env.int("GRAPHQL_MAX_COST", default=10_000)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=15)
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", default=5_000)
