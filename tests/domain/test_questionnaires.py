"""A clinician records a patient's answers to a questionnaire: who may, what is refused, the row and its event."""
import json
from datetime import timedelta

import pytest

from inclusive_access.domain import actions, event_chain, instrument_files, questionnaires
from inclusive_access.domain.errors import DuplicateSubmission, InvalidInput, NotPermitted
from inclusive_access.models import QuestionnaireResponse
from tests.event_log import actions_since, count, data_of, head, nothing_written
from tests.factories import TRIAGED

SHIPPED = instrument_files.load(instrument_files.SHIPPED_DIR)
#: the referral fixture is on the MSK pathway, which uses the Patient-Specific Functional Scale
PSFS = SHIPPED["psfs"]
ANSWERED = TRIAGED + timedelta(days=7)
ENTERED = ANSWERED + timedelta(days=2)


def record(session, actor, referral, instrument=PSFS, answers=None, **overrides):
    given = {"time_point": "first_contact", "mode": "telephone_interpreter", "completed_at": ANSWERED, "now": ENTERED,
             **overrides}
    return questionnaires.record_answers(session, actor, referral, instrument, given.pop("time_point"),
                                         answers or {"activity_1": "3", "activity_2": "6"}, **given)


@pytest.mark.parametrize("role", ["clinician", "senior"])
def test_a_clinician_records_the_answers_a_patient_gave_with_their_score(db_session, referral, role, actor):
    before = head(db_session)
    response = record(db_session, actor, referral, submission_token="tok-1")
    db_session.commit()
    assert actions_since(db_session, before) == [actions.QUESTIONNAIRE_COMPLETED]
    stored = db_session.get(QuestionnaireResponse, response.id)
    assert (stored.instrument_id, stored.instrument_version, stored.time_point, stored.score, stored.mode) == (
        "psfs", 1, "first_contact", 4.5, "telephone_interpreter")
    assert json.loads(stored.answers) == {"activity_1": "3", "activity_2": "6"}
    assert (stored.completed_at, stored.recorded_at, stored.recorded_by) == (ANSWERED, ENTERED, actor.user_id)
    assert data_of(db_session, actions.QUESTIONNAIRE_COMPLETED, before) == [{
        "instrument": "psfs", "title": PSFS.title, "version": 1, "kind": "prom", "better": "higher", "mic": 1.3,
        "time_point": "first_contact", "score": 4.5, "completed_at": ANSWERED.isoformat(),
        "mode": "telephone_interpreter"}]
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize("role", ["booking", "auditor", "manager"])
def test_other_roles_may_not_record_answers(db_session, referral, actor):
    with nothing_written(db_session), pytest.raises(NotPermitted):
        record(db_session, actor, referral)


@pytest.mark.parametrize(("instrument", "answers", "overrides", "errors"), [
    (SHIPPED["phq9"], None, {}, {"instrument": "Patient Health Questionnaire (PHQ-9) is not used on this pathway"}),
    (PSFS, {"activity_1": "11"}, {}, {"activity_1": "'11' is not one of this question's answers"}),
    (PSFS, None, {"mode": "patient_link"}, {"mode": "Select how the answers were given"}),
    (PSFS, None, {"time_point": "whenever"}, {"time_point": "Select when in the referral this was answered"}),
    (PSFS, None, {"completed_at": ENTERED + timedelta(minutes=1)},
     {"completed_at": "The date it was answered must be today or in the past"}),
    (PSFS, None, {"completed_at": TRIAGED - timedelta(days=1)},
     {"completed_at": "The date it was answered must be on or after the day the referral was received"}),
])
def test_answers_that_cannot_be_right_are_refused_by_field(db_session, clinician, referral, instrument, answers,
                                                           overrides, errors):
    with nothing_written(db_session), pytest.raises(InvalidInput) as refused:
        record(db_session, clinician, referral, instrument, answers, **overrides)
    assert refused.value.errors == errors


def test_a_repeated_submit_adds_nothing(db_session, clinician, referral):
    first = record(db_session, clinician, referral, submission_token="tok-1")
    db_session.commit()
    with pytest.raises(DuplicateSubmission) as repeated:
        record(db_session, clinician, referral, submission_token="tok-1")
    assert repeated.value.existing_id == first.id
    assert count(db_session, QuestionnaireResponse) == 1
