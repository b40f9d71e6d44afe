"""Equity measures as SQL aggregations: counts per segment summed from referral_fact_counts, order-statistic
quantiles from referral_facts."""
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from inclusive_access.domain import fact_counts, segments
from inclusive_access.models import (
    AuditAnswer,
    AuditFinding,
    AuditSampleRecord,
    ReferralFact,
    ReferralFactCount,
    UnrebookedDna,
)

F = ReferralFact
C = ReferralFactCount
U = UnrebookedDna
#: DOMAIN.md: a DNA is rebooked on time within 14 days; until then, with no booking yet, it is pending
REBOOKING_WINDOW = timedelta(days=14)
#: segment name -> the column it groups by (flags group by true/false)
SEGMENTS = {segment.key: getattr(F, segment.column) for segment in (*segments.REPORTED, segments.PATHWAY)}
#: the month a referral was received, as a key of `pending`
RECEIVED_MONTH = F.received_month


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
    itself): so a GROUP BY reads the covering index in group order rather than a month range and the table, and
    a join starts from its small side rather than a month range of the projection."""

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


#: measure name -> its SQL aggregate over referral_facts (what referral_fact_counts holds per group)
COUNTS = {name: count.sql for name, count in fact_counts.COUNTED.items()}


def _counted(session: Session, period: Period, segment: str, keys: dict[str, tuple[object, str]]) -> list[dict]:
    """COUNTS summed from referral_fact_counts over the period, for one counted segment (or "all"), per `keys`
    (name -> (its column there, the segment whose values it holds)), the values as referral_facts holds them."""
    columns = [column for column, _segment in keys.values()]
    query = (select(*columns, *(func.sum(getattr(C, name)) for name in COUNTS))
             .where(*period.where(C.received_month, C.pathway), C.segment == segment).group_by(*columns))
    rows = []
    for row in session.execute(query):
        groups = zip(keys.items(), row[:len(columns)], strict=True)
        found = {name: _value(of, stored) for (name, (_column, of)), stored in groups}
        rows.append(found | dict(zip(COUNTS, row[len(columns):], strict=True)))
    return rows


def _value(segment: str, stored) -> object:
    """A value of referral_fact_counts as referral_facts holds it (fact_counts.stored_value undone)."""
    if segment == segments.IMD_QUINTILE.key:
        return stored or None  # fact_counts.NOT_KNOWN_QUINTILE
    if segment in segments.TRUE_FALSE:
        return stored == "1"
    return stored


def counts_by(session: Session, period: Period, segment: str) -> list[dict]:
    """Every count of COUNTS for each value of `segment` (None is the "not known" row)."""
    if segment in (segments.IMD_QUINTILE.key, segments.PATHWAY.key):  # key columns of referral_fact_counts
        return _counted(session, period, fact_counts.ALL, {"segment": (getattr(C, segment), segment)})
    return _counted(session, period, segment, {"segment": (C.value, segment)})


def cross_counts(session: Session, period: Period, row_segment: str, column_segment: str) -> list[dict]:
    """COUNTS for each IMD quintile and value of another segment (an intersectional table), keys "row" and
    "column"."""
    if row_segment != segments.IMD_QUINTILE.key or column_segment not in fact_counts.SEGMENTS:
        raise ValueError(f"no intersectional counts for {row_segment} x {column_segment}")
    return _counted(session, period, column_segment,
                    {"row": (C.imd_quintile, row_segment), "column": (C.value, column_segment)})


def pending(session: Session, period: Period, keys: dict, now: datetime) -> dict[tuple, dict[str, int]]:
    """What of the period's referrals is still within its time at `now`, per group of `keys` (name ->
    referral_facts column): {key tuple: {"dnas_pending": DNAs no booking has followed yet whose 14 days to rebook
    are running, "triage_pending": flagged referrals not yet triaged whose triage is not yet due,
    "clarifications_pending": clarifications open within their 24 hours}}."""
    columns = list(keys.values())
    # each from its own short range of what is running (the fortnight's DNAs by missed_at, the due times ahead),
    # never from the period's referrals: a year of them is most of the projection
    in_period = period.where(unindexed(F.received_month), unindexed(F.pathway))
    running = {
        "dnas_pending": select(*columns, func.sum(U.dnas)).join(F, F.referral_id == U.referral_id)
        .where(U.missed_at > now - REBOOKING_WINDOW, U.missed_at <= now, *in_period).group_by(*columns),
        # grouped by the columns unindexed, or SQLite reads a whole index in group order to save a sort
        "triage_pending": select(*columns, func.count())
        .where(F.triage_due_at > now, F.flagged.is_(True), F.triaged_at.is_(None), *in_period)
        .group_by(*map(unindexed, columns)),
        "clarifications_pending": select(*columns, func.count()).where(F.clarification_due_at > now, *in_period)
        .group_by(*map(unindexed, columns)),
    }
    out: dict[tuple, dict[str, int]] = {}
    for name, query in running.items():
        for row in session.execute(query):
            out.setdefault(tuple(row[:-1]), {})[name] = row[-1]
    return out


def counts_by_quintile(session: Session, period: Period) -> list[dict]:
    """COUNTS for each IMD quintile ("quintile") and each counted segment's value (keys "segment", "value"): the
    rows of every segment table and intersectional table of the period at once; segment "all" (value "") holds
    each quintile's own counts."""
    query = (select(C.segment, C.value, C.imd_quintile, *(func.sum(getattr(C, name)) for name in COUNTS))
             .where(*period.where(C.received_month, C.pathway)).group_by(C.segment, C.value, C.imd_quintile))
    return [{"segment": segment, "value": _value(segment, value),
             "quintile": _value(segments.IMD_QUINTILE.key, quintile)} | dict(zip(COUNTS, sums, strict=True))
            for segment, value, quintile, *sums in session.execute(query)]


