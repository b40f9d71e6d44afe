"""Equity KPI governance: opening an item once per closed month, the manager's plan, closure after the re-measure
month, the database's own checks, the KPI gap on a crafted history, and `flask equity sweep` for each KPI."""
import json
import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from inclusive_access.domain import actions, governance, intake
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.governance import Plan
from inclusive_access.domain.kpis import IMPROVEMENT_GAP, KPIS
from inclusive_access.domain.policy import Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Event, GovernanceItem
from inclusive_access.models.governance import KPI_CODES
from inclusive_access.reporting import kpi, periods
from tests.conftest import make_app
from tests.event_log import actions_since, count, data_of, head, nothing_written
from tests.factories import (
    JUDGED_Q1_WAITS,
    JUDGED_Q5_WAITS,
    accept_and_attend,
    make_referral,
    make_user,
    staff,
    wait_gap_month,
)
from tests.reporting.improvement_history import improvement_month

MONTH = "2026-03"
OPENED = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)
PLANNED = datetime(2026, 4, 10, 11, 0, tzinfo=UTC)  # 10 April, 12:00 BST
PLAN = Plan("Two clinics closed for refurbishment", "Evening telephone clinics in Chapeltown", "Ama Mensah",
            date(2026, 5, 1), "2026-05")
REMEASURED = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)  # May, the re-measure month, has closed


# --- Helpers -------------------------------------------------------------------------------------

def open_breach(session, pathway: str = "msk", month: str = MONTH, now: datetime = OPENED) -> GovernanceItem:
    return governance.open_item(session, pathway, month, 6.0, 2.0, 2.0, breach=True, special_cause=False, now=now)


def plan_it(session, actor, item, plan: Plan = PLAN, now: datetime = PLANNED, version: int | None = None) -> None:
    governance.record_plan(session, actor, item, item.version if version is None else version, plan, now=now)


def close_it(session, actor, item, note: str = "Gap back within threshold in May", gap: float | None = 1.5,
             now: datetime = REMEASURED, version: int | None = None) -> None:
    governance.close_item(session, actor, item, item.version if version is None else version, note, gap, now=now)


def stored(session, item_id: int) -> GovernanceItem:
    session.expire_all()
    return session.get(GovernanceItem, item_id)


def contacted(session, actor, decile: str, days: int, received: str, pathway: str = "msk") -> None:
    """A referral from an area of IMD `decile`, received at `received` (UK time), first seen `days` later."""
    referral = make_referral(session, received_at=received, imd_decile=decile, pathway=pathway)
    accept_and_attend(session, actor, referral, days)


def known_gap_history(session, month: str, q1: tuple = JUDGED_Q1_WAITS, q5: tuple = JUDGED_Q5_WAITS) -> None:
    """wait_gap_month's msk waits (by default ten people at each end, medians 12 and 6: gap 6 days, ratio 2), and a
    quintile-3 referral seen after 25 days and a quintile-1 referral on another pathway that must not move them."""
    clinician = actor_for(make_user(session, "clinician"))
    wait_gap_month(session, clinician, month, q1, q5)
    contacted(session, clinician, "5", 25, f"{month}-01 10:00")
    contacted(session, clinician, "1", 20, f"{month}-01 10:00", pathway=other_pathway(session))


def too_few_history(session, month: str) -> None:
    """The same gap of 6 days, above the threshold, on three people in quintile 1 and two in quintile 5."""
    known_gap_history(session, month, q1=(10, 12, 14), q5=(5, 7))


