"""Receiving referrals (flag snapshots, linking by NHS number, duplicates) and editing patient records."""
import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select, text

from inclusive_access.domain import actions, event_chain, intake, records
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.errors import (
    DuplicateSubmission,
    InvalidInput,
    NotPermitted,
    OpenReferralExists,
    StaleRecord,
)
from inclusive_access.domain.policy import Policy
from inclusive_access.models import Event, Patient, Referral
from tests.blueprints.records import propose_rejection
from tests.event_log import count
from tests.factories import intake_row, make_user, staff


def receive(session, actor=SYSTEM, token=None, quintiles=(1,), duplicate_reason=None, **overrides):
    patient, referral = intake.parse_intake(session, intake_row(**overrides))
    return intake.receive_referral(session, actor, patient, referral, submission_token=token,
                                   policy=Policy(deprivation_quintiles=quintiles), duplicate_reason=duplicate_reason)


def details_of(patient: Patient) -> intake.PatientDetails:
    return intake.PatientDetails(**{f: getattr(patient, f) for f in intake.PATIENT_FIELDS})


# --- Receiving a referral -------------------------------------------------------------------------

def test_receive_referral_registers_the_patient_and_snapshots_flags(db_session, booker):
    referral, linked = receive(db_session, booker, imd_decile="2", housing_status="temporary",
                               interpreter_needed="yes", preferred_language="Polish")
    db_session.commit()
    assert linked is False
    assert referral.state == "received"
    assert referral.flags == ["deprivation", "housing", "language"]
    assert referral.flagged is True
    assert referral.imd_quintile == 1
    event = db_session.scalars(select(Event).where(Event.action == actions.REFERRAL_RECEIVED)).one()
    data = json.loads(event.data)
    assert data["flags"] == ["deprivation", "housing", "language"]
    assert data["imd_quintile"] == 1
    assert data["ethnic_category"] == "A"
    assert event.actor_id == booker.user_id


def test_unflagged_referral(db_session):
    referral, _ = receive(db_session, imd_decile="5")
    assert referral.flags == []
    assert referral.flagged is False
    assert referral.imd_quintile == 3


def test_unknown_deprivation_is_kept_unknown(db_session):
    referral, _ = receive(db_session, imd_decile="", imd_index="")
    assert referral.imd_quintile is None
    assert "deprivation" not in referral.flags
    assert referral.patient.imd_index is None


def test_deprivation_quintiles_setting_is_applied(db_session):
    referral, _ = receive(db_session, quintiles=(1, 2), imd_decile="3")
    assert referral.flags == ["deprivation"]
    assert referral.imd_quintile == 2


def test_every_flag_is_snapshotted(db_session):
    referral, _ = receive(db_session, imd_decile="1", housing_status="rough_sleeping", learning_disability="yes",
                          communication_needs="bsl;large_print", caring_responsibilities="yes")
    assert referral.flags == ["deprivation", "housing", "cognitive", "language", "communication", "carer"]
    assert referral.patient.communication_needs == ["bsl", "large_print"]


def test_flags_on_a_referral_do_not_change_when_the_record_does(db_session, booker, clinician):
    first, _ = receive(db_session, booker, imd_decile="1", housing_status="no_fixed_abode")
    db_session.commit()
    patient = first.patient
    records.update_patient(db_session, clinician, patient,
                           replace(details_of(patient), imd_decile=10, housing_status="settled"),
                           seen_version=patient.version)
    db_session.commit()
    db_session.expire_all()
    first = db_session.get(Referral, first.id)
    assert first.flags == ["deprivation", "housing"]
    assert first.imd_quintile == 1
    later, linked = receive(db_session, booker, nhs_number=patient.nhs_number, pathway="frailty")
    assert linked is True
    assert later.flags == []
    assert later.imd_quintile == 5


def test_second_referral_links_to_the_existing_patient_without_overwriting(db_session, booker):
    row = intake_row(given_name="Ada", imd_decile="10", housing_status="settled")
    first, _ = intake.receive_referral(db_session, booker, *intake.parse_intake(db_session, row))
    db_session.commit()
    patient_id = first.patient_id
    on_file = details_of(db_session.get(Patient, patient_id))

    second, linked = receive(db_session, booker, nhs_number=f"{row['nhs_number'][:3]} {row['nhs_number'][3:]}",
                             given_name="Adelaide", family_name="Other", date_of_birth="1960-01-01",
                             imd_decile="1", housing_status="rough_sleeping", caring_responsibilities="yes",
                             pathway="frailty")
    db_session.commit()
    db_session.expire_all()
    assert linked is True
    assert second.patient_id == patient_id
    assert count(db_session, Patient) == 1
    assert details_of(db_session.get(Patient, patient_id)) == on_file
    assert db_session.get(Patient, patient_id).version == 1
    # flags come from the record on file, not from what this intake claimed
    assert second.flags == []
    assert second.imd_quintile == 5
    assert json.loads(db_session.scalars(select(Event.data).where(Event.referral_id == second.id)).one())[
        "linked_existing_patient"] is True


