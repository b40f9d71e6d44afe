"""Organisations by ODS code: referrers' practices and the provider's sites, loaded from the published ODS files."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of

KINDS = ("gp_practice", "trust", "trust_site", "other")


class Organisation(db.Model):
    """One organisation as the latest ODS file loaded said; a referral keeps the code and the name as they were."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(one_of("kind", KINDS), name="kind"),)

    ods_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: the name folded for search (domain.name_keys.fold)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    postcode: Mapped[str | None] = mapped_column(String(8))
    opened_on: Mapped[date | None]
    #: set once ODS says it closed: still found by its code (old referrals name it), not offered in search
    closed_on: Mapped[date | None]
    loaded_at: Mapped[datetime]