def order_statistic_limits(waits: tuple, level: float) -> tuple[float, float]:
    """A median's order-statistic interval worked out afresh: the sorted waits at ranks j and n - j + 1 for the
    largest j whose binomial coverage, by exact sums, reaches `level`."""
    n, ordered = len(waits), sorted(waits)
    def coverage(j: int) -> Fraction:
        return 1 - Fraction(2 * sum(math.comb(n, i) for i in range(j)), 2 ** n)

    j = max(j for j in range(1, n // 2 + 1) if coverage(j) >= level)
    return ordered[j - 1], ordered[n - j]


def other_pathway(session) -> str:
    return next(code for code in intake.active_pathway_codes(session) if code != "msk")


@pytest.fixture
def manager(db_session):
    return actor_for(make_user(db_session, role="manager", username="manager"))


@pytest.fixture
def item(db_session) -> GovernanceItem:
    found = open_breach(db_session)
    db_session.commit()
    return found


@pytest.fixture
def planned(db_session, manager, item) -> GovernanceItem:
    plan_it(db_session, manager, item)
    db_session.commit()
    return item


# --- Opening an item -----------------------------------------------------------------------------

@pytest.mark.parametrize("kpi", KPIS.values(), ids=KPIS.keys())
def test_open_item_writes_one_row_and_one_event_with_the_numbers(db_session, kpi):
    before = head(db_session)
    item = governance.open_item(db_session, "msk", MONTH, 6.5, 2.1, 2.0, breach=True, special_cause=True, now=OPENED,
                                kpi=kpi)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.GOVERNANCE_OPENED]
    row = stored(db_session, item.id)
    assert (row.kpi, row.pathway, row.month, row.gap_days, row.ratio, row.threshold_days, row.breach,
            row.special_cause) == (kpi.code, "msk", MONTH, 6.5, 2.1, 2.0, True, True)
    assert (row.status, row.opened_at, row.version, row.plan_recorded_at, row.closed_at) == (
        "open", OPENED, 1, None, None)
    event = db_session.scalars(select(Event).where(Event.action == actions.GOVERNANCE_OPENED)).one()
    assert (event.entity_type, event.entity_id, event.actor_id, event.actor_role, event.occurred_at) == (
        "governance_item", item.id, None, None, OPENED)
    assert json.loads(event.data) == {"kpi": kpi.code, "pathway": "msk", "month": MONTH, "gap_days": 6.5,
                                      "ratio": 2.1, "threshold_days": 2.0, "breach": True, "special_cause": True,
                                      "restatement": False}


def test_a_month_opens_only_once(db_session, item):
    before = head(db_session)
    again = governance.open_item(db_session, "msk", MONTH, 9.0, 3.0, 2.0, breach=True, special_cause=False,
                                 now=OPENED + timedelta(days=1))
    db_session.commit()
    assert again is None
    assert count(db_session, GovernanceItem) == 1
    assert actions_since(db_session, before) == []
    assert stored(db_session, item.id).gap_days == 6.0, "the first opening's numbers are kept"


def test_the_same_month_on_another_pathway_opens_its_own_item(db_session, item):
    other = open_breach(db_session, pathway=other_pathway(db_session))
    db_session.commit()
    assert other is not None
    assert other.id != item.id
    assert count(db_session, GovernanceItem) == 2


def test_the_same_month_on_the_other_kpi_opens_its_own_item(db_session, item):
    other = governance.open_item(db_session, "msk", MONTH, 12.5, None, 10.0, breach=True, special_cause=False,
                                 now=OPENED, kpi=IMPROVEMENT_GAP)
    db_session.commit()
    assert (other.kpi, item.kpi) == ("improvement_gap", "wait_gap")
    assert count(db_session, GovernanceItem) == 2


@pytest.mark.parametrize(("month", "now"), [
    ("2026-04", OPENED),  # the current month
    ("2026-05", OPENED),  # a future month
    ("2026-03", datetime(2026, 3, 31, 22, 30, tzinfo=UTC)),  # 23:30 BST on 31 March: March is still open
], ids=["current-month", "future-month", "last-hour-of-the-month-in-london"])
def test_open_item_refuses_a_month_that_has_not_closed(db_session, month, now):
    before = head(db_session)
    with pytest.raises(ValueError, match="has not closed yet"):
        open_breach(db_session, month=month, now=now)
    assert count(db_session, GovernanceItem) == 0
    assert actions_since(db_session, before) == []


def test_a_month_has_closed_once_it_is_over_in_london(db_session):
    # 23:30 UTC on 31 March is 00:30 BST on 1 April.
    assert open_breach(db_session, now=datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) is not None


def test_open_item_refuses_a_month_with_neither_breach_nor_special_cause(db_session):
    with pytest.raises(ValueError, match="breach or a special cause"):
        governance.open_item(db_session, "msk", MONTH, 1.0, 1.2, 2.0, breach=False, special_cause=False, now=OPENED)
    assert count(db_session, GovernanceItem) == 0


# --- Recording the plan --------------------------------------------------------------------------

def test_a_manager_records_the_plan(db_session, manager, item):
    before = head(db_session)
    plan_it(db_session, manager, item)
    db_session.commit()
    row = stored(db_session, item.id)
    assert (row.variance_explanation, row.corrective_action, row.lead_name, row.due_date, row.remeasure_month) == (
        PLAN.variance_explanation, PLAN.corrective_action, PLAN.lead_name, PLAN.due_date, PLAN.remeasure_month)
    assert (row.plan_recorded_by, row.plan_recorded_at, row.version, row.status) == (
        manager.user_id, PLANNED, 2, "open")
    assert actions_since(db_session, before) == [actions.GOVERNANCE_PLAN_RECORDED]
    event = db_session.scalars(select(Event).where(Event.action == actions.GOVERNANCE_PLAN_RECORDED)).one()
    assert (event.entity_type, event.entity_id, event.actor_id, event.actor_role, event.occurred_at) == (
        "governance_item", item.id, manager.user_id, "manager", PLANNED)
    assert json.loads(event.data) == {
        "variance_explanation": PLAN.variance_explanation, "corrective_action": PLAN.corrective_action,
        "lead_name": PLAN.lead_name, "due_date": "2026-05-01", "remeasure_month": "2026-05"}


def test_the_plan_may_be_revised_while_the_item_is_open(db_session, manager, planned):
    revised = replace(PLAN, corrective_action="Saturday clinics as well", remeasure_month="2026-06")
    plan_it(db_session, manager, planned, revised, now=PLANNED + timedelta(days=3))
    db_session.commit()
    row = stored(db_session, planned.id)
    assert (row.corrective_action, row.remeasure_month, row.plan_recorded_at, row.version) == (
        "Saturday clinics as well", "2026-06", PLANNED + timedelta(days=3), 3)
    assert [d["corrective_action"] for d in data_of(db_session, actions.GOVERNANCE_PLAN_RECORDED)] == [
        PLAN.corrective_action, "Saturday clinics as well"]


def test_a_due_date_of_today_in_london_is_accepted(db_session, manager, item):
    # 23:30 UTC on 9 April is 00:30 BST on 10 April: "today" is the 10th.
    plan_it(db_session, manager, item, replace(PLAN, due_date=date(2026, 4, 10)),
            now=datetime(2026, 4, 9, 23, 30, tzinfo=UTC))
    assert stored(db_session, item.id).due_date == date(2026, 4, 10)


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor"])
def test_only_a_manager_records_the_plan(db_session, item, actor):
    with nothing_written(db_session), pytest.raises(NotPermitted):
        plan_it(db_session, actor, item)
    assert stored(db_session, item.id).plan_recorded_at is None


def test_the_system_may_not_record_a_plan(db_session, item):
    with pytest.raises(NotPermitted):
        plan_it(db_session, SYSTEM, item)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"variance_explanation": ""}, "variance_explanation", "Explain the variance"),
    ({"variance_explanation": "  \n "}, "variance_explanation", "Explain the variance"),
    ({"corrective_action": " "}, "corrective_action", "Describe the corrective action"),
    ({"lead_name": ""}, "lead_name", "Name the lead for the action"),
    ({"due_date": None}, "due_date", "Enter the date the action is due"),
    ({"due_date": date(2026, 4, 9)}, "due_date", "The due date must be today or in the future"),
    ({"remeasure_month": ""}, "remeasure_month", "Enter the month to re-measure as YYYY-MM"),
    ({"remeasure_month": "2026-5"}, "remeasure_month", "Enter the month to re-measure as YYYY-MM"),
    ({"remeasure_month": "2026-13"}, "remeasure_month", "Enter the month to re-measure as YYYY-MM"),
    ({"remeasure_month": "May 2026"}, "remeasure_month", "Enter the month to re-measure as YYYY-MM"),
    ({"remeasure_month": "2026-05\n"}, "remeasure_month", "Enter the month to re-measure as YYYY-MM"),
    ({"remeasure_month": MONTH}, "remeasure_month", "The month to re-measure must be after 2026-03"),
    ({"remeasure_month": "2026-02"}, "remeasure_month", "The month to re-measure must be after 2026-03"),
], ids=["blank-explanation", "spaces-explanation", "blank-action", "blank-lead", "no-due-date", "past-due-date",
        "blank-month", "one-digit-month", "month-13", "month-in-words", "month-with-newline", "same-month",
        "earlier-month"])
