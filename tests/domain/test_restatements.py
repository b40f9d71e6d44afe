"""Restated KPI months: a closed month's figures are as recorded now, so an attendance recorded after the month
closed can move its gap; the sweep keeps each closed month as first reported, the KPI marks a month restated since,
and an item opened because of a restatement says so."""
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, appointments, governance
from inclusive_access.domain.kpis import WAIT_GAP
from inclusive_access.domain.policy import Policy
from inclusive_access.models import GovernanceItem, ReportedKpiMonth
from inclusive_access.reporting import exports, governance_sweep, kpi
from inclusive_access.reporting.queries import Period
from tests.event_log import actions_since, count, data_of, head
from tests.factories import accept_and_book, make_referral, staff, wait_gap_month

#: as in the issue, a month whose gap was reported as 1 day and moved to 4 by an attendance recorded late: March
#: 2026, quintile 1 waits with median 6 and quintile 5 waits with median 5 on ten people each
MONTH, UNCHANGED = "2026-03", "2026-02"
Q1_WAITS = (1, 1, 2, 2, 3, 9, 12, 12, 12, 12)
Q5_WAITS = (3, 4, 4, 5, 5, 5, 5, 6, 6, 7)
FIRST_SWEEP = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # the night March closed
LATE_RECORDED = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)  # the 13 March attendance, recorded on 2 April
SECOND_SWEEP = datetime(2026, 4, 3, 1, 0, tzinfo=UTC)


@pytest.fixture
def late_history(db_session, made_once):
    """March first reported at a gap of 1 day; then the 13 March attendance recorded on 2 April; February, a gap of
    1 day too, untouched. Returns the sweeps' counts of items opened."""
    return made_once("late_history", lambda: _late_history(db_session))


def _late_history(db_session) -> tuple[int, int]:
    clinician = staff(db_session, "clinician")
    for month in (UNCHANGED, MONTH):
        wait_gap_month(db_session, clinician, month, Q1_WAITS, Q5_WAITS)
    late = accept_and_book(db_session, clinician, make_referral(
        db_session, received_at=f"{MONTH}-01 09:00", imd_decile="1", pathway="msk"), 12)
    db_session.commit()
    first = governance_sweep.sweep(db_session, Policy(), FIRST_SWEEP)
    db_session.commit()
    appointments.record_outcome(db_session, clinician, late, late.version, "attended", now=LATE_RECORDED)
    db_session.commit()
    second = governance_sweep.sweep(db_session, Policy(), SECOND_SWEEP)
    db_session.commit()
    return first, second


def months(session) -> dict[str, kpi.GapMonth]:
    [series] = kpi.gap_series(session, ["msk"], MONTH, Policy())
    return {m.month: m for m in series.months}


def test_the_first_sweep_reports_each_closed_month_once_as_it_stood(db_session, late_history):
    rows = {r.month: r for r in db_session.scalars(select(ReportedKpiMonth).where(
        ReportedKpiMonth.kpi == "wait_gap", ReportedKpiMonth.pathway == "msk"))}
    assert set(rows) == {UNCHANGED, MONTH}
    march = rows[MONTH]
    assert (march.first_reported_at, march.gap_days, march.q1_n, march.q5_n, march.judged, march.breach) == (
        FIRST_SWEEP, 1.0, 10, 10, True, False)
    reported = {data["kpi"]: data for data in data_of(db_session, actions.GOVERNANCE_MONTHS_REPORTED)}["wait_gap"]
    assert {(m["pathway"], m["month"], m["gap_days"]) for m in reported["months"]} >= {
        ("msk", UNCHANGED, 1.0), ("msk", MONTH, 1.0)}


