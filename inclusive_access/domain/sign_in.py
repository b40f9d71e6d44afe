"""Signing in: throttles per source address and per account name, a lock per account at one source with backoff,
and the same answer and the same work (one password check) whatever the reason for a refusal.

A sign-in is two steps with a commit between, so that no transaction (on SQLite, the database's write lock) is
held while argon2 runs: `start_sign_in` counts the attempt where every worker sees it, or refuses it before any
hash; `finish_sign_in` checks the password first, then records the outcome.
"""
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inclusive_access.domain import accounts, actions, events
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.errors import LoginFailed, LoginThrottled
from inclusive_access.models import LoginThrottle, User


@dataclass(frozen=True)
class SignInRules:
    """The configured limits (config.py's LOGIN_* settings)."""

    #: failures in a row, for one account name at one source, before that pair is locked
    max_failures: int = 5
    #: the first lock; each further lock in a row doubles, up to `max_lockout`
    lockout: timedelta = timedelta(minutes=15)
    max_lockout: timedelta = timedelta(hours=4)
    source_limit: int = 20
    source_window: timedelta = timedelta(minutes=5)
    account_limit: int = 10
    account_window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_mapping(cls, cfg: Mapping) -> "SignInRules":
        return cls(max_failures=cfg["LOGIN_MAX_FAILURES"], lockout=timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"]),
                   max_lockout=timedelta(minutes=cfg["LOGIN_LOCKOUT_MAX_MINUTES"]),
                   source_limit=cfg["LOGIN_SOURCE_LIMIT"],
                   source_window=timedelta(minutes=cfg["LOGIN_SOURCE_WINDOW_MINUTES"]),
                   account_limit=cfg["LOGIN_ACCOUNT_LIMIT"],
                   account_window=timedelta(minutes=cfg["LOGIN_ACCOUNT_WINDOW_MINUTES"]))

    def refusal(self) -> str:
        """The one message for every refused sign-in, so it does not tell which accounts exist or are locked."""
        minutes = self.lockout // timedelta(minutes=1)
        return (f"The username or password is not correct. After {self.max_failures} failed attempts, signing in "
                f"to an account from this network address pauses for {minutes} minutes or more.")


@dataclass(frozen=True)
class SignInAttempt:
    """What the first step found, in plain values: the second runs in a new transaction."""

    username: str
    source: str
    user_id: int | None
    #: the account's hash, or the dummy one for an unknown name, so every attempt costs one check
    password_hash: str


def start_sign_in(session: Session, username: str, source: str, rules: SignInRules,
                  now: datetime | None = None) -> SignInAttempt:
    """Count the attempt against its source address and its account name, or raise LoginThrottled when either has
    reached its limit in the current window. Attempts are counted before the password check so that a burst of
    concurrent ones cannot all pass; a success gives its count back. The account-wide limit does not apply at an
    address the account has signed in from before, so a flood on someone's name does not keep them out."""
    now = now or datetime.now(UTC)
    source = source[:64]
    by_source = _counter(session, "source", "", source, rules.source_window, now)
    by_account = _counter(session, "account", username, "", rules.account_window, now)
    pair = session.get(LoginThrottle, ("pair", username, source))
    known = pair is not None and pair.succeeded_at is not None
    for scope, row, limit, window in (("source", by_source, rules.source_limit, rules.source_window),
                                      ("account", by_account, rules.account_limit, rules.account_window)):
        if row.failures >= limit and not (scope == "account" and known):
            if row.throttled_at is None:
                row.throttled_at = now
                events.record(session, SYSTEM, actions.LOGIN_THROTTLED, "user", None, now=now,
                              data={"scope": scope, "source": source, "username": username,
                                    "until": row.window_started_at + window})
            raise LoginThrottled(math.ceil((row.window_started_at + window - now).total_seconds()))
    by_source.failures += 1
    by_account.failures += 1
    session.flush()
    user = session.scalar(select(User).where(User.username == username))
    return SignInAttempt(username, source, user.id if user else None,
                         user.password_hash if user else accounts.dummy_hash())


