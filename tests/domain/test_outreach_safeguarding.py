"""A safeguarding answer at the venue joins the safeguarding route: linking a record whose screen answered yes raises
one concern on the referral it joins (and none for a screen that did not); undoing the link leaves the concern open
for a senior; until the record is linked, the safeguarding list counts it for the session's clinicians and seniors."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, discharge, event_view, outreach_reconciliation, outreach_safeguarding
from inclusive_access.event_sentences import sentence
from inclusive_access.models import Event, SafeguardingConcern
from tests.event_log import actions_since, count, data_of, head
from tests.factories import make_referral, staff
from tests.outreach_factories import SEEN, planned_session, received

WORRY = "An older man collects her benefits and keeps the card"
LINKED_AT = SEEN + timedelta(hours=3)


@pytest.fixture
def session_of(db_session, clinician):
    """An outreach session the clinician is named on."""
    return planned_session(db_session, staff(db_session, "manager"), [clinician])


def _screened(db_session, clinician, session_of, exploitation="yes", self_neglect="no"):
    return received(db_session, clinician, session_of, exploitation_risk=exploitation,
                    self_neglect_risk=self_neglect, safeguarding_detail=WORRY)


@pytest.mark.parametrize(("exploitation", "self_neglect", "category"), [
    ("yes", "no", "exploitation_risk"), ("no", "yes", "self_neglect"), ("yes", "yes", "exploitation_risk")])
def test_linking_a_positive_screen_raises_one_concern_on_that_referral(db_session, clinician, session_of,
                                                                       exploitation, self_neglect, category):
    record = _screened(db_session, clinician, session_of, exploitation, self_neglect)
    referral = make_referral(db_session, clinician)
    seq = head(db_session)
    outreach_reconciliation.link(db_session, clinician, record, referral, record.version, now=LINKED_AT)
    assert actions_since(db_session, seq) == [actions.SAFEGUARDING_RAISED, actions.OUTREACH_RECORD_LINKED]
    [concern] = db_session.scalars(select(SafeguardingConcern)).all()
    assert (concern.referral_id, concern.category, concern.status) == (referral.id, category, "open")
    assert (concern.raised_by, concern.raised_at, concern.followed_delay) == (clinician.user_id, LINKED_AT,
                                                                              "not_known")
    assert f"risk of exploitation {exploitation}, risk of self-neglect {self_neglect}" in concern.concern
    assert WORRY in concern.concern
    assert data_of(db_session, actions.OUTREACH_RECORD_LINKED, seq)[0]["concern_id"] == concern.id
    assert referral.patient.open_concerns, "it shows on the patient banner"
    assert "safe_despite_concern" in discharge.discharge_blocks(db_session, referral), "and blocks discharge"


@pytest.mark.parametrize("answer", ["no", "not_known"])
def test_a_screen_without_a_yes_raises_no_concern(db_session, clinician, session_of, answer):
    record = received(db_session, clinician, session_of, exploitation_risk=answer, self_neglect_risk=answer)
    referral = make_referral(db_session, clinician)
    seq = head(db_session)
    outreach_reconciliation.link(db_session, clinician, record, referral, record.version)
    assert actions_since(db_session, seq) == [actions.OUTREACH_RECORD_LINKED]
    assert count(db_session, SafeguardingConcern) == 0


def test_undoing_the_link_leaves_the_concern_open_for_a_senior_and_says_so(db_session, clinician, senior,
                                                                           session_of):
    record = _screened(db_session, clinician, session_of)
    wrong = make_referral(db_session, clinician)
    outreach_reconciliation.link(db_session, clinician, record, wrong, record.version)
    seq = head(db_session)
    outreach_reconciliation.undo_link(db_session, senior, record, record.version, "Different date of birth")
    assert actions_since(db_session, seq) == [actions.OUTREACH_LINK_UNDONE]
    [concern] = db_session.scalars(select(SafeguardingConcern)).all()
    assert (concern.referral_id, concern.status) == (wrong.id, "open")
    assert data_of(db_session, actions.OUTREACH_LINK_UNDONE, seq)[0]["concern_left_open"] == concern.id
    undone = db_session.scalars(select(Event).where(Event.action == actions.OUTREACH_LINK_UNDONE)).one()
    assert sentence(event_view.shown(undone, "A senior", "booking")).endswith(
        "Safeguarding: the concern the link raised stays open for a senior to close")


def test_linked_again_the_concern_is_raised_on_the_right_patient_and_not_twice_on_the_same(
        db_session, clinician, senior, session_of):
    record = _screened(db_session, clinician, session_of)
    wrong, right = make_referral(db_session, clinician), make_referral(db_session, clinician)
    outreach_reconciliation.link(db_session, clinician, record, wrong, record.version)
    outreach_reconciliation.undo_link(db_session, senior, record, record.version, "Wrong person")
    outreach_reconciliation.link(db_session, clinician, record, right, record.version)
    assert [c.referral_id for c in db_session.scalars(select(SafeguardingConcern).order_by(SafeguardingConcern.id))
            ] == [wrong.id, right.id]
    outreach_reconciliation.undo_link(db_session, senior, record, record.version, "Not sure after all")
    seq = head(db_session)
    outreach_reconciliation.link(db_session, clinician, record, right, record.version)
    assert actions_since(db_session, seq) == [actions.OUTREACH_RECORD_LINKED], "its open concern stands for it"


def test_the_safeguarding_list_counts_positive_screens_waiting_for_the_sessions_clinicians_and_seniors(
        db_session, clinician, senior, session_of):
    record = _screened(db_session, clinician, session_of)
    received(db_session, clinician, session_of)  # nothing of concern on its screen
    assert outreach_safeguarding.count_waiting(db_session, clinician) == 1
    assert outreach_safeguarding.count_waiting(db_session, senior) == 1
    assert outreach_safeguarding.count_waiting(db_session, staff(db_session, "clinician")) == 0, "not their session"
    assert outreach_safeguarding.count_waiting(db_session, staff(db_session, "booking")) is None
    outreach_reconciliation.link(db_session, clinician, record, make_referral(db_session, clinician), record.version)
    assert outreach_safeguarding.count_waiting(db_session, clinician) == 0