def test_duplicate_submission_token_is_refused_with_the_first_referral(db_session, booker):
    first, _ = receive(db_session, booker, token="tok-123")
    db_session.commit()
    before = (count(db_session, Referral), count(db_session, Patient), event_chain.checkpoint(db_session))
    with pytest.raises(DuplicateSubmission) as caught:
        receive(db_session, booker, token="tok-123")
    assert caught.value.existing_id == first.id
    db_session.rollback()
    assert (count(db_session, Referral), count(db_session, Patient), event_chain.checkpoint(db_session)) == before


def test_duplicate_external_ref_is_refused_with_the_first_referral(db_session, booker):
    first, _ = receive(db_session, booker, external_ref="GP-0001")
    db_session.commit()
    before = (count(db_session, Referral), count(db_session, Patient), event_chain.checkpoint(db_session))
    with pytest.raises(DuplicateSubmission) as caught:
        receive(db_session, booker, external_ref="GP-0001", token="a-different-token")
    assert caught.value.existing_id == first.id
    db_session.rollback()
    assert (count(db_session, Referral), count(db_session, Patient), event_chain.checkpoint(db_session)) == before


def test_referrals_without_token_or_external_ref_are_not_duplicates(db_session):
    receive(db_session, external_ref="")
    receive(db_session, external_ref="")
    assert count(db_session, Referral) == 2


def test_a_second_referral_on_a_pathway_the_patient_is_open_on_is_refused_naming_the_open_one(db_session, booker):
    first, _ = receive(db_session, booker, token="first-form")
    db_session.commit()
    before = (count(db_session, Referral), event_chain.checkpoint(db_session))
    with pytest.raises(OpenReferralExists) as caught:
        receive(db_session, booker, token="back-and-save", nhs_number=first.patient.nhs_number)
    assert caught.value.existing_id == first.id
    db_session.rollback()
    assert (count(db_session, Referral), event_chain.checkpoint(db_session)) == before


def test_a_confirmed_reason_adds_another_referral_and_the_receipt_records_it(db_session, booker):
    first, _ = receive(db_session, booker)
    second, linked = intake.receive_referral(
        db_session, booker, *intake.parse_intake(db_session, intake_row(nhs_number=first.patient.nhs_number)),
        duplicate_reason="  New problem: left shoulder, not the knee  ")
    assert (linked, second.patient_id, count(db_session, Referral)) == (True, first.patient_id, 2)
    data = json.loads(db_session.scalars(select(Event.data).where(
        Event.action == actions.REFERRAL_RECEIVED, Event.referral_id == second.id)).one())
    assert (data["duplicate_reason"], data["open_referral_id"]) == (
        "New problem: left shoulder, not the knee", first.id)
    with pytest.raises(OpenReferralExists):
        receive(db_session, booker, nhs_number=first.patient.nhs_number, duplicate_reason="   ")


def test_another_pathway_or_a_closed_referral_needs_no_reason(db_session, booker, clinician):
    first, _ = receive(db_session, booker)
    other, _ = receive(db_session, booker, nhs_number=first.patient.nhs_number, pathway="frailty")
    propose_rejection(db_session, clinician, first)  # not flagged: rejected at once
    again, _ = receive(db_session, booker, nhs_number=first.patient.nhs_number)
    assert (first.state, other.pathway.code, again.pathway.code) == ("rejected", "frailty", "msk")
    assert "duplicate_reason" not in json.loads(db_session.scalars(select(Event.data).where(
        Event.action == actions.REFERRAL_RECEIVED, Event.referral_id == again.id)).one())


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_roles_outside_intake_may_not_receive_referrals(db_session, role):
    actor = staff(db_session, role)
    before = event_chain.checkpoint(db_session)
    with pytest.raises(NotPermitted):
        receive(db_session, actor)
    assert count(db_session, Referral) == 0
    assert count(db_session, Patient) == 0
    assert event_chain.checkpoint(db_session) == before


@pytest.mark.parametrize("role", ["booking", "clinician", "senior"])
def test_intake_roles_may_receive_referrals(db_session, role):
    actor = staff(db_session, role)
    referral, _ = receive(db_session, actor)
    assert referral.id is not None


# --- Editing a patient's record -------------------------------------------------------------------

