"""Migration 0012: accounts and their sessions survive it both ways; the old per-account lock gives way to the
sign-in counters, and no existing password becomes temporary."""
from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from inclusive_access.extensions import db
from tests.domain.migration_rows import insert, user

AT = datetime(2026, 11, 30, 9, 0)  # naive UTC, as the columns store it


def test_migration_0012_keeps_accounts_and_sessions_both_ways(blank_app):
    upgrade(revision="0011")
    with db.engine.begin() as conn:
        user(conn, username="mig.user", failed_logins=4, locked_until=AT, created_at=AT)
        insert(conn, "user_sessions", token_hash="a" * 64, user_id=7, created_at=AT, last_seen_at=AT)
    upgrade(revision="0012")
    with db.engine.connect() as conn:
        found = conn.execute(text("SELECT username, must_change_password FROM users")).one()
        assert (found.username, bool(found.must_change_password)) == ("mig.user", False)
        assert conn.scalar(text("SELECT count(*) FROM user_sessions WHERE user_id = 7")) == 1
        assert conn.scalar(text("SELECT count(*) FROM login_throttles")) == 0
    downgrade(revision="0011")
    with db.engine.connect() as conn:
        found = conn.execute(text("SELECT username, failed_logins, locked_until FROM users")).one()
        assert (found.username, found.failed_logins, found.locked_until) == ("mig.user", 0, None)
        assert conn.scalar(text("SELECT count(*) FROM user_sessions WHERE user_id = 7")) == 1
