"""Equity KPI governance (DOMAIN.md): a month whose gap on one of the equity KPIs (domain/kpis.py: the wait gap,
the improvement gap) breached the pathway's threshold, or showed special cause on its run chart, opens an item; a
manager records the variance explanation, the corrective action, a named lead, a due date and the month to
re-measure, and closes it with a note once that month has closed.

A closed month's figures are as of now, not final: an attendance or answer recorded late moves its month. The sweep
keeps each closed month as first reported (report_months), so the dashboard can mark a month restated since, and an
item opened for a month first reported within threshold says it arose from a restatement."""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, locking
from inclusive_access.domain.access import MANAGEMENT, require_role
from inclusive_access.domain.actors import SYSTEM, Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.kpis import WAIT_GAP, Kpi
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import GovernanceItem, ReportedKpiMonth

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])\Z")
#: what a first report keeps of a KPI month (with its KPI)
REPORTED_KEYS = ("pathway", "month", "gap_days", "q1_n", "q5_n", "judged", "breach")


def _current_month(now: datetime) -> str:
    return now.astimezone(LONDON).strftime("%Y-%m")


def report_months(session: Session, kpi: Kpi, months: list[dict], now: datetime | None = None) -> int:
    """Keep each closed month of `kpi` (a dict of REPORTED_KEYS) not reported before as first reported now; a month
    already reported keeps what it was first reported as. Returns how many were new (one event lists them)."""
    now = now or datetime.now(UTC)
    if open_months := sorted({m["month"] for m in months if m["month"] >= _current_month(now)}):
        raise ValueError(f"{', '.join(open_months)} has not closed yet")
    if not months:
        return 0
    events.lock_log(session)
    known = set(session.execute(select(ReportedKpiMonth.pathway, ReportedKpiMonth.month).where(
        ReportedKpiMonth.kpi == kpi.code, ReportedKpiMonth.pathway.in_({m["pathway"] for m in months}),
        ReportedKpiMonth.month.in_({m["month"] for m in months}))).all())
    new = [{key: m[key] for key in REPORTED_KEYS} for m in months if (m["pathway"], m["month"]) not in known]
    if new:
        session.add_all(ReportedKpiMonth(**m, kpi=kpi.code, first_reported_at=now) for m in new)
        session.flush()
        events.record(session, SYSTEM, actions.GOVERNANCE_MONTHS_REPORTED, "reported_kpi_month", now=now,
                      data={"kpi": kpi.code, "months": new})
    return len(new)


def open_item(session: Session, pathway: str, month: str, gap_days: float, ratio: float | None,
              threshold_days: float, breach: bool, special_cause: bool, now: datetime | None = None,
              first_reported_at: datetime | None = None,
              first_reported_gap_days: float | None = None, kpi: Kpi = WAIT_GAP) -> GovernanceItem | None:
    """Open the item for a triggered month of `kpi`, once: returns it, or None if that month already has one.

    Only closed months are judged, as they stand now. An item that arose from a restatement (its month first
    reported within threshold, or not judged) is given when the month was first reported and the gap it showed.
    The system opens items, from `flask equity sweep`.
    """
    now = now or datetime.now(UTC)
    if not (breach or special_cause):
        raise ValueError("a governance item needs a breach or a special cause")
    if month >= _current_month(now):
        raise ValueError(f"{month} has not closed yet")
    events.lock_log(session)
    if session.scalar(select(GovernanceItem.id).where(GovernanceItem.kpi == kpi.code,
                                                      GovernanceItem.pathway == pathway,
                                                      GovernanceItem.month == month)):
        return None
    item = GovernanceItem(kpi=kpi.code, pathway=pathway, month=month, gap_days=gap_days, ratio=ratio,
                          threshold_days=threshold_days, breach=breach, special_cause=special_cause,
                          opened_at=now, status="open", first_reported_at=first_reported_at,
                          first_reported_gap_days=first_reported_gap_days)
    restatement = {"first_reported_at": first_reported_at, "first_reported_gap_days": first_reported_gap_days
                   } if first_reported_at is not None else {}
    session.add(item)
    session.flush()
    events.record(session, SYSTEM, actions.GOVERNANCE_OPENED, "governance_item", item.id, now=now,
                  data={"kpi": kpi.code, "pathway": pathway, "month": month, "gap_days": gap_days, "ratio": ratio,
                        "threshold_days": threshold_days, "breach": breach, "special_cause": special_cause,
                        "restatement": bool(restatement), **restatement})
    return item


@dataclass(frozen=True)
class Plan:
    """The manager's response to a breach."""

    variance_explanation: str
    corrective_action: str
    lead_name: str
    due_date: date | None
    remeasure_month: str

    def errors(self, item: GovernanceItem, today: date) -> dict[str, str]:
        found = {}
        if not self.variance_explanation.strip():
            found["variance_explanation"] = "Explain the variance"
        if not self.corrective_action.strip():
            found["corrective_action"] = "Describe the corrective action"
        if not self.lead_name.strip():
            found["lead_name"] = "Name the lead for the action"
        if self.due_date is None:
            found["due_date"] = "Enter the date the action is due"
        elif self.due_date < today:
            found["due_date"] = "The due date must be today or in the future"
        if not MONTH.match(self.remeasure_month or ""):
            found["remeasure_month"] = "Enter the month to re-measure as YYYY-MM"
        elif self.remeasure_month <= item.month:
            found["remeasure_month"] = f"The month to re-measure must be after {item.month}"
        return found


