"""Staff accounts and their server-side sessions."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db
from inclusive_access.models.mixins import Versioned

ROLES = ("booking", "clinician", "senior", "auditor", "manager")
_ROLE_LIST = ", ".join(f"'{r}'" for r in ROLES)


class User(Versioned, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_LIST})", name="role"),
                      UniqueConstraint("identity_issuer", "identity_subject", name="uq_users_identity"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: the password was set by someone else (a manager or `flask reset-password`): the user must replace it
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    #: the OpenID Connect provider (its issuer) and the person's identifier there (its `sub`), for an account made
    #: at a first single sign-on; None for a local account
    identity_issuer: Mapped[str | None] = mapped_column(String(255))
    identity_subject: Mapped[str | None] = mapped_column(String(255))

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class UserSession(db.Model):
    """A signed-in browser. Deleting the row ends the session even if the cookie is replayed."""

    __tablename__ = "user_sessions"

    #: SHA-256 of the token in the cookie, so a database leak does not hand out live sessions
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    #: the last request that touched the row (at most once a minute); the signed cookie carries the exact one
    last_seen_at: Mapped[datetime]
    #: the provider's ID token this session signed in with (single sign-on), sent back as the hint when it signs
    #: out so the provider ends its own session too
    id_token_hint: Mapped[str | None] = mapped_column(Text)