def finish_sign_in(session: Session, attempt: SignInAttempt, password: str, rules: SignInRules,
                   now: datetime | None = None) -> User:
    """Check the password (before any query: the caller committed the first step, so nothing is locked while argon2
    runs), then let the user in or raise LoginFailed. Unknown, deactivated and locked accounts and wrong passwords
    all cost one check and raise the same error; only the event says which it was.

    The caller commits even when this raises: the failure count and its event must persist."""
    matches = accounts.verify_password(attempt.password_hash, password)
    now = now or datetime.now(UTC)
    pair = _row(session, "pair", attempt.username, attempt.source, now)
    user = session.get(User, attempt.user_id) if attempt.user_id else None
    if pair.locked_until is not None and pair.locked_until > now:
        reason = "locked"
    elif user is None:
        reason = "unknown user"
    elif not user.active:
        reason = "inactive"
    elif not matches or user.password_hash != attempt.password_hash:  # reset since the first step checked the old one
        reason = "wrong password"
    else:
        _succeed(session, attempt, pair, user, password, now)
        return user
    actor = actor_for(user) if user else SYSTEM
    data = {"reason": reason, "source": attempt.source}
    if user is None:
        data["username"] = attempt.username
    if reason != "locked":
        pair.failures += 1
        data["failures"] = pair.failures
    events.record(session, actor, actions.LOGIN_FAILED, "user", attempt.user_id, data=data, now=now)
    if pair.failures >= rules.max_failures:
        pair.locked_until = now + min(rules.lockout * 2 ** pair.lockouts, rules.max_lockout)
        pair.failures, pair.lockouts = 0, pair.lockouts + 1
        events.record(session, actor, actions.LOGIN_LOCKED, "user", attempt.user_id, now=now,
                      data={"until": pair.locked_until, "source": attempt.source, "lockouts": pair.lockouts})
    session.flush()
    raise LoginFailed()


def _succeed(session: Session, attempt: SignInAttempt, pair: LoginThrottle, user: User, password: str,
             now: datetime) -> None:
    pair.failures, pair.lockouts, pair.locked_until, pair.succeeded_at = 0, 0, None, now
    # A success gives back what the first step counted: staff behind one address sign in all morning. One row at a
    # time, source first, in the order the first step locks them (two statements cannot deadlock each other).
    for key in (("source", "", attempt.source), ("account", attempt.username, "")):
        session.execute(update(LoginThrottle).where(LoginThrottle.scope == key[0], LoginThrottle.account == key[1],
                                                    LoginThrottle.source == key[2], LoginThrottle.failures > 0)
                        .values(failures=LoginThrottle.failures - 1))
    if accounts.password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = accounts.password_hasher.hash(password)
    session.flush()
    events.record(session, actor_for(user), actions.LOGIN_SUCCEEDED, "user", user.id,
                  data={"source": attempt.source}, now=now)


def count_failure_from(session: Session, source: str, rules: SignInRules, now: datetime | None = None) -> None:
    """Count a failed sign-in that checked no password (a single sign-on's refused answer) against its source
    address, as a failed password is; once the address has reached its limit in the window, raise LoginThrottled
    instead (the burst's one event recorded), so refusals from one address cannot flood the event log."""
    now = now or datetime.now(UTC)
    source = source[:64]
    row = _counter(session, "source", "", source, rules.source_window, now)
    if row.failures >= rules.source_limit:
        if row.throttled_at is None:
            row.throttled_at = now
            events.record(session, SYSTEM, actions.LOGIN_THROTTLED, "user", None, now=now,
                          data={"scope": "source", "source": source,
                                "until": row.window_started_at + rules.source_window})
        session.flush()
        raise LoginThrottled(math.ceil((row.window_started_at + rules.source_window - now).total_seconds()))
    row.failures += 1
    session.flush()


def _counter(session: Session, scope: str, account: str, source: str, window: timedelta,
             now: datetime) -> LoginThrottle:
    """A throttle counter, locked, with its window started afresh once the last one has passed."""
    row = _row(session, scope, account, source, now)
    if now - row.window_started_at >= window:
        row.window_started_at, row.failures, row.throttled_at = now, 0, None
    return row


def _row(session: Session, scope: str, account: str, source: str, now: datetime) -> LoginThrottle:
    """The counter row, created if missing and locked until commit (two workers never both create it)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(LoginThrottle).values(scope=scope, account=account, source=source, failures=0,
                                                 lockouts=0, window_started_at=now).on_conflict_do_nothing())
    return session.get(LoginThrottle, (scope, account, source), with_for_update=True, populate_existing=True)