def test_an_invalid_plan_is_refused_with_its_field_and_saves_nothing(db_session, manager, item, changes, field,
                                                                     message):
    before = head(db_session)
    with pytest.raises(InvalidInput) as refused:
        plan_it(db_session, manager, item, replace(PLAN, **changes))
    assert refused.value.errors == {field: message}
    db_session.rollback()
    assert actions_since(db_session, before) == []
    row = stored(db_session, item.id)
    assert (row.variance_explanation, row.plan_recorded_at, row.version) == (None, None, 1)


def test_every_invalid_field_is_reported_at_once(db_session, manager, item):
    with pytest.raises(InvalidInput) as refused:
        plan_it(db_session, manager, item, Plan("", "", "", None, ""))
    assert set(refused.value.errors) == {"variance_explanation", "corrective_action", "lead_name", "due_date",
                                         "remeasure_month"}


def test_a_plan_from_a_stale_page_is_refused(db_session, manager, planned):
    with nothing_written(db_session), pytest.raises(StaleRecord):
        plan_it(db_session, manager, planned, replace(PLAN, lead_name="Someone Else"), version=1)
    row = stored(db_session, planned.id)
    assert (row.lead_name, row.version) == (PLAN.lead_name, 2)


# --- Closing -------------------------------------------------------------------------------------

