"""Staff accounts: creation, role changes, login with lockout, and revocable server-side sessions."""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from inclusive_access.domain import events
from inclusive_access.domain.access import ADMIN_ROLES, require_role
from inclusive_access.domain.actors import SYSTEM, Actor, actor_for
from inclusive_access.domain.errors import AccountLocked, InvalidInput, LoginFailed, StaleRecord
from inclusive_access.models import ROLES, User, UserSession

#: argon2id with the library's defaults (m=64 MiB, t=3, p=4); tests swap in a cheap one
password_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = None
MIN_PASSWORD_LENGTH = 12


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = password_hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASH


def create_user(session: Session, actor: Actor, username: str, display_name: str, role: str,
                password: str, now: datetime | None = None) -> User:
    """Add an account (a manager, or the system via `flask create-user`)."""
    require_role(actor, ADMIN_ROLES, allow_system=True)
    errors = {}
    if role not in ROLES:
        errors["role"] = "Select a role"
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    if session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = "That username is already taken"
    if errors:
        raise InvalidInput(errors)
    now = now or datetime.now(UTC)
    user = User(username=username, display_name=display_name, role=role,
                password_hash=password_hasher.hash(password), created_at=now)
    session.add(user)
    session.flush()
    events.record(session, actor, events.USER_CREATED, "user", user.id,
                  data={"username": username, "role": role}, now=now)
    return user


def all_users(session: Session) -> list[User]:
    """Every account, active first, by username (the admin list and the access log's user choice)."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.username)))


def _check_version(user: User, version: int | None) -> None:
    if version is not None and version != user.version:
        raise StaleRecord("This account changed since you opened it.",
                          {"role": (None, user.role), "active": (None, user.active)})


def change_role(session: Session, actor: Actor, user: User, role: str, version: int | None = None) -> None:
    """Change a user's role; their sessions end so the new role applies from their next login."""
    require_role(actor, ADMIN_ROLES)
    _check_version(user, version)
    if role not in ROLES:
        raise InvalidInput({"role": "Select a role"})
    if role == user.role:
        return
    old, user.role = user.role, role
    end_all_sessions(session, user)
    session.flush()
    events.record(session, actor, events.USER_ROLE_CHANGED, "user", user.id,
                  data={"from": old, "to": role})


def deactivate_user(session: Session, actor: Actor, user: User, version: int | None = None) -> None:
    """Switch an account off and end its sessions. Accounts are never deleted (events name them)."""
    require_role(actor, ADMIN_ROLES)
    _check_version(user, version)
    if user.id == actor.user_id:
        raise InvalidInput({"user": "You cannot deactivate your own account"})
    if not user.active:
        return
    user.active = False
    end_all_sessions(session, user)
    session.flush()
    events.record(session, actor, events.USER_DEACTIVATED, "user", user.id)


def authenticate(session: Session, username: str, password: str, max_failures: int,
                 lockout: timedelta, now: datetime | None = None) -> User:
    """Check a password. Failures are counted in the database, so every worker sees the same count.

    The caller commits even when this raises: the failure count and its event must persist.
    """
    now = now or datetime.now(UTC)
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        _safe_verify(_dummy_hash(), password)
        events.record(session, SYSTEM, events.LOGIN_FAILED, "user", None,
                      data={"username": username[:64], "reason": "unknown user"}, now=now)
        raise LoginFailed()
    actor = actor_for(user)
    if user.locked_until and user.locked_until > now:
        events.record(session, actor, events.LOGIN_FAILED, "user", user.id,
                      data={"reason": "locked"}, now=now)
        raise AccountLocked(user.locked_until)
    if not _safe_verify(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        reason = "inactive" if user.active is False else "wrong password"
        events.record(session, actor, events.LOGIN_FAILED, "user", user.id,
                      data={"reason": reason, "failures": user.failed_logins}, now=now)
        if user.failed_logins >= max_failures:
            user.locked_until = now + lockout
            user.failed_logins = 0
            events.record(session, actor, events.LOGIN_LOCKED, "user", user.id,
                          data={"until": user.locked_until}, now=now)
            session.flush()
            raise AccountLocked(user.locked_until)
        session.flush()
        raise LoginFailed()
    user.failed_logins = 0
    user.locked_until = None
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = password_hasher.hash(password)
    session.flush()
    events.record(session, actor, events.LOGIN_SUCCEEDED, "user", user.id, now=now)
    return user


def _safe_verify(hashed: str, password: str) -> bool:
    try:
        return password_hasher.verify(hashed, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, now: datetime | None = None) -> str:
    """Create a server-side session and return the token for the cookie (stored only as a hash)."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
    session.flush()
    return token


def resume_session(session: Session, token: str | None, idle: timedelta, absolute: timedelta,
                   now: datetime | None = None) -> User | None:
    """The user behind a cookie's token, or None once it is revoked, idle too long, or too old."""
    if not token:
        return None
    now = now or datetime.now(UTC)
    row = session.get(UserSession, _digest(token))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if now - row.last_seen_at > idle or now - row.created_at > absolute or not user.active:
        session.delete(row)
        session.flush()
        return None
    # Touch at most once a minute: a write per page view would serialise every request on SQLite.
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
        session.flush()
    return user


def end_session(session: Session, token: str | None, user: User | None) -> None:
    """Log out: the row goes, so a replayed cookie finds nothing."""
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))
    if user is not None:
        events.record(session, actor_for(user), events.LOGGED_OUT, "user", user.id)


def end_all_sessions(session: Session, user: User) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
