"""Patient search: by NHS number, name, date of birth and postcode, as staff type them, and every view logged."""
from datetime import date

import pytest
from sqlalchemy import func, select

from inclusive_access import demo
from inclusive_access.domain import actions, bulk_import, intake, name_keys, patient_search, records
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.errors import InvalidInput, NotPermitted
from inclusive_access.models import Event, Patient
from tests.blueprints.records import propose_rejection, record_adjustment
from tests.factories import intake_row, make_referral, make_user, staff

TODAY = date(2026, 12, 4)


def search(session, actor=None, limit: int = 20, **typed) -> patient_search.SearchResult:
    """Search as a booking clerk would type into the form's boxes."""
    actor = actor or actor_for(make_user(session, "booking"))
    return patient_search.search_patients(session, actor, patient_search.parse_criteria(typed, TODAY), limit=limit)


def names(result: patient_search.SearchResult) -> list[str]:
    return [f"{found.patient.given_name} {found.patient.family_name}" for found in result.rows]


def test_names_fold_to_lower_case_letters_and_digits_without_accents_or_punctuation():
    assert [name_keys.fold(n) for n in ("Zoë", "O'Brien", "SMITH-JONES", "van der Berg", "Ørsted", "Weiß",
                                        "Łukasz", "Siobhán  Ní Dhúill")] == [
        "zoe", "obrien", "smithjones", "vanderberg", "orsted", "weiss", "lukasz", "siobhannidhuill"]
    assert name_keys.keys("Zoë", "O'Brien") == {"given_name_key": "zoe", "family_name_key": "obrien"}


def test_a_name_finds_patients_whatever_the_case_accents_and_punctuation(db_session):
    make_referral(db_session, given_name="Zoë", family_name="O'Brien")
    make_referral(db_session, given_name="Zoe", family_name="Smith")
    make_referral(db_session, given_name="John", family_name="OBRIEN")
    make_referral(db_session, given_name="Brienne", family_name="Tarth")
    assert names(search(db_session, name="zoe")) == ["Zoë O'Brien", "Zoe Smith"]
    assert names(search(db_session, name="o'brien")) == ["John OBRIEN", "Zoë O'Brien"]
    assert names(search(db_session, name="OBRIEN")) == ["John OBRIEN", "Zoë O'Brien"]
    assert names(search(db_session, name="zo o'br")) == ["Zoë O'Brien"]
    assert names(search(db_session, name="OBrien, Zoë")) == ["Zoë O'Brien"], "family name first, as lists show it"
    assert names(search(db_session, name="brien")) == ["Brienne Tarth"], "names match from their start"


def test_a_family_name_of_several_words_is_found_typed_with_or_without_its_spaces(db_session):
    make_referral(db_session, given_name="Maria", family_name="de la Cruz")
    make_referral(db_session, given_name="Mary Ann", family_name="Smith-Jones")
    assert names(search(db_session, name="de la cruz")) == ["Maria de la Cruz"]
    assert names(search(db_session, name="maria delacruz")) == ["Maria de la Cruz"]
    assert names(search(db_session, name="mary ann smith")) == ["Mary Ann Smith-Jones"]
    assert names(search(db_session, name="smith jones")) == ["Mary Ann Smith-Jones"]


def test_nhs_number_date_of_birth_and_postcode_are_found_however_they_are_typed(db_session):
    wanted = make_referral(db_session, nhs_number="9434765919", date_of_birth="1961-07-30", postcode="LS1 4AP",
                           given_name="Wanted").patient
    make_referral(db_session, date_of_birth="1961-07-31", postcode="LS1 4AQ", given_name="Other")
    for typed in ({"nhs_number": "943 476 5919"}, {"nhs_number": "9434765919"}, {"nhs_number": " 943-476-5919 "},
                  {"dob_day": "30", "dob_month": "7", "dob_year": "1961"}, {"postcode": "ls14ap"},
                  {"postcode": "LS1  4AP"}, {"postcode": "ls1 4ap", "name": "want", "dob_day": "30",
                                                                   "dob_month": "07", "dob_year": "1961"}):
        assert [found.patient.id for found in search(db_session, **typed).rows] == [wanted.id], typed
    assert search(db_session, postcode="LS1 4AP", name="other").rows == [], "every box typed must match"


