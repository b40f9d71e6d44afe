"""referral_facts: the reporting projection, one row per referral, written only by domain.facts."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db

#: the segments the equity dashboard reports referral-to-first-contact by (each has a wait index). Written out, as
#: are the flag columns below, because models do not import domain: tests/domain/test_segments.py checks both
#: against domain.segments.REPORTED and segments.FLAGS, the registry the rest of the app derives from
WAIT_SEGMENTS = ("imd_quintile", "ethnic_group", "age_band", "sex", "flag_deprivation", "flag_housing",
                 "flag_cognitive", "flag_language", "flag_communication", "flag_carer")


class ReferralFact(db.Model):
    """Segment keys snapshotted at receipt, and the timestamps and counts every equity measure needs.

    Rebuilt from the event log alone by `flask facts rebuild`, with identical rows.
    """

    __tablename__ = "referral_facts"
    __table_args__ = (
        # Reports filter by month received (and pathway); the completeness panel reads this index alone.
        Index("ix_referral_facts_received", "received_month", "pathway", "ethnic_group", "imd_quintile"),
        # An exact quantile of the wait is read by offset along one of these, in order, without a sort: per value
        # of a segment (months and pathway checked in the index), and per month of first contact and quintile.
        *(Index(f"ix_referral_facts_wait_{segment}", segment, "days_to_first_contact", "received_month", "pathway")
          for segment in WAIT_SEGMENTS),
        Index("ix_referral_facts_first_contact_wait", "first_contact_month", "imd_quintile", "days_to_first_contact",
              "pathway"),
        # What is still within its time (reporting.queries.pending): the due times ahead are a short range.
        Index("ix_referral_facts_triage_due", "triage_due_at"),
        Index("ix_referral_facts_clarification_due", "clarification_due_at"),
    )

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), primary_key=True, autoincrement=False)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    pathway: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime]
    #: 'YYYY-MM' of receipt in Europe/London: the reporting period
    received_month: Mapped[str] = mapped_column(String(7))
    imd_quintile: Mapped[int | None]
    ethnic_group: Mapped[str] = mapped_column(String(32))
    sex: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str] = mapped_column(String(8))
    flagged: Mapped[bool]
    #: one column per domain.segments.FLAGS, in its order (tests/domain/test_segments.py)
    flag_deprivation: Mapped[bool]
    flag_housing: Mapped[bool]
    flag_cognitive: Mapped[bool]
    flag_language: Mapped[bool]
    flag_communication: Mapped[bool]
    flag_carer: Mapped[bool]
    state: Mapped[str] = mapped_column(String(24))
    triage_due_at: Mapped[datetime | None]
    #: the first triage decision (accept, reject, rejection proposed, clarification asked)
    triaged_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    clarifications: Mapped[int] = mapped_column(default=0)
    clarifications_on_time: Mapped[int] = mapped_column(default=0)
    #: due time of the clarification still open, if any
    clarification_due_at: Mapped[datetime | None]
    #: the start of the earliest attended appointment (DOMAIN.md), whichever attendance was recorded first
    first_contact_at: Mapped[datetime | None]
    first_contact_month: Mapped[str | None] = mapped_column(String(7))
    #: referral-to-first-contact in days (fractional)
    days_to_first_contact: Mapped[float | None]
    #: appointments where the patient was seen (attendance codes 5 and 6)
    attended: Mapped[int] = mapped_column(default=0)
    #: arrived too late to be seen (code 7): no contact, but not a DNA (DOMAIN.md's DNA rate counts it as attending)
    arrived_late_not_seen: Mapped[int] = mapped_column(default=0, server_default="0")
    dnas: Mapped[int] = mapped_column(default=0)
    dnas_rebooked_in_14_days: Mapped[int] = mapped_column(default=0)
    #: the latest missed appointment's start that no booking has followed yet (the 14-day clock runs from it);
    #: each DNA is rebooked on time by any booking within 14 days after it, whatever order they were entered in
    unrebooked_dna_at: Mapped[datetime | None]
    barrier_checks: Mapped[int] = mapped_column(default=0)
    barrier_checks_completed: Mapped[int] = mapped_column(default=0)
    adjustments_due: Mapped[int] = mapped_column(default=0)
    adjustments_met: Mapped[int] = mapped_column(default=0)
    discharged_at: Mapped[datetime | None]
    discharge_reason: Mapped[str | None] = mapped_column(String(24))
    dna_linked_discharge: Mapped[bool] = mapped_column(default=False)
    #: discharged or finally rejected
    closed_at: Mapped[datetime | None]
    previous_referral_id: Mapped[int | None]
    #: received within 90 days after the discharge of another referral of the patient on the pathway (DOMAIN.md)
    re_referral_within_90_days: Mapped[bool] = mapped_column(default=False)
    #: the patient had a reasonable adjustment active at some time while the referral was open (at receipt, or
    #: recorded before it closed), by when each was recorded and ended, not when the referral was entered; the
    #: server default let migration 0010 add the column to the rows there
    adjustment_in_place: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: an urgent contact (urgent_contacts) occurred on the UK day of receipt or in the 30 days after it...
    urgent_contact_after_referral: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: ...or on the UK day of discharge or in the 30 days after it (by the day it occurred, whenever recorded)
    urgent_contact_after_discharge: Mapped[bool] = mapped_column(default=False, server_default=false())


class ReferralFactCount(db.Model):
    """referral_facts' additive counts per month received, pathway, IMD quintile and one other segment's value:
    what the dashboard sums instead of every referral. Segment "all" (value "") is every referral of the quintile;
    quintile 0 is "not known"; a flag's value is "1" or "0". Written only by domain.facts, in the same
    transaction as the facts, and rebuilt with them."""

    __tablename__ = "referral_fact_counts"

    received_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    pathway: Mapped[str] = mapped_column(String(32), primary_key=True)
    imd_quintile: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    segment: Mapped[str] = mapped_column(String(24), primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    referrals: Mapped[int]
    accepted: Mapped[int]
    rejected: Mapped[int]
    flagged: Mapped[int]
    flagged_triaged_on_time: Mapped[int]
    clarifications: Mapped[int]
    clarifications_on_time: Mapped[int]
    first_contacts: Mapped[int]
    attended: Mapped[int]
    arrived_late_not_seen: Mapped[int] = mapped_column(server_default="0")
    dnas: Mapped[int]
    dnas_rebooked_in_14_days: Mapped[int]
    discharged: Mapped[int]
    dna_linked_discharges: Mapped[int]
    barrier_checks: Mapped[int]
    barrier_checks_completed: Mapped[int]
    adjustments_due: Mapped[int]
    adjustments_met: Mapped[int]
    re_referrals_within_90_days: Mapped[int]
    referrals_with_adjustment: Mapped[int] = mapped_column(server_default="0")  # for migration 0010, as above


class UnrebookedDna(db.Model):
    """A referral's missed appointments that no booking has followed yet, by start (how many missed then): while a
    DNA's 14 days run it is pending, left out of the rebooking measure until it is rebooked or its time is up.
    Written only by domain.facts, with the referral's facts, and rebuilt with them."""

    __tablename__ = "unrebooked_dnas"

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), primary_key=True, autoincrement=False)
    missed_at: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    dnas: Mapped[int]


class MonthlyWait(db.Model):
    """A closed month's referral-to-first-contact figures by month of first contact, stored once computed so the
    equity KPI's charts do not read every month's waits again: per pathway ("" for every pathway together) and
    IMD quintile (0 for everyone, quintile known or not), the count, the median and the order statistics of the
    gap's 95% interval. Every month stored has its row ("", 0), n 0 if no one. Written by `flask equity sweep`
    through domain.monthly_waits; a fact whose wait moves deletes its months' rows (domain.facts), and the
    rebuild deletes them all, so a month is read from referral_facts again until it is stored again."""

    __tablename__ = "monthly_waits"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    pathway: Mapped[str] = mapped_column(String(32), primary_key=True)
    quintile: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int]
    median: Mapped[float | None]
    #: the order statistics reporting.kpi reads for the gap's interval, None for a group too small for one
    lower: Mapped[float | None]
    upper: Mapped[float | None]
    stored_at: Mapped[datetime]
