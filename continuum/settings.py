"""Continuum settings: one file, driven by environment variables (see docs/configuration.md)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import dj_database_url

from continuum.lib.env import ConfigError, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent


def _private_sqlite_file(path: Path) -> None:
    """Create an empty database file with mode 0600 unless it exists (an empty file is a valid,
    empty SQLite database); sqlite3 would create it with the process umask, usually 0644."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another process created it first
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


VAR_DIR = Path(env_str("CONTINUUM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Under pytest static files are served from the source folders (no collectstatic needed).
TESTING = "pytest" in sys.modules
# The fallback key exists so `make demo` and tests need no configuration. It is public: with
# DEBUG off the app refuses to start on it (end of this file) unless the machine says it is a
# development or demo one (CONTINUUM_INSECURE_DEV=1, set by `make demo` and the tests).
FALLBACK_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production-0123456789"  # noqa: S105 (public on purpose, refused below)
SECRET_KEY = env_str("SECRET_KEY", FALLBACK_SECRET_KEY)
INSECURE_DEV = env_bool("CONTINUUM_INSECURE_DEV", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "continuum.accounts",
    "continuum.audit",
    "continuum.care",
    "continuum.measures",
    "continuum.reflections",
    "continuum.plans",
    "continuum.portal",
    "continuum.continuity",
    "continuum.endings",
    "continuum.boundaries",
    "continuum.notify",
    "continuum.followup",
    "continuum.wellbeing",
    "continuum.outcomes",
    "continuum.practice",
    "continuum.exchange",
    "continuum.ops",
    "continuum.api",
    "continuum.fhir",
    "continuum.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "continuum.accounts.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every answer to a logged-in person: Cache-Control no-store (promise 25).
    "continuum.accounts.headers.NoStoreMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "continuum.accounts.session_limits.SessionLimitsMiddleware",
    # Staff without an enrolled second factor reach only the enrolment pages (promise 7).
    "continuum.accounts.mfa.RequireSecondFactorMiddleware",
    # Who is acting (accounts/http.py actor_of); a read through a break-glass grant (GET/HEAD
    # only) is always audited.
    "continuum.accounts.middleware.ActorMiddleware",
    # A 404 on another's object: one "access.refused" row per person and minute (promise 26).
    "continuum.accounts.middleware.RefusalAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "continuum.accounts.middleware.UserTimeZoneMiddleware",
    # Innermost: a full disk or I/O error answers a calm 503 (the other middleware still runs).
    "continuum.accounts.db_errors.StorageFailureMiddleware",
]

ROOT_URLCONF = "continuum.urls"
WSGI_APPLICATION = "continuum.wsgi.application"

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
                "continuum.accounts.context_processors.membership",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite (WAL, synchronous=FULL, BEGIN IMMEDIATE) by default; PostgreSQL when DATABASE_URL is set.
# Connections are kept between requests (seconds; 0 opens one per request). For SQLite too:
# a new connection costs about 1 ms of CPU (the PRAGMAs, Django's SQL functions, reading the
# schema), as much as the rest of the cheapest page (docs/performance.md).
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60)
_database_url = env_str("DATABASE_URL", "")
SQLITE_PATH = env_str("SQLITE_PATH", str(VAR_DIR / "continuum.sqlite3"))
# How long (seconds) a writer waits for SQLite's write lock before "database is locked".
SQLITE_LOCK_WAIT = env_int("SQLITE_LOCK_WAIT", 20)
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=DB_CONN_MAX_AGE)}
else:
    DATABASES = {
        "default": {
            # Django's backend, with writers that take the lock in turn (continuum.sqlite).
            "ENGINE": "continuum.sqlite",
            "NAME": SQLITE_PATH,
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
            # Said outright (it is Django's default for SQLite): pytest-django recognises an
            # SQLite database by Django's ENGINE name, and would otherwise give each xdist
            # worker a file named after NAME.
            "TEST": {"NAME": ":memory:"},
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers
                # queue on busy_timeout instead of failing with "database is locked" on upgrade.
                "transaction_mode": "IMMEDIATE",
                # sqlite3.connect's timeout: SQLite's busy timeout, and our backend's lock wait.
                "timeout": SQLITE_LOCK_WAIT,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# One-time "set your password" links (invitations, new owners) stay valid this long.
PASSWORD_RESET_TIMEOUT = env_int("SET_PASSWORD_LINK_HOURS", 72) * 3600
# A link confirming a new login address (issue 18) works this long.
EMAIL_CHANGE_LINK_HOURS = env_int("EMAIL_CHANGE_LINK_HOURS", 24)

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "continuum.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
}

# Second factor (SECURITY.md promise 7): TOTP with recovery codes, required for every member
# of a practice before any other page (continuum/accounts/mfa.py). Passkeys (WebAuthn, issue
# 18) are offered beside it as another second factor: allauth's WebAuthn JavaScript is served
# from our own static files (same origin) and reads its options from JSON data blocks, so the
# CSP needs no 'unsafe-inline'. A passkey replaces the code at login, not the password:
# passwordless passkey login stays off (docs/security.md, "Passkeys", says why). The relying
# party is the host the page was served from; browsers and fido2 accept http://localhost as
# secure, so no insecure-origin switch is set anywhere.
MFA_ADAPTER = "continuum.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_PASSKEY_SIGNUP_ENABLED = False
# The same forms, with the lockout after too many wrong codes audited (promise 26).
MFA_FORMS = {
    "authenticate": "continuum.accounts.mfa_forms.AuditedAuthenticateForm",
    "reauthenticate": "continuum.accounts.mfa_forms.AuditedReauthenticateForm",
    # Passkeys: the same audit, and a malformed WebAuthn answer refused rather than a 500.
    "authenticate_webauthn": "continuum.accounts.mfa_forms.AuditedAuthenticateWebAuthnForm",
    "reauthenticate_webauthn": "continuum.accounts.mfa_forms.AuditedReauthenticateWebAuthnForm",
    "add_webauthn": "continuum.accounts.mfa_forms.CheckedAddWebAuthnForm",
}
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Continuum")
MFA_RECOVERY_CODE_COUNT = 10
# Nobody signs up: members and clients get their login from an emailed set-password link, so
# the address is proven even though allauth's verification step is off.
MFA_ALLOW_UNVERIFIED_EMAIL = True

# Break-glass (promise 5): an owner's emergency read access to one client lasts at most this.
BREAK_GLASS_MAX_HOURS = env_int("BREAK_GLASS_MAX_HOURS", 4)

# Sessions are rows in the database, so a person's sessions can be ended from the server side
# (continuum/accounts/session_limits.py `end_sessions`); a cookie-only engine could not.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
# Both on with HSTS unless the practice decides otherwise (e.g. other hosts under the same
# domain still without TLS, or no wish to be on the browsers' preload list); turning one off
# silences check --deploy's warning about it, since it is then a decision.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SILENCED_SYSTEM_CHECKS = [
    *(["security.W005"] if SECURE_HSTS_SECONDS and not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
    *(["security.W021"] if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD else []),
]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind a proxy every request comes from the proxy's address, so per-IP login limits would be
# shared by everyone and the audit log would record the proxy. Name the header the proxy sets
# (and overwrites) with the client's address, e.g. X-Real-IP (deploy/nginx/continuum.conf);
# never set it when clients can reach gunicorn directly. Empty: the socket's address.
TRUSTED_CLIENT_IP_HEADER = env_str("TRUSTED_CLIENT_IP_HEADER", "")
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER or None

# Nothing is loaded from another host and no inline script or style runs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic puts the files whitenoise serves (a container keeps them in its image).
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not (DEBUG or TESTING))
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG or TESTING)
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# --- Time and language ----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Continuum <no-reply@localhost>")
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Caches -----------------------------------------------------------------------------------
# "default" is shared by every gunicorn worker and app server (it lives in the database), so
# login rate limits and the memory of used one-time codes hold across processes.
# "local" is per process, for things that are cheap to rebuild (chart SVGs keyed by their data).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "continuum_cache",
    },
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# --- Background work ------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Logging: structural events only, never names, free text or session ids ------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Tokens in link paths (questionnaires, calendar feeds) never reach a log line; nor does a
    # query string or a one-time account link's token (promise 24, continuum/lib/logredact.py).
    "filters": {"redact": {"()": "continuum.lib.logredact.RedactingFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs full request paths and bodies on errors; keep its request logger terse.
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        # runserver's request lines, through the redacting handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Encryption at rest (reflections, check-in and message text) ----------------------------
# Fernet keys, newest first. Unset: a key file in var/ is created for development and the demo.
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS", [])
ENCRYPTION_KEY_FILE = env_str("ENCRYPTION_KEY_FILE", str(VAR_DIR / "encryption.keys"))
if TESTING and not ENCRYPTION_KEYS:
    # A fixed key for tests only (a test checks the raw database never holds plaintext).
    ENCRYPTION_KEYS = ["VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE="]

# --- Sessions and hardening -----------------------------------------------------------------
# Staff sessions end after SESSION_IDLE_SECONDS without a request, and every session
# SESSION_ABSOLUTE_SECONDS after login (continuum/accounts/session_limits.py). Client-portal
# users may stay idle longer: they read and write between sessions, at their own pace.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 15 * 60)
PORTAL_SESSION_IDLE_SECONDS = env_int("PORTAL_SESSION_IDLE_SECONDS", 60 * 60)
SESSION_ABSOLUTE_SECONDS = SESSION_COOKIE_AGE
# Browser features no page of Continuum uses (continuum/accounts/headers.py).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Each process links new audit rows into the hash chain at most this often right after a
# commit; `manage.py audit_seal` on a timer catches up the rest (docs/operations.md).
AUDIT_SEAL_INTERVAL_MS = env_int("AUDIT_SEAL_INTERVAL_MS", 100)
# Every seal writes the chain head ("SEQ:HASH") here, outside the database; audit_verify reads
# it, so a cut-off tail is detected (docs/operations.md). Empty turns it off (tests default).
AUDIT_ANCHOR_FILE = env_str("AUDIT_ANCHOR_FILE", "" if TESTING else str(VAR_DIR / "audit.anchor"))

# --- Therapist wellbeing (issue 6) -----------------------------------------------------------
# Defaults for each therapist's own thresholds (they change them on /me/load/settings/).
WELLBEING_WEEKLY_HOURS_LIMIT = env_int("WELLBEING_WEEKLY_HOURS_LIMIT", 25)
WELLBEING_WEIGHT_THRESHOLD = 3.5  # average session weight (1 light to 5 very heavy)
WELLBEING_WEEKS_RUNNING = env_int("WELLBEING_WEEKS_RUNNING", 2)
WELLBEING_HEAVY_SESSIONS_PER_WEEK = env_int("WELLBEING_HEAVY_SESSIONS_PER_WEEK", 3)
# How many weeks the load page shows, how long "Snooze" hides a prompt, and how many
# therapists must opt in before the owner sees any practice-wide aggregate.
WELLBEING_WEEKS_SHOWN = env_int("WELLBEING_WEEKS_SHOWN", 12)
WELLBEING_SNOOZE_DAYS = env_int("WELLBEING_SNOOZE_DAYS", 7)
WELLBEING_AGGREGATE_FLOOR = env_int("WELLBEING_AGGREGATE_FLOOR", 5)

# --- Reminders, email and follow-up after therapy (issue 5) ----------------------------------
# `manage.py run_scheduler --loop` (or cron running `--once` every minute) runs every periodic
# job the apps register; its reminders job records what is due and queues one task per
# reminder; `manage.py db_worker` sends them (docs/operations.md).
NOTIFY_APPOINTMENT_HOURS = env_int("NOTIFY_APPOINTMENT_HOURS", 24)
# Day-level client reminders (check-ins, questionnaires, follow-ups) go out from this local hour.
NOTIFY_DAY_REMINDER_HOUR = env_int("NOTIFY_DAY_REMINDER_HOUR", 9)
# "You have a new message" goes out for therapists' portal messages of the last N days.
NOTIFY_MESSAGE_DAYS = env_int("NOTIFY_MESSAGE_DAYS", 7)
# "You have items on your day" for therapists, once a day from this local hour.
NOTIFY_THERAPIST_DAY_EMAILS = env_bool("NOTIFY_THERAPIST_DAY_EMAILS", True)
# An audit detail that is not structural (a clinical value, free text) is a programming error:
# refused where it can be fixed (development, tests); elsewhere removed from the row and logged
# by its key only (continuum/audit/log.py).
AUDIT_DETAIL_STRICT = env_bool("AUDIT_DETAIL_STRICT", DEBUG or TESTING)
NOTIFY_THERAPIST_DAY_HOUR = env_int("NOTIFY_THERAPIST_DAY_HOUR", 7)
# The wellbeing app's weekly digests, sent by the scheduler once per ISO week.
NOTIFY_WELLBEING_DIGESTS = env_bool("NOTIFY_WELLBEING_DIGESTS", True)
# A queued reminder still pending after this long is queued again (its task was lost); after
# NOTIFY_MAX_ATTEMPTS it is given up. A claimed one unconfirmed after NOTIFY_LOST_AFTER_SECONDS
# is marked lost and never sent again (at most once; see continuum/notify/delivery.py).
NOTIFY_RETRY_AFTER_SECONDS = env_int("NOTIFY_RETRY_AFTER_SECONDS", 600)
NOTIFY_LOST_AFTER_SECONDS = env_int("NOTIFY_LOST_AFTER_SECONDS", 900)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5)
NOTIFY_BATCH = env_int("NOTIFY_BATCH", 500)
# Follow-up after therapy: the default schedule (months after the end date), the short
# questionnaire, and how long the consented period runs past the last check-in by default.
FOLLOWUP_DEFAULT_MONTHS = [1, 3, 6, 12]
FOLLOWUP_INSTRUMENTS = ["phq9", "gad7"]
FOLLOWUP_GRACE_DAYS = env_int("FOLLOWUP_GRACE_DAYS", 30)

# --- Endings (issue 5) ------------------------------------------------------------------------
# A client with an active episode and, for this many days, no attended session and no portal
# activity (check-ins, messages) appears on the therapist's day for an unplanned ending.
UNPLANNED_ENDING_DAYS = env_int("UNPLANNED_ENDING_DAYS", 42)

# --- Continuum ------------------------------------------------------------------------------
CASELOAD_PAGE_SIZE = env_int("CASELOAD_PAGE_SIZE", 50)
TIMELINE_PAGE_SIZE = env_int("TIMELINE_PAGE_SIZE", 25)
ALERTS_PAGE_SIZE = env_int("ALERTS_PAGE_SIZE", 50)
# The day shows this many clients on its list, the most urgent first, then a "show all" link;
# every client with a safety reason (tiers 1 and 2) is shown whatever the number (issue 13).
DAY_LIST_LIMIT = env_int("DAY_LIST_LIMIT", 25)
# A not-on-track, deterioration or overdue alert with no new evidence (a newer score that still
# meets it, or the therapist keeping it) for this many days is shown as stale, with a "still
# relevant? keep / close" choice (docs/clinical.md). Default 8 weeks.
CONTINUUM_ALERT_STALE_AFTER_DAYS = env_int("CONTINUUM_ALERT_STALE_AFTER_DAYS", 56)
# A client with an active episode is "drifting" after this many days without an attended
# session and with nothing booked.
DRIFT_DAYS = env_int("DRIFT_DAYS", 21)
# An active intervention of a current treatment plan is due for review after this many days
# without one (counted from its start date or its last review).
PLAN_REVIEW_DAYS = env_int("PLAN_REVIEW_DAYS", 28)
# Requests per minute per API token (counted in the shared database cache).
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120)
# How long a one-time questionnaire link works.
MEASURE_LINK_DAYS = env_int("MEASURE_LINK_DAYS", 7)
# A client's request for their own record is released automatically after this many days if
# their therapist has not released it (HIPAA allows 30; GDPR asks for one month).
RECORD_RELEASE_DAYS = env_int("RECORD_RELEASE_DAYS", 30)
# FHIR bulk export files ($export) are deleted this many hours after the kick-off.
CONTINUUM_BULK_EXPORT_TTL_HOURS = env_int("CONTINUUM_BULK_EXPORT_TTL_HOURS", 24)
# A running export whose worker showed no sign of life for this many minutes is marked failed
# (its worker died): its status URL then says to start it again.
CONTINUUM_BULK_EXPORT_STALLED_MINUTES = env_int("CONTINUUM_BULK_EXPORT_STALLED_MINUTES", 10)

