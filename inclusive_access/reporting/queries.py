"""Equity measures as SQL aggregations over referral_facts: counts per segment, and order-statistic medians."""
from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, func, literal, select
from sqlalchemy.orm import Session

from inclusive_access.models import ReferralFact

F = ReferralFact
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


def counts_by(session: Session, period: Period, segment: str) -> list[dict]:
    """Every count of COUNTS for each value of `segment` (None is the "not known" row), in one GROUP BY."""
    key = SEGMENTS[segment]
    query = (select(key.label("segment"), *(expr.label(name) for name, expr in COUNTS.items()))
             .where(*period.where()).group_by(key).order_by(key))
    return [dict(row._mapping) for row in session.execute(query)]


def wait_quantiles_by(session: Session, period: Period, segment: str) -> dict:
    """Median and 90th percentile of referral-to-first-contact (days) per segment value, computed in SQL.

    Quantiles follow R's type 7 (linear between order statistics), on referrals received in the period
    that have had their first contact. Returns {segment value: {"n", "median", "p90"}}.
    """
    key = SEGMENTS[segment]
    ranked = (select(key.label("segment"), F.days_to_first_contact.label("days"),
                     func.row_number().over(partition_by=key, order_by=F.days_to_first_contact).label("rn"),
                     func.count().over(partition_by=key).label("n"))
              .where(*period.where(), F.days_to_first_contact.is_not(None)).subquery())
    result = {}
    for p, name in ((0.5, "median"), (0.9, "p90")):
        # h = (n - 1) p + 1; the value is x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])
        h = (ranked.c.n - 1) * literal(p) + 1
        low = cast(func.floor(h), Integer)
        at_low = func.max(case((ranked.c.rn == low, ranked.c.days)))
        at_high = func.coalesce(func.max(case((ranked.c.rn == low + 1, ranked.c.days))), at_low)
        fraction = func.max(h - func.floor(h))
        query = (select(ranked.c.segment, func.max(ranked.c.n).label("n"),
                        (at_low + fraction * (at_high - at_low)).label("value"))
                 .group_by(ranked.c.segment))
        for row in session.execute(query):
            result.setdefault(row.segment, {"n": row.n})[name] = float(row.value)
    return result


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