@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"nhs_number": "943 476 591"}, "nhs_number", "NHS number must be 10 digits"),
    ({"nhs_number": "9434765918"}, "nhs_number", "Enter a valid NHS number (the check digit does not match)"),
    ({"name": "z"}, "name", "Enter at least 2 letters of the name"),
    ({"name": "'-."}, "name", "Enter at least 2 letters of the name"),
    ({"dob_day": "31", "dob_month": "2", "dob_year": "1980"}, "dob_day", "Date of birth must be a real date"),
    ({"dob_day": "3", "dob_year": "1980"}, "dob_day", "Date of birth must include a day, month and year"),
    ({"dob_day": "3", "dob_month": "2", "dob_year": "2030"}, "dob_day",
     "Date of birth must be today or in the past"),
    ({"postcode": "LS1"}, "postcode", "Enter a full UK postcode, like LS1 4AP"),
    ({}, "nhs_number", "Enter an NHS number, a name, a date of birth or a postcode"),
])
def test_bad_input_is_refused_with_a_message_for_the_box(typed, field, message):
    with pytest.raises(InvalidInput) as refused:
        patient_search.parse_criteria(typed, TODAY)
    assert refused.value.errors == {field: message}


def test_results_are_limited_and_say_when_there_are_more(db_session):
    for given in ("Ann", "Bea", "Cai", "Dov"):
        make_referral(db_session, given_name=given, family_name="Khan")
    booking = actor_for(make_user(db_session, "booking"))
    few = search(db_session, booking, limit=3, name="khan")
    assert (names(few), few.more) == (["Ann Khan", "Bea Khan", "Cai Khan"], True)
    exact = search(db_session, booking, limit=4, name="khan")
    assert (len(exact.rows), exact.more) == (4, False)


def test_results_show_the_flags_adjustments_and_only_the_open_referrals(db_session):
    clinician = staff(db_session, "clinician")
    flagged = make_referral(db_session, given_name="Ann", family_name="Shown", housing_status="rough_sleeping",
                            preferred_language="Polish", interpreter_needed="yes")
    record_adjustment(db_session, clinician, flagged.patient)
    plain = make_referral(db_session, given_name="Bea", family_name="Shown")
    newer = make_referral(db_session, nhs_number=plain.patient.nhs_number, pathway="frailty")
    propose_rejection(db_session, clinician, plain)  # not flagged: rejected at once, so closed
    first, second = search(db_session, name="shown").rows
    assert (first.flags, [a.category for a in first.patient.active_adjustments]) == (
        ["housing", "language"], ["timing"])
    assert (second.flags, second.patient.active_adjustments) == ([], [])
    assert ([r.id for r in first.open_referrals], [r.id for r in second.open_referrals]) == (
        [flagged.id], [newer.id])


def test_each_patient_shown_is_logged_as_viewed_by_the_searcher(db_session):
    shown = [make_referral(db_session, family_name="Viewed").patient for _ in range(2)]
    make_referral(db_session, family_name="Unseen")
    booking = actor_for(make_user(db_session, "booking"))
    search(db_session, booking, name="viewed")
    logged = db_session.execute(select(Event.actor_id, Event.patient_id).where(
        Event.action == actions.RECORD_VIEWED)).all()
    assert sorted(logged) == sorted((booking.user_id, p.id) for p in shown)
    search(db_session, booking, name="nobody")
    assert db_session.scalar(select(func.count()).where(Event.action == actions.RECORD_VIEWED)) == 2


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_only_the_roles_that_work_with_patients_may_search(db_session, role):
    with pytest.raises(NotPermitted):
        search(db_session, actor_for(make_user(db_session, role)), name="anyone")


def _keys_match_names(session) -> list[tuple]:
    rows = session.execute(select(Patient.given_name, Patient.family_name, Patient.given_name_key,
                                  Patient.family_name_key)).all()
    return [row for row in rows if name_keys.keys(row[0], row[1]) != {"given_name_key": row[2],
                                                                       "family_name_key": row[3]}]


def test_every_way_a_name_is_written_keeps_it_searchable(db_session):
    """Intake, a correction, the CSV import and the demo data all fold the name through name_keys."""
    patient = make_referral(db_session, given_name="Zoë", family_name="O'Brien").patient
    clinician = actor_for(make_user(db_session, "clinician"))
    details = intake.PatientDetails(**{f: getattr(patient, f) for f in intake.PATIENT_FIELDS})
    records.update_patient(db_session, clinician, patient, details.__class__(
        **{**details.__dict__, "family_name": "Ó Súilleabháin"}), patient.version)
    assert patient.family_name_key == "osuilleabhain"
    row = intake_row(given_name="Renée", family_name="Lefèvre")
    bulk_import.import_referrals(db_session, SYSTEM, [(2, row)], skip_invalid=False)
    demo.load(db_session, patients=25, referrals=40, seed=3)
    assert names(search(db_session, name="renee lefevre")) == ["Renée Lefèvre"]
    assert db_session.scalar(select(func.count()).select_from(Patient)) == 2 + 25 + demo.ADDED_PATIENTS
    assert _keys_match_names(db_session) == []
