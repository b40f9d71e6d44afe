"""Equity measures as SQL aggregations over referral_facts: counts per segment, and order-statistic medians."""
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from inclusive_access.models import AuditAnswer, AuditFinding, AuditSampleRecord, ReasonableAdjustment, ReferralFact

LONDON = ZoneInfo("Europe/London")

F = ReferralFact
RA = ReasonableAdjustment
#: segment name -> the column it groups by (flags group by true/false)
SEGMENTS = {
    "imd_quintile": F.imd_quintile, "ethnic_group": F.ethnic_group, "age_band": F.age_band, "sex": F.sex,
    "pathway": F.pathway, **{f"flag_{name}": getattr(F, f"flag_{name}")
                             for name in ("deprivation", "housing", "cognitive", "language", "communication",
                                          "carer")},
}


@dataclass(frozen=True)
class Period:
    """Months received, inclusive, as 'YYYY-MM' (Europe/London), and an optional pathway."""

    first: str
    last: str
    pathway: str | None = None

    def where(self, column=F.received_month, pathway=F.pathway) -> list:
        conditions = [column >= self.first, column <= self.last]
        if self.pathway:
            conditions.append(pathway == self.pathway)
        return conditions


class unindexed(FunctionElement):  # noqa: N801 - used as a function, like func.*
    """A column the SQLite planner must not constrain an index by (its documented unary "+"; elsewhere the column
    itself): so a GROUP BY reads the covering index in group order rather than a month range and the table."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _column_itself(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unary_plus(element, compiler, **kw) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def _count(condition) -> object:
    return func.count(case((condition, 1)))  # counts only the rows where it holds (never NULL, unlike SUM)


def _total(column) -> object:
    return func.coalesce(func.sum(column), 0)


#: measure name -> SQL aggregate over the period's referrals (COUNT of a column counts the rows where it is set:
#: the cheapest test SQLite has, since the rows are sorted into groups carrying every column the aggregates read)
COUNTS = {
    "referrals": func.count(),
    "accepted": func.count(F.accepted_at),
    "rejected": func.count(F.rejected_at),
    "flagged": _count(F.flagged.is_(True)),
    "flagged_triaged_on_time": _count(F.flagged.is_(True) & (F.triaged_at <= F.triage_due_at)),
    "clarifications": _total(F.clarifications),
    "clarifications_on_time": _total(F.clarifications_on_time),
    "first_contacts": func.count(F.first_contact_at),
    "attended": _total(F.attended),
    "dnas": _total(F.dnas),
    "dnas_rebooked_in_14_days": _total(F.dnas_rebooked_in_14_days),
    "discharged": func.count(F.discharged_at),
    "dna_linked_discharges": _count(F.dna_linked_discharge.is_(True)),
    "barrier_checks": _total(F.barrier_checks),
    "barrier_checks_completed": _total(F.barrier_checks_completed),
    "adjustments_due": _total(F.adjustments_due),
    "adjustments_met": _total(F.adjustments_met),
    "re_referrals_within_90_days": _count(F.re_referral_within_90_days.is_(True)),
}


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as UTC instants: London midnight on the first month's 1st, to that of the month after the last."""
    year, month = int(period.last[:4]), int(period.last[5:])
    after = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return tuple(datetime.fromisoformat(f"{m}-01").replace(tzinfo=LONDON).astimezone(UTC)
                 for m in (period.first, after))


def _grouped(period: Period, keys: dict) -> select:
    """COUNTS per group, with the patients referred and those with a reasonable adjustment active at any time in
    the period (recorded before it ended, not ended before it began): patient-level, by COUNT DISTINCT. One pass
    over the period's rows; the patients with an active adjustment are found once, not per row."""
    start, end = _bounds(period)
    adjusted = select(RA.patient_id).where(RA.recorded_at < end, or_(RA.ended_at.is_(None), RA.ended_at >= start))
    return (select(*(column.label(name) for name, column in keys.items()),
                   *(expr.label(name) for name, expr in COUNTS.items()),
                   func.count(distinct(F.patient_id)).label("patients"),
                   func.count(distinct(case((F.patient_id.in_(adjusted), F.patient_id)))).label(
                       "patients_with_adjustment"))
            .where(*period.where()).group_by(*keys.values()).order_by(*keys.values()))


def counts_by(session: Session, period: Period, segment: str) -> list[dict]:
    """Every count of COUNTS for each value of `segment` (None is the "not known" row), in one GROUP BY."""
    return [dict(row._mapping) for row in session.execute(_grouped(period, {"segment": SEGMENTS[segment]}))]


def cross_counts(session: Session, period: Period, row_segment: str, column_segment: str) -> list[dict]:
    """COUNTS for each pair of values of two segments (an intersectional table), keys "row" and "column"."""
    keys = {"row": SEGMENTS[row_segment], "column": SEGMENTS[column_segment]}
    return [dict(row._mapping) for row in session.execute(_grouped(period, keys))]