@pytest.fixture
def patient(db_session) -> Patient:
    referral, _ = receive(db_session, given_name="Ada", family_name="Lovelace", date_of_birth="1950-04-01")
    db_session.commit()
    return referral.patient


def test_update_patient_saves_changes_with_an_event(db_session, clinician, patient):
    assert patient.version == 1
    changes = records.update_patient(
        db_session, clinician, patient,
        replace(details_of(patient), given_name="Augusta", date_of_birth=date(1950, 4, 2)), seen_version=1)
    db_session.commit()
    assert changes == {"given_name": ["Ada", "Augusta"],
                       "date_of_birth": [date(1950, 4, 1), date(1950, 4, 2)]}
    db_session.expire_all()
    stored = db_session.get(Patient, patient.id)
    assert (stored.given_name, stored.date_of_birth, stored.version) == ("Augusta", date(1950, 4, 2), 2)
    event = db_session.scalars(select(Event).where(Event.action == actions.PATIENT_UPDATED)).one()
    assert (event.entity_type, event.entity_id, event.patient_id) == ("patient", patient.id, patient.id)
    assert event.actor_id == clinician.user_id
    assert json.loads(event.data) == {
        "version": 2,
        "changes": {"given_name": ["Ada", "Augusta"], "date_of_birth": ["1950-04-01", "1950-04-02"]},
    }
    assert event_chain.verify(db_session).ok


def test_update_with_no_changes_writes_nothing(db_session, clinician, patient):
    before = event_chain.checkpoint(db_session)
    assert records.update_patient(db_session, clinician, patient, details_of(patient), seen_version=1) == {}
    db_session.commit()
    assert event_chain.checkpoint(db_session) == before
    assert patient.version == 1


def test_stale_save_is_refused_and_names_the_other_users_change(db_session, patient):
    alice = make_user(db_session, role="clinician", username="alice")
    bob = make_user(db_session, role="clinician", username="bob")
    db_session.commit()
    opened = patient.version  # both opened the record at this version

    records.update_patient(db_session, actor_for(alice), patient,
                           replace(details_of(patient), given_name="Alicia"), seen_version=opened)
    db_session.commit()
    before = event_chain.checkpoint(db_session)

    bobs_form = replace(details_of(patient), given_name="Ada", family_name="Byron")
    with pytest.raises(StaleRecord) as caught:
        records.update_patient(db_session, actor_for(bob), patient, bobs_form, seen_version=opened)
    db_session.rollback()
    changes = caught.value.changes
    assert set(changes) == {"given_name"}
    assert changes["given_name"]["value"] == "Alicia"
    assert changes["given_name"]["by"] == alice.display_name
    assert changes["given_name"]["at"] is not None
    db_session.expire_all()
    stored = db_session.get(Patient, patient.id)
    assert (stored.given_name, stored.family_name, stored.version) == ("Alicia", "Lovelace", 2)
    assert event_chain.checkpoint(db_session) == before


def test_stale_save_lists_every_field_changed_since_with_the_newest_value(db_session, clinician, patient):
    for name in ("Beatrice", "Clara"):
        records.update_patient(db_session, clinician, patient, replace(details_of(patient), given_name=name),
                               seen_version=patient.version)
    records.update_patient(db_session, clinician, patient, replace(details_of(patient), postcode="LS2 9JT"),
                           seen_version=patient.version)
    db_session.commit()
    with pytest.raises(StaleRecord) as caught:
        records.update_patient(db_session, clinician, patient, details_of(patient), seen_version=2)
    assert {f: c["value"] for f, c in caught.value.changes.items()} == {"given_name": "Clara",
                                                                       "postcode": "LS2 9JT"}


def test_write_between_read_and_save_is_refused(db_session, clinician, patient):
    # Another transaction saves after this session loaded the patient: the versioned UPDATE matches nothing.
    db_session.execute(text("UPDATE patients SET given_name = 'Other', version = version + 1 WHERE id = :id"),
                       {"id": patient.id})
    with pytest.raises(StaleRecord):
        records.update_patient(db_session, clinician, patient, replace(details_of(patient), family_name="Byron"),
                               seen_version=1)
    db_session.rollback()
    assert actions.PATIENT_UPDATED not in set(db_session.scalars(select(Event.action)))


def test_update_to_another_patients_nhs_number_is_refused(db_session, clinician, patient):
    other, _ = receive(db_session)
    with pytest.raises(InvalidInput) as caught:
        records.update_patient(db_session, clinician, patient,
                               replace(details_of(patient), nhs_number=other.patient.nhs_number), seen_version=1)
    assert set(caught.value.errors) == {"nhs_number"}


