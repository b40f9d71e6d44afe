"""Single sign-on: a person the OpenID Connect provider vouched for, as a local account with one of our roles.

The provider proves who someone is and which roles it has given them; which of ours that is stays the service's
decision (the configured role map). An account is found by the provider's issuer and subject, never by a name,
since a name at the provider may be reused or chosen; it is made at the first sign-in, its role follows the
provider's at each later one, and a deactivated account stays out whatever the provider says. Every outcome is an
event, as local sign-in's are (domain/sign_in.py), with `via` naming the provider.
"""
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import accounts, actions, events, sign_in
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.errors import DomainError
from inclusive_access.domain.sign_in import SignInRules
from inclusive_access.models import ROLES, User

#: a password hash no password matches (argon2 cannot read it): an account made by single sign-on has no local
#: password until a manager sets a temporary one
NO_PASSWORD = "!single-sign-on"  # noqa: S105 - a marker, not a password
_USERNAME_LENGTH = 64


class SignOnRefused(DomainError):
    """The provider's answer does not let this person in; the message is for them."""


@dataclass(frozen=True)
class ProviderRules:
    """The configured provider (config.py's OIDC_* settings) as the domain needs it."""

    name: str
    role_claim: str
    #: (provider's code, our role) pairs in order of preference
    role_map: tuple[tuple[str, str], ...]
    username_claim: str

    @classmethod
    def from_mapping(cls, cfg: Mapping) -> "ProviderRules":
        role_map = cfg["OIDC_ROLE_MAP"]
        if isinstance(role_map, str):
            try:
                role_map = json.loads(role_map)
            except ValueError:
                role_map = None
        if not isinstance(role_map, dict):
            raise ValueError('OIDC_ROLE_MAP must be a JSON object of role codes to roles, e.g. {"R8000": "clinician"}')
        unknown = sorted({role for role in role_map.values() if role not in ROLES})
        if unknown:
            raise ValueError(f"OIDC_ROLE_MAP maps to roles we do not have: {', '.join(unknown)} "
                             f"(ours are {', '.join(ROLES)})")
        return cls(name=cfg["OIDC_PROVIDER_NAME"], role_claim=cfg["OIDC_ROLE_CLAIM"],
                   role_map=tuple((str(code), role) for code, role in role_map.items()),
                   username_claim=cfg["OIDC_USERNAME_CLAIM"])


def held_codes(claims: Mapping, role_claim: str) -> list[str]:
    """The role codes the person holds at the provider, as the claim gives them: a string, a list of strings, or
    (NHS CIS2's nhsid_nrbac_roles) a list of objects with a `role_code` such as "S8000:G8000:R8001", whose parts
    each count as a code. CIS2's `selected_roleid` narrows the roles to the one the person chose at sign-in."""
    value = claims.get(role_claim)
    items = value if isinstance(value, list) else [value] if value else []
    selected = claims.get("selected_roleid")
    if selected and any(isinstance(i, dict) and i.get("person_roleid") == selected for i in items):
        items = [i for i in items if isinstance(i, dict) and i.get("person_roleid") == selected]
    codes: list[str] = []
    for item in items:
        code = item.get("role_code") if isinstance(item, dict) else item
        if isinstance(code, str) and code:
            codes += [code, *code.split(":")] if ":" in code else [code]
    return list(dict.fromkeys(codes))


def mapped_role(codes: list[str], rules: ProviderRules) -> str | None:
    """Our role for the person: the first entry of the role map whose code they hold, or None."""
    return next((role for code, role in rules.role_map if code in codes), None)


def refuse_sign_on(session: Session, rules: ProviderRules, reason: str, source: str, throttle: SignInRules,
                   now: datetime | None = None) -> None:
    """Record a single sign-on that failed before anyone was known (a refused or forged answer, a wrong state).
    Anyone can send such an answer, so each counts against its source address as a failed password does, and past
    the limit raises LoginThrottled rather than writing another event."""
    sign_in.count_failure_from(session, source, throttle, now)
    events.record(session, SYSTEM, actions.LOGIN_FAILED, "user", None, now=now,
                  data={"reason": reason, "source": source[:64], "via": rules.name})
    session.flush()


def sign_on(session: Session, rules: ProviderRules, issuer: str, claims: Mapping, source: str,
            now: datetime | None = None) -> User:
    """The account of the person the provider vouched for (`claims`, from its checked ID token and its userinfo),
    made at their first sign-in and given the provider's current role at every one; or SignOnRefused, recorded,
    for a person none of whose roles maps to ours or whose account is deactivated. The caller commits either way:
    a refusal's event must persist."""
    now = now or datetime.now(UTC)
    source, subject = source[:64], str(claims["sub"])
    codes = held_codes(claims, rules.role_claim)
    role = mapped_role(codes, rules)
    user = session.scalar(select(User).where(User.identity_issuer == issuer, User.identity_subject == subject))
    if user is not None and not user.active:
        _failed(session, rules, user, "inactive", source, now)
        raise SignOnRefused("Your account is deactivated. Ask your service manager if you need access.")
    if role is None:
        data = {"roles": codes, "username": _claimed_username(claims, rules)} if user is None else {"roles": codes}
        _failed(session, rules, user, "no mapped role", source, now, **data)
        raise SignOnRefused(f"Your {rules.name} roles do not give access to Inclusive Access. Ask your "
                            "Registration Authority or service manager for a role this service accepts.")
    if user is None:
        user = _create(session, rules, issuer, subject, claims, role, now)
    elif user.role != role:
        old, user.role = user.role, role
        accounts.end_all_sessions(session, user)  # as a manager's change does: the old role's sessions end
        session.flush()
        events.record(session, SYSTEM, actions.USER_ROLE_CHANGED, "user", user.id, now=now,
                      data={"from": old, "to": role, "via": rules.name})
    events.record(session, actor_for(user), actions.LOGIN_SUCCEEDED, "user", user.id, now=now,
                  data={"source": source, "via": rules.name})
    return user


def _failed(session: Session, rules: ProviderRules, user: User | None, reason: str, source: str, now: datetime,
            **extra) -> None:
    events.record(session, actor_for(user) if user else SYSTEM, actions.LOGIN_FAILED, "user",
                  user.id if user else None, now=now,
                  data={"reason": reason, "source": source, "via": rules.name, **extra})
    session.flush()


def _create(session: Session, rules: ProviderRules, issuer: str, subject: str, claims: Mapping, role: str,
            now: datetime) -> User:
    username = _claimed_username(claims, rules)
    if session.scalar(select(User.id).where(User.username == username)):
        # Never the existing account: a name at the provider proves nothing about who holds a local one.
        digest = hashlib.sha256(f"{issuer} {subject}".encode()).hexdigest()[:8]
        username = f"{username[:_USERNAME_LENGTH - 9]}-{digest}"
    user = User(username=username, display_name=_display_name(claims, username), role=role, created_at=now,
                password_hash=NO_PASSWORD, identity_issuer=issuer, identity_subject=subject)
    session.add(user)
    session.flush()
    events.record(session, SYSTEM, actions.USER_CREATED, "user", user.id, now=now,
                  data={"username": username, "role": role, "via": rules.name})
    return user


def _claimed_username(claims: Mapping, rules: ProviderRules) -> str:
    value = claims.get(rules.username_claim)
    value = value.strip() if isinstance(value, str) and value.strip() else str(claims["sub"])
    return "".join(ch for ch in value if ch.isprintable())[:_USERNAME_LENGTH]


def _display_name(claims: Mapping, username: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get(key) for key in ("given_name", "family_name")]
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return (name.strip() or username)[:120]