def plan_refusal(item: GovernanceItem) -> str | None:
    """Why the response cannot be recorded now, or None."""
    return "This governance item is closed." if item.status != "open" else None


def close_refusal(item: GovernanceItem, now: datetime | None = None) -> str | None:
    """Why the item cannot be closed now, or None: it needs its response, and its re-measure month over."""
    if item.status != "open":
        return "This governance item is closed."
    if item.plan_recorded_at is None:
        return "Record the explanation and corrective action before closing."
    if not remeasured(item, now):
        return f"Close this item once {item.remeasure_month} has closed and been re-measured."
    return None


def _editable(item: GovernanceItem, seen_version: int) -> None:
    if refusal := plan_refusal(item):
        raise TransitionNotAllowed(refusal)
    if seen_version != item.version:
        raise StaleRecord("This governance item changed since you opened it.")


def record_plan(session: Session, actor: Actor, item: GovernanceItem, seen_version: int, plan: Plan,
                now: datetime | None = None) -> None:
    """Record (or revise, while open) the explanation, corrective action, lead, due date and re-measure month."""
    require_role(actor, MANAGEMENT)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    _editable(item, seen_version)
    if errors := plan.errors(item, now.astimezone(LONDON).date()):
        raise InvalidInput(errors)
    item.variance_explanation, item.corrective_action = plan.variance_explanation, plan.corrective_action
    item.lead_name, item.due_date, item.remeasure_month = plan.lead_name, plan.due_date, plan.remeasure_month
    item.plan_recorded_by, item.plan_recorded_at = actor.user_id, now
    locking.flush(session, "governance item")
    events.record(session, actor, actions.GOVERNANCE_PLAN_RECORDED, "governance_item", item.id, now=now,
                  data={"variance_explanation": plan.variance_explanation,
                        "corrective_action": plan.corrective_action, "lead_name": plan.lead_name,
                        "due_date": plan.due_date, "remeasure_month": plan.remeasure_month})


def remeasured(item: GovernanceItem, now: datetime | None = None) -> bool:
    """The re-measure month is over, so its gap can be judged (as it stands now: late entries may restate it)."""
    return bool(item.remeasure_month) and item.remeasure_month < _current_month(now or datetime.now(UTC))


def close_item(session: Session, actor: Actor, item: GovernanceItem, seen_version: int, note: str,
               remeasured_gap_days: float | None, now: datetime | None = None) -> None:
    """Close with a note, once the plan is recorded and its re-measure month has closed; the re-measured gap
    the manager saw is kept in the event."""
    require_role(actor, MANAGEMENT)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    _editable(item, seen_version)
    if refusal := close_refusal(item, now):
        raise TransitionNotAllowed(refusal)
    if not note.strip():
        raise InvalidInput({"closure_note": "Write the closure note"})
    item.status, item.closure_note, item.closed_by, item.closed_at = "closed", note, actor.user_id, now
    locking.flush(session, "governance item")
    events.record(session, actor, actions.GOVERNANCE_CLOSED, "governance_item", item.id, now=now,
                  data={"kpi": item.kpi, "closure_note": note, "remeasure_month": item.remeasure_month,
                        "remeasured_gap_days": remeasured_gap_days})


def items(session: Session, status: str | None = None, limit: int = 200) -> list[GovernanceItem]:
    """Governance items, open first then newest month first (reads ix_governance_status_month)."""
    query = select(GovernanceItem)
    if status:
        query = query.where(GovernanceItem.status == status)
    return list(session.scalars(query.order_by(GovernanceItem.status.desc(), GovernanceItem.month.desc(),
                                               GovernanceItem.pathway).limit(limit)))


def items_of_quarter(session: Session, first: str, last: str, start: datetime,
                     end: datetime) -> list[GovernanceItem]:
    """The items a quarterly review lists: those about a month from `first` to `last`, and those open at any time
    from `start` to `end` (opened before its end, not closed before its start), by KPI, pathway and month."""
    about = GovernanceItem.month.between(first, last)
    open_during = (GovernanceItem.opened_at < end) & (GovernanceItem.closed_at.is_(None)
                                                      | (GovernanceItem.closed_at >= start))
    return list(session.scalars(select(GovernanceItem).where(about | open_during)
                                .order_by(GovernanceItem.kpi, GovernanceItem.pathway, GovernanceItem.month)))


def items_by_point(session: Session, pathways: list[str], first: str, last: str,
                   kpi: Kpi = WAIT_GAP) -> dict[tuple[str, str], int]:
    """{(pathway, month): item id} for the points of `kpi` a chart shows, to link each point to its item."""
    rows = session.execute(select(GovernanceItem.pathway, GovernanceItem.month, GovernanceItem.id)
                           .where(GovernanceItem.kpi == kpi.code, GovernanceItem.pathway.in_(pathways),
                                  GovernanceItem.month >= first, GovernanceItem.month <= last))
    return {(row.pathway, row.month): row.id for row in rows}


def reported_months(session: Session, pathways: list[str], first: str, last: str,
                    kpi: Kpi = WAIT_GAP) -> dict[tuple[str, str], ReportedKpiMonth]:
    """{(pathway, month): first report} for the months of `kpi` a page shows, in one query."""
    rows = session.scalars(select(ReportedKpiMonth).where(ReportedKpiMonth.kpi == kpi.code,
                                                          ReportedKpiMonth.pathway.in_(pathways),
                                                          ReportedKpiMonth.month >= first,
                                                          ReportedKpiMonth.month <= last))
    return {(row.pathway, row.month): row for row in rows}
