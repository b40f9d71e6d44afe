"""The patients a minimum record may be: an NHS number match first, then by how like the record each patient's name,
date of birth and postcode are, each with the reasons shown to the clinician."""
import re

import pytest
from sqlalchemy import event

from inclusive_access.domain import actions, outreach_candidates
from inclusive_access.domain.errors import NotPermitted
from tests.conftest import ON_SQLITE
from tests.event_log import actions_since, head
from tests.factories import make_referral, next_nhs_number, staff
from tests.outreach_factories import planned_session, received


@pytest.fixture
def planned(db_session, clinician):
    return planned_session(db_session, staff(db_session, "manager"), [clinician])


def patient(db_session, given: str, family: str, born: str = "1986-03-14", postcode: str = "LS1 4AP", **more):
    return make_referral(db_session, given_name=given, family_name=family, date_of_birth=born, postcode=postcode,
                         **more).patient


def ranked(db_session, clinician, record) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.patient.full_name, c.reasons) for c in outreach_candidates.candidates(db_session, clinician, record)]


def test_the_patient_with_the_nhs_number_given_comes_first_whatever_the_names(db_session, clinician, planned):
    number = next_nhs_number()
    patient(db_session, "Alex", "Smith")
    patient(db_session, "Morgan", "Price", born="1950-01-01", postcode="M1 1AE", nhs_number=number)
    record = received(db_session, clinician, planned, given_name="Alex", family_name="Smith", nhs_number=number)
    names = ranked(db_session, clinician, record)
    assert names[0] == ("Morgan PRICE", ("NHS number matches",))
    assert (names[1][0], names[1][1][0]) == ("Alex SMITH", "different NHS number on file")


def test_a_transposed_family_name_ranks_above_an_unrelated_one_with_the_reasons(db_session, clinician, planned):
    patient(db_session, "Alex", "Jones")
    patient(db_session, "Alex", "Smith")
    record = received(db_session, clinician, planned, given_name="Alex", family_name="Smtih", approximate_age="40",
                      postcode="LS1 4AP")
    assert ranked(db_session, clinician, record) == [
        ("Alex SMITH", ("family name similar (95)", "given name matches", "born 1986, age given 40", "same postcode")),
        ("Alex JONES", ("given name matches", "born 1986, age given 40", "same postcode"))]


def test_a_first_name_alone_finds_people_by_age_and_postcode_district(db_session, clinician, planned):
    patient(db_session, "Alexandra", "Reid", born="1988-09-30", postcode="LS1 9XY")
    patient(db_session, "Alex", "Reid", born="1960-01-01", postcode="LS1 9XY")  # 66: not the 40 given
    record = received(db_session, clinician, planned, given_name="Alex", approximate_age="40", postcode="LS1 4AP")
    assert ranked(db_session, clinician, record) == [
        ("Alexandra REID", ("given name similar (89)", "born 1988, age given 40", "same postcode district"))]


def test_an_alias_counts_for_less_and_says_it_is_an_alias(db_session, clinician, planned):
    patient(db_session, "Sparrow", "Hill")
    record = received(db_session, clinician, planned, given_name="Sparrow", name_is_alias="yes",
                      approximate_age="40", postcode="LS1 4AP")
    [found] = outreach_candidates.candidates(db_session, clinician, record)
    assert found.reasons == ("name given as an alias matches", "born 1986, age given 40", "same postcode")
    assert found.score == outreach_candidates.GIVEN // 2 + outreach_candidates.AGE + outreach_candidates.POSTCODE


def test_each_candidate_shown_is_logged_as_viewed_and_only_the_sessions_clinicians_see_them(
        db_session, clinician, planned):
    patient(db_session, "Alex", "Smith")
    patient(db_session, "Alex", "Smith", born="1990-05-05")
    record = received(db_session, clinician, planned, given_name="Alex", family_name="Smith")
    seq = head(db_session)
    assert len(outreach_candidates.candidates(db_session, clinician, record)) == 2
    assert actions_since(db_session, seq) == [actions.RECORD_VIEWED] * 2
    with pytest.raises(NotPermitted):
        outreach_candidates.candidates(db_session, staff(db_session, "clinician"), record)


@ON_SQLITE
def test_the_candidates_are_preselected_through_indexes_never_a_scan_of_all_patients(db_session, clinician,
                                                                                     planned):
    """Each way of pre-selection is a search of one patients index (SQLite plans the same on any data)."""
    patient(db_session, "Alex", "Smith")
    record = received(db_session, clinician, planned, given_name="Alex", family_name="Smtih", approximate_age="40",
                      postcode="LS1 4AP", nhs_number=next_nhs_number())
    issued = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.startswith("SELECT patients.id") and "LIMIT" in statement:
            issued.append((statement, parameters))

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        outreach_candidates.candidates(db_session, clinician, record)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    explain = db_session.connection().exec_driver_sql
    plans = [" ".join(row[-1] for row in explain(f"EXPLAIN QUERY PLAN {statement}", parameters))
             for statement, parameters in issued]
    assert len(plans) == 6  # NHS number, two name keys, given name and age, postcode, its district and age
    assert all(re.search(r"SEARCH patients USING (COVERING )?INDEX", plan) for plan in plans), plans
    assert not any("SCAN patients" in plan for plan in plans), plans
