"""The intake form: a valid referral is saved once and shown; bad input is re-shown with errors and saves nothing."""
import html
import json
import re
from datetime import UTC, datetime

import pytest

from inclusive_access.blueprints.intake.forms import ReReferralForm
from inclusive_access.domain import organisations
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.extensions import db
from inclusive_access.models import Event, Patient, Referral
from tests.blueprints.pages import field_names, page_text
from tests.blueprints.records import count, events, propose_rejection
from tests.conftest import post_form
from tests.factories import intake_form, make_referral, next_nhs_number, staff


@pytest.fixture
def booking(login_as):
    return login_as("booking")


def test_the_form_renders_without_errors_and_posts_the_fields_the_route_reads(client, booking):
    response = client.get("/intake/new")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>New referral</h1>" in body
    assert "There is a problem" not in body
    assert "nhsuk-error-message" not in body
    assert "nhsuk-form-group--error" not in body
    names = field_names(body)
    assert set(intake_form()) <= names, f"the page has no field for {set(intake_form()) - names}"
    assert {"csrf_token", "submission_token"} <= names
    assert 'name="submission_token" type="hidden" value="' in body


def test_a_valid_referral_is_saved_and_shown_with_its_flags(app, client, booking):
    data = intake_form(imd_decile="1", housing_status="temporary", communication_needs=["easy_read", "bsl"],
                       given_name="Amira", family_name="Khan")
    response = post_form(client, "/intake/new", data)
    assert response.status_code == 303
    with app.app_context():
        referral = db.session.scalars(db.select(Referral)).one()
        assert referral.flags == ["deprivation", "housing", "language", "communication"]
        assert referral.patient.communication_needs == ["bsl", "easy_read"]
        assert referral.received_at < datetime.now(UTC)
        referral_id = referral.id
    assert response.headers["Location"] == f"/referrals/{referral_id}"
    page = page_text(client.get(response.headers["Location"]))
    assert "Referral received" in page
    assert f"Reference {referral_id}." in page
    for label in ("Deprivation (IMD quintile 1)", "Housing instability", "Language need", "Communication need"):
        assert label in page
    assert "Amira KHAN" in page
    assert "Referral received" not in page_text(client.get(f"/referrals/{referral_id}")), "the banner shows once"
    assert [e.action for e in events(app) if e.action in ("patient.registered", "referral.received")] == [
        "patient.registered", "referral.received"]


def test_a_referral_without_flags_says_so(client, booking):
    response = post_form(client, "/intake/new", intake_form())
    assert response.status_code == 303
    assert "No inequality flags." in page_text(client.get(response.headers["Location"]))


def test_bad_input_is_shown_again_with_errors_beside_the_fields_and_nothing_is_saved(app, client, booking):
    """Each field's rules are tests/blueprints/test_form_rules.py's; here, that the page shows them."""
    data = intake_form(dob_day="31", dob_month="2", reason="")
    response = post_form(client, "/intake/new", data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "There is a problem" in body
    assert "nhsuk-error-summary" in body
    assert "<title>Error: New referral" in body
    for field, anchor, message in (("dob", "dob_day", "The date of birth must be a real date"),
                                   ("reason", "reason", "Enter the reason for referral")):
        error = body.index(f'id="{field}-error"')
        assert message in html.unescape(body[error:error + 400]), "the message sits next to the field"
        assert f'href="#{anchor}"' in body, "the summary links to the field"
        assert html.unescape(body).count(message) >= 2, "in the summary and by the field"
    assert html.escape(data["referrer_name"]) in body, "the user's input is kept"
    assert count(app, Patient) == 0
    assert count(app, Referral) == 0
    assert count(app, Event, Event.action.in_(["patient.registered", "referral.received"])) == 0


def test_a_tampered_submission_token_is_refused_not_an_error_page(app, client, booking):
    response = post_form(client, "/intake/new", intake_form(submission_token="x" * 100))
    assert response.status_code == 400
    response = post_form(client, "/intake/new", intake_form(submission_token="bad\x00token"))
    assert response.status_code == 400
    assert count(app, Referral) == 0


def test_a_double_submit_creates_one_referral_and_the_second_goes_to_it(app, client, booking):
    form = client.get("/intake/new").get_data(as_text=True)
    token = form.split('name="submission_token" type="hidden" value="')[1].split('"')[0]
    data = intake_form(submission_token=token)
    first = post_form(client, "/intake/new", data)
    second = post_form(client, "/intake/new", data)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert count(app, Referral) == 1
    assert count(app, Patient) == 1
    assert len(events(app, "referral.received")) == 1
    assert "This referral was already saved" in page_text(client.get(second.headers["Location"]))


def _token(page) -> str:
    return re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))[1]


