"""The referrals behind a figure of the equity dashboard: those its count or median is made of, under the same
filters, one page at a time, each with its own part of the figure."""
import operator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from inclusive_access.domain import fact_counts, listing, segments
from inclusive_access.domain.instruments import Instrument
from inclusive_access.models import ReferralFact, UnrebookedDna
from inclusive_access.reporting import outcome_queries, queries, tables
from inclusive_access.reporting.queries import Period

F = ReferralFact
U = UnrebookedDna
#: the figure behind a median (and 90th percentile): the referrals with a first contact, by wait
WAITS = "waits"
#: the counts the dashboard derives from referral_fact_counts' (tables.derived) and its segment tables' n of waits
ATTENDANCES, PENDING = "attendances", tables.PENDING_COUNT
#: what makes an attendance for the DNA rate (DOMAIN.md: seen, arrived too late to be seen, or did not attend)
ATTENDANCE_COUNTS = ("attended", "arrived_late_not_seen", "dnas")
PER_PAGE = 50
#: how a link carries a segment's unknown value where the value itself is None (an IMD quintile not known)
NOT_KNOWN = "not-known"

#: every figure a list can be behind, as the list names it: each count of fact_counts.COUNTED, the derived ones,
#: and the waits behind a median
FIGURES = {
    "referrals": "Referrals received",
    "accepted": "Referrals accepted",
    "rejected": "Referrals rejected",
    "flagged": "Flagged referrals",
    "flagged_triaged_on_time": "Flagged referrals triaged on time",
    "clarifications": "Clarifications asked",
    "clarifications_on_time": "Clarifications resolved within 24 hours",
    "first_contacts": "First contacts",
    "attended": "Appointments attended",
    "arrived_late_not_seen": "Arrivals too late to be seen",
    "dnas": "DNAs",
    "dnas_rebooked_in_14_days": "DNAs rebooked within 14 days",
    "discharged": "Discharges",
    "dna_linked_discharges": "Discharges linked to non-attendance",
    "barrier_checks": "Barrier checks",
    "barrier_checks_completed": "Barrier checks completed",
    "adjustments_due": "Adjustments due at appointments",
    "adjustments_met": "Adjustments met at appointments",
    "re_referrals_within_90_days": "Re-referrals within 90 days of discharge",
    "referrals_with_adjustment": "Referrals with an adjustment in place",
    ATTENDANCES: "Attendances (seen, arrived too late to be seen, or did not attend)",
    "dnas_decided": "DNAs rebooked or past their 14 days to rebook",
    PENDING: "DNAs within their 14 days to rebook, not yet rebooked",
    "flagged_due": "Flagged referrals triaged, or past the time their triage was due",
    "clarifications_due": "Clarifications resolved, or past their 24 hours",
    WAITS: "Waits from referral to first contact (days)",
    **outcome_queries.FIGURES,
}


@dataclass(frozen=True)
class Cell:
    """Which referrals a figure counts: those received in the period's months on its pathway (or, where `contacted`
    names a month, first contacted in that month on its pathway, as the equity KPI and the wait charts count them)
    with each segment's value in `values` ((segment key, value) pairs, all of which hold; None is "not known"); for
    an outcome figure, on the pathways of its `instrument`."""

    period: Period
    values: tuple[tuple[str, object], ...] = ()
    contacted: str | None = None
    instrument: Instrument | None = None

    def where(self) -> list:
        if self.contacted:
            conditions = Period(self.contacted, self.contacted, self.period.pathway).where(F.first_contact_month)
        else:
            conditions = self.period.where()
        for key, value in self.values:
            column = getattr(F, segments.BY_KEY[key].column)
            conditions.append(column.is_(value) if value is None or isinstance(value, bool) else column == value)
        if self.instrument and self.instrument.pathways:
            conditions.append(F.pathway.in_(self.instrument.pathways))
        return conditions


