"""The patient search page: the form, its messages, the results table and the views it logs."""
import re

import pytest

from inclusive_access.domain import patient_search
from inclusive_access.extensions import db
from tests.blueprints.pages import broken_summary_links, field_names, page_text
from tests.blueprints.records import events
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_referral

SEARCH = "/patients/search"


@pytest.fixture
def patients(app) -> dict[str, int]:
    """Zoë O'Brien, flagged, with an open referral; Zoe Smith with none flagged."""
    with app.app_context():
        zoe = make_referral(db.session, given_name="Zoë", family_name="O'Brien", nhs_number="9434765919",
                            postcode="LS2 7UE", housing_status="rough_sleeping")
        smith = make_referral(db.session, given_name="Zoe", family_name="Smith")
        db.session.commit()
        return {"zoe": zoe.patient_id, "zoe_referral": zoe.id, "smith": smith.patient_id}


def test_the_page_opens_with_the_form_alone_and_logs_nothing(app, client, login_as, patients):
    login_as("booking")
    response = client.get(SEARCH)
    body = page_text(response)
    assert response.status_code == 200
    assert {"nhs_number", "name", "dob_day", "dob_month", "dob_year", "postcode"} <= field_names(body)
    assert "Results" not in body
    assert "There is a problem" not in body
    assert 'href="/patients/search"' in body, "the header links to the search"
    assert not events(app, "record.viewed")


def test_a_name_finds_patients_in_a_table_with_flags_and_open_referrals(app, client, login_as, patients):
    user_id = login_as("booking")
    response = client.get(SEARCH, query_string={"name": "ZOE"})
    body = page_text(response)
    assert '<table class="nhsuk-table-responsive">' in body
    rows = re.findall(r'<tr class="nhsuk-table__row">(.*?)</tr>', body, re.S)[1:]  # the header row aside
    assert [re.search(r'/patients/(\d+)"', row).group(1) for row in rows] == [
        str(patients["zoe"]), str(patients["smith"])], "by family name"
    assert "Zoë O'BRIEN" in rows[0]
    assert "943 476 5919" in rows[0]
    assert "Housing instability" in rows[0]
    assert f'/referrals/{patients["zoe_referral"]}"' in rows[0]
    assert "No flags" in rows[1]
    assert "2 patients found." in body
    for row in rows:
        cells = re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', row, re.S)
        assert all('class="nhsuk-table-responsive__heading" aria-hidden="true"' in cell for cell in cells)
    viewed = {(e.actor_id, e.patient_id) for e in events(app, "record.viewed")}
    assert viewed == {(user_id, patients["zoe"]), (user_id, patients["smith"])}


def test_an_nhs_number_or_postcode_is_found_however_it_is_typed(client, login_as, patients):
    login_as("clinician")
    for typed in ({"nhs_number": "943 476 5919"}, {"postcode": "ls27ue"}, {"name": "o'brien zo"}):
        body = page_text(client.get(SEARCH, query_string=typed))
        assert re.findall(r'href="/patients/(\d+)"', body) == [str(patients["zoe"])], typed


def test_bad_input_is_shown_beside_its_box_and_nothing_is_searched(app, client, login_as, patients):
    login_as("booking")
    response = client.get(SEARCH, query_string={"nhs_number": "943 476 591", "name": "Zoe", "dob_day": "31",
                                                "dob_month": "2", "dob_year": "1980"})
    body = page_text(response)
    assert response.status_code == 200
    assert "<title>Error: " in body
    assert "NHS number must be 10 digits" in body
    assert "Date of birth must be a real date" in body
    assert broken_summary_links(response.get_data(as_text=True)) == []
    assert 'value="943 476 591"' in body, "what was typed stays in its box"
    assert "Results" not in body
    assert not events(app, "record.viewed")


@ON_BOTH_DATABASES
def test_an_empty_search_asks_for_something_to_search_by(client, login_as, patients):
    login_as("booking")
    body = page_text(client.get(SEARCH, query_string={"nhs_number": "", "name": " ", "postcode": ""}))
    assert patient_search.NOTHING_ENTERED in body


def test_no_match_says_so(app, client, login_as, patients):
    login_as("senior")
    body = page_text(client.get(SEARCH, query_string={"name": "nobody"}))
    assert "No patients match." in body
    assert "<table" not in body
    assert not events(app, "record.viewed")


def test_more_matches_than_are_shown_ask_the_user_to_refine(app, client, login_as):
    with app.app_context():
        for _ in range(patient_search.LIMIT + 1):
            make_referral(db.session, family_name="Many")
        db.session.commit()
    login_as("booking")
    body = page_text(client.get(SEARCH, query_string={"name": "many"}))
    assert f"More than {patient_search.LIMIT} patients match" in body
    assert "Refine your search" in body
    assert body.count('<tr class="nhsuk-table__row">') == patient_search.LIMIT + 1  # and the header row
    assert len(events(app, "record.viewed")) == patient_search.LIMIT, "only the patients shown are logged"


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_the_roles_that_do_not_work_with_patients_have_no_search(client, login_as, role):
    login_as(role)
    assert 'href="/patients/search"' not in client.get("/referrals/list").get_data(as_text=True)
    assert client.get(SEARCH, query_string={"name": "zoe"}).status_code == 403
