"""Counters of failed sign-ins, shared by every worker: per source address, per account name, and per pair."""
from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of

SCOPES = ("source", "account", "pair")


class LoginThrottle(db.Model):
    """One counter. `source` rows have no account and `account` rows no source ('' in the key); `pair` rows are an
    account name at one source address, which is what a run of failures locks. Account names are kept as typed,
    whether or not such an account exists, so the answers do not tell which accounts exist."""

    __tablename__ = "login_throttles"
    __table_args__ = (CheckConstraint(one_of("scope", SCOPES), name="scope"),)

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: start of the current counting window (source and account rows)
    window_started_at: Mapped[datetime]
    #: source and account rows: attempts in the window, counted before the password check and given back when it
    #: succeeds; pair rows: failures in a row since the last success or lock
    failures: Mapped[int] = mapped_column(default=0)
    #: the first refused attempt of this window, so a burst writes one event however long it goes on
    throttled_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    #: locks in a row for this pair: each lasts twice the one before, up to the configured longest
    lockouts: Mapped[int] = mapped_column(default=0)
    #: the account last signed in from this source: the account-wide throttle does not apply here
    succeeded_at: Mapped[datetime | None]
