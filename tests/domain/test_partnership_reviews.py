"""Partnership review meetings: recorded by a manager or senior with the outreach figures of the partners present,
kept as they stood; the figures worked by hand on a crafted history, small counts hidden; actions with leads and
due dates; minutes edited once per version; each step evented."""
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest

from inclusive_access.domain import actions, outreach, outreach_reconciliation, partnership_reviews
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutreachSession, Partner, PartnershipReview
from inclusive_access.reporting.partnership_figures import figures_for
from tests.event_log import data_of, head
from tests.factories import make_referral, staff
from tests.outreach_factories import planned_session, received
from tests.partnership_factories import HELD_ON, RECORDED, meeting_form, recorded_meeting

JUNE = (datetime(2026, 6, 1).date(), datetime(2026, 6, 30).date())
#: a late session at the first partner's hostel: 22:00 to 01:00 BST, over the end of June in London
LATE = datetime(2026, 6, 30, 21, 0, tzinfo=UTC)


@pytest.fixture
def manager(db_session):
    return staff(db_session, "manager")


def _session_at(session, manager, clinician, venue_id: int, starts_at: datetime) -> OutreachSession:
    local = starts_at.astimezone(LONDON).replace(tzinfo=None)
    return outreach.plan_session(session, manager, outreach.parse_session_plan(session, {
        "venue_id": str(venue_id), "starts_at": local.isoformat(),
        "ends_at": (local + timedelta(hours=3)).isoformat()}, [str(clinician.user_id)]))


class History(NamedTuple):
    harbour: Partner
    bridge: Partner
    corner: Partner
    harbour_venue_id: int


@pytest.fixture
def history(db_session, manager, clinician):
    """Harbour's June: 11 records of 10 people (two patients, one seen twice, and eight unmatched), 8 positive
    screens and 9 follow-ups planned; one more record at 00:30 on 1 July (London), outside June. Bridge saw no one in
    June and one person in July. Corner, not at the meeting, saw one person in June."""
    harbour, bridge, corner = (planned_session(db_session, manager, [clinician]) for _ in range(3))
    alex, sam = make_referral(db_session), make_referral(db_session)
    worry = {"safeguarding_detail": "Worried about who is collecting their money"}
    for referral, risks in ((alex, {"exploitation_risk": "yes"}), (alex, {"self_neglect_risk": "yes"}),
                            (sam, {"exploitation_risk": "yes", "self_neglect_risk": "yes"})):
        record = received(db_session, clinician, harbour, **risks, **worry)
        outreach_reconciliation.link(db_session, clinician, record, referral, record.version)
    for _ in range(5):
        received(db_session, clinician, harbour, exploitation_risk="yes", **worry)
    for risk in ("not_known", "no"):
        received(db_session, clinician, harbour, exploitation_risk=risk, follow_up_on="", follow_up_plan="")
    late = _session_at(db_session, manager, clinician, harbour.venue_id, LATE)
    for minutes in (90, 150):  # 23:30 on 30 June and 00:30 on 1 July, London time
        received(db_session, clinician, late, seen_at=(LATE + timedelta(minutes=minutes)).isoformat(),
                 follow_up_on="2026-07-07", now=LATE + timedelta(hours=4))
    july = _session_at(db_session, manager, clinician, bridge.venue_id, datetime(2026, 7, 7, 13, tzinfo=UTC))
    received(db_session, clinician, july, seen_at="2026-07-07T13:30:00+00:00", follow_up_on="2026-07-14",
             now=datetime(2026, 7, 7, 16, tzinfo=UTC))
    received(db_session, clinician, corner)
    return History(harbour.venue.partner, bridge.venue.partner, corner.venue.partner, harbour.venue_id)


def _row(figures: dict, partner) -> dict:
    return next(row for row in figures["partners"] if row["partner_id"] == partner.id)


