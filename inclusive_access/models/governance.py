"""Governance items: an equity KPI month that breached its threshold or showed special cause, and its response."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import Versioned

#: the equity KPIs (domain/kpis.py KPIS, whose codes a test keeps equal to these)
KPI_CODES = ("wait_gap", "improvement_gap")


class GovernanceItem(Versioned, db.Model):
    """One per KPI, pathway and month; never deleted, closed by a manager with a note.

    The gap columns keep the names they had when the wait gap was the only KPI: they hold the gap in its KPI's unit
    (days for the wait gap, percentage points for the improvement gap), as the events' data does."""

    __tablename__ = "governance_items"
    __table_args__ = (
        UniqueConstraint("kpi", "pathway", "month", name="uq_governance_items_kpi_pathway_month"),
        CheckConstraint(one_of("kpi", KPI_CODES), name="kpi"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("breach OR special_cause", name="has_trigger"),
        CheckConstraint("status = 'open' OR (closure_note IS NOT NULL AND plan_recorded_at IS NOT NULL)",
                        name="closed_with_plan_and_note"),
        Index("ix_governance_status_month", "status", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi: Mapped[str] = mapped_column(String(24))
    pathway: Mapped[str] = mapped_column(String(32))
    #: 'YYYY-MM' (Europe/London) of the KPI's month (first contact, follow-up): the KPI point this item answers
    month: Mapped[str] = mapped_column(String(7))
    #: what the month showed when the item opened: the gap (for the wait gap Q1 - Q5 median days), the ratio
    #: (the wait gap's Q1 / Q5; None for the improvement gap), and the threshold then
    gap_days: Mapped[float]
    ratio: Mapped[float | None]
    threshold_days: Mapped[float]
    breach: Mapped[bool]
    special_cause: Mapped[bool]
    opened_at: Mapped[datetime]
    #: set when the item arose from a restatement: when the month was first reported, within threshold or not
    #: judged, and the gap it showed then (None if an end had no first contact)
    first_reported_at: Mapped[datetime | None]
    first_reported_gap_days: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(8), default="open")
    variance_explanation: Mapped[str | None] = mapped_column(Text)
    corrective_action: Mapped[str | None] = mapped_column(Text)
    lead_name: Mapped[str | None] = mapped_column(String(120))
    due_date: Mapped[date | None]
    #: the month whose gap shows whether the action worked
    remeasure_month: Mapped[str | None] = mapped_column(String(7))
    plan_recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    plan_recorded_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    closure_note: Mapped[str | None] = mapped_column(Text)


class ReportedKpiMonth(db.Model):
    """A closed KPI month as the equity sweep first reported it; never updated, so a month that late entries have
    changed since (a restatement) can say what was reported, when."""

    __tablename__ = "reported_kpi_months"
    __table_args__ = (CheckConstraint(one_of("kpi", KPI_CODES), name="kpi"),)

    kpi: Mapped[str] = mapped_column(String(24), primary_key=True)
    pathway: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: 'YYYY-MM' (Europe/London) of the KPI's month
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    first_reported_at: Mapped[datetime]
    #: the gap in its KPI's unit (GovernanceItem's note on names), None if an end had no one
    gap_days: Mapped[float | None]
    q1_n: Mapped[int]
    q5_n: Mapped[int]
    judged: Mapped[bool]
    breach: Mapped[bool]