def test_an_item_closes_with_a_note_after_its_remeasure_month(db_session, manager, planned):
    before = head(db_session)
    close_it(db_session, manager, planned, note="May gap 1.5 days; evening clinics kept", gap=1.5)
    db_session.commit()
    row = stored(db_session, planned.id)
    assert (row.status, row.closure_note, row.closed_by, row.closed_at, row.version) == (
        "closed", "May gap 1.5 days; evening clinics kept", manager.user_id, REMEASURED, 3)
    assert actions_since(db_session, before) == [actions.GOVERNANCE_CLOSED]
    event = db_session.scalars(select(Event).where(Event.action == actions.GOVERNANCE_CLOSED)).one()
    assert (event.entity_type, event.entity_id, event.actor_id, event.occurred_at) == (
        "governance_item", planned.id, manager.user_id, REMEASURED)
    assert json.loads(event.data) == {"kpi": "wait_gap", "closure_note": "May gap 1.5 days; evening clinics kept",
                                      "remeasure_month": "2026-05", "remeasured_gap_days": 1.5}


def test_an_item_without_a_plan_cannot_close(db_session, manager, item):
    with pytest.raises(TransitionNotAllowed, match="Record the explanation"):
        close_it(db_session, manager, item)
    db_session.rollback()
    assert stored(db_session, item.id).status == "open"


@pytest.mark.parametrize("now", [
    datetime(2026, 5, 20, 9, 0, tzinfo=UTC),
    datetime(2026, 5, 31, 22, 30, tzinfo=UTC),  # 23:30 BST on 31 May
], ids=["mid-may", "last-hour-of-may-in-london"])
def test_an_item_cannot_close_before_its_remeasure_month_has_closed(db_session, manager, planned, now):
    with nothing_written(db_session), pytest.raises(TransitionNotAllowed, match="once 2026-05 has closed"):
        close_it(db_session, manager, planned, now=now)
    assert stored(db_session, planned.id).status == "open"


def test_an_item_may_close_in_the_first_hour_of_the_next_month_in_london(db_session, manager, planned):
    close_it(db_session, manager, planned, now=datetime(2026, 5, 31, 23, 30, tzinfo=UTC))  # 00:30 BST, 1 June
    assert stored(db_session, planned.id).status == "closed"


def test_remeasured_follows_the_london_calendar(planned):
    assert not governance.remeasured(planned, datetime(2026, 5, 31, 22, 59, tzinfo=UTC))
    assert governance.remeasured(planned, datetime(2026, 5, 31, 23, 0, tzinfo=UTC))
    assert not governance.remeasured(GovernanceItem(month=MONTH, remeasure_month=None), REMEASURED)


@pytest.mark.parametrize("note", ["", "   \n"], ids=["empty", "spaces"])
def test_closing_needs_a_note(db_session, manager, planned, note):
    before = head(db_session)
    with pytest.raises(InvalidInput) as refused:
        close_it(db_session, manager, planned, note=note)
    assert refused.value.errors == {"closure_note": "Write the closure note"}
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert stored(db_session, planned.id).status == "open"


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor"])
def test_only_a_manager_closes_an_item(db_session, planned, role):
    actor = staff(db_session, role)
    with pytest.raises(NotPermitted):
        close_it(db_session, actor, planned)