def _quantiles(session: Session, keys: dict, conditions: list, ps: dict[str, float]) -> dict:
    """R type-7 quantiles of days_to_first_contact per group of `keys`: {key tuple: {"n", name: value}}.

    The database counts each group, then reads the two order statistics each quantile needs by offset, in wait
    order (for h = (n - 1) p + 1, x[floor h] and the next; the value lies between them). Along an index that
    leads with the group's keys then the wait (ix_referral_facts_wait_*, ix_referral_facts_first_contact_wait),
    each read walks index entries only, with no sort: the period's waits are never ranked as a whole.
    """
    waits = [*conditions, F.days_to_first_contact.is_not(None)]
    counted = select(*keys.values(), func.count()).where(*waits).group_by(*keys.values())
    result: dict = {}
    for *group, n in session.execute(counted):
        key, found = tuple(group), {"n": n}
        matching = [column.is_(None) if value is None else column == value
                    for column, value in zip(keys.values(), key, strict=True)]
        for name, p in ps.items():
            h = (n - 1) * p + 1
            low = math.floor(h)
            pair = session.scalars(select(F.days_to_first_contact).where(*waits, *matching)
                                   .order_by(F.days_to_first_contact).limit(2).offset(low - 1)).all()
            found[name] = pair[0] + (h - low) * ((pair[1] if len(pair) > 1 else pair[0]) - pair[0])
        result[key] = found
    return result


def wait_quantiles_by(session: Session, period: Period, segment: str) -> dict:
    """Median and 90th percentile of referral-to-first-contact (days) per segment value, computed in SQL.

    Quantiles follow R's type 7 (linear between order statistics), on referrals received in the period
    that have had their first contact. Returns {segment value: {"n", "median", "p90"}}.
    """
    # months and pathway are checked along the segment's wait index, never used to choose another index
    where = period.where(unindexed(F.received_month), unindexed(F.pathway))
    found = _quantiles(session, {"segment": SEGMENTS[segment]}, where, {"median": 0.5, "p90": 0.9})
    return {key[0]: value for key, value in found.items()}


def monthly_median_waits(session: Session, first: str, last: str, pathway: str | None = None,
                         by_pathway: bool = True) -> dict:
    """Median referral-to-first-contact per month of first contact and IMD quintile (known only), per pathway
    or (by_pathway=False) over the pathways chosen.

    By month of first contact, so a month's figure is final once the month has closed (the equity KPI's
    months). Returns {(pathway or None, month, quintile): {"n", "median"}}.
    """
    conditions = [F.first_contact_month >= first, F.first_contact_month <= last, F.imd_quintile.is_not(None)]
    if pathway:
        conditions.append(F.pathway == pathway)
    keys = {"month": F.first_contact_month, "quintile": F.imd_quintile}
    if by_pathway:
        keys = {"pathway": F.pathway, **keys}
    found = _quantiles(session, keys, conditions, {"median": 0.5})
    return found if by_pathway else {(None, *key): value for key, value in found.items()}


def completeness_by_month(session: Session, period: Period) -> list[dict]:
    """Per month received: referrals, those with an ethnic group stated (not Z or 99), those with an IMD quintile."""
    stated = case((F.ethnic_group.not_in(("Not stated", "Not known")), 1), else_=0)
    query = (select(F.received_month.label("month"), func.count().label("referrals"),
                    func.sum(stated).label("ethnicity"), func.count(F.imd_quintile).label("imd"))
             .where(*period.where()).group_by(F.received_month).order_by(F.received_month))
    return [dict(row._mapping) for row in session.execute(query)]


def months_with_referrals(session: Session) -> tuple[str | None, str | None]:
    """The first and last month any referral was received (for the period selector)."""
    # two scalar subqueries: SQLite reads a lone min() or max() from the index's end, not both in one select
    row = session.execute(select(select(func.min(F.received_month)).scalar_subquery(),
                                 select(func.max(F.received_month)).scalar_subquery())).one()
    return row[0], row[1]


def audit_answer_counts(session: Session, sample_id: int) -> list[dict]:
    """Current findings' answers of one sample, counted per checklist item, stratum and answer."""
    query = (select(AuditAnswer.item, AuditSampleRecord.stratum, AuditAnswer.answer, func.count().label("n"))
             .join(AuditFinding, AuditFinding.id == AuditAnswer.finding_id)
             .join(AuditSampleRecord, AuditSampleRecord.id == AuditFinding.sample_record_id)
             .where(AuditSampleRecord.sample_id == sample_id, AuditFinding.current.is_(True))
             .group_by(AuditAnswer.item, AuditSampleRecord.stratum, AuditAnswer.answer))
    return [dict(row._mapping) for row in session.execute(query)]
