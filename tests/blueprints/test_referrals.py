"""The referral list (page or htmx fragment, with filters), the referral and patient pages, and versioned edits."""

import html
import re

import pytest
from sqlalchemy import update

from inclusive_access.extensions import db
from inclusive_access.models import Event, Patient, Referral
from tests.blueprints.pages import conflict, field_names, open_page, page_text, patient_banner, shown_again, sign_in
from tests.blueprints.records import count, events
from tests.conftest import post_form
from tests.factories import intake_form, make_referral, make_user


@pytest.fixture
def referrals(app):
    """Three referrals told apart by the patient's given name: msk unflagged, frailty flagged, msk accepted."""
    with app.app_context():
        plain = make_referral(db.session, given_name="Plainmsk", pathway="msk")
        flagged = make_referral(db.session, given_name="Flaggedfrailty", pathway="frailty",
                                housing_status="rough_sleeping")
        accepted = make_referral(db.session, given_name="Acceptedmsk", pathway="msk")
        # No triage command exists yet; move the state directly so the state filter has something to find.
        db.session.execute(update(Referral).where(Referral.id == accepted.id).values(state="accepted"))
        db.session.commit()
        assert flagged.flagged
        assert not plain.flagged
        return {"plain": plain.id, "flagged": flagged.id, "accepted": accepted.id}


NAMES = {"plain": "Plainmsk", "flagged": "Flaggedfrailty", "accepted": "Acceptedmsk"}


def _shown(body: str) -> set[str]:
    return {key for key, name in NAMES.items() if name in body}