def test_a_close_from_a_stale_page_is_refused(db_session, manager, planned):
    with pytest.raises(StaleRecord):
        close_it(db_session, manager, planned, version=1)
    db_session.rollback()
    assert stored(db_session, planned.id).status == "open"


def test_a_closed_item_refuses_a_new_plan_or_a_second_close(db_session, manager, planned):
    close_it(db_session, manager, planned)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(TransitionNotAllowed, match="closed"):
        plan_it(db_session, manager, planned, replace(PLAN, lead_name="Someone Else"), now=REMEASURED)
    with pytest.raises(TransitionNotAllowed, match="closed"):
        close_it(db_session, manager, planned, note="Again")
    db_session.rollback()
    assert actions_since(db_session, before) == []
    row = stored(db_session, planned.id)
    assert (row.lead_name, row.closure_note, row.version) == (PLAN.lead_name, "Gap back within threshold in May", 3)


# --- The database's own checks -------------------------------------------------------------------

@pytest.mark.parametrize("changes", [
    {"status": "closed"},  # no note, no plan
    {"status": "closed", "closure_note": "Done"},  # a note but no plan
    {"status": "resolved"},
    {"breach": False},  # neither breach nor special cause
    {"kpi": "queue_gap"},
], ids=["closed-without-note", "closed-without-plan", "unknown-status", "no-trigger", "unknown-kpi"])
def test_the_database_refuses_an_item_the_domain_would_not_make(db_session, item, changes):
    row = db_session.get(GovernanceItem, item.id)
    for name, value in changes.items():
        setattr(row, name, value)
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()
    assert stored(db_session, item.id).status == "open"


def test_the_database_refuses_a_closed_item_without_a_note_even_with_a_plan(db_session, planned):
    row = db_session.get(GovernanceItem, planned.id)
    row.status = "closed"
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_the_database_knows_every_kpi_the_domain_defines():
    assert tuple(KPIS) == KPI_CODES


def test_the_database_refuses_a_second_item_for_the_same_kpi_pathway_and_month(db_session, item):
    db_session.add(GovernanceItem(kpi="wait_gap", pathway="msk", month=MONTH, gap_days=1.0, threshold_days=2.0,
                                  breach=True, special_cause=False, opened_at=OPENED, status="open"))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


# --- Lists ---------------------------------------------------------------------------------------

def test_items_list_open_first_then_newest_month_first(db_session, manager):
    old_closed = open_breach(db_session, month="2025-11", now=OPENED)
    plan_it(db_session, manager, old_closed, replace(PLAN, remeasure_month="2026-01"))
    close_it(db_session, manager, old_closed)
    new_closed = open_breach(db_session, month="2026-02", now=OPENED)
    plan_it(db_session, manager, new_closed)
    close_it(db_session, manager, new_closed)
    older_open = open_breach(db_session, month="2026-01", now=OPENED)
    newer_open = open_breach(db_session, month="2026-03", now=OPENED)
    db_session.commit()
    assert [i.id for i in governance.items(db_session)] == [newer_open.id, older_open.id, new_closed.id,
                                                           old_closed.id]
    assert [i.id for i in governance.items(db_session, "open")] == [newer_open.id, older_open.id]
    assert [i.id for i in governance.items(db_session, "closed")] == [new_closed.id, old_closed.id]
    assert [i.id for i in governance.items(db_session, limit=1)] == [newer_open.id]


def test_items_by_point_links_the_chart_points_shown(db_session):
    other = other_pathway(db_session)
    january, march = open_breach(db_session, month="2026-01"), open_breach(db_session)
    elsewhere = open_breach(db_session, pathway=other, month="2026-02")
    open_breach(db_session, month="2025-12")  # before the chart's first month
    governance.open_item(db_session, "msk", "2026-02", 15.0, None, 10.0, breach=True, special_cause=False,
                         now=OPENED, kpi=IMPROVEMENT_GAP)  # another KPI's chart
    assert governance.items_by_point(db_session, ["msk"], "2026-01", "2026-03") == {
        ("msk", "2026-01"): january.id, ("msk", "2026-03"): march.id}
    assert governance.items_by_point(db_session, ["msk", other], "2026-02", "2026-03") == {
        (other, "2026-02"): elsewhere.id, ("msk", "2026-03"): march.id}