@dataclass(frozen=True)
class _Reads:
    """What a group of n waits is read for: each quantile's ranks (x[floor h] and the next, if there is one) and
    the fraction between them, for h = (n - 1) p + 1 (R type 7), and each named order statistic's rank."""

    quantiles: dict[str, tuple[int, int, float]]
    ranks: dict[str, int]

    @classmethod
    def of(cls, n: int, ps: dict[str, float], ranks: Callable[[int], dict[str, int]] | None) -> "_Reads":
        quantiles = {}
        for name, p in ps.items():
            h = (n - 1) * p + 1
            low = math.floor(h)
            quantiles[name] = (low, min(low + 1, n), h - low)
        return cls(quantiles, ranks(n) if ranks else {})

    def wanted(self) -> set[int]:
        return {rank for low, high, _f in self.quantiles.values() for rank in (low, high)} | set(self.ranks.values())

    def values(self, at: dict[int, float]) -> dict[str, float]:
        """The quantiles and order statistics from the waits at their ranks."""
        found = {name: at[low] + f * (at[high] - at[low]) for name, (low, high, f) in self.quantiles.items()}
        return found | {name: at[rank] for name, rank in self.ranks.items()}


def _quantiles(session: Session, keys: dict, conditions: list, ps: dict[str, float],
               ranks: Callable[[int], dict[str, int]] | None = None) -> dict:
    """R type-7 quantiles of days_to_first_contact per group of `keys`: {key tuple: {"n", name: value}}, and
    for each name of `ranks(n)` the order statistic of that (1-based) rank.

    Two statements, whatever the number of groups: the database counts each group; then one window numbers each
    group's waits in order (ROW_NUMBER and COUNT over the group) and returns only the rows at a rank some group of
    that size needs (for h = (n - 1) p + 1, x[floor h] and the next; the value lies between them). Along an index
    that leads with the group's keys then the wait, the numbering needs no sort.
    """
    waits = [*conditions, F.days_to_first_contact.is_not(None)]
    group = list(keys.values())
    sizes = {tuple(key): n for *key, n in session.execute(select(*group, func.count()).where(*waits).group_by(*group))}
    reads = {n: _Reads.of(n, ps, ranks) for n in set(sizes.values())}
    wanted = sorted((n, rank) for n, read in reads.items() for rank in read.wanted())
    at: dict[tuple, dict[int, float]] = {key: {} for key in sizes}
    if wanted:
        in_order = {"partition_by": group, "order_by": F.days_to_first_contact}
        # the count's frame is the whole group, so both windows share one ordering (one pass, no second sort)
        numbered = select(*(column.label(f"key_{i}") for i, column in enumerate(group)),
                          F.days_to_first_contact.label("days"), func.row_number().over(**in_order).label("rank"),
                          func.count().over(**in_order, rows=(None, None)).label("n")).where(*waits).subquery()
        for *key, days, rank, _n in session.execute(
                select(numbered).where(tuple_(numbered.c.n, numbered.c.rank).in_(wanted))):
            at[tuple(key)][rank] = days
    return {key: {"n": n, **reads[n].values(at[key])} for key, n in sizes.items()}


def wait_quantiles_by(session: Session, period: Period, segment: str,
                      ranks: Callable[[int], dict[str, int]] | None = None) -> dict:
    """Median and 90th percentile of referral-to-first-contact (days) per segment value, computed in SQL, and the
    order statistics `ranks` names for a group of n (a median's interval).

    Quantiles follow R's type 7 (linear between order statistics), on referrals received in the period
    that have had their first contact. Returns {segment value: {"n", "median", "p90", *ranks}}.
    """
    # months and pathway are checked along the segment's wait index, never used to choose another index
    where = period.where(unindexed(F.received_month), unindexed(F.pathway))
    found = _quantiles(session, {"segment": SEGMENTS[segment]}, where, {"median": 0.5, "p90": 0.9}, ranks)
    return {key[0]: value for key, value in found.items()}