def test_list_is_a_full_page_or_a_fragment_and_says_which_varies(client, login_as, referrals):
    login_as("booking")
    full = client.get("/referrals/list")
    fragment = client.get("/referrals/list", headers={"HX-Request": "true"})
    restore = client.get("/referrals/list", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    for response in (full, fragment, restore):
        assert response.status_code == 200
        assert "HX-Request" in response.headers.get("Vary", "")
        assert _shown(response.get_data(as_text=True)) == set(NAMES)
    assert "<html" in full.get_data(as_text=True)
    assert "<h1>Referrals</h1>" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body
    assert "<h1>" not in body
    assert 'id="results-count"' in body
    assert "<html" in restore.get_data(as_text=True), "a history restore needs the whole page"
    assert "<html" in client.get("/referrals/list", headers={"HX-Request": "false"}).get_data(as_text=True)


@pytest.mark.parametrize(("query", "expected"), [
    ("pathway=msk", {"plain", "accepted"}),
    ("pathway=frailty", {"flagged"}),
    ("pathway=mental_health", set()),
    ("state=received", {"plain", "flagged"}),
    ("state=accepted", {"accepted"}),
    ("flagged=yes", {"flagged"}),
    ("flagged=no", {"plain", "accepted"}),
    ("pathway=msk&state=received&flagged=no", {"plain"}),
    ("", {"plain", "flagged", "accepted"}),
    ("state=no_such_state", {"plain", "flagged", "accepted"}),  # a hand-edited URL shows everything
    ("page=0", {"plain", "flagged", "accepted"}),
])
def test_filters_return_the_right_rows(client, login_as, referrals, query, expected):
    login_as("clinician")
    fragment = client.get(f"/referrals/list?{query}", headers={"HX-Request": "true"})
    plain_get = client.get(f"/referrals/list?{query}")  # works without JavaScript too
    for response in (fragment, plain_get):
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert _shown(body) == expected, body
        noun = "referral" if len(expected) == 1 else "referrals"
        assert f"{len(expected)} {noun} found" in body
    assert "<html" in plain_get.get_data(as_text=True)


def test_the_filter_form_keeps_the_chosen_values(client, login_as, referrals):
    login_as("booking")
    body = client.get("/referrals/list?pathway=frailty&flagged=yes").get_data(as_text=True)
    assert '<option value="frailty" selected' in body
    assert '<option value="yes" selected' in body
    assert {"pathway", "state", "flagged"} <= field_names(body)


def test_the_list_pages_in_fifties(app, client, login_as):
    with app.app_context():
        for _ in range(51):
            make_referral(db.session)
        db.session.commit()
    login_as("booking")
    first = client.get("/referrals/list").get_data(as_text=True)
    assert "51 referrals found, newest first, 50 on this page." in first
    older = re.search(r'href="(/referrals/list\?after=[^"]+)"', first).group(1)
    second = client.get(html.unescape(older)).get_data(as_text=True)
    assert "51 referrals found, newest first, 1 on this page." in second
    assert "?after=" not in second


def test_the_referral_page_shows_the_banner_and_timeline_and_logs_the_view(app, client, login_as):
    with app.app_context():
        referral = make_referral(db.session, given_name="Bannerina", family_name="Shaw",
                                 caring_responsibilities="yes", interpreter_needed="yes", preferred_language="Polish")
        referral_id, patient_id, nhs = referral.id, referral.patient_id, referral.patient.nhs_number
        db.session.commit()
    user_id = login_as("auditor")
    page = open_page(client, f"/referrals/{referral_id}")
    banner = patient_banner(page)
    assert "Bannerina SHAW" in banner
    assert f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" in banner
    assert "Language need" in banner
    assert "Caring responsibilities" in banner
    assert "Polish" in banner
    timeline = page[page.index("Timeline"):]
    assert "Received the referral from Dr Example, Test Surgery (routine)" in timeline
    assert "Registered the patient" not in timeline, "the referral's timeline holds its own events"
    viewed = events(app, "record.viewed")
    assert len(viewed) == 1
    assert (viewed[0].actor_id, viewed[0].entity_type, viewed[0].referral_id, viewed[0].patient_id) == (
        user_id, "referral", referral_id, patient_id)
    client.get(f"/referrals/{referral_id}")
    assert len(events(app, "record.viewed")) == 2, "every view is logged"
    assert "Opened the record" not in page_text(client.get(f"/referrals/{referral_id}")), \
        "views go to the access log, not the timeline of changes"


def test_the_patient_page_shows_details_and_logs_the_view(app, client, login_as):
    with app.app_context():
        referral = make_referral(db.session, given_name="Pagey", housing_status="temporary")
        patient_id = referral.patient_id
        db.session.commit()
    user_id = login_as("manager")
    page = page_text(client.get(f"/patients/{patient_id}"))
    assert "Pagey" in page
    assert "Temporary or hostel accommodation" in page
    assert "Patient record" in page
    assert "Registered the patient" in page, "the patient's whole timeline"
    assert "Received the referral" in page
    assert "Correct these details" not in page, "a manager may not edit, so no link"
    viewed = events(app, "record.viewed")
    assert [(e.actor_id, e.entity_type, e.entity_id) for e in viewed] == [(user_id, "patient", patient_id)]


def _patient_form(**overrides) -> dict:
    """The fields the edit form posts: the patient half of the intake form."""
    referral_only = {"pathway", "referrer_name", "referrer_organisation", "referrer_contact", "received_at",
                     "reason", "urgency"}
    return {k: v for k, v in intake_form(**overrides).items() if k not in referral_only}


@pytest.fixture
def patient(app):
    with app.app_context():
        referral = make_referral(db.session, given_name="Original", family_name="Name")
        patient = referral.patient
        db.session.commit()
        return {"id": patient.id, "nhs_number": patient.nhs_number}


def test_a_valid_edit_saves_and_redirects(app, client, login_as, patient):
    login_as("clinician")
    form = client.get(f"/patients/{patient['id']}/edit")
    body = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'name="version" value="1"' in body
    assert 'value="Original"' in body
    data = _patient_form(nhs_number=patient["nhs_number"], given_name="Corrected", family_name="Name",
                         housing_status="temporary")
    assert set(data) <= field_names(body), "the test posts only fields the form has"
    response = post_form(client, f"/patients/{patient['id']}/edit", {**data, "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/patients/{patient['id']}"
    assert "Patient details saved." in page_text(client.get(response.headers["Location"]))
    with app.app_context():
        saved = db.session.get(Patient, patient["id"])
        assert (saved.given_name, saved.housing_status, saved.version) == ("Corrected", "temporary", 2)
    updated = events(app, "patient.updated")
    assert len(updated) == 1
    assert '"given_name":["Original","Corrected"]' in updated[0].data


def test_an_invalid_edit_is_shown_again_and_saves_nothing(app, client, login_as, patient):
    login_as("senior")
    data = _patient_form(nhs_number=patient["nhs_number"], given_name="", dob_year="3000")
    response = post_form(client, f"/patients/{patient['id']}/edit", {**data, "version": "1"})
    page = shown_again(response, "given_name", "Enter the given name", status=200)
    assert "The date of birth must be today or in the past" in page
    assert 'name="version" value="1"' in response.get_data(as_text=True), "the version the user saw is kept"
    assert count(app, Event, Event.action == "patient.updated") == 0


def test_a_stale_edit_gets_a_conflict_page_and_does_not_overwrite(app, client, login_as, patient):
    with app.app_context():
        make_user(db.session, role="senior", username="other.editor")
        db.session.commit()
    login_as("clinician")
    assert 'name="version" value="1"' in client.get(f"/patients/{patient['id']}/edit").get_data(as_text=True)

    other = app.test_client()
    assert sign_in(other, "other.editor").status_code == 303
    theirs = _patient_form(nhs_number=patient["nhs_number"], given_name="Theirs", family_name="Name")
    assert post_form(other, f"/patients/{patient['id']}/edit", {**theirs, "version": "1"}).status_code == 303

    mine = _patient_form(nhs_number=patient["nhs_number"], given_name="Mine", family_name="Name")
    page = conflict(post_form(client, f"/patients/{patient['id']}/edit", {**mine, "version": "1"}), "patient record")
    assert "Nothing was saved" in page
    table = page[page.index("What changed since you opened the form"):]
    assert "Given name" in table
    assert "Theirs" in table
    assert "Test senior" in table
    assert "Mine" not in page
    with app.app_context():
        saved = db.session.get(Patient, patient["id"])
        assert (saved.given_name, saved.version) == ("Theirs", 2)
    assert len(events(app, "patient.updated")) == 1

    # Starting again from the current version works.
    response = post_form(client, f"/patients/{patient['id']}/edit", {**mine, "version": "2"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Patient, patient["id"]).given_name == "Mine"


def test_the_needs_senior_review_filter_finds_the_referrals_waiting_for_a_senior(app, client, login_as, referrals):
    from inclusive_access.domain import dna
    from tests.blueprints.records import miss, propose_rejection
    from tests.factories import staff

    with app.app_context():
        clinician, booker = staff(db.session, "clinician"), staff(db.session, "booking")
        not_reached = make_referral(db.session, given_name="Notreached")
        check = miss(db.session, clinician, not_reached)
        for _ in range(3):
            dna.log_attempt(db.session, booker, check, "telephone", False, "No answer")
        propose_rejection(db.session, clinician, make_referral(db.session, given_name="Proposedrejection",
                                                               housing_status="temporary"))
        db.session.commit()
    login_as("senior")
    body = client.get("/referrals/list?state=needs_senior_review").get_data(as_text=True)
    assert "2 referrals found" in body
    assert "Notreached" in body
    assert "Proposedrejection" in body