if not SECRET_KEY:
    raise ConfigError("SECRET_KEY must not be empty")

# --- Safe to deploy (SECURITY.md promise 28) ---------------------------------------------------
# mypy's Django plugin reads these settings too, without any environment: it runs nothing.
if not DEBUG and not TESTING and not INSECURE_DEV and "mypy" not in sys.modules:
    if SECRET_KEY == FALLBACK_SECRET_KEY:
        raise ConfigError(
            "SECRET_KEY (or SECRET_KEY_FILE) is not set and DEBUG is off: refusing to start on "
            "the public development key. Set a long random SECRET_KEY (docs/deployment.md), or "
            "CONTINUUM_INSECURE_DEV=1 on a development or demo machine."
        )
    if not ENCRYPTION_KEYS:
        raise ConfigError(
            "ENCRYPTION_KEYS (or ENCRYPTION_KEYS_FILE) is not set and DEBUG is off: refusing to "
            "start, since each app server would make a key file of its own. Set the practice's "
            "keys (docs/deployment.md), or CONTINUUM_INSECURE_DEV=1 on a development machine."
        )

# The SQLite file holds every record: create it readable by its owner only (as backups are).
# SQLite gives its -wal and -shm files the same permissions.
if not _database_url and not TESTING and SQLITE_PATH != ":memory:" and "mypy" not in sys.modules:
    _private_sqlite_file(Path(SQLITE_PATH))
