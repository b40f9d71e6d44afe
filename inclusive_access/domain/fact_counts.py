"""referral_fact_counts: the additive counts of referral_facts per month received, pathway, IMD quintile and one
other segment's value, kept by `facts` in the same transaction from each fact's change, and recounted in SQL by
the rebuild. A dashboard sums a few thousand of these rows instead of aggregating every referral of its period."""
from collections.abc import Callable
from functools import cache
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import case, delete, func, insert, literal, select, tuple_, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inclusive_access.domain import segments
from inclusive_access.models import ReferralFact, ReferralFactCount

F = ReferralFact
#: the segments counted within each IMD quintile; "all" (value "") counts every referral of the quintile
SEGMENTS = tuple(segment.key for segment in segments.REPORTED if segment is not segments.IMD_QUINTILE)
_COLUMNS = {key: segments.BY_KEY[key].column for key in SEGMENTS}
ALL = "all"
#: the quintile stored for "not known" (a key column cannot be NULL)
NOT_KNOWN_QUINTILE = 0
KEYS = ("received_month", "pathway", "imd_quintile", "segment", "value")


def _flagged_triaged_on_time(fact: dict) -> bool:
    triaged, due = fact["triaged_at"], fact["triage_due_at"]
    return bool(fact["flagged"]) and triaged is not None and due is not None and triaged <= due


class Count(NamedTuple):
    """One count: its SQL aggregate over referral_facts, one fact's contribution, and one referral's number in SQL
    (0 where it does not count: the referrals behind a figure are those above 0). The three must agree: the rebuild
    counts with the first, every event with the second, the list behind a dashboard figure with the third, and tests
    compare them."""

    sql: object
    contribution: Callable[[dict], int | bool]
    per_referral: object


def _where(condition, contribution: Callable[[dict], bool]) -> Count:
    # COUNT of a CASE: the rows where it holds (never NULL, unlike SUM)
    return Count(func.count(case((condition, 1))), contribution, case((condition, 1), else_=0))


def _summed(name: str) -> Count:
    column = getattr(F, name)
    return Count(func.coalesce(func.sum(column), 0), itemgetter(name), column)


def _is_set(name: str) -> Count:
    column = getattr(F, name)
    return Count(func.count(column), lambda fact: fact[name] is not None, case((column.is_not(None), 1), else_=0))


def _is_true(name: str) -> Count:
    return _where(getattr(F, name).is_(True), lambda fact: bool(fact[name]))


#: each count of referral_fact_counts, by name
COUNTED = {
    "referrals": Count(func.count(), lambda _fact: 1, literal(1)),
    "accepted": _is_set("accepted_at"),
    "rejected": _is_set("rejected_at"),
    "flagged": _is_true("flagged"),
    "flagged_triaged_on_time": _where(F.flagged.is_(True) & (F.triaged_at <= F.triage_due_at),
                                      _flagged_triaged_on_time),
    "clarifications": _summed("clarifications"),
    "clarifications_on_time": _summed("clarifications_on_time"),
    "first_contacts": _is_set("first_contact_at"),
    "attended": _summed("attended"),
    "arrived_late_not_seen": _summed("arrived_late_not_seen"),
    "dnas": _summed("dnas"),
    "dnas_rebooked_in_14_days": _summed("dnas_rebooked_in_14_days"),
    "discharged": _is_set("discharged_at"),
    "dna_linked_discharges": _is_true("dna_linked_discharge"),
    "barrier_checks": _summed("barrier_checks"),
    "barrier_checks_completed": _summed("barrier_checks_completed"),
    "adjustments_due": _summed("adjustments_due"),
    "adjustments_met": _summed("adjustments_met"),
    "re_referrals_within_90_days": _is_true("re_referral_within_90_days"),
    "referrals_with_adjustment": _is_true("adjustment_in_place"),
}
_CONTRIBUTIONS = [count.contribution for count in COUNTED.values()]


def stored_value(segment: str, value) -> str:
    """A segment's value as a key of referral_fact_counts."""
    if segment in segments.TRUE_FALSE:
        return "1" if value else "0"
    return value


