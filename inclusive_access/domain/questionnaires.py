"""Questionnaire answers: a clinician records them with the patient (in person, by telephone, with an interpreter),
or the patient gives them on their own phone through a one-time link. Both store one questionnaire_responses row and
one questionnaire.completed event, which carries all the outcome facts are built from."""
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, submissions
from inclusive_access.domain.access import CLINICAL_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.instruments import Instrument, for_pathway, score
from inclusive_access.models import QuestionnaireResponse, Referral

TIME_POINTS = {"first_contact": "At first contact", "review": "At a review", "discharge": "At discharge"}
#: how a clinician collected the answers with the patient
CLINICIAN_MODES = {"in_person": "In person", "telephone": "By telephone",
                   "telephone_interpreter": "By telephone with an interpreter", "video": "By video call"}
MODES = {**CLINICIAN_MODES, "patient_link": "By the patient, through a link"}
#: asking the questions is part of the clinical contact, and a clinician judges a clinician-rated scale
RECORD_ROLES = CLINICAL_JUDGEMENT


def record_answers(session: Session, actor: Actor, referral: Referral, instrument: Instrument, time_point: str,
                   answers: Mapping[str, str], mode: str, completed_at: datetime,
                   submission_token: str | None = None, now: datetime | None = None) -> QuestionnaireResponse:
    """A clinician records the answers the patient gave, on the day they gave them (a paper form may be entered
    later). Refuses an instrument not used on the referral's pathway, and each wrong answer by its item id."""
    require_role(actor, RECORD_ROLES)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, QuestionnaireResponse, submission_token)
    errors = _errors(referral, instrument, time_point, completed_at, now)
    if mode not in CLINICIAN_MODES:
        errors["mode"] = "Select how the answers were given"
    if errors:
        raise InvalidInput(errors)
    return store(session, actor, referral, instrument, time_point, answers, mode, completed_at, now,
                 submission_token)


def _errors(referral: Referral, instrument: Instrument, time_point: str, completed_at: datetime | None,
            now: datetime) -> dict[str, str]:
    found = {}
    if instrument not in for_pathway([instrument], referral.pathway.code):
        found["instrument"] = f"{instrument.title} is not used on this pathway"
    if time_point not in TIME_POINTS:
        found["time_point"] = "Select when in the referral this was answered"
    if completed_at is None:
        found["completed_at"] = "Enter the date it was answered"
    elif completed_at > now:
        found["completed_at"] = "The date it was answered must be today or in the past"
    elif completed_at < referral.received_at:
        found["completed_at"] = "The date it was answered must be on or after the day the referral was received"
    return found


def store(session: Session, actor: Actor, referral: Referral, instrument: Instrument, time_point: str,
          answers: Mapping[str, str], mode: str, completed_at: datetime, now: datetime,
          submission_token: str | None = None) -> QuestionnaireResponse:
    """Score and keep one set of answers, with its event (the caller has checked who may give them, and when).

    The event carries the instrument's direction and minimal important change as they were when answered, so the
    outcome facts rebuilt from the log never depend on today's instrument files."""
    result = score(instrument, answers)
    response = QuestionnaireResponse(
        patient_id=referral.patient_id, referral_id=referral.id, instrument_id=instrument.id,
        instrument_version=instrument.version, time_point=time_point, answers=events.canonical_json(dict(answers)),
        score=result, completed_at=completed_at, mode=mode, recorded_by=actor.user_id, recorded_role=actor.role,
        recorded_at=now, submission_token=submission_token)
    session.add(response)
    session.flush()
    events.record(session, actor, actions.QUESTIONNAIRE_COMPLETED, "questionnaire_response", response.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"instrument": instrument.id, "title": instrument.title, "version": instrument.version,
                        "kind": instrument.kind, "better": instrument.better, "mic": instrument.mic,
                        "time_point": time_point, "score": result, "completed_at": completed_at, "mode": mode})
    return response


def responses_for_referral(session: Session, referral_id: int) -> list[QuestionnaireResponse]:
    """A referral's completed questionnaires, most recent first."""
    return list(session.scalars(select(QuestionnaireResponse).where(QuestionnaireResponse.referral_id == referral_id)
                                .order_by(QuestionnaireResponse.completed_at.desc(),
                                          QuestionnaireResponse.id.desc())))