def test_a_late_attendance_restates_the_closed_month_with_what_was_first_reported(db_session, late_history):
    shown = months(db_session)
    march = shown[MONTH]
    assert (march.gap, march.q1_n, march.breach) == (4.0, 11, True)
    assert march.restated
    assert (march.reported.gap, march.reported.q1_n, march.reported.reported_at) == (1.0, 10, FIRST_SWEEP)
    assert not shown[UNCHANGED].restated, "a month nothing changed is not marked"
    assert shown[UNCHANGED].reported.gap == 1.0


def test_the_item_opened_after_the_restatement_says_it_arose_from_one(db_session, late_history):
    assert late_history == (0, 1), "within threshold when first reported; a breach once restated"
    item = db_session.scalars(select(GovernanceItem)).one()
    assert (item.month, item.gap_days, item.first_reported_at, item.first_reported_gap_days) == (
        MONTH, 4.0, FIRST_SWEEP, 1.0)
    [opened] = data_of(db_session, actions.GOVERNANCE_OPENED)
    assert (opened["restatement"], opened["first_reported_gap_days"]) == (True, 1.0)
    assert opened["first_reported_at"] == FIRST_SWEEP.isoformat()


def test_later_sweeps_keep_the_first_report(db_session, late_history):
    before, reported = head(db_session), count(db_session, ReportedKpiMonth)
    assert governance_sweep.sweep(db_session, Policy(), SECOND_SWEEP + timedelta(days=1)) == 0
    db_session.commit()
    assert actions_since(db_session, before) == []
    assert count(db_session, ReportedKpiMonth) == reported
    march = db_session.get(ReportedKpiMonth, ("wait_gap", "msk", MONTH))
    assert (march.gap_days, march.first_reported_at) == (1.0, FIRST_SWEEP)


def test_an_item_for_a_month_breached_when_first_reported_is_not_a_restatement(db_session):
    clinician = staff(db_session, "clinician")
    wait_gap_month(db_session, clinician, MONTH, Q1_WAITS, (1, 1, 1, 1, 1, 1, 1, 1, 1, 1))
    db_session.commit()
    assert governance_sweep.sweep(db_session, Policy(), FIRST_SWEEP) == 1
    db_session.commit()
    item = db_session.scalars(select(GovernanceItem)).one()
    assert (item.first_reported_at, item.first_reported_gap_days) == (None, None)
    assert data_of(db_session, actions.GOVERNANCE_OPENED)[0]["restatement"] is False


def test_a_month_that_has_not_closed_cannot_be_reported(db_session):
    with pytest.raises(ValueError, match="2026-04 has not closed yet"):
        governance.report_months(db_session, WAIT_GAP, [{"pathway": "msk", "month": "2026-04", "gap_days": 1.0,
                                                         "q1_n": 10, "q5_n": 10, "judged": True, "breach": False}],
                                 now=FIRST_SWEEP)


def test_the_csvs_give_the_first_report_of_a_restated_month_only(db_session, late_history):
    series = [s.shared() for s in kpi.gap_series(db_session, ["msk"], MONTH, Policy())]
    rows = {r["month"]: r for r in csv.DictReader(io.StringIO(exports.kpi_csv(series)))}
    assert (rows[MONTH]["gap_days"], rows[MONTH]["restated"], rows[MONTH]["first_reported_gap_days"],
            rows[MONTH]["first_reported_on"]) == ("4.0", "True", "1.0", "2026-04-01")
    assert (rows[UNCHANGED]["restated"], rows[UNCHANGED]["first_reported_gap_days"],
            rows[UNCHANGED]["first_reported_on"]) == ("False", "", "")
    report = exports.report_csv(db_session, Period(UNCHANGED, MONTH, "msk"), Policy(), ["msk"])
    [march] = [r for r in csv.reader(io.StringIO(report)) if r[:2] == ["Equity KPI: msk", MONTH]]
    assert march[-1].endswith("above threshold; restated: first reported a gap of 1.0 days on 2026-04-01")
    [february] = [r for r in csv.reader(io.StringIO(report)) if r[:2] == ["Equity KPI: msk", UNCHANGED]]
    assert "restated" not in february[-1]
