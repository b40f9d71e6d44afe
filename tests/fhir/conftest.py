"""The record the FHIR API tests read."""
from datetime import timedelta

import pytest

from inclusive_access.domain import appointments, instrument_files, questionnaires
from inclusive_access.extensions import db
from tests.blueprints.records import propose_rejection, record_adjustment
from tests.factories import SLOT, accepted, book, make_referral, next_nhs_number, staff


@pytest.fixture
def record(app, made_once) -> dict:
    """One patient with two communication needs (so flagged) and an adjustment; five referrals, the first accepted
    with a questionnaire answered, an appointment attended on 8 June and one missed a week later, the last's
    rejection waiting for a senior; and another patient's referral. Their ids."""
    return made_once("fhir_record", _record)


def _record() -> dict:
    clinician = staff(db.session, "clinician")
    nhs_number = next_nhs_number()
    first = accepted(db.session, clinician, nhs_number=nhs_number, communication_needs="easy_read;large_print")
    others = [make_referral(db.session, nhs_number=nhs_number, pathway="msk") for _ in range(4)]
    seen = book(db.session, clinician, first, SLOT, now=SLOT - timedelta(days=6))
    appointments.record_outcome(db.session, clinician, seen, seen.version, "attended",
                                now=SLOT + timedelta(hours=1))
    missed = book(db.session, clinician, first, SLOT + timedelta(days=7), now=SLOT + timedelta(hours=2))
    appointments.record_outcome(db.session, clinician, missed, missed.version, "dna",
                                now=SLOT + timedelta(days=7, hours=1))
    psfs = instrument_files.load(instrument_files.SHIPPED_DIR)["psfs"]
    answered = questionnaires.record_answers(db.session, clinician, first, psfs, "first_contact",
                                             {"activity_1": "3", "activity_2": "6"}, "telephone",
                                             SLOT, now=SLOT + timedelta(hours=1))
    adjustment = record_adjustment(db.session, clinician, first.patient)
    propose_rejection(db.session, clinician, others[-1])
    stranger = make_referral(db.session)
    db.session.commit()
    return {"patient": first.patient_id, "nhs_number": nhs_number, "referrals": [first.id] + [r.id for r in others],
            "seen": seen.id, "missed": missed.id, "questionnaire": answered.id, "adjustment": adjustment.id,
            "stranger": stranger.patient_id}
