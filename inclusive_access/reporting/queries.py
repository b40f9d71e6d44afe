"""Equity measures as SQL aggregations over referral_facts: counts per segment, and order-statistic medians."""
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, distinct, func, literal, or_, select
from sqlalchemy.orm import Session

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

    def where(self, column=F.received_month) -> list:
        conditions = [column >= self.first, column <= self.last]
        if self.pathway:
            conditions.append(F.pathway == self.pathway)
        return conditions


def _sum(condition) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


#: measure name -> SQL aggregate over the period's referrals
COUNTS = {
    "referrals": func.count(),
    "accepted": _sum(F.accepted_at.is_not(None)),
    "rejected": _sum(F.rejected_at.is_not(None)),
    "flagged": _sum(F.flagged.is_(True)),
    "flagged_triaged_on_time": _sum(F.flagged.is_(True) & (F.triaged_at <= F.triage_due_at)),
    "clarifications": func.coalesce(func.sum(F.clarifications), 0),
    "clarifications_on_time": func.coalesce(func.sum(F.clarifications_on_time), 0),
    "first_contacts": _sum(F.first_contact_at.is_not(None)),
    "attended": func.coalesce(func.sum(F.attended), 0),
    "dnas": func.coalesce(func.sum(F.dnas), 0),
    "dnas_rebooked_in_14_days": func.coalesce(func.sum(F.dnas_rebooked_in_14_days), 0),
    "discharged": _sum(F.discharged_at.is_not(None)),
    "dna_linked_discharges": _sum(F.dna_linked_discharge.is_(True)),
    "barrier_checks": func.coalesce(func.sum(F.barrier_checks), 0),
    "barrier_checks_completed": func.coalesce(func.sum(F.barrier_checks_completed), 0),
    "adjustments_due": func.coalesce(func.sum(F.adjustments_due), 0),
    "adjustments_met": func.coalesce(func.sum(F.adjustments_met), 0),
    "re_referrals_within_90_days": _sum(F.re_referral_within_90_days.is_(True)),
}


def _grouped(period: Period, keys: dict) -> select:
    return (select(*(column.label(name) for name, column in keys.items()),
                   *(expr.label(name) for name, expr in COUNTS.items()))
            .where(*period.where()).group_by(*keys.values()).order_by(*keys.values()))


def counts_by(session: Session, period: Period, segment: str) -> list[dict]:
    """Every count of COUNTS for each value of `segment` (None is the "not known" row), in one GROUP BY."""
    rows = [dict(row._mapping) for row in session.execute(_grouped(period, {"segment": SEGMENTS[segment]}))]
    return _with_adjustments(session, period, {"segment": SEGMENTS[segment]}, rows)


def cross_counts(session: Session, period: Period, row_segment: str, column_segment: str) -> list[dict]:
    """COUNTS for each pair of values of two segments (an intersectional table), keys "row" and "column"."""
    keys = {"row": SEGMENTS[row_segment], "column": SEGMENTS[column_segment]}
    return _with_adjustments(session, period, keys, [dict(r._mapping) for r in session.execute(_grouped(period, keys))])


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as UTC instants: London midnight on the first month's 1st, to that of the month after the last."""
    year, month = int(period.last[:4]), int(period.last[5:])
    after = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return tuple(datetime.fromisoformat(f"{m}-01").replace(tzinfo=LONDON).astimezone(UTC)
                 for m in (period.first, after))


def _with_adjustments(session: Session, period: Period, keys: dict, rows: list[dict]) -> list[dict]:
    """Add, per group, the patients referred and those with a reasonable adjustment active at any time in the
    period (recorded before it ended, not ended before it began): a patient-level count, by COUNT DISTINCT."""
    start, end = _bounds(period)
    active = (select(RA.patient_id).where(RA.patient_id == F.patient_id, RA.recorded_at < end,
                                          or_(RA.ended_at.is_(None), RA.ended_at >= start)).exists())
    query = (select(*(column.label(name) for name, column in keys.items()),
                    func.count(distinct(F.patient_id)).label("patients"),
                    func.count(distinct(case((active, F.patient_id)))).label("patients_with_adjustment"))
             .where(*period.where()).group_by(*keys.values()))
    found = {tuple(r._mapping[name] for name in keys): r for r in session.execute(query)}
    for row in rows:
        match = found[tuple(row[name] for name in keys)]
        row.update(patients=match.patients, patients_with_adjustment=match.patients_with_adjustment)
    return rows


def _quantiles(session: Session, keys: dict, conditions: list, ps: dict[str, float]) -> dict:
    """R type-7 quantiles of days_to_first_contact per group of `keys`, in SQL: {key tuple: {"n", name: value}}."""
    ranked = (select(*(column.label(name) for name, column in keys.items()), F.days_to_first_contact.label("days"),
                     func.row_number().over(partition_by=list(keys.values()), order_by=F.days_to_first_contact)
                     .label("rn"),
                     func.count().over(partition_by=list(keys.values())).label("n"))
              .where(*conditions, F.days_to_first_contact.is_not(None)).subquery())
    group = [ranked.c[name] for name in keys]
    result: dict = {}
    for name, p in ps.items():
        # h = (n - 1) p + 1; the value is x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])
        h = (ranked.c.n - 1) * literal(p) + 1
        low = cast(func.floor(h), Integer)
        at_low = func.max(case((ranked.c.rn == low, ranked.c.days)))
        at_high = func.coalesce(func.max(case((ranked.c.rn == low + 1, ranked.c.days))), at_low)
        fraction = func.max(h - func.floor(h))
        query = (select(*group, func.max(ranked.c.n).label("n"), (at_low + fraction * (at_high - at_low))
                        .label("value")).group_by(*group))
        for row in session.execute(query):
            result.setdefault(tuple(row[:len(group)]), {"n": row.n})[name] = float(row.value)
    return result


def wait_quantiles_by(session: Session, period: Period, segment: str) -> dict:
    """Median and 90th percentile of referral-to-first-contact (days) per segment value, computed in SQL.

    Quantiles follow R's type 7 (linear between order statistics), on referrals received in the period
    that have had their first contact. Returns {segment value: {"n", "median", "p90"}}.
    """
    found = _quantiles(session, {"segment": SEGMENTS[segment]}, period.where(), {"median": 0.5, "p90": 0.9})
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
    row = session.execute(select(func.min(F.received_month), func.max(F.received_month))).one()
    return row[0], row[1]


def audit_answer_counts(session: Session, sample_id: int) -> list[dict]:
    """Current findings' answers of one sample, counted per checklist item, stratum and answer."""
    query = (select(AuditAnswer.item, AuditSampleRecord.stratum, AuditAnswer.answer, func.count().label("n"))
             .join(AuditFinding, AuditFinding.id == AuditAnswer.finding_id)
             .join(AuditSampleRecord, AuditSampleRecord.id == AuditFinding.sample_record_id)
             .where(AuditSampleRecord.sample_id == sample_id, AuditFinding.current.is_(True))
             .group_by(AuditAnswer.item, AuditSampleRecord.stratum, AuditAnswer.answer))
    return [dict(row._mapping) for row in session.execute(query)]
