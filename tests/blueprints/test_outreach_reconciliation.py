"""Reconciliation pages: the named clinician's list (safeguarding worries first), one record with its candidates,
linking to the top candidate's referral (then on the patient's timeline), a new patient shown as identity not
verified (then verified, or corrected without an NHS number), a stale form, a senior's undo, and that no one else
sees a record before reconciliation."""
import re

import pytest

from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import OutreachRecord, Patient, User
from tests.blueprints import pages
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import intake_form, make_referral, staff
from tests.outreach_factories import planned_session, received

RECORD = "/outreach/reconciliation/{}"


@pytest.fixture
def outreach(app, login_as):
    """A clinician named on a session, signed in, with two records from it: Alex Smtih, 40, seen first, and a
    later one with a safeguarding worry; and Alex Smith (born 1986, same postcode) on file with an open referral."""
    user_id = login_as("clinician", "named.clinician")
    with app.app_context():
        clinician = actor_for(db.session.get(User, user_id))
        planned = planned_session(db.session, staff(db.session, "manager"), [clinician])
        smith = make_referral(db.session, given_name="Alex", family_name="Smith", date_of_birth="1986-03-14",
                              postcode="LS1 4AP")
        first = received(db.session, clinician, planned, given_name="Alex", family_name="Smtih",
                         approximate_age="40", postcode="LS1 4AP")
        worry = received(db.session, clinician, planned, given_name="Jo", self_neglect_risk="yes",
                         safeguarding_detail="Not eating", now=first.received_at.replace(minute=59))
        db.session.commit()
        return {"first": first.id, "worry": worry.id, "patient": smith.patient_id, "referral": smith.id}


def _hidden(body: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)"', body)


def _record(app, record_id: int) -> tuple:
    with app.app_context():
        record = db.session.get(OutreachRecord, record_id)
        return record.reconciliation, record.patient_id, record.referral_id, record.version


def test_the_list_shows_the_named_clinicians_records_safeguarding_worries_first(client, outreach):
    body = pages.open_page(client, "/outreach/reconciliation/", "Outreach records to reconcile")
    assert body.index("Reconcile Jo") < body.index("Reconcile Alex SMTIH")
    assert "Safeguarding worry" in body


def test_linking_to_the_top_candidates_referral_puts_the_record_on_their_timeline(app, client, outreach):
    body = pages.open_page(client, RECORD.format(outreach["first"]), "Outreach record: Alex SMTIH")
    assert {"family name similar (95)", "born 1986, age given 40"} <= set(re.findall(r"<li>([^<]*)</li>", body))
    top_referral = _hidden(body, "referral_id")[0]
    assert top_referral == str(outreach["referral"])
    response = post_form(client, RECORD.format(outreach["first"]) + "/link",
                         {"referral_id": top_referral, "version": _hidden(body, "version")[0]})
    patient_page = pages.redirected(client, response, f"/patients/{outreach['patient']}")
    assert "Linked an outreach minimum record to this patient" in patient_page
    assert _record(app, outreach["first"])[:3] == ("matched", outreach["patient"], outreach["referral"])
    assert "Reconcile Alex" not in pages.open_page(client, "/outreach/reconciliation/")


def test_a_new_patient_is_registered_and_shown_as_identity_not_verified(app, client, outreach):
    body = pages.open_page(client, RECORD.format(outreach["worry"]))
    response = post_form(client, RECORD.format(outreach["worry"]) + "/new-patient",
                         {"version": _hidden(body, "version")[-1]})
    _kind, patient_id, _referral, _version = _record(app, outreach["worry"])
    banner = pages.patient_banner(pages.redirected(client, response, f"/patients/{patient_id}"))
    assert "Identity not verified" in banner
    assert "Not known" in banner  # the NHS number
    assert "estimated from the age given" in banner


@ON_BOTH_DATABASES
def test_a_form_older_than_the_record_is_refused(app, client, outreach):
    url = RECORD.format(outreach["first"])
    pages.conflict(post_form(client, url + "/link", {"referral_id": str(outreach["referral"]), "version": "0"}),
             "outreach record")
    assert _record(app, outreach["first"])[0] == "unreconciled"


