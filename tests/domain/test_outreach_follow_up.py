"""Lost contact after outreach: once the planned follow-up day is over with no contact since the person was seen
(no later outreach record, no attended appointment, no contact attempt that reached them), the sweep puts the
referral on the senior review list as missed appointments do; each record is judged once."""
from datetime import UTC, datetime, timedelta

import pytest

from inclusive_access.domain import (
    actions,
    appointments,
    discharge,
    outreach_follow_up,
    outreach_reconciliation,
    reviews,
    triage,
)
from inclusive_access.models import Referral
from tests.conftest import ON_SQLITE
from tests.event_log import actions_since, data_of, head
from tests.factories import SCRIPT, TRIAGED, accepted, attempt, book, make_referral, miss, staff
from tests.outreach_factories import SEEN, planned_session, received

LINKED_AT = SEEN + timedelta(hours=3)
#: the record's follow-up is planned for Tuesday 9 June 2026: the sweep judges it once that day is over in the UK
REASON = "Lost contact after outreach (follow-up due 9 Jun 2026)"
LAST_MINUTE = datetime(2026, 6, 9, 22, 30, tzinfo=UTC)  # 23:30 BST on the 9th
DAY_AFTER = datetime(2026, 6, 9, 23, 30, tzinfo=UTC)  # 00:30 BST on the 10th


@pytest.fixture
def planned(db_session, clinician):
    return planned_session(db_session, staff(db_session, "manager"), [clinician])


@pytest.fixture
def linked(db_session, clinician, planned):
    """A record seen at 14:30 BST on 2 June, follow-up on the 9th, linked to an accepted referral."""
    record = received(db_session, clinician, planned)
    referral = accepted(db_session, clinician)
    outreach_reconciliation.link(db_session, clinician, record, referral, record.version, now=LINKED_AT)
    return record


def _attended(db_session, clinician, referral, starts_at: datetime) -> None:
    appointment = book(db_session, clinician, referral, starts_at, now=TRIAGED)
    appointments.record_outcome(db_session, clinician, appointment, appointment.version, "attended",
                                now=starts_at + timedelta(hours=1))


def _seen_again(db_session, clinician, referral, on: datetime) -> None:
    """A later outreach record of the same person, linked to their referral."""
    again = planned_session(db_session, staff(db_session, "manager"), [clinician], starts_at=on)
    record = received(db_session, clinician, again, now=on + timedelta(hours=2), seen_at=on.isoformat(),
                      follow_up_on="", follow_up_plan="")
    outreach_reconciliation.link(db_session, clinician, record, referral, record.version, now=on + timedelta(hours=3))


def _reached(db_session, clinician, referral, on: datetime) -> None:
    check = miss(db_session, clinician, referral, starts_at=on - timedelta(days=1))
    attempt(db_session, clinician, check, reached=True, at=on)


CONTACTS = {"attended": _attended, "seen again at outreach": _seen_again, "reached by telephone": _reached}


def test_no_contact_by_the_follow_up_date_puts_the_referral_on_the_senior_review_list(db_session, linked):
    seq = head(db_session)
    assert outreach_follow_up.sweep(db_session, now=LAST_MINUTE) == [], "not before the day is over"
    assert actions_since(db_session, seq) == []
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER) == [linked]
    assert actions_since(db_session, seq) == [actions.OUTREACH_FOLLOW_UP_CHECKED, actions.SENIOR_REVIEW_FLAGGED]
    assert data_of(db_session, actions.OUTREACH_FOLLOW_UP_CHECKED, seq) == [{"follow_up_on": "2026-06-09",
                                                                            "contact_lost": True}]
    review = reviews.pending_review(db_session, linked.referral_id)
    assert (review.kind, review.reason_text, review.opened_at) == ("attendance", REASON, DAY_AFTER)
    assert review.referral.senior_review_reason == REASON
    assert (linked.follow_up_checked_at, linked.contact_lost) == (DAY_AFTER, True)


@pytest.mark.parametrize("contact", CONTACTS)
def test_contact_by_the_follow_up_date_is_not_lost_contact(db_session, clinician, linked, contact):
    referral = db_session.get(Referral, linked.referral_id)
    CONTACTS[contact](db_session, clinician, referral, datetime(2026, 6, 9, 18, 0, tzinfo=UTC))
    seq = head(db_session)
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER) == []
    assert actions_since(db_session, seq) == [actions.OUTREACH_FOLLOW_UP_CHECKED]
    assert data_of(db_session, actions.OUTREACH_FOLLOW_UP_CHECKED, seq)[0]["contact_lost"] is False
    assert reviews.pending_review(db_session, referral.id) is None