def test_a_quarters_items_are_those_about_it_or_open_during_it(db_session, manager):
    """Quarter 2 of 2026 runs from 00:00 BST on 1 April (23:00 UTC on 31 March) to 00:00 BST on 1 July."""
    closed_before = open_breach(db_session, month="2025-11", now=datetime(2025, 12, 2, tzinfo=UTC))
    plan_it(db_session, manager, closed_before, replace(PLAN, due_date=date(2025, 12, 31), remeasure_month="2026-01"),
            now=datetime(2025, 12, 5, tzinfo=UTC))
    close_it(db_session, manager, closed_before, now=datetime(2026, 3, 31, 22, 59, tzinfo=UTC))
    carried = open_breach(db_session, month="2026-01", now=datetime(2026, 2, 2, tzinfo=UTC))
    about = open_breach(db_session, month="2026-05", now=datetime(2026, 6, 2, tzinfo=UTC))
    improvement = governance.open_item(db_session, "msk", "2026-05", 15.0, None, 10.0, breach=True,
                                       special_cause=False, now=datetime(2026, 7, 2, tzinfo=UTC), kpi=IMPROVEMENT_GAP)
    open_breach(db_session, month="2026-07", now=datetime(2026, 8, 2, tzinfo=UTC))  # after the quarter
    start, end = datetime(2026, 3, 31, 23, tzinfo=UTC), datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert governance.items_of_quarter(db_session, "2026-04", "2026-06", start, end) == [improvement, carried, about]


# --- The KPI gap on a crafted history ------------------------------------------------------------

def test_the_gap_for_a_month_is_the_difference_of_the_quintile_medians_with_its_interval(db_session):
    known_gap_history(db_session, "2026-06")
    db_session.commit()
    # each end's interval at sqrt(0.95), so that both hold together at 95%: the gap's runs between them, crossed
    q1_lower, q1_upper = order_statistic_limits(JUDGED_Q1_WAITS, math.sqrt(0.95))
    q5_lower, q5_upper = order_statistic_limits(JUDGED_Q5_WAITS, math.sqrt(0.95))
    month = kpi.gap_for(db_session, "msk", "2026-06", Policy())
    assert month == kpi.GapMonth(month="2026-06", q1_n=10, q1_value=pytest.approx(12.0), q5_n=10,
                                 q5_value=pytest.approx(6.0), gap=pytest.approx(6.0),
                                 gap_lower=pytest.approx(q1_lower - q5_upper),
                                 gap_upper=pytest.approx(q1_upper - q5_lower), ratio=pytest.approx(2.0),
                                 judged=True, breach=True, special_cause=False)
    assert kpi.gap_for(db_session, "msk", "2026-05", Policy()).gap is None, "no first contacts in May"


def test_the_gap_series_shows_the_month_and_triggers_it_once_closed(db_session):
    known_gap_history(db_session, "2026-06")
    db_session.commit()
    [series] = kpi.gap_series(db_session, ["msk"], "2026-07", Policy())
    assert (series.pathway, series.threshold, series.min_n) == ("msk", 2.0, 10)
    june = next(m for m in series.months if m.month == "2026-06")
    assert june == kpi.gap_for(db_session, "msk", "2026-06", Policy())
    assert series.triggered(before="2026-07") == [june]
    assert series.triggered(before="2026-06") == [], "June has not closed before July"


def test_three_against_two_people_over_the_threshold_are_too_few_to_judge(db_session):
    too_few_history(db_session, "2026-06")
    db_session.commit()
    [series] = kpi.gap_series(db_session, ["msk"], "2026-07", Policy())
    june = next(m for m in series.months if m.month == "2026-06")
    assert (june.q1_n, june.q5_n, june.gap) == (3, 2, pytest.approx(6.0)), "the gap is still shown internally"
    assert (june.judged, june.breach, june.special_cause) == (False, False, False)
    assert (june.gap_lower, june.gap_upper) == (None, None), "no interval reaches 95% on two or three people"
    assert [p.value for p in series.chart.points if p.label == "2026-06"] == [None], "left off the chart"
    assert series.triggered(before="2026-07") == []


def test_the_fewest_people_to_judge_is_a_setting_of_at_least_eight(db_session):
    known_gap_history(db_session, "2026-06")
    db_session.commit()
    assert kpi.gap_for(db_session, "msk", "2026-06", Policy(equity_gap_min_n=11)).judged is False, "10 of 11"
    assert Policy.from_mapping({"EQUITY_GAP_MIN_N": "11"}).equity_gap_min_n == 11
    with pytest.raises(ValueError, match="at least 8"):
        Policy(equity_gap_min_n=7)


