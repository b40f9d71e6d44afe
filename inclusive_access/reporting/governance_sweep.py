"""`flask equity sweep`, nightly: store the closed months' wait figures not stored yet, judge the closed months of
each equity KPI as they stand now, open their governance items, and keep each closed month as first reported so
later changes show as restatements."""
from datetime import datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import governance, intake, monthly_waits
from inclusive_access.domain.kpis import KPIS, Kpi
from inclusive_access.domain.policy import Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.reporting import kpi as measured
from inclusive_access.reporting import periods, stored_waits


def _sweep_one(session: Session, kpi: Kpi, policy: Policy, now: datetime) -> int:
    this_month = now.astimezone(LONDON).strftime("%Y-%m")
    series = measured.gap_series(session, list(intake.active_pathway_codes(session)),
                                 periods.months_back(this_month, 2), policy, kpi=kpi)
    opened = 0
    for s in series:
        for month in s.triggered(before=this_month):
            was = month.reported if month.restated and not month.reported.breach else None
            opened += governance.open_item(
                session, s.pathway, month.month, month.gap, month.ratio, s.threshold, month.breach,
                month.special_cause, now=now, first_reported_at=was.reported_at if was else None,
                first_reported_gap_days=was.gap if was else None, kpi=kpi) is not None
    governance.report_months(session, kpi, [
        {"pathway": s.pathway, "month": m.month, "gap_days": m.gap, "q1_n": m.q1_n, "q5_n": m.q5_n,
         "judged": m.judged, "breach": m.breach} for s in series for m in s.months if m.reported is None], now=now)
    return opened


def sweep(session: Session, policy: Policy, now: datetime) -> int:
    """Store the closed months' wait figures not stored (new, or forgotten by a late entry); then for each KPI,
    open an item for each closed month judged a breach or special cause (once), saying so when it arose from a
    restatement of a month first reported within threshold, and report the closed months not reported before.
    Returns how many items opened."""
    monthly_waits.store(session, stored_waits.unstored(session, now.astimezone(LONDON).strftime("%Y-%m")), now)
    return sum(_sweep_one(session, kpi, policy, now) for kpi in KPIS.values())
