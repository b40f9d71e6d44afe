"""The equity KPI's monthly waits by month of first contact: closed months as the equity sweep stored them
(monthly_waits), the month under way and any closed month not stored (or forgotten since, restated by a late
entry) read from referral_facts, so a chart of 24 months reads the waits of one or two."""
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain.validation import LONDON
from inclusive_access.models import MonthlyWait, ReferralFact
from inclusive_access.reporting import periods, queries, stats

#: the pathway stored for every pathway together, and the quintile for everyone (quintile known or not)
ALL_PATHWAYS, EVERYONE = "", 0
QUINTILES = (1, 2, 3, 4, 5)


def interval_ranks(n: int) -> dict[str, int]:
    """The order statistics one end gives the gap's 95% interval; none for a handful of people."""
    ranks = stats.median_difference_ci(n)
    return {} if ranks is None else {"lower": ranks[0], "upper": ranks[1]}


def _this_month() -> str:
    return datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")


def _figure(row: MonthlyWait) -> dict:
    """A stored row as the queries give it: the interval's order statistics only where the group has them."""
    limits = {} if row.lower is None else {"lower": row.lower, "upper": row.upper}
    return {"n": row.n, "median": row.median, **limits}


def _read(session: Session, months: list[str], pathways, quintiles: tuple[int, ...],
          live: Callable[[list[str]], dict], key: Callable[[MonthlyWait], object]) -> dict:
    """The stored figures of the pathways chosen (a condition on MonthlyWait.pathway) and `quintiles` for the
    closed months stored, keyed by `key`, and `live`'s answer for the other months."""
    closed = [month for month in months if month < _this_month()]
    stored = set(session.scalars(select(MonthlyWait.month).where(
        MonthlyWait.month.in_(closed), MonthlyWait.pathway == ALL_PATHWAYS, MonthlyWait.quintile == EVERYONE)))
    found = {key(row): _figure(row) for row in session.scalars(select(MonthlyWait).where(
        MonthlyWait.month.in_(sorted(stored)), pathways, MonthlyWait.quintile.in_(quintiles),
        MonthlyWait.n > 0))}
    if unstored := [month for month in months if month not in stored]:
        found |= live(unstored)
    return found


def _pathway(pathway: str | None):
    return MonthlyWait.pathway == (pathway or ALL_PATHWAYS)


def kpi_ends(session: Session, months: list[str], pathway: str | None) -> dict:
    """queries.monthly_median_waits for quintiles 1 and 5 of each pathway (or `pathway` alone), with the gap
    interval's order statistics: {(pathway, month, quintile): {"n", "median", "lower", "upper"}}."""
    chosen = MonthlyWait.pathway == pathway if pathway else MonthlyWait.pathway != ALL_PATHWAYS
    return _read(session, months, chosen, (1, 5), lambda unstored: (
        queries.monthly_median_waits(session, unstored, pathway, quintiles=(1, 5), ranks=interval_ranks)),
        lambda row: (row.pathway, row.month, row.quintile))


def quintile_medians(session: Session, months: list[str], pathway: str | None) -> dict:
    """Each quintile's median per month, of one pathway or all together: {(None, month, quintile): {"n", ...}}."""
    return _read(session, months, _pathway(pathway), QUINTILES, lambda unstored: (
        queries.monthly_median_waits(session, unstored, pathway, by_pathway=False)),
        lambda row: (None, row.month, row.quintile))


def everyone_medians(session: Session, months: list[str], pathway: str | None) -> dict:
    """Everyone's median per month, of one pathway or all together: {month: {"n", "median"}}."""
    return _read(session, months, _pathway(pathway), (EVERYONE,), lambda unstored: (
        queries.monthly_median_wait(session, unstored, pathway)), lambda row: row.month)


def unstored(session: Session, this_month: str) -> list[dict]:
    """Every month before `this_month` since the first first contact that is not stored, as monthly_waits rows:
    each pathway's and all pathways' figures for each quintile and for everyone, and the row (every pathway,
    everyone) of each month even with no one."""
    first = session.scalar(select(ReferralFact.first_contact_month).where(
        ReferralFact.first_contact_month.is_not(None)).order_by(ReferralFact.first_contact_month).limit(1))
    if first is None or first >= this_month:
        return []
    stored = set(session.scalars(select(MonthlyWait.month).where(
        MonthlyWait.pathway == ALL_PATHWAYS, MonthlyWait.quintile == EVERYONE)))
    months = [month for month in periods.month_range(first, this_month) if month < this_month and month not in stored]
    if not months:
        return []
    found = queries.monthly_median_waits(session, months, ranks=interval_ranks)
    found |= {(ALL_PATHWAYS, *key[1:]): value for key, value in queries.monthly_median_waits(
        session, months, by_pathway=False, ranks=interval_ranks).items()}
    found |= {(pathway, month, EVERYONE): value for (pathway, month), value in queries.monthly_median_wait(
        session, months, by_pathway=True).items()}
    everyone = queries.monthly_median_wait(session, months)
    found |= {(ALL_PATHWAYS, month, EVERYONE): everyone.get(month, {"n": 0, "median": None}) for month in months}
    return [{"pathway": pathway, "month": month, "quintile": quintile, "n": value["n"], "median": value["median"],
             "lower": value.get("lower"), "upper": value.get("upper")}
            for (pathway, month, quintile), value in found.items()]