def test_figures_count_the_partners_present_over_the_period_in_london_dates(db_session, history):
    harbour, bridge = history.harbour, history.bridge
    figures = figures_for(db_session, [harbour.id, bridge.id], *JUNE)
    assert [row["name"] for row in figures["partners"]] == sorted([harbour.name, bridge.name])
    assert _row(figures, harbour) | {"name": None} == {
        "partner_id": harbour.id, "name": None, "records": 11, "people": 10, "safeguarding": 8, "follow_ups": 9}
    assert _row(figures, bridge) | {"name": None} == {
        "partner_id": bridge.id, "name": None, "records": 0, "people": 0, "safeguarding": 0, "follow_ups": 0}
    assert figures["total"] == {"records": 11, "people": 10, "safeguarding": 8, "follow_ups": 9}


def test_a_count_of_one_to_seven_and_what_would_give_it_away_are_hidden(db_session, manager, clinician, history):
    harbour = history.harbour
    small = planned_session(db_session, manager, [clinician])
    for _ in range(3):
        received(db_session, clinician, small)
    partner = small.venue.partner
    alone = figures_for(db_session, [partner.id], *JUNE)
    assert _row(alone, partner)["records"] == alone["total"]["records"] == "*", "the total is the partner's"
    both = figures_for(db_session, [harbour.id, partner.id], *JUNE)
    # 3 records is small; Harbour's 11 (the smaller of the two that would give it away: total 14 less 11) goes too
    assert (_row(both, partner)["records"], _row(both, harbour)["records"], both["total"]["records"]) == ("*", "*", 14)
    assert (_row(both, partner)["people"], _row(both, harbour)["people"], both["total"]["people"]) == ("*", "*", 13)
    assert (_row(both, partner)["safeguarding"], _row(both, harbour)["safeguarding"]) == (0, 8), "a zero is shown"


def test_the_meeting_keeps_the_figures_it_reviewed_after_a_later_record_arrives(db_session, manager, clinician,
                                                                                 history):
    harbour, bridge = history.harbour, history.bridge
    review = recorded_meeting(db_session, manager, [harbour.id, bridge.id])
    db_session.commit()
    late = _session_at(db_session, manager, clinician, history.harbour_venue_id, datetime(2026, 6, 16, 13, tzinfo=UTC))
    received(db_session, clinician, late, seen_at="2026-06-16T13:30:00+00:00", follow_up_on="",
             follow_up_plan="", now=RECORDED + timedelta(days=1))
    db_session.commit()
    db_session.expire_all()
    assert figures_for(db_session, [harbour.id, bridge.id], *JUNE)["total"]["records"] == 12
    kept = db_session.get(PartnershipReview, review.id)
    assert kept.figures["total"] == {"records": 11, "people": 10, "safeguarding": 8, "follow_ups": 9}
    assert [p.name for p in kept.partners] == sorted([harbour.name, bridge.name])


def test_recording_a_meeting_is_evented_with_its_figures(db_session, manager, history):
    harbour = history.harbour
    seq = head(db_session)
    review = recorded_meeting(db_session, manager, [harbour.id])
    [event] = data_of(db_session, actions.PARTNERSHIP_REVIEW_RECORDED, since=seq)
    assert (event["held_on"], event["partner_ids"], event["figures"]) == (HELD_ON, [harbour.id], review.figures)
    assert event["learning"].startswith("A complaint about waiting")


@pytest.mark.parametrize("role", ["booking", "clinician", "auditor"])
def test_only_managers_and_seniors_record_meetings(db_session, actor, role, history):
    with pytest.raises(NotPermitted):
        recorded_meeting(db_session, actor, [history.harbour.id])


def test_a_senior_records_a_meeting(db_session, senior, history):
    assert recorded_meeting(db_session, senior, [history.harbour.id]).recorder.id == senior.user_id


@pytest.mark.parametrize(("overrides", "partners", "field", "message"), [
    ({}, [], "partner_ids", "Select the partners present"),
    ({}, ["999"], "partner_ids", "Select partners from the list"),
    ({"held_on": "2026-07-15"}, None, "held_on", "The date of the meeting must be today or in the past"),
    ({"period_end": "2026-05-31"}, None, "period_end", "The period reviewed must end on or after its first day"),
    ({"period_end": "2026-07-20"}, None, "period_end", "The period reviewed must end by the date of the meeting"),
    ({"minutes": " "}, None, "minutes", "Enter the minutes"),
])
def test_a_meeting_needs_its_partners_a_past_date_a_period_and_minutes(db_session, history, overrides, partners,
                                                                       field, message):
    chosen = [str(history.harbour.id)] if partners is None else partners
    with pytest.raises(InvalidInput) as refused:
        partnership_reviews.parse_review(db_session, meeting_form(**overrides), chosen, now=RECORDED)
    assert refused.value.errors[field] == message