def test_back_and_save_again_warns_of_the_open_referral_and_saves_nothing(app, client, booking):
    """The browser's Back fetches the form afresh (no-store), so a new one-time token: the open referral warns."""
    data = intake_form()
    first = post_form(client, "/intake/new", {**data, "submission_token": _token(client.get("/intake/new"))})
    assert first.status_code == 303
    again = post_form(client, "/intake/new", {**data, "submission_token": _token(client.get("/intake/new"))})
    page = page_text(again)
    assert again.status_code == 409
    assert count(app, Referral) == 1
    assert "nhsuk-card--warning" in page
    assert f'href="{first.headers["Location"]}"' in page
    assert "already has an open referral on this pathway" in page
    assert "Reason for another referral on this pathway" in page
    assert 'name="duplicate_reason"' in page


def test_another_referral_on_an_open_pathway_needs_a_confirmed_reason(app, client, booking):
    nhs = next_nhs_number()
    assert post_form(client, "/intake/new", intake_form(nhs_number=nhs, submission_token="one")).status_code == 303
    blank = post_form(client, "/intake/new", intake_form(nhs_number=nhs, submission_token="two", duplicate_reason=" "))
    assert (blank.status_code, count(app, Referral)) == (409, 1)
    reason = "Second referral from the hospital team: a new problem with the left shoulder"
    response = post_form(client, "/intake/new", intake_form(nhs_number=nhs, submission_token="two",
                                                            duplicate_reason=reason))
    assert response.status_code == 303
    assert count(app, Referral) == 2
    assert count(app, Patient) == 1
    assert json.loads(events(app, "referral.received")[-1].data)["duplicate_reason"] == reason
    assert post_form(client, "/intake/new", intake_form(nhs_number=nhs, pathway="frailty")).status_code == 303