@pytest.mark.parametrize("when", [SEEN - timedelta(hours=4), datetime(2026, 6, 10, 9, 0, tzinfo=UTC)],
                         ids=["before they were seen", "after the follow-up day"])
def test_an_appointment_outside_the_follow_up_window_is_not_contact(db_session, clinician, linked, when):
    referral = db_session.get(Referral, linked.referral_id)
    _attended(db_session, clinician, referral, when)
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER + timedelta(days=1)) == [linked]


def test_each_follow_up_is_judged_once_and_flagged_once(db_session, senior, linked):
    seq = head(db_session)
    outreach_follow_up.sweep(db_session, now=DAY_AFTER)
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER + timedelta(hours=1)) == []
    review = reviews.pending_review(db_session, linked.referral_id)
    discharge.decide_review(db_session, senior, review, review.referral.version, discharge.Decision(
        "continue", "Known to the hostel staff", plan="Hostel key worker to bring her next week"),
        now=DAY_AFTER + timedelta(days=1))
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER + timedelta(days=2)) == []
    assert [a for a in actions_since(db_session, seq) if a in (
        actions.OUTREACH_FOLLOW_UP_CHECKED, actions.SENIOR_REVIEW_FLAGGED)] == [
        actions.OUTREACH_FOLLOW_UP_CHECKED, actions.SENIOR_REVIEW_FLAGGED]


def test_a_referral_already_on_the_list_keeps_its_first_reason(db_session, clinician, linked):
    referral = db_session.get(Referral, linked.referral_id)
    booked = [book(db_session, clinician, referral, datetime(2026, 6, day, 9, 0, tzinfo=UTC), now=TRIAGED)
              for day in (3, 4)]
    for appointment in booked:
        appointments.record_outcome(db_session, clinician, appointment, appointment.version, "dna",
                                    now=appointment.starts_at + timedelta(hours=1))
    seq = head(db_session)
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER) == [linked]
    assert actions_since(db_session, seq) == [actions.OUTREACH_FOLLOW_UP_CHECKED]
    assert reviews.pending_review(db_session, referral.id).reason_text == "2 missed appointments"


def test_a_referral_still_in_triage_waits_to_be_judged_until_it_is_accepted(db_session, clinician, planned):
    record = received(db_session, clinician, planned)
    referral = make_referral(db_session, clinician, received_at="2026-06-02 16:00")
    outreach_reconciliation.link(db_session, clinician, record, referral, record.version, now=LINKED_AT)
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER) == []
    assert record.follow_up_checked_at is None
    triage.triage_referral(db_session, clinician, referral, referral.version, SCRIPT, [], "accept",
                           now=DAY_AFTER + timedelta(days=1))
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER + timedelta(days=1, hours=1)) == [record]
    assert reviews.pending_review(db_session, referral.id).reason_text == REASON


def test_undoing_the_link_clears_the_judgement_for_the_right_patient(db_session, clinician, senior, linked):
    outreach_follow_up.sweep(db_session, now=DAY_AFTER)
    outreach_reconciliation.undo_link(db_session, senior, linked, linked.version, "Wrong person")
    assert (linked.follow_up_checked_at, linked.contact_lost) == (None, None)
    right = accepted(db_session, clinician)
    _attended(db_session, clinician, right, datetime(2026, 6, 8, 9, 0, tzinfo=UTC))
    outreach_reconciliation.link(db_session, clinician, linked, right, linked.version, now=DAY_AFTER)
    assert outreach_follow_up.sweep(db_session, now=DAY_AFTER + timedelta(hours=1)) == []
    assert linked.contact_lost is False


@ON_SQLITE
def test_the_sweep_reads_its_index_not_the_history(db_session):
    statement = outreach_follow_up.due(datetime(2026, 6, 10).date()).compile(
        db_session.bind, compile_kwargs={"literal_binds": True})
    plan = " ".join(row[-1] for row in db_session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}"))
    assert "USING INDEX ix_outreach_records_follow_up_due" in plan, plan
