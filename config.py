"""Configuration classes: every value comes from the environment, with safe development defaults."""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


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
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)

    SESSION_COOKIE_NAME = "ia_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = timedelta(0)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 12)

    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_MINUTES = _int("LOGIN_LOCKOUT_MINUTES", 15)

    # Tie the CSRF token to the session, not to an hour: a page left open must still post.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 12 * 1024 * 1024  # so an oversized field gets a form error, not a 413

    # Reasonable field limits; a 10 MB paste is refused with a message, not stored.
    MAX_TEXT_LENGTH = 4000
    PAGE_SIZE = 50
    DEPRIVATION_FLAG_QUINTILES = (1,)
    #: DOMAIN.md equity KPI threshold (days of Q1 - Q5 median wait gap), and per-pathway overrides {"msk": 3}
    EQUITY_GAP_THRESHOLD_DAYS = 2.0
    EQUITY_GAP_THRESHOLD_DAYS_BY_PATHWAY: dict[str, float] = {}
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
    SESSION_COOKIE_SECURE = False


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}
