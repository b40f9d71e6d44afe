"""Configuration classes: every value comes from the environment, with safe development defaults."""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


class Config:
    """Production settings: no secret has a default, so a missing one stops the app at start-up."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Always a list: a string here made Flask accept cookies signed with its first character.
    SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'inclusive_access.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: a read replica of the PostgreSQL primary that the reports and exports read (docs/operations.md, "Where one
    #: machine is outgrown"); unset, they read the primary
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL")
    #: each process's PostgreSQL pool (primary and replica alike): connections kept open, and how many more may be
    #: opened at a busy moment. A sync gunicorn worker serves one request at a time on one connection, so the pool
    #: needs little more than one; the server must allow workers x (size + overflow) plus the command-line jobs.
    DB_POOL_SIZE = _int("DB_POOL_SIZE", 2)
    DB_MAX_OVERFLOW = _int("DB_MAX_OVERFLOW", 3)
    #: seconds after which a pooled connection is replaced (before a firewall or pooler drops it idle)
    DB_POOL_RECYCLE_SECONDS = _int("DB_POOL_RECYCLE_SECONDS", 1800)
    #: test each connection as it leaves the pool, so a restarted server or failed-over primary costs no request
    DB_POOL_PRE_PING = _flag("DB_POOL_PRE_PING", True)
    #: true behind PgBouncer (or another pooler) in transaction mode: no prepared statements (docs/operations.md)
    DB_TRANSACTION_POOLING = _flag("DB_TRANSACTION_POOLING", False)
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)

    SESSION_COOKIE_NAME = "ia_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = timedelta(0)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 12)

    #: HMAC key of the event chain (hex, 32 bytes or more) and its id, stored in each event; retired keys
    #: "id:hexkey,id:hexkey" keep their events verifying. Held outside the database, so it alone cannot forge events.
    AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY")
    AUDIT_CHAIN_KEY_ID = os.environ.get("AUDIT_CHAIN_KEY_ID", "1")
    AUDIT_CHAIN_OLD_KEYS = os.environ.get("AUDIT_CHAIN_OLD_KEYS", "")
    #: the log verification page warns when no checkpoint has been taken for this long
    AUDIT_CHECKPOINT_MAX_AGE_DAYS = _int("AUDIT_CHECKPOINT_MAX_AGE_DAYS", 7)

    #: HMAC key (hex, 32 bytes or more) signing the FHIR API's access tokens, and how long a token lasts. A new key
    #: only makes clients fetch a new token, so it may be rotated at any time.
    FHIR_TOKEN_KEY = os.environ.get("FHIR_TOKEN_KEY")
    FHIR_TOKEN_MINUTES = _int("FHIR_TOKEN_MINUTES", 5)
    #: where bulk export files are written (the worker and every web worker must see it; default: instance/
    #: fhir-exports), and how long a finished export's files are kept for its client to fetch
    FHIR_EXPORT_DIR = os.environ.get("FHIR_EXPORT_DIR")
    FHIR_EXPORT_HOURS = _int("FHIR_EXPORT_HOURS", 24)
    #: an internal location of the proxy that serves FHIR_EXPORT_DIR (nginx's X-Accel-Redirect); unset, the app
    #: streams the files itself (docs/operations.md: large files and gunicorn's timeout)
    FHIR_EXPORT_ACCEL_REDIRECT = os.environ.get("FHIR_EXPORT_ACCEL_REDIRECT")
    #: where read-only requests spool the writes they leave for after their page (views logged, session touches):
    #: a local folder every web worker on the machine shares, kept across restarts (default: instance/write-spool)
    WRITE_SPOOL_DIR = os.environ.get("WRITE_SPOOL_DIR")

    #: failures in a row for one account at one source address before that pair is locked; each further lock in a
    #: row lasts twice as long, up to the maximum (a stranger elsewhere never locks the user out)
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_MINUTES = _int("LOGIN_LOCKOUT_MINUTES", 15)
    LOGIN_LOCKOUT_MAX_MINUTES = _int("LOGIN_LOCKOUT_MAX_MINUTES", 240)
    #: failed sign-ins allowed per source address, and per account name from addresses it has not signed in from,
    #: in each window; beyond them 429 with Retry-After, before any password is hashed
    LOGIN_SOURCE_LIMIT = _int("LOGIN_SOURCE_LIMIT", 20)
    LOGIN_SOURCE_WINDOW_MINUTES = _int("LOGIN_SOURCE_WINDOW_MINUTES", 5)
    LOGIN_ACCOUNT_LIMIT = _int("LOGIN_ACCOUNT_LIMIT", 10)
    LOGIN_ACCOUNT_WINDOW_MINUTES = _int("LOGIN_ACCOUNT_WINDOW_MINUTES", 15)

    #: sign-in with a username and password; false switches it off for everyone (the form goes, a posted one is
    #: refused), managers included, so staff sign in only through the OpenID Connect provider below
    LOCAL_PASSWORDS_ENABLED = _flag("LOCAL_PASSWORDS_ENABLED", True)
    #: single sign-on through an OpenID Connect provider (NHS CIS2 in production; docs/operations.md). Unset
    #: OIDC_ISSUER or OIDC_CLIENT_ID: no provider, no button, and its routes answer 404. The endpoints and keys come
    #: from the discovery document (default: the issuer's /.well-known/openid-configuration).
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER")
    OIDC_DISCOVERY_URL = os.environ.get("OIDC_DISCOVERY_URL")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET")
    #: how the client proves itself at the token endpoint: client_secret_basic or client_secret_post
    OIDC_TOKEN_AUTH_METHOD = os.environ.get("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic")
    #: CIS2 releases its role claims to the "nationalrbacaccess" scope
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid profile email nationalrbacaccess")
    #: asked of the provider at each sign-in when set (CIS2: the authentication assurance, e.g. "AAL3_ANY")
    OIDC_ACR_VALUES = os.environ.get("OIDC_ACR_VALUES", "")
    #: the exact addresses registered with the provider; unset, built from the request (needs PROXY_FIX_* behind a
    #: proxy): https://host/auth/oidc/callback and https://host/auth/login
    OIDC_REDIRECT_URI = os.environ.get("OIDC_REDIRECT_URI")
    OIDC_POST_LOGOUT_REDIRECT_URI = os.environ.get("OIDC_POST_LOGOUT_REDIRECT_URI")
    #: what events and messages call the provider, and the words on the sign-in button
    OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "NHS CIS2")
    OIDC_BUTTON_TEXT = os.environ.get("OIDC_BUTTON_TEXT", "Sign in with your NHS identity")
    #: the claim holding the person's roles at the provider (CIS2: its national RBAC roles), read from the ID token
    #: or, when not there, from the provider's userinfo endpoint
    OIDC_ROLE_CLAIM = os.environ.get("OIDC_ROLE_CLAIM", "nhsid_nrbac_roles")
    #: the provider's role codes -> our roles, as a JSON object, in order of preference (the first code the person
    #: holds decides). Empty by default: no one gets in until the service has decided who is who.
    OIDC_ROLE_MAP = os.environ.get("OIDC_ROLE_MAP", "{}")
    #: the claim a new account's username comes from (the subject when the provider sends none)
    OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "email")

    # Tie the CSRF token to the session, not to an hour: a page left open must still post.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 12 * 1024 * 1024  # so an oversized field gets a form error, not a 413
    #: rows each step of a web import receives in its own transaction, holding the write lock: 0.3-1 s on SQLite
    IMPORT_CHUNK_ROWS = _int("IMPORT_CHUNK_ROWS", 100)

    #: how many proxies in front set each X-Forwarded-* header (Werkzeug's ProxyFix); 0 trusts none of them.
    #: X-Forwarded-Proto makes requests through a TLS-terminating proxy secure, so HSTS is sent.
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _int("PROXY_FIX_X_PROTO", 0)
    PROXY_FIX_X_HOST = _int("PROXY_FIX_X_HOST", 0)
    PROXY_FIX_X_PORT = _int("PROXY_FIX_X_PORT", 0)
    PROXY_FIX_X_PREFIX = _int("PROXY_FIX_X_PREFIX", 0)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    # Reasonable field limits; a 10 MB paste is refused with a message, not stored.
    MAX_TEXT_LENGTH = 4000
    PAGE_SIZE = 50
    DEPRIVATION_FLAG_QUINTILES = (1,)
    #: DOMAIN.md equity KPI threshold (days of Q1 - Q5 median wait gap), and per-pathway overrides {"msk": 3}
    EQUITY_GAP_THRESHOLD_DAYS = 2.0
    EQUITY_GAP_THRESHOLD_DAYS_BY_PATHWAY: dict[str, float] = {}
    #: people with a first contact needed at each end for a month's gap to be judged (at least 8)
    EQUITY_GAP_MIN_N = 10
    #: days the service is closed besides weekends and England's bank holidays, "2027-01-04,2027-01-05"
    SERVICE_CLOSURES = [day for day in os.environ.get("SERVICE_CLOSURES", "").split(",") if day]
    SENIOR_REVIEW_HOURS = _int("SENIOR_REVIEW_HOURS", 48)
    #: the improvement KPI threshold (percentage points of quintile 5's share improved less quintile 1's), and
    #: per-pathway overrides {"msk": 15}
    IMPROVEMENT_GAP_THRESHOLD_POINTS = 10.0
    IMPROVEMENT_GAP_THRESHOLD_POINTS_BY_PATHWAY: dict[str, float] = {}
    #: people with a follow-up needed at each end for a month's improvement gap to be judged (at least 8)
    IMPROVEMENT_GAP_MIN_N = 20
    #: a directory of outcome instrument files (README, "Outcome instruments"); unset: the shipped ones
    INSTRUMENTS_DIR = os.environ.get("INSTRUMENTS_DIR")
    #: a questionnaire link sent to a patient works once, for this many days
    QUESTIONNAIRE_LINK_DAYS = _int("QUESTIONNAIRE_LINK_DAYS", 14)
    #: in each window: requests allowed on one link (a patient opens it, switches wording, corrects an answer), and
    #: refused link requests (forged, unknown, expired, used) from one address; beyond either, 429
    QUESTIONNAIRE_LINK_LIMIT = _int("QUESTIONNAIRE_LINK_LIMIT", 30)
    QUESTIONNAIRE_LINK_SOURCE_LIMIT = _int("QUESTIONNAIRE_LINK_SOURCE_LIMIT", 10)
    QUESTIONNAIRE_LINK_WINDOW_MINUTES = _int("QUESTIONNAIRE_LINK_WINDOW_MINUTES", 15)
    #: hours an outreach minimum record may wait, encrypted, on a clinician's device for a signal; older unsent
    #: records are wiped from the device (a phone left at a venue holds no one's record for long)
    OUTREACH_DEVICE_HOURS = _int("OUTREACH_DEVICE_HOURS", 12)
    #: GOV.UK Notify (docs/operations.md): the API key (unset: messages wait in the outbox, nothing is sent), the
    #: API's address, and the template id of each message and format as JSON,
    #: {"appointment_reminder": {"sms": "<id>", "letter_large_print": "<id>", ...}, ...}
    NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY")
    NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
    NOTIFY_TEMPLATES = os.environ.get("NOTIFY_TEMPLATES", "{}")
    #: days before an appointment its reminders are sent
    NOTIFY_REMINDER_DAYS = os.environ.get("NOTIFY_REMINDER_DAYS", "3,1")
    #: the bearer token Notify presents on its delivery-status callback (unset: the callback answers 404)
    NOTIFY_CALLBACK_TOKEN = os.environ.get("NOTIFY_CALLBACK_TOKEN")
    #: the telephone number messages give for rebooking or questions
    SERVICE_PHONE = os.environ.get("SERVICE_PHONE", "")
    DEMO_DATA = False


class DevelopmentConfig(Config):
    """`make run`: SQLite in instance/, cookies without Secure so plain http://127.0.0.1 works."""

    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = False
    DEMO_DATA = True


class TestConfig(Config):
    """pytest: the fixture supplies the database URL and a throw-away key."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-only-secret-key"  # noqa: S105 - tests only, never deployed
    AUDIT_CHAIN_KEY = "7e57" * 16  # tests only, never deployed
    AUDIT_CHAIN_KEY_ID = "test"
    FHIR_TOKEN_KEY = "f41e" * 16  # tests only, never deployed
    SESSION_COOKIE_SECURE = False


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}