def _sql_value(segment: str) -> object:
    """stored_value in SQL."""
    column = getattr(F, _COLUMNS[segment])
    return case((column.is_(True), "1"), else_="0") if segment in segments.TRUE_FALSE else column


def _keys(fact: dict) -> list[tuple]:
    base = (fact["received_month"], fact["pathway"], fact["imd_quintile"] or NOT_KNOWN_QUINTILE)
    return [(*base, ALL, ""),
            *((*base, segment, stored_value(segment, fact[column])) for segment, column in _COLUMNS.items())]


def _contribution(fact: dict) -> list[int]:
    return [int(contribution(fact)) for contribution in _CONTRIBUTIONS]


def add(session: Session, before: dict | None, after: dict) -> None:
    """Count one fact's change (`before` None: a new referral) in the caller's transaction.

    A fact's segment keys are fixed at receipt but for its flags, which triage may correct: on the rows it keeps,
    the change is the same difference, added by upsert; from a row it leaves, its whole contribution is taken away
    (and the row deleted once it counts no referral, as a recount would not make it), and to a row it joins, added.
    Transactions adding to one row queue on its row lock until they commit (docs/benchmarks.md).
    """
    new, left = _contribution(after), []
    if before is None:
        moves = [(_keys(after), new)]
    else:
        old, kept = _contribution(before), set(_keys(before)) & set(_keys(after))
        left = [key for key in _keys(before) if key not in kept]
        moves = [([key for key in _keys(after) if key in kept], [n - o for n, o in zip(new, old, strict=True)]),
                 (left, [-o for o in old]), ([key for key in _keys(after) if key not in kept], new)]
    rows = [{**dict(zip(KEYS, key, strict=True)), **dict(zip(COUNTED, change, strict=True))}
            for keys, change in moves if any(change) for key in keys]
    if rows:
        session.execute(_upsert(session.get_bind().dialect.name), rows)  # one statement, compiled once, many rows
    if left:
        session.execute(delete(ReferralFactCount).where(
            tuple_(*(getattr(ReferralFactCount, k) for k in KEYS)).in_(left), ReferralFactCount.referrals == 0))


@cache
def _upsert(dialect: str):
    """INSERT a counts row, or add to the one already there."""
    upsert = (sqlite if dialect == "sqlite" else postgresql).insert(ReferralFactCount)
    table = ReferralFactCount.__table__
    return upsert.on_conflict_do_update(index_elements=list(KEYS),
                                        set_={name: table.c[name] + upsert.excluded[name] for name in COUNTED})


def recount(session, month: str | None = None) -> None:
    """referral_fact_counts from referral_facts alone, in SQL (the rebuild and the migration), for one month
    received or (None) all. `session` is a Session or a Connection.

    One pass over the facts counts each combination of month, pathway, quintile and every segment's value; "all"
    and each segment then sum those combinations (far fewer rows than referrals), in the same statement.
    """
    of_month = [] if month is None else [F.received_month == month]
    session.execute(delete(ReferralFactCount).where(
        *([] if month is None else [ReferralFactCount.received_month == month])))
    quintile = func.coalesce(F.imd_quintile, NOT_KNOWN_QUINTILE).label("imd_quintile")
    values = [_sql_value(segment).label(segment) for segment in SEGMENTS]
    combinations = (select(F.received_month, F.pathway, quintile, *values,
                           *(count.sql.label(name) for name, count in COUNTED.items()))
                    .where(*of_month).group_by(F.received_month, F.pathway, quintile, *values).cte("combinations"))
    cell = combinations.c
    base = (cell.received_month, cell.pathway, cell.imd_quintile)
    sums = [func.sum(cell[name]) for name in COUNTED]
    counted = [select(*base, literal(ALL), literal(""), *sums).group_by(*base),
               *(select(*base, literal(segment), cell[segment], *sums).group_by(*base, cell[segment])
                 for segment in SEGMENTS)]
    session.execute(insert(ReferralFactCount).from_select([*KEYS, *COUNTED], union_all(*counted)))
