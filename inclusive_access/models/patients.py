"""Patients: identity and the demographics equity reporting segments by."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Index, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db
from inclusive_access.models.mixins import Versioned


class Patient(Versioned, db.Model):
    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint("imd_decile IS NULL OR imd_decile BETWEEN 1 AND 10", name="imd_decile"),
        CheckConstraint(
            "(imd_decile IS NULL) = (imd_index IS NULL)", name="imd_index_with_decile"
        ),
        # Patient search (domain.patient_search): a name is a prefix range on one key, the other key read from
        # the same index entry; birth date and postcode are equalities.
        Index("ix_patients_family_name_key", "family_name_key", "given_name_key"),
        Index("ix_patients_given_name_key", "given_name_key", "family_name_key"),
        Index("ix_patients_date_of_birth", "date_of_birth"),
        Index("ix_patients_postcode", "postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 10 digits, no spaces, check digit valid; None for a person registered from an outreach record who did not
    #: know theirs (identity not verified)
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    #: False for a person registered from an outreach record on the identity they gave, until a clinician checks it
    identity_verified: Mapped[bool] = mapped_column(default=True, server_default=true())
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    #: the names folded for search by domain.name_keys (lower case, no accents, letters and digits only)
    given_name_key: Mapped[str] = mapped_column(String(100))
    family_name_key: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    #: the date of birth is 1 July of the year an approximate age gives, not a date the person gave
    date_of_birth_estimated: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: male, female, indeterminate, not_known, not_stated
    sex: Mapped[str] = mapped_column(String(16))
    postcode: Mapped[str | None] = mapped_column(String(8))
    #: English IoD decile of the patient's LSOA; 1 = most deprived 10%; None = not known
    imd_decile: Mapped[int | None]
    #: which index produced the decile: IoD2025 or IoD2019
    imd_index: Mapped[str | None] = mapped_column(String(8))
    #: NHS Data Dictionary ethnic category: A-S, Z (not stated) or 99 (not known)
    ethnic_category: Mapped[str] = mapped_column(String(2))
    preferred_language: Mapped[str | None] = mapped_column(String(60))
    interpreter_needed: Mapped[bool | None]
    #: AIS communication needs, as codes from domain.equity.COMMUNICATION_NEEDS
    communication_needs: Mapped[list] = mapped_column(JSON, default=list)
    #: settled, no_fixed_abode, rough_sleeping, temporary, at_risk_eviction, not_known
    housing_status: Mapped[str] = mapped_column(String(20))
    # None = not known: completeness is reported, never assumed.
    learning_disability: Mapped[bool | None]
    cognitive_impairment: Mapped[bool | None]
    caring_responsibilities: Mapped[bool | None]
    created_at: Mapped[datetime]

    #: shown wherever the patient appears (banner, worklists, appointment lists); one IN query per page
    active_adjustments: Mapped[list["ReasonableAdjustment"]] = relationship(  # noqa: F821 - by name
        primaryjoin="and_(ReasonableAdjustment.patient_id == Patient.id, ReasonableAdjustment.status == 'active')",
        order_by="ReasonableAdjustment.id", viewonly=True, lazy="selectin")
    open_concerns: Mapped[list["SafeguardingConcern"]] = relationship(  # noqa: F821 - by name
        primaryjoin="and_(SafeguardingConcern.patient_id == Patient.id, SafeguardingConcern.status == 'open')",
        order_by="SafeguardingConcern.id", viewonly=True, lazy="selectin")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name.upper()}"