def monthly_median_waits(session: Session, months: list[str], pathway: str | None = None,
                         by_pathway: bool = True, quintiles: tuple[int, ...] | None = None,
                         ranks: Callable[[int], dict[str, int]] | None = None) -> dict:
    """Median referral-to-first-contact per month of first contact (of `months`) and IMD quintile (known only, or
    those in `quintiles`), per pathway or (by_pathway=False) over the pathways chosen, with the order statistics
    `ranks` names for a group of n.

    By month of first contact (the equity KPI's months), as recorded now: an attendance recorded after its month
    closed still moves that month (kpi.GapMonth.restated says so). Returns {(pathway or None, month, quintile):
    {"n", "median", *ranks}}.
    """
    # the quintiles are checked along the month's index, never used to choose another (each end's wait index)
    conditions = [F.first_contact_month.in_(months),
                  unindexed(F.imd_quintile).in_(quintiles) if quintiles else F.imd_quintile.is_not(None)]
    if pathway:
        conditions.append(F.pathway == pathway)
    # month and quintile first: the order of ix_referral_facts_first_contact_wait, so only pathways are sorted
    keys = {"month": F.first_contact_month, "quintile": F.imd_quintile}
    if by_pathway:
        keys["pathway"] = F.pathway
    found = _quantiles(session, keys, conditions, {"median": 0.5}, ranks)
    return {(key[2] if by_pathway else None, key[0], key[1]): value for key, value in found.items()}


def quarterly_median_waits(session: Session, quarters: list[tuple[str, str, str]], pathway: str | None = None,
                           quintiles: tuple[int, ...] = (1, 5),
                           ranks: Callable[[int], dict[str, int]] | None = None) -> dict:
    """Median referral-to-first-contact per pathway, quarter of first contact and IMD quintile, pooled over the
    quarter's months, for consecutive quarters (label, first month, last month), oldest first, with the order
    statistics `ranks` names. Returns {(pathway, label, quintile): {"n", "median", *ranks}}."""
    quarter = case(*((F.first_contact_month <= last, label) for label, _, last in quarters))
    conditions = [F.first_contact_month >= quarters[0][1], F.first_contact_month <= quarters[-1][2],
                  unindexed(F.imd_quintile).in_(quintiles)]
    if pathway:
        conditions.append(F.pathway == pathway)
    return _quantiles(session, {"pathway": F.pathway, "quarter": quarter, "quintile": F.imd_quintile}, conditions,
                      {"median": 0.5}, ranks)


def monthly_median_wait(session: Session, months: list[str], pathway: str | None = None,
                        by_pathway: bool = False) -> dict:
    """Median referral-to-first-contact per month of first contact (of `months`) over every referral, IMD quintile
    known or not (the figure beside monthly_median_waits' quintiles), R type 7, over the pathways chosen or
    (by_pathway) per pathway. Returns {month: {"n", "median"}}, or {(pathway, month): ...} by pathway."""
    conditions = [F.first_contact_month.in_(months)]
    if pathway:
        conditions.append(F.pathway == pathway)
    keys = {"month": F.first_contact_month, **({"pathway": F.pathway} if by_pathway else {})}
    found = _quantiles(session, keys, conditions, {"median": 0.5})
    return {(key[1], key[0]) if by_pathway else key[0]: value for key, value in found.items()}


def counts_by_month(session: Session, period: Period) -> list[dict]:
    """Every count of COUNTS per month received (from referral_fact_counts), as {"month", *COUNTS}."""
    return _counted(session, period, fact_counts.ALL, {"month": (C.received_month, "month")})


def completeness_by_month(session: Session, period: Period) -> list[dict]:
    """Per month received: referrals, those with an ethnic group stated (not Z or 99), those with an IMD quintile
    (from referral_fact_counts)."""
    every = C.segment == fact_counts.ALL
    stated = (C.segment == segments.ETHNIC_GROUP.key) & C.value.not_in(("Not stated", segments.ETHNIC_GROUP.unknown))
    known = every & (C.imd_quintile != fact_counts.NOT_KNOWN_QUINTILE)
    query = (select(C.received_month.label("month"), func.sum(case((every, C.referrals), else_=0)).label("referrals"),
                    func.sum(case((stated, C.referrals), else_=0)).label("ethnicity"),
                    func.sum(case((known, C.referrals), else_=0)).label("imd"))
             .where(*period.where(C.received_month, C.pathway),
                    C.segment.in_((fact_counts.ALL, segments.ETHNIC_GROUP.key)))
             .group_by(C.received_month).order_by(C.received_month))
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