def test_a_pathway_threshold_overrides_the_default(db_session):
    known_gap_history(db_session, "2026-06")
    db_session.commit()
    policy = Policy(equity_gap_days_by_pathway=(("msk", 10.0),))
    month = kpi.gap_for(db_session, "msk", "2026-06", policy)
    assert (month.gap, month.breach) == (pytest.approx(6.0), False)
    [series] = kpi.gap_series(db_session, ["msk"], "2026-06", policy)
    assert series.threshold == 10.0
    assert series.triggered(before="2026-07") == []


def test_a_gap_equal_to_the_threshold_is_not_a_breach(db_session):
    known_gap_history(db_session, "2026-06")
    db_session.commit()
    assert kpi.gap_for(db_session, "msk", "2026-06", Policy(equity_gap_days=6.0)).breach is False
    assert kpi.gap_for(db_session, "msk", "2026-06", Policy(equity_gap_days=5.9)).breach is True


# --- flask equity sweep --------------------------------------------------------------------------

def sweep(app, runner):
    with app.app_context():
        return runner.invoke(args=["equity", "sweep"])


#: each KPI's crafted month (judged, above its threshold), the same gap on too few people, and the numbers its item
#: opens with (gap, ratio, threshold)
SWEPT = {
    "wait_gap": (known_gap_history, too_few_history, (6.0, 2.0, 2.0)),
    "improvement_gap": (improvement_month, lambda session, month: improvement_month(session, month, (2, 5), (4, 5)),
                        (30.0, None, 10.0)),
}


@pytest.mark.parametrize("kpi", SWEPT)
def test_the_sweep_opens_an_item_for_a_breached_closed_month_once(app, runner, kpi):
    history, _too_few, (gap, ratio, threshold) = SWEPT[kpi]
    this_month = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")
    month = periods.months_back(this_month, 3)  # two months ago: closed, and its first contacts all in the past
    with app.app_context():
        history(db.session, month)
        db.session.commit()
    first = sweep(app, runner)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Opened 1 governance item."
    second = sweep(app, runner)
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "Opened 0 governance items."
    with app.app_context():
        [item] = db.session.scalars(select(GovernanceItem)).all()
        assert (item.kpi, item.pathway, item.month, item.breach, item.status) == (kpi, "msk", month, True, "open")
        assert (item.gap_days, item.ratio, item.threshold_days) == (pytest.approx(gap), ratio, threshold)
        [opened] = data_of(db.session, actions.GOVERNANCE_OPENED)
        assert opened["kpi"] == kpi


@pytest.mark.parametrize("kpi", SWEPT)
def test_the_sweep_opens_nothing_for_a_month_with_too_few_people_to_judge(app, runner, kpi):
    this_month = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")
    with app.app_context():
        SWEPT[kpi][1](db.session, periods.months_back(this_month, 3))
        db.session.commit()
    result = sweep(app, runner)
    assert result.output.strip() == "Opened 0 governance items."
    with app.app_context():
        assert data_of(db.session, actions.GOVERNANCE_OPENED) == []


@pytest.mark.parametrize(("kpi", "settings"), [
    ("wait_gap", {"EQUITY_GAP_THRESHOLD_DAYS_BY_PATHWAY": {"msk": 10}}), ("wait_gap", {"EQUITY_GAP_MIN_N": 11}),
    ("improvement_gap", {"IMPROVEMENT_GAP_THRESHOLD_POINTS": 30}), ("improvement_gap", {"IMPROVEMENT_GAP_MIN_N": 21}),
], ids=["wait-gap-pathway-threshold", "wait-gap-min-n", "improvement-gap-threshold", "improvement-gap-min-n"])
def test_the_sweep_uses_the_configured_policy(database_url, kpi, settings):
    app = make_app(database_url, **settings)
    this_month = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")
    try:
        with app.app_context():
            SWEPT[kpi][0](db.session, periods.months_back(this_month, 3))
            db.session.commit()
        result = sweep(app, app.test_cli_runner())
        assert result.output.strip() == "Opened 0 governance items."
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("setting", ["EQUITY_GAP_MIN_N", "IMPROVEMENT_GAP_MIN_N"])
def test_the_app_refuses_to_start_with_a_minimum_that_would_judge_a_hidden_value(database_url, setting):
    with pytest.raises(RuntimeError, match=f"{setting} must be at least 8"):
        make_app(database_url, **{setting: 7})