# --- Viewing ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor", "manager"])
def test_viewing_a_patient_is_logged(db_session, patient, role):
    viewer = staff(db_session, role)
    records.view_record(db_session, viewer, patient)
    db_session.commit()
    event = db_session.scalars(select(Event).where(Event.action == actions.RECORD_VIEWED)).one()
    assert (event.actor_id, event.actor_role) == (viewer.user_id, role)
    assert (event.entity_type, event.entity_id, event.patient_id, event.referral_id) == (
        "patient", patient.id, patient.id, None)


def test_viewing_a_referral_is_logged_against_patient_and_referral(db_session, booker):
    referral, _ = receive(db_session)
    records.view_record(db_session, booker, referral.patient, referral)
    event = db_session.scalars(select(Event).where(Event.action == actions.RECORD_VIEWED)).one()
    assert (event.entity_type, event.entity_id, event.patient_id, event.referral_id) == (
        "referral", referral.id, referral.patient_id, referral.id)


def test_every_view_is_logged(db_session, booker, patient):
    for _ in range(3):
        records.view_record(db_session, booker, patient)
    assert db_session.scalar(select(func.count()).where(Event.action == actions.RECORD_VIEWED)) == 3


def test_system_views_are_not_allowed_anonymously(db_session, patient):
    with pytest.raises(NotPermitted):
        records.view_record(db_session, SYSTEM, patient)


# --- A referral for a patient on file -------------------------------------------------------------

REFERRAL_ONLY = {k: v for k, v in intake_row(pathway="frailty").items()
                 if k in intake.REFERRAL_FIELDS and k != "external_ref"}


def form_of(patient: Patient) -> dict:
    """The patient's details on file as the intake form shows them."""
    shown = {name: {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
             for name, value in vars(details_of(patient)).items()}
    return {**shown, "date_of_birth": patient.date_of_birth.isoformat(), "imd_decile": str(patient.imd_decile),
            "communication_needs": patient.communication_needs}


def test_a_referral_for_a_patient_on_file_whose_details_did_not_change_writes_only_the_referral(
        db_session, booker, patient):
    before = event_chain.checkpoint(db_session)
    referral = intake.receive_for_patient(db_session, booker, patient, {**form_of(patient), **REFERRAL_ONLY},
                                          seen_version=patient.version)
    db_session.commit()
    assert referral.patient_id == patient.id
    assert [e.action for e in db_session.scalars(select(Event).where(Event.seq > before.count))] == [
        actions.REFERRAL_RECEIVED]
    assert db_session.get(Patient, patient.id).version == 1


def test_changed_details_at_intake_are_written_alone_evented_before_the_flags_are_derived(
        db_session, booker, patient):
    """A clerk's change the referral brings (now needs a Polish interpreter) flags the referral it came with."""
    raw = {**form_of(patient), **REFERRAL_ONLY, "interpreter_needed": "yes", "preferred_language": "Polish"}
    referral = intake.receive_for_patient(db_session, booker, patient, raw, seen_version=patient.version)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(Patient, patient.id)
    assert (stored.interpreter_needed, stored.preferred_language, stored.given_name, stored.version) == (
        True, "Polish", "Ada", 2)
    update = db_session.scalars(select(Event).where(Event.action == actions.PATIENT_UPDATED)).one()
    assert json.loads(update.data) == {"version": 2, "changes": {"interpreter_needed": [False, True],
                                                                 "preferred_language": ["English", "Polish"]}}
    assert update.actor_id == booker.user_id
    assert referral.flags == ["language"]
    assert event_chain.verify(db_session).ok


def test_details_changed_by_someone_else_since_the_form_showed_them_are_not_overwritten(
        db_session, booker, clinician, patient):
    records.update_patient(db_session, clinician, patient, replace(details_of(patient), postcode="LS2 9JT"), 1)
    db_session.commit()
    raw = {**form_of(patient), **REFERRAL_ONLY, "postcode": "LS1 4AP"}
    with pytest.raises(StaleRecord):
        intake.receive_for_patient(db_session, booker, patient, raw, seen_version=1)
    db_session.rollback()
    assert (db_session.get(Patient, patient.id).postcode, count(db_session, Referral)) == ("LS2 9JT", 1)


def test_changed_details_at_intake_are_checked_like_any_intake(db_session, booker, patient):
    raw = {**intake_row(nhs_number=patient.nhs_number, sex="", reason=""), "pathway": "msk"}
    with pytest.raises(InvalidInput) as refused:
        intake.receive_for_patient(db_session, booker, patient, raw, seen_version=1)
    assert {"sex", "reason"} <= set(refused.value.errors)
