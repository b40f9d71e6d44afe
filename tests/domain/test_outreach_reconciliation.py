"""Reconciling minimum records with the core record: a session's clinician links a record to a patient's open
referral, appending it to their history; a senior undoes a wrong link, appended too."""
import pytest

from inclusive_access.domain import actions, outreach_reconciliation
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from tests.event_log import actions_since, head
from tests.factories import REQUESTED, discharged, make_referral, staff
from tests.outreach_factories import planned_session, received


@pytest.fixture
def record(db_session, clinician):
    """A minimum record from a session the clinician is named on, not yet reconciled."""
    return received(db_session, clinician, planned_session(db_session, staff(db_session, "manager"), [clinician]),
                    presenting_need="Chest pain on exertion")


def test_linking_appends_the_record_to_the_patients_history_and_changes_nothing_on_the_patient(
        db_session, clinician, record):
    referral = make_referral(db_session, clinician)
    before = {c.key: getattr(referral.patient, c.key) for c in referral.patient.__table__.columns}
    seq = head(db_session)
    outreach_reconciliation.link(db_session, clinician, record, referral, record.version)
    assert (record.reconciliation, record.patient_id, record.referral_id) == ("matched", referral.patient_id,
                                                                              referral.id)
    assert {c.key: getattr(referral.patient, c.key) for c in referral.patient.__table__.columns} == before
    assert actions_since(db_session, seq) == [actions.OUTREACH_RECORD_LINKED]


def test_only_the_sessions_clinicians_link_its_records(db_session, record):
    other = staff(db_session, "clinician")
    with pytest.raises(NotPermitted):
        outreach_reconciliation.link(db_session, other, record, make_referral(db_session, other), record.version)


def test_a_record_joins_only_an_open_referral_and_only_once(db_session, clinician, senior, record):
    closed = discharged(db_session, clinician, senior, "2026-05-01 09:00", REQUESTED)
    with pytest.raises(InvalidInput):
        outreach_reconciliation.link(db_session, clinician, record, closed, record.version)
    referral = make_referral(db_session, clinician)
    outreach_reconciliation.link(db_session, clinician, record, referral, record.version)
    with pytest.raises(TransitionNotAllowed):
        outreach_reconciliation.link(db_session, clinician, record, referral, record.version)


def test_a_senior_undoes_a_wrong_link_with_a_reason_and_both_stay_in_the_history(db_session, clinician, senior,
                                                                                  record):
    referral = make_referral(db_session, clinician)
    outreach_reconciliation.link(db_session, clinician, record, referral, record.version)
    with pytest.raises(NotPermitted):
        outreach_reconciliation.undo_link(db_session, clinician, record, record.version, "Wrong person")
    with pytest.raises(InvalidInput):
        outreach_reconciliation.undo_link(db_session, senior, record, record.version, " ")
    with pytest.raises(StaleRecord):
        outreach_reconciliation.undo_link(db_session, senior, record, record.version - 1, "Wrong person")
    seq = head(db_session)
    outreach_reconciliation.undo_link(db_session, senior, record, record.version, "Different date of birth")
    assert (record.reconciliation, record.patient_id, record.referral_id) == ("unreconciled", None, None)
    assert actions_since(db_session, seq) == [actions.OUTREACH_LINK_UNDONE]
