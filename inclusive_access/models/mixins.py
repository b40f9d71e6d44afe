"""Columns many tables share, declared once."""
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

if TYPE_CHECKING:
    from inclusive_access.models.referrals import Referral


class Versioned:
    """A record edited with optimistic locking: each save raises `version`, and a save from an older version fails
    (StaleDataError, which the domain reports as a stale record)."""

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


class OfReferral(Versioned):
    """A versioned record belonging to one referral, which is loaded with it."""

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)

    @declared_attr
    def referral(cls) -> Mapped["Referral"]:
        return relationship("Referral", lazy="joined")
