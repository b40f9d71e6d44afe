"""Questionnaires due and not returned, hand-worked on June 2026: a referral received on Monday 1 June at 09:00 and
first seen the next day at 09:00 BST (08:00 UTC); "now" is Wednesday 1 July, noon UTC."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from inclusive_access.domain import instrument_files, questionnaires, questionnaires_due
from tests.conftest import ON_SQLITE
from tests.factories import RECEIVED, accept_and_attend, accepted, discharged, make_referral
from tests.reporting.test_wait_quantiles import _plans

INSTRUMENTS = instrument_files.load(instrument_files.SHIPPED_DIR)
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
SEEN = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
PHQ9_NONE = {item.id: "0" for item in INSTRUMENTS["phq9"].items}


def seen(session, clinician, pathway: str = "mental_health"):
    referral = make_referral(session, pathway=pathway, received_at=RECEIVED)
    accept_and_attend(session, clinician, referral, 1)
    return referral


def answer(session, clinician, referral, instrument: str, time_point: str, at: datetime, answers: dict):
    questionnaires.record_answers(session, clinician, referral, INSTRUMENTS[instrument], time_point, answers,
                                  "in_person", at, now=at)


def due(session, referral, now: datetime = NOW) -> list[tuple[str, str, datetime]]:
    return [(item.instrument.id, item.time_point, item.due_since)
            for item in questionnaires_due.due_for_referral(session, INSTRUMENTS, referral.id, now)]


def test_after_first_contact_without_a_baseline_each_pathway_instrument_is_due(db_session, clinician):
    referral = seen(db_session, clinician)
    assert referral.first_contact_at == SEEN
    assert due(db_session, referral) == [("gad7", "first_contact", SEEN), ("phq9", "first_contact", SEEN)]


def test_before_first_contact_nothing_is_due(db_session, clinician):
    assert due(db_session, accepted(db_session, clinician, pathway="mental_health")) == []


def test_a_baseline_answered_is_not_due_until_its_review_28_days_later(db_session, clinician):
    referral = seen(db_session, clinician)
    answer(db_session, clinician, referral, "phq9", "first_contact", SEEN + timedelta(hours=1), PHQ9_NONE)
    review_due = SEEN + timedelta(days=28, hours=1)  # 30 June, 09:00 UTC
    assert due(db_session, referral, review_due - timedelta(minutes=1)) == [("gad7", "first_contact", SEEN)]
    assert due(db_session, referral, review_due) == [("gad7", "first_contact", SEEN),
                                                     ("phq9", "review", review_due)]


def test_an_answer_at_a_review_restarts_the_review_clock(db_session, clinician):
    referral = seen(db_session, clinician)
    answer(db_session, clinician, referral, "phq9", "first_contact", SEEN, PHQ9_NONE)
    answer(db_session, clinician, referral, "phq9", "review", SEEN + timedelta(days=20), PHQ9_NONE)
    assert ("phq9", "review", SEEN + timedelta(days=48)) not in due(db_session, referral)
    assert ("phq9", "review", SEEN + timedelta(days=48)) in due(db_session, referral, SEEN + timedelta(days=48))


@pytest.mark.parametrize(("days_ago", "listed"), [(29, True), (30, True), (31, False)])
def test_at_discharge_for_30_days_after_it(db_session, clinician, senior, days_ago, listed):
    """The MSK pathway's PSFS and every pathway's experience questionnaire are due at discharge, not reviewed."""
    at = NOW - timedelta(days=days_ago)
    referral = discharged(db_session, clinician, senior, RECEIVED, at, pathway="msk")
    expected = [("experience", "discharge", at), ("psfs", "discharge", at)] if listed else []
    assert due(db_session, referral) == expected


def test_an_answer_at_discharge_is_not_due_again(db_session, clinician, senior):
    at = NOW - timedelta(days=2)
    referral = discharged(db_session, clinician, senior, RECEIVED, at, pathway="msk")
    answer(db_session, clinician, referral, "psfs", "discharge", at + timedelta(hours=1), {"activity_1": "7"})
    assert due(db_session, referral) == [("experience", "discharge", at)]


def test_the_worklist_lists_and_counts_them_longest_waiting_first(db_session, clinician, senior):
    later = make_referral(db_session, pathway="msk", received_at="2026-06-03 09:00")
    accept_and_attend(db_session, clinician, later, 1)
    earlier = seen(db_session, clinician)
    discharged(db_session, clinician, senior, "2026-01-05 09:00", NOW - timedelta(days=60))  # long gone: not listed
    accepted(db_session, clinician)  # not seen yet: not listed
    page = questionnaires_due.due_page(db_session, INSTRUMENTS, NOW, 1)
    assert [(referral.id, item.instrument.id, item.time_point) for referral, item in page.rows] == [
        (earlier.id, "gad7", "first_contact"), (earlier.id, "phq9", "first_contact"),
        (later.id, "psfs", "first_contact")]
    assert (page.total, page.pages) == (3, 1)
    assert questionnaires_due.count_due(db_session, INSTRUMENTS, NOW) == 3
    assert questionnaires_due.count_due(db_session, INSTRUMENTS, NOW, at_most=2) == 2, "counting stops at the limit"


@ON_SQLITE
def test_the_count_reads_referrals_by_state_and_answers_by_referral_never_a_whole_table(db_session):
    """Open referrals by state, recent discharges by state and time, each one's answers by its index: what the
    service has open, not its history (a pathway's referrals would be its history)."""
    _count, [(_statement, plan)] = _plans(db_session, lambda: questionnaires_due.count_due(db_session, INSTRUMENTS,
                                                                                         NOW))
    reads = [line for line in plan if line.startswith(("SEARCH", "SCAN"))]
    # open referrals by any index led by state (which one is the planner's choice among equals)
    assert {re.sub(r"ix_referrals_state_\w+ \(state=\?\)$", "a state index (state=?)", line)
            for line in reads if "referrals" in line} == {
        "SEARCH referrals USING INDEX a state index (state=?)",
        "SEARCH referrals USING INDEX ix_referrals_state_discharged (state=? AND discharged_at>?)"}
    assert {line.split(" USING ")[0] for line in reads} == {
        "SEARCH referrals", "SEARCH questionnaire_responses", "SEARCH pathways", "SCAN due"}
    assert all("ix_questionnaire_responses_referral (referral_id=? AND instrument_id=?)" in line
               for line in reads if "questionnaire_responses" in line)
