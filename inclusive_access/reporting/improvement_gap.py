"""The improvement gap's two ends in SQL: per pathway and month (or quarter) of follow-up, Europe/London, the share
of outcome questionnaires (PROMs, every instrument pooled) whose follow-up reached the minimal important change,
in IMD quintiles 1 and 5. Read from outcome_facts (one row per referral and instrument, written by the projection),
with the referral's pathway and quintile from referral_facts."""
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutcomeFact, ReferralFact
from inclusive_access.reporting import periods

OF, F = OutcomeFact, ReferralFact


def month_start(month: str) -> datetime:
    """Midnight UK time on the month's first day, in UTC: where a month of follow-up begins."""
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=LONDON).astimezone(UTC)


def _after(month: str) -> datetime:
    return month_start(periods.months_back(month, 0))


def shares_improved(session: Session, spans: list[tuple[str, str, str]], pathway: str | None = None,
                    quintiles: tuple[int, ...] = (1, 5)) -> dict:
    """{(pathway, label, quintile): {"n", "improved", "value"}} for consecutive spans (label, first month, last
    month), oldest first: n PROM results with a follow-up in the span whose improvement could be judged (improved
    not null), how many improved, and the share as a percentage. A quintile with no such result has no entry.

    The span is a CASE over UTC boundaries worked out here across the clock changes, so the database needs no time
    zone rules; it is grouped outside the CASE, which PostgreSQL would not match to the select's otherwise."""
    span = case(*((OF.followup_at < _after(last), label) for label, _, last in spans))
    conditions = [OF.kind == "prom", OF.improved.is_not(None), OF.followup_at >= month_start(spans[0][1]),
                  OF.followup_at < _after(spans[-1][2]), F.imd_quintile.in_(quintiles)]
    if pathway:
        conditions.append(F.pathway == pathway)
    results = (select(F.pathway.label("pathway"), span.label("span"), F.imd_quintile.label("quintile"),
                      OF.improved.label("improved"))
               .join(F, F.referral_id == OF.referral_id).where(*conditions).subquery())
    counted = (select(results.c.pathway, results.c.span, results.c.quintile, func.count(),
                      func.sum(case((results.c.improved, 1), else_=0)))
               .group_by(results.c.pathway, results.c.span, results.c.quintile))
    return {(row_pathway, label, quintile): {"n": n, "improved": improved, "value": 100 * improved / n}
            for row_pathway, label, quintile, n, improved in session.execute(counted)}