@pytest.fixture
def meeting(db_session, manager, history) -> PartnershipReview:
    review = recorded_meeting(db_session, manager, [history.harbour.id])
    db_session.commit()
    return review


def test_actions_have_a_named_lead_and_a_due_date_and_show_overdue_until_done(db_session, manager, senior, meeting):
    seq = head(db_session)
    shelter = partnership_reviews.add_action(db_session, manager, meeting, {
        "description": "Agree an indoor waiting space", "lead_name": "Priya Shah (Harbour Housing)",
        "due_on": "2026-08-01"}, now=RECORDED)
    rota = partnership_reviews.add_action(db_session, senior, meeting, {
        "description": "Second clinician on the Tuesday rota", "lead_name": "Dr Ola Ade", "due_on": "2026-09-01"},
        now=RECORDED)
    db_session.refresh(meeting)
    assert [a.id for a in meeting.actions] == [shelter.id, rota.id], "soonest due first"
    august = datetime(2026, 8, 10, 9, tzinfo=UTC)
    assert partnership_reviews.overdue(meeting, august) == {shelter.id}
    partnership_reviews.complete_action(db_session, manager, shelter, shelter.version, {"done_on": "2026-08-09"},
                                        now=august)
    assert (shelter.done_on.isoformat(), shelter.done_by) == ("2026-08-09", manager.user_id)
    assert partnership_reviews.overdue(meeting, august) == set()
    assert [e["lead_name"] for e in data_of(db_session, actions.PARTNERSHIP_ACTION_ADDED, since=seq)] == [
        "Priya Shah (Harbour Housing)", "Dr Ola Ade"]
    assert data_of(db_session, actions.PARTNERSHIP_ACTION_COMPLETED, since=seq) == [
        {"review_id": meeting.id, "done_on": "2026-08-09"}]
    with pytest.raises(TransitionNotAllowed):
        partnership_reviews.complete_action(db_session, manager, shelter, shelter.version, {"done_on": "2026-08-10"},
                                            now=august)


def test_an_action_needs_a_lead_and_a_due_date_on_or_after_the_meeting(db_session, manager, meeting):
    with pytest.raises(InvalidInput) as refused:
        partnership_reviews.add_action(db_session, manager, meeting, {
            "description": "Check the venue's heating", "lead_name": "", "due_on": "2026-07-13"}, now=RECORDED)
    assert refused.value.errors == {"lead_name": "Enter the name of the lead",
                                    "due_on": "The due date must be on or after the meeting (14 Jul 2026)"}


def test_an_edit_from_a_page_opened_before_anothers_save_is_refused(db_session, manager, senior, meeting):
    seen = meeting.version
    seq = head(db_session)
    partnership_reviews.edit_minutes(db_session, manager, meeting, seen, {
        "minutes": "Reviewed June. Agreed a second weekly session from August.", "learning": meeting.learning})
    db_session.commit()
    with pytest.raises(StaleRecord):
        partnership_reviews.edit_minutes(db_session, senior, meeting, seen, {"minutes": "Something else"})
    db_session.rollback()
    assert meeting.minutes == "Reviewed June. Agreed a second weekly session from August."
    [edited] = data_of(db_session, actions.PARTNERSHIP_REVIEW_EDITED, since=seq)
    assert edited["version"] == seen + 1


def test_the_meetings_list_is_newest_first(db_session, manager, history):
    older = recorded_meeting(db_session, manager, [history.harbour.id], held_on="2026-04-14", period_start="2026-01-01",
                             period_end="2026-03-31")
    newer = recorded_meeting(db_session, manager, [history.harbour.id])
    assert [r.id for r in partnership_reviews.reviews_page(db_session).rows] == [newer.id, older.id]
