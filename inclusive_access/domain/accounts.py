"""Staff accounts: creation, role changes, passwords (own changes and temporary ones), and revocable sessions."""
import hashlib
import secrets
import string
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, later
from inclusive_access.domain.access import MANAGEMENT, require_role
from inclusive_access.domain.actors import Actor, actor_for
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.models import ROLES, LoginThrottle, User, UserSession

#: argon2id with the library's defaults (m=64 MiB, t=3, p=4); tests swap in a cheap one
password_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = None
MIN_PASSWORD_LENGTH = 12
_PADDING = string.digits + string.punctuation + " "
#: how often a session's row records activity; the signed cookie carries the exact time in between
TOUCH_EVERY = timedelta(minutes=1)


def dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = password_hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASH


def verify_password(hashed: str, password: str) -> bool:
    """One argon2 check; a malformed hash is a mismatch, not an error."""
    try:
        return password_hasher.verify(hashed, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


@cache
def _common_passwords() -> frozenset[str]:
    # Django's list (see common_passwords.LICENSE): lower-cased, so compared lower-cased.
    text = files("inclusive_access.domain").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(text.split("\n")) - {""}


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None: NCSC guidance is a minimum length and a deny-list of common
    passwords, with no composition rules (a passphrase of three random words passes). The list is checked ignoring
    case and spaces, and with the digits and symbols around a word taken off, since a common word padded out to the
    minimum ("Password2024!") is as guessable as the word."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    folded = password.lower()
    if {folded, "".join(folded.split()), folded.strip(_PADDING)} & _common_passwords():
        return "This password is too common. Three random words make a strong password that is easy to remember"
    return None


def create_user(session: Session, actor: Actor, username: str, display_name: str, role: str,
                password: str, now: datetime | None = None) -> User:
    """Add an account (a manager, or the system via `flask create-user`). A password a manager chooses is
    temporary: the user replaces it at first sign-in, so only they know the one they work with."""
    require_role(actor, MANAGEMENT, allow_system=True)
    errors = {}
    if role not in ROLES:
        errors["role"] = "Select a role"
    if problem := password_problem(password):
        errors["password"] = problem
    if session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = "That username is already taken"
    if errors:
        raise InvalidInput(errors)
    now = now or datetime.now(UTC)
    user = User(username=username, display_name=display_name, role=role, created_at=now,
                password_hash=password_hasher.hash(password), must_change_password=actor.user_id is not None)
    session.add(user)
    session.flush()
    events.record(session, actor, actions.USER_CREATED, "user", user.id,
                  data={"username": username, "role": role}, now=now)
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def all_users(session: Session) -> list[User]:
    """Every account, active first, by username (the admin list and the access log's user choice)."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.username)))


def _check_version(user: User, version: int | None) -> None:
    if version is not None and version != user.version:
        raise StaleRecord("This account changed since you opened it.",
                          {"role": (None, user.role), "active": (None, user.active)})


def change_role(session: Session, actor: Actor, user: User, role: str, version: int | None = None) -> None:
    """Change a user's role; their sessions end so the new role applies from their next login."""
    require_role(actor, MANAGEMENT)
    _check_version(user, version)
    if role not in ROLES:
        raise InvalidInput({"role": "Select a role"})
    if role == user.role:
        return
    if user.id == actor.user_id:  # as deactivation: no manager locks the service out of its own administration
        raise InvalidInput({"role": "You cannot change your own role: ask another manager"})
    old, user.role = user.role, role
    end_all_sessions(session, user)
    session.flush()
    events.record(session, actor, actions.USER_ROLE_CHANGED, "user", user.id,
                  data={"from": old, "to": role})


def deactivate_user(session: Session, actor: Actor, user: User, version: int | None = None) -> None:
    """Switch an account off and end its sessions. Accounts are never deleted (events name them)."""
    require_role(actor, MANAGEMENT)
    _check_version(user, version)
    if user.id == actor.user_id:
        raise InvalidInput({"user": "You cannot deactivate your own account"})
    if not user.active:
        return
    user.active = False
    end_all_sessions(session, user)
    session.flush()
    events.record(session, actor, actions.USER_DEACTIVATED, "user", user.id)


def change_password(session: Session, user: User, current: str, new: str, now: datetime | None = None) -> str:
    """The user replaces their own password, proving the current one. Every session of theirs ends, this one
    included, and the token of a fresh session for this browser is returned: a stolen session dies with the old
    password."""
    if not verify_password(user.password_hash, current):
        raise InvalidInput({"current_password": "Your current password is not correct"})
    if problem := password_problem(new):
        raise InvalidInput({"new_password": problem})
    if new == current:
        raise InvalidInput({"new_password": "Choose a password different from your current one"})
    now = now or datetime.now(UTC)
    user.password_hash, user.must_change_password = password_hasher.hash(new), False
    others = end_all_sessions(session, user) - 1
    token = start_session(session, user, now)
    events.record(session, actor_for(user), actions.PASSWORD_CHANGED, "user", user.id,
                  data={"other_sessions_ended": others}, now=now)
    return token


def generate_password() -> str:
    """A temporary password for `flask reset-password --generate`: 96 random bits, easy to read out."""
    return "-".join(secrets.token_hex(4) for _ in range(3))


def reset_password(session: Session, actor: Actor, user: User, temporary: str, version: int | None = None,
                   now: datetime | None = None) -> None:
    """A manager (or an administrator at the command line) sets a temporary password: the user's sessions end,
    the locks on the account lift, and the user must replace it at their next sign-in."""
    require_role(actor, MANAGEMENT, allow_system=True)
    _check_version(user, version)
    if user.id == actor.user_id:
        raise InvalidInput({"password": "Change your own password from your account page"})
    if not user.active:
        raise InvalidInput({"password": "This account is deactivated"})
    if problem := password_problem(temporary):
        raise InvalidInput({"password": problem})
    user.password_hash, user.must_change_password = password_hasher.hash(temporary), True
    end_all_sessions(session, user)
    session.execute(delete(LoginThrottle).where(LoginThrottle.scope == "pair",
                                                LoginThrottle.account == user.username))
    session.flush()
    events.record(session, actor, actions.PASSWORD_RESET, "user", user.id, now=now)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, now: datetime | None = None, id_token_hint: str | None = None) -> str:
    """Create a server-side session and return the token for the cookie (stored only as a hash). A session signed
    in through the OpenID Connect provider keeps its ID token, the hint its sign-out sends the provider."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
                            id_token_hint=id_token_hint))
    session.flush()
    return token


def resume_session(session: Session, token: str | None, idle: timedelta, absolute: timedelta,
                   now: datetime | None = None, seen_at: datetime | None = None) -> User | None:
    """The user behind a cookie's token, or None once it is revoked, idle too long, or too old.

    Idle time runs from the session's last request: `seen_at`, which the signed cookie carries, or the row's
    last touch, whichever is later. The row is touched at most once a minute (a write per page view would
    serialise every request on SQLite), so on its own it could end a session up to a minute early."""
    if not token:
        return None
    now = now or datetime.now(UTC)
    row = session.get(UserSession, _digest(token))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    last = max(row.last_seen_at, seen_at) if seen_at and seen_at <= now else row.last_seen_at
    if now - last > idle or now - row.created_at > absolute or not user.active:
        later.remove_session(session, row)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        later.touch_session(session, row, now)
    return user


def end_session(session: Session, token: str | None, user: User | None) -> str | None:
    """Log out: the row goes, so a replayed cookie finds nothing. Returns the provider's ID token the session signed
    in with, if any, for the provider's own sign-out."""
    hint = None
    if token:
        hint = session.scalar(delete(UserSession).where(UserSession.token_hash == _digest(token))
                              .returning(UserSession.id_token_hint))
    if user is not None:
        events.record(session, actor_for(user), actions.LOGGED_OUT, "user", user.id)
    return hint


def end_all_sessions(session: Session, user: User) -> int:
    """End every session of the user's; returns how many there were."""
    return session.execute(delete(UserSession).where(UserSession.user_id == user.id)).rowcount
