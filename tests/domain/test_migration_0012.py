"""Migration 0012: accounts and their sessions survive it both ways; the old per-account lock gives way to the
sign-in counters, and no existing password becomes temporary."""
from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from inclusive_access.extensions import db
from tests.conftest import make_app

AT = datetime(2026, 11, 30, 9, 0)  # naive UTC, as the columns store it


def test_migration_0012_keeps_accounts_and_sessions_both_ways(blank_database_url):
    app = make_app(blank_database_url)
    with app.app_context():
        upgrade(revision="0011")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, username, display_name, role, password_hash, active, failed_logins, "
                "locked_until, created_at, version) VALUES (7, 'mig.user', 'Migration User', 'clinician', 'x', "
                ":t, 4, :at, :at, 1)"), {"t": True, "at": AT})
            conn.execute(text("INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at) "
                              "VALUES (:h, 7, :at, :at)"), {"h": "a" * 64, "at": AT})
        upgrade(revision="0012")
        with db.engine.connect() as conn:
            user = conn.execute(text("SELECT username, must_change_password FROM users")).one()
            assert (user.username, bool(user.must_change_password)) == ("mig.user", False)
            assert conn.scalar(text("SELECT count(*) FROM user_sessions WHERE user_id = 7")) == 1
            assert conn.scalar(text("SELECT count(*) FROM login_throttles")) == 0
        downgrade(revision="0011")
        with db.engine.connect() as conn:
            user = conn.execute(text("SELECT username, failed_logins, locked_until FROM users")).one()
            assert (user.username, user.failed_logins, user.locked_until) == ("mig.user", 0, None)
            assert conn.scalar(text("SELECT count(*) FROM user_sessions WHERE user_id = 7")) == 1
        db.engine.dispose()