def test_a_known_nhs_number_shows_the_patient_and_links_the_referral(app, client, booking):
    with app.app_context():
        existing = make_referral(db.session, given_name="Known", family_name="Person")
        nhs, patient_id = existing.patient.nhs_number, existing.patient_id
        db.session.commit()
    spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
    response = client.get(f"/intake/patient-lookup?nhs_number={spaced}", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert "Known PERSON" in body
    assert f"/patients/{patient_id}" in body
    assert events(app, "record.viewed")[-1].patient_id == patient_id, "the lookup showed a record: logged"

    unknown = client.get(f"/intake/patient-lookup?nhs_number={next_nhs_number()}").get_data(as_text=True)
    assert "belongs to" not in unknown
    assert "belongs to" not in client.get("/intake/patient-lookup?nhs_number=123").get_data(as_text=True)

    response = post_form(client, "/intake/new", intake_form(nhs_number=spaced, given_name="Different",
                                                            pathway="frailty"))
    assert response.status_code == 303
    assert "Linked to the existing record for this NHS number" in page_text(client.get(response.headers["Location"]))
    with app.app_context():
        referrals = db.session.scalars(db.select(Referral).order_by(Referral.id)).all()
        assert [r.patient_id for r in referrals] == [patient_id, patient_id]
        assert db.session.get(Patient, patient_id).given_name == "Known", "the record on file is not overwritten"
    assert count(app, Patient) == 1


def test_a_post_over_the_request_limit_gets_a_friendly_413(app, client, booking):
    response = post_form(client, "/intake/new", intake_form(reason="x" * (17 * 1024 * 1024)))
    assert response.status_code == 413
    assert "Too much data was sent" in response.get_data(as_text=True)
    assert count(app, Referral) == 0


def test_re_referring_while_another_referral_is_open_on_the_pathway_needs_a_reason(app, client, booking):
    with app.app_context():
        rejected = make_referral(db.session)
        propose_rejection(db.session, staff(db.session, "clinician"), rejected)
        still_open = make_referral(db.session, nhs_number=rejected.patient.nhs_number)
        rejected_id, open_id = rejected.id, still_open.id
        db.session.commit()
    url = f"/intake/referrals/{rejected_id}/re-refer"
    data = {k: v for k, v in intake_form().items() if k in ReReferralForm.__dict__}
    warned = post_form(client, url, {**data, "submission_token": "re-1"})
    assert (warned.status_code, count(app, Referral)) == (409, 2)
    assert f'href="/referrals/{open_id}"' in page_text(warned)
    confirmed = post_form(client, url, {**data, "submission_token": "re-1", "duplicate_reason": "A new problem"})
    assert (confirmed.status_code, count(app, Referral)) == (303, 3)


# --- a referral for a patient on file -------------------------------------------------------------

def _on_file(app) -> tuple[int, str]:
    with app.app_context():
        patient = make_referral(db.session, given_name="Known", family_name="Person", postcode="LS1 4AP").patient
        db.session.commit()
        return patient.id, patient.nhs_number


REFERRAL_HALF = {k: v for k, v in intake_form(pathway="frailty").items() if k in ReReferralForm.__dict__}


def test_the_lookup_offers_to_refer_the_patient_on_file(app, client, booking):
    patient_id, nhs = _on_file(app)
    body = client.get(f"/intake/patient-lookup?nhs_number={nhs}", headers={"HX-Request": "true"}).get_data(True)
    assert f'href="/intake/patients/{patient_id}/refer"' in body
    assert "details on file are kept" not in body


def _as_shown(client, patient_id: int) -> dict:
    """What the form for a patient on file posts as it is shown: their details on file, the version, the token."""
    shown = client.get(f"/intake/patients/{patient_id}/refer").get_data(as_text=True)
    posted = dict(re.search(r'name="([a-z_]+)"[^>]*?value="([^"]*)"', tag).groups()
                  for tag in re.findall(r"<input[^>]*>", shown)
                  if "value=" in tag and ("checked" in tag or not re.search(r'type="(radio|checkbox)"', tag)))
    for name in ("imd_decile", "imd_index", "ethnic_category", "housing_status"):
        chosen = re.search(rf'<select[^>]*name="{name}".*?<option value="([^"]*)" selected', shown, re.S)
        posted[name] = chosen.group(1) if chosen else ""
    return {**posted, **REFERRAL_HALF}


def test_choosing_a_patient_on_file_prefills_their_details(app, client, booking):
    patient_id, nhs = _on_file(app)
    response = client.get(f"/intake/patients/{patient_id}/refer")
    assert response.status_code == 200
    assert "Change the patient's details" in response.get_data(as_text=True)
    shown = _as_shown(client, patient_id)
    assert (shown["given_name"], shown["family_name"], shown["postcode"], shown["nhs_number"]) == (
        "Known", "Person", "LS1 4AP", nhs)
    assert (shown["patient_version"], shown["sex"], shown["interpreter_needed"]) == ("1", "female", "no")
    assert events(app, "record.viewed")[-1].patient_id == patient_id


def test_a_referral_for_a_patient_on_file_with_nothing_changed_rewrites_nothing(app, client, booking):
    patient_id, _nhs = _on_file(app)
    response = post_form(client, f"/intake/patients/{patient_id}/refer", _as_shown(client, patient_id))
    assert response.status_code == 303, page_text(response)
    assert "Linked to the existing record for this NHS number" in page_text(client.get(response.headers["Location"]))
    assert count(app, Referral, Referral.patient_id == patient_id) == 2
    assert events(app, "patient.updated") == []


def test_a_changed_detail_at_intake_is_written_alone_and_evented(app, client, booking):
    patient_id, _nhs = _on_file(app)
    response = post_form(client, f"/intake/patients/{patient_id}/refer",
                         {**_as_shown(client, patient_id), "postcode": "LS2 9JT"})
    assert response.status_code == 303, page_text(response)
    with app.app_context():
        assert db.session.get(Patient, patient_id).postcode == "LS2 9JT"
    [update] = events(app, "patient.updated")
    assert json.loads(update.data)["changes"] == {"postcode": ["LS1 4AP", "LS2 9JT"]}


def test_a_bad_change_at_intake_is_shown_again_with_the_details_open(app, client, booking):
    patient_id, _nhs = _on_file(app)
    response = post_form(client, f"/intake/patients/{patient_id}/refer",
                         {**_as_shown(client, patient_id), "sex": ""})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'href="#sex"' in body
    assert '<details class="nhsuk-details" open>' in body
    assert count(app, Referral) == 1


def test_the_patient_record_offers_a_new_referral_to_intake_staff_only(app, client, login_as):
    patient_id, _nhs = _on_file(app)
    link = f'href="/intake/patients/{patient_id}/refer"'
    login_as("booking")
    assert link in client.get(f"/patients/{patient_id}").get_data(as_text=True)
    login_as("auditor")
    assert link not in client.get(f"/patients/{patient_id}").get_data(as_text=True)


def test_the_organisation_search_offers_each_match_to_fill_in_its_code_and_name(app, client, booking):
    with app.app_context():
        report = organisations.LoadReport()
        rows = [organisations.OdsRow("Y99901", "THE EXAMPLE SURGERY", "LS1 4AP", None, None),
                organisations.OdsRow("Y99902", "SAMPLE <MEDICAL> CENTRE", None, None, None)]
        organisations.load(db.session, SYSTEM, rows, "gp_practice", "epraccur.csv", report)
        db.session.commit()
    found = client.get("/intake/organisations?organisation_search=example", headers={"HX-Request": "true"})
    assert found.status_code == 200
    assert 'data-ods-code="Y99901" data-ods-name="THE EXAMPLE SURGERY"' in found.get_data(as_text=True)
    assert "Use Y99901: THE EXAMPLE SURGERY, LS1 4AP" in " ".join(page_text(found).split())
    escaped = client.get("/intake/organisations?organisation_search=sample").get_data(as_text=True)
    assert "SAMPLE &lt;MEDICAL&gt; CENTRE" in escaped
    none = client.get("/intake/organisations?organisation_search=nowhere")
    assert 'No open organisation matches "nowhere"' in page_text(none)