@dataclass(frozen=True)
class Behind:
    """One page of the referrals behind a figure, and the figure they make: the sum of their numbers for a count
    (a referral may hold two DNAs), how many waits for a median."""

    figure: str
    page: listing.Page
    total: int | float
    #: the rank (1-based, in wait order) of the page's first row
    first_rank: int
    #: for waits: where the median and the 90th percentile fall in wait order (R type 7: between the ranks either
    #: side of a fractional one)
    ranks: dict[str, float]


#: each pending part of tables.PENDING as a referral's number at `now` (queries.pending, per referral): its DNAs that
#: no booking has followed yet whose 14 days are running; 1 if it is flagged and untriaged before its triage is due;
#: 1 if its open clarification is within its 24 hours
RUNNING = {
    PENDING: lambda now: func.coalesce(select(func.sum(U.dnas)).where(
        U.referral_id == F.referral_id, U.missed_at > now - queries.REBOOKING_WINDOW, U.missed_at <= now)
        .scalar_subquery(), 0),
    "triage_pending": lambda now: case(
        (F.flagged.is_(True) & F.triaged_at.is_(None) & (F.triage_due_at > now), 1), else_=0),
    "clarifications_pending": lambda now: case((F.clarification_due_at > now, 1), else_=0),
}


def number(figure: str, now: datetime, instrument_id: str | None = None):
    """One referral's part of `figure`, in SQL (its wait, for WAITS); an outcome figure's on `instrument_id`."""
    if figure in outcome_queries.FIGURES:
        return case((outcome_queries.counted(figure, instrument_id, now), 1), else_=0)
    if figure == WAITS:
        return F.days_to_first_contact
    if figure in fact_counts.COUNTED:
        return fact_counts.COUNTED[figure].per_referral
    if figure == ATTENDANCES:
        return reduce(operator.add, (fact_counts.COUNTED[name].per_referral for name in ATTENDANCE_COUNTS))
    if figure in RUNNING:
        return RUNNING[figure](now)
    for whole, (part, rest) in tables.PENDING.items():
        if figure == rest:
            return fact_counts.COUNTED[whole].per_referral - RUNNING[part](now)
    raise ValueError(f"no figure {figure!r}")


def referrals_behind(session: Session, figure: str, cell: Cell, page: int = 1, now: datetime | None = None,
                     per_page: int = PER_PAGE) -> Behind:
    """The referrals `figure` counts in `cell` as of `now` (pending DNAs run to it), one page of them, with the
    figure they make. A count lists the referrals whose part of it is above 0, by receipt; waits list the referrals
    with a first contact, shortest first, so the median is read from the list."""
    part = number(figure, now or datetime.now(UTC), cell.instrument.id if cell.instrument else None)
    counted = part.is_not(None) if figure == WAITS else part > 0
    where = [*cell.where(), counted]
    order = (F.days_to_first_contact, F.referral_id) if figure == WAITS else (F.received_at, F.referral_id)
    query = (select(F.referral_id, F.patient_id, F.received_at, F.pathway, F.state, F.imd_quintile, F.ethnic_group,
                    part.label("number"))
             .where(*where).order_by(*order))
    found = listing.page_of(session, query, page, per_page)
    total = found.total if figure == WAITS else session.scalar(select(func.coalesce(func.sum(part), 0)).where(*where))
    n = found.total
    ranks = {"median": (n - 1) * 0.5 + 1, "90th percentile": (n - 1) * 0.9 + 1} if figure == WAITS and n else {}
    return Behind(figure, found, total, (found.page - 1) * per_page + 1, ranks)


def value_key(value) -> str:
    """A segment's value as a link carries it: yes or no for a flag, NOT_KNOWN for an unknown quintile."""
    if value is None:
        return NOT_KNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def segment_value(segment: str, key: str) -> object:
    """The value of `segment` a link's key stands for; KeyError for one the dashboard does not report."""
    return {value_key(value): value for value, _label in tables.segment_values(segment)}[key]


def value_label(segment: str, value) -> str:
    """How the dashboard labels a segment's value (its column or row heading)."""
    return next(label for found, label in tables.segment_values(segment) if found == value)