@ON_BOTH_DATABASES
def test_before_reconciliation_no_one_else_sees_a_record(client, login_as, outreach):
    for role in ("clinician", "senior"):
        login_as(role)
        assert client.get(RECORD.format(outreach["first"])).status_code == 404
        assert post_form(client, RECORD.format(outreach["first"]) + "/new-patient",
                         {"version": "1"}).status_code == 404
        assert "Reconcile" not in pages.page_text(client.get("/outreach/reconciliation/"))
    for role in ("booking", "auditor", "manager"):
        login_as(role)
        assert client.get("/outreach/reconciliation/").status_code == 403
        assert client.get(RECORD.format(outreach["first"])).status_code == 403


def test_a_senior_undoes_a_wrong_link_with_a_reason(app, client, login_as, outreach):
    url = RECORD.format(outreach["first"])
    body = pages.open_page(client, url)
    post_form(client, url + "/link", {"referral_id": str(outreach["referral"]), "version": _hidden(body, "version")[0]})
    assert post_form(client, url + "/undo", {"reason": "x", "version": "2"}).status_code == 403  # not a senior
    login_as("senior")
    body = pages.open_page(client, url, "Outreach record: Alex SMTIH")
    version = _hidden(body, "version")[0]
    refused = post_form(client, url + "/undo", {"reason": " ", "version": version})
    assert refused.status_code == 400
    assert pages.broken_summary_links(pages.page_text(refused)) == []
    patient_page = pages.redirected(client, post_form(client, url + "/undo", {"reason": "Different person: born 1979",
                                                                        "version": version}),
                              f"/patients/{outreach['patient']}")
    assert "Undid the link of an outreach minimum record to this patient" in patient_page
    assert _record(app, outreach["first"])[:3] == ("unreconciled", None, None)
    assert client.get(url).status_code == 404  # the session's clinicians' again


def test_a_clinician_verifies_the_new_patients_identity_from_the_banner(app, client, outreach):
    body = pages.open_page(client, RECORD.format(outreach["worry"]))
    response = post_form(client, RECORD.format(outreach["worry"]) + "/new-patient",
                         {"version": _hidden(body, "version")[-1]})
    patient_url = response.headers["Location"]
    verify = re.search(r'href="(/patients/\d+/verify-identity)"', pages.open_page(client, patient_url)).group(1)
    form = pages.open_page(client, verify, "Verify the patient's identity")
    refused = post_form(client, verify, {"version": _hidden(form, "version")[0]})
    assert refused.status_code == 400
    assert pages.broken_summary_links(pages.page_text(refused)) == []
    done = post_form(client, verify, {"version": _hidden(form, "version")[0], "nhs_number": "943 476 5919",
                                      "how": "Photo ID seen; traced on the Spine"})
    page = pages.redirected(client, done, patient_url)
    assert "Identity not verified" not in pages.patient_banner(page)
    assert "943 476 5919" in pages.patient_banner(page)
    assert "Verified the patient's identity" in page


def test_an_unverified_patients_details_are_corrected_without_an_nhs_number(app, client, outreach):
    body = pages.open_page(client, RECORD.format(outreach["worry"]))
    post_form(client, RECORD.format(outreach["worry"]) + "/new-patient", {"version": _hidden(body, "version")[-1]})
    patient_id = _record(app, outreach["worry"])[1]
    url = f"/patients/{patient_id}/edit"
    form = intake_form(nhs_number="", given_name="Jo", family_name="Baker", dob_day="1", dob_month="7",
                       dob_year="1986", sex="not_known", ethnic_category="99", housing_status="rough_sleeping")
    saved = post_form(client, url, {**form, "version": pages.version_in(pages.open_page(client, url))})
    assert "Jo BAKER" in pages.patient_banner(pages.redirected(client, saved, f"/patients/{patient_id}"))
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        assert (patient.nhs_number, patient.identity_verified, patient.housing_status) == (
            None, False, "rough_sleeping")
