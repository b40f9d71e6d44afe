"""The reasonable-adjustments register: the patient's register, recording (and bad input), editing (and stale
forms), ending with a reason (never deleting), the overdue-review list, read-only auditors, adjustments shown
wherever the patient is, the triage script recording real adjustments, and "met or not met" at each outcome."""
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import adjustments
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import AdjustmentDelivery, Appointment, Event, Patient, ReasonableAdjustment, Referral
from inclusive_access.template_filters import days_ago
from tests.blueprints import pages
from tests.blueprints.records import SCRIPT_FORM, accept, count, events, record_adjustment
from tests.conftest import post_form
from tests.factories import book, make_referral, staff

XSS = "<script>alert(1)</script>"
RECORD_FIELDS = {"category", "description", "impairment", "consent_basis", "source", "applies_to_appointments",
                 "review_date", "csrf_token"}


def _today() -> date:
    return datetime.now(UTC).astimezone(LONDON).date()


@pytest.fixture
def received(app):
    """A referral awaiting triage, for Adjusted SAMPLETON (no adjustments yet)."""
    with app.app_context():
        referral = make_referral(db.session, given_name="Adjusted")
        db.session.commit()
        return {"referral_id": referral.id, "patient_id": referral.patient_id,
                "register": f"/adjustments/patients/{referral.patient_id}"}


def _adjustment(app, adjustment_id: int) -> ReasonableAdjustment:
    with app.app_context():
        item = db.session.get(ReasonableAdjustment, adjustment_id)
        db.session.expunge_all()
        return item


def _make(app, patient_id: int, category: str = "timing", description: str = "Afternoon appointments only",
          **details) -> int:
    """An adjustment recorded for the patient by a clinician, committed; returns its id."""
    with app.app_context():
        actor = staff(db.session, "clinician", f"recorder.{count(app, ReasonableAdjustment)}")
        item = record_adjustment(db.session, actor, db.session.get(Patient, patient_id), category, description,
                                 **details)
        db.session.commit()
        return item.id


def _saved(app) -> tuple:
    """Every adjustment as stored, the deliveries, and the events other than views."""
    with app.app_context():
        rows = db.session.execute(select(
            ReasonableAdjustment.id, ReasonableAdjustment.category, ReasonableAdjustment.description,
            ReasonableAdjustment.impairment, ReasonableAdjustment.consent_basis, ReasonableAdjustment.review_date,
            ReasonableAdjustment.status, ReasonableAdjustment.end_reason, ReasonableAdjustment.version)).all()
        booked = db.session.execute(select(Appointment.id, Appointment.status, Appointment.version)).all()
    return (sorted(rows), sorted(booked), count(app, AdjustmentDelivery),
            count(app, Event, Event.action != "record.viewed"))


def _record_form(**overrides) -> dict:
    return {"category": "timing", "description": "Evening appointments after 5pm", "impairment": "",
            "consent_basis": "patient", "source": "patient_request", "applies_to_appointments": "y",
            "review_date": "", **overrides}


# -- the register ----------------------------------------------------------------------------------------------

def test_the_register_lists_active_and_ended_adjustments(app, client, login_as, received):
    pid = received["patient_id"]
    active = _make(app, pid, "communication_support", "BSL interpreter for every contact")
    ended = _make(app, pid, "information_format", "Large print letters")
    with app.app_context():
        item = db.session.get(ReasonableAdjustment, ended)
        adjustments.end_adjustment(db.session, staff(db.session, "senior", "ender"), item, item.version,
                                   "Now prefers email")
        db.session.commit()
    login_as("clinician")
    body = pages.open_page(client, received["register"])
    assert "Adjusted SAMPLETON" in pages.patient_banner(body)
    assert "<h1>Reasonable adjustments</h1>" in body
    table = body[body.index("<table"):body.index("</table>")]
    assert table.index("BSL interpreter for every contact") < table.index("Large print letters"), "active first"
    live, old = pages.row_naming(table, "BSL interpreter"), pages.row_naming(table, "Large print letters")
    review = (_today() + timedelta(days=365)).strftime("%d %b %Y")
    assert f"Review by {review}" in live, "reviewed in 12 months by default"
    assert "Communication support</strong>: BSL interpreter for every contact" in live
    assert "Source: Patient or carer request; basis: The patient consented" in live
    assert f"{_today():%d %b %Y} (clinician)" in live, "when, and in what role"
    assert f'href="/adjustments/{active}/edit"' in live
    assert f"Ended {_today():%d %b %Y}: Now prefers email" in old
    assert f'href="/adjustments/{ended}/edit"' not in old, "an ended adjustment is not edited"
    assert "Review by" not in old
    assert pages.field_names(body) >= RECORD_FIELDS, "the test posts only fields the page has"
    banner = pages.patient_banner(body)
    assert "BSL interpreter for every contact" in banner
    assert "Large print letters" not in banner, "only active adjustments show in the banner"
    assert client.get("/adjustments/patients/999999").status_code == 404


def test_an_empty_register_says_so(client, login_as, received):
    login_as("clinician")
    body = pages.page_text(client.get(received["register"]))
    assert "No adjustments recorded." in body
    assert "<table" not in body


# -- recording -------------------------------------------------------------------------------------------------

def test_recording_shows_the_adjustment_in_the_banner_and_the_worklist(app, client, login_as, received):
    user_id = login_as("clinician")
    response = post_form(client, f"{received['register']}/new",
                         _record_form(impairment="Cares for two children", source="referrer"))
    assert response.status_code == 303
    assert response.headers["Location"] == received["register"]
    assert "Adjustment recorded. It now shows wherever this patient appears." in pages.page_text(
        client.get(response.headers["Location"]))
    with app.app_context():
        [item] = db.session.scalars(select(ReasonableAdjustment)).all()
        assert (item.patient_id, item.category, item.description, item.impairment, item.source, item.consent_basis,
                item.applies_to_appointments, item.recorded_by, item.recorded_role, item.status) == (
            received["patient_id"], "timing", "Evening appointments after 5pm", "Cares for two children", "referrer",
            "patient", True, user_id, "clinician", "active")
        assert item.review_date == _today() + timedelta(days=365)
    [event] = events(app, "adjustment.recorded")
    assert (event.actor_id, event.patient_id, event.entity_id) == (user_id, received["patient_id"], item.id)

    referral_page = pages.page_text(client.get(f"/referrals/{received['referral_id']}"))
    banner = pages.patient_banner(referral_page)
    assert '<span class="app-ra-badge" aria-hidden="true">RA</span> Timing: Evening appointments after 5pm' in banner
    row = pages.row_naming(pages.page_text(client.get("/triage/")), "Adjusted SAMPLETON")
    assert "RA</span> Timing: Evening appointments after 5pm" in row, "icon and text on the worklist row"


def test_a_chosen_review_date_and_not_at_appointments_are_kept(app, client, login_as, received):
    login_as("senior")
    review = (_today() + timedelta(days=90)).isoformat()
    response = post_form(client, f"{received['register']}/new",
                         _record_form(category="information_format", description="Easy read letters",
                                      consent_basis="best_interest", applies_to_appointments=None,
                                      review_date=review))
    assert response.status_code == 303
    with app.app_context():
        [item] = db.session.scalars(select(ReasonableAdjustment)).all()
        assert (item.review_date.isoformat(), item.applies_to_appointments, item.consent_basis) == (
            review, False, "best_interest")


def test_adjustments_are_escaped(app, client, login_as, received):
    login_as("clinician")
    assert post_form(client, f"{received['register']}/new", _record_form(description=XSS)).status_code == 303
    for url in (received["register"], f"/referrals/{received['referral_id']}", "/triage/"):
        body = client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)" in body, url
        assert XSS not in body, url


# -- editing ---------------------------------------------------------------------------------------------------

def test_editing_an_adjustment(app, client, login_as, received):
    item_id = _make(app, received["patient_id"], "timing", "Afternoon appointments only")
    user_id = login_as("clinician")
    url = f"/adjustments/{item_id}/edit"
    body = pages.open_page(client, url)
    assert "Adjusted SAMPLETON" in pages.patient_banner(body)
    assert "Afternoon appointments only</textarea>" in body
    assert pages.version_in(body) == "1"
    assert {"category", "description", "impairment", "consent_basis", "applies_to_appointments", "review_date",
            "version", "end_reason"} <= pages.field_names(body)
    assert "source" not in pages.field_names(body), "where it came from does not change"
    review = (_today() + timedelta(days=30)).isoformat()
    response = post_form(client, url, {"category": "timing", "description": "First slot of the day",
                                       "consent_basis": "patient", "applies_to_appointments": "y",
                                       "review_date": review, "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == received["register"]
    assert "Adjustment updated." in pages.page_text(client.get(received["register"]))
    item = _adjustment(app, item_id)
    assert (item.description, item.review_date.isoformat(), item.version, item.source) == (
        "First slot of the day", review, 2, "patient_request")
    [event] = events(app, "adjustment.updated")
    assert event.actor_id == user_id
    assert json.loads(event.data)["changes"]["description"] == ["Afternoon appointments only",
                                                                "First slot of the day"]

    before = _saved(app)
    stale = post_form(client, url, {"category": "other", "description": "Stale change", "consent_basis": "patient",
                                    "applies_to_appointments": "y", "review_date": "", "version": "1"})
    body = pages.conflict(stale, "adjustment")
    assert "This adjustment changed since you opened it." in body
    assert "Adjusted SAMPLETON" in body
    assert _saved(app) == before
    assert client.get("/adjustments/999999/edit").status_code == 404


#: case -> (the form: "new" or "edit", overrides of a valid post, field, message): the forms' own rule and the
#: domain's (tests/blueprints/test_form_rules.py has the rest of the forms' own)
BAD_SAVES = {
    "recorded without a description": ("new", {"description": ""}, "description", "Describe the adjustment"),
    "recorded with only spaces": ("new", {"description": "   "}, "description", "Describe the adjustment"),
    "recorded for review today": ("new", {"review_date": datetime.now(LONDON).date().isoformat()}, "review_date",
                                  "The review date must be in the future"),
    "edited without a description": ("edit", {"description": ""}, "description", "Describe the adjustment"),
    "edited for review in the past": ("edit", {"review_date": "2020-01-01"}, "review_date",
                                      "The review date must be in the future"),
}


@pytest.mark.parametrize("case", BAD_SAVES)
def test_a_bad_save_re_renders_beside_its_field_and_changes_nothing(app, client, login_as, received, case):
    form, overrides, field, message = BAD_SAVES[case]
    item_id = _make(app, received["patient_id"])
    url = {"new": f"{received['register']}/new", "edit": f"/adjustments/{item_id}/edit"}[form]
    login_as("clinician")
    before = _saved(app)
    body = pages.shown_again(post_form(client, url, _record_form(version="1", **overrides)), field, message)
    assert "Adjusted SAMPLETON" in pages.patient_banner(body)
    assert _saved(app) == before


# -- ending ----------------------------------------------------------------------------------------------------

def test_ending_needs_a_reason_and_keeps_the_adjustment(app, client, login_as, received):
    item_id = _make(app, received["patient_id"], "support_person", "Carer present")
    user_id = login_as("senior")
    url = f"/adjustments/{item_id}/end"
    for blank in ("", "   "):
        before = _saved(app)
        response = post_form(client, url, {"end_reason": blank, "version": "1"})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/adjustments/{item_id}/edit"
        assert "Say why the adjustment is no longer needed" in pages.page_text(client.get(response.headers["Location"]))
        assert _saved(app) == before
        assert _adjustment(app, item_id).status == "active"

    response = post_form(client, url, {"end_reason": "Now attends alone", "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == received["register"]
    register = pages.page_text(client.get(received["register"]))
    assert "Adjustment ended. It stays in the register with the reason." in register
    assert f"Ended {_today():%d %b %Y}: Now attends alone" in pages.row_naming(register, "Carer present")
    assert "Carer present" not in pages.patient_banner(register)
    item = _adjustment(app, item_id)
    assert (item.status, item.end_reason, item.version) == ("ended", "Now attends alone", 2)
    assert item.ended_at is not None
    assert count(app, ReasonableAdjustment) == 1, "never deleted"
    [event] = events(app, "adjustment.ended")
    assert (event.actor_id, json.loads(event.data)) == (user_id, {"reason": "Now attends alone"})

    edit = pages.page_text(client.get(f"/adjustments/{item_id}/edit"))
    assert "This adjustment ended on" in edit
    assert "end_reason" not in pages.field_names(edit)
    before = _saved(app)
    again = post_form(client, url, {"end_reason": "Twice", "version": "2"})
    assert again.status_code == 303
    assert "This adjustment has already ended" in pages.page_text(client.get(again.headers["Location"]))
    edited = post_form(client, f"/adjustments/{item_id}/edit",
                       {"category": "timing", "description": "Revived", "consent_basis": "patient", "version": "2"})
    assert edited.status_code == 400
    assert "An ended adjustment cannot be edited" in pages.page_text(edited)
    assert _saved(app) == before


def test_ending_from_a_stale_page_is_a_conflict(app, client, login_as, received):
    item_id = _make(app, received["patient_id"])
    login_as("clinician")
    assert post_form(client, f"/adjustments/{item_id}/edit",
                     {"category": "timing", "description": "Mornings", "consent_basis": "patient",
                      "applies_to_appointments": "y", "version": "1"}).status_code == 303
    before = _saved(app)
    response = post_form(client, f"/adjustments/{item_id}/end", {"end_reason": "Not needed", "version": "1"})
    assert response.status_code == 409
    assert "This adjustment changed since you opened it." in pages.page_text(response)
    assert _saved(app) == before
    assert _adjustment(app, item_id).status == "active"


# -- overdue reviews -------------------------------------------------------------------------------------------

def test_the_overdue_review_list(app, client, login_as):
    now = datetime.now(UTC)
    with app.app_context():
        actor = staff(db.session, "clinician", "reviewer")
        people = {name: make_referral(db.session, given_name=name).patient for name in ("Latest", "Oldest", "Fine")}

        def old(patient, years_ago: float, description: str):
            return adjustments.record_adjustment(
                db.session, actor, patient, adjustments.AdjustmentDetails("timing", description, "patient"),
                "patient_request", now=now - timedelta(days=365 * years_ago))

        late = old(people["Latest"], 1.2, "Mornings")  # due about 0.2 years ago
        oldest = old(people["Oldest"], 2, "Evenings")  # due a year ago
        old(people["Fine"], 0.5, "Afternoons")  # due in half a year
        ended = old(people["Fine"], 3, "Long gone")
        adjustments.end_adjustment(db.session, actor, ended, ended.version, "No longer needed")
        db.session.commit()
        due = {"Latest": late.review_date, "Oldest": oldest.review_date}
        patient_ids = {name: p.id for name, p in people.items()}
    login_as("auditor")
    body = pages.open_page(client, "/adjustments/overdue-reviews", "Adjustments overdue for review")
    assert "2 active adjustments past their review date." in body
    assert body.index("Oldest SAMPLETON") < body.index("Latest SAMPLETON"), "most overdue first"
    assert "Fine SAMPLETON" not in body, "not yet due, or ended"
    row = pages.row_naming(body, "Oldest SAMPLETON")
    assert f"{due['Oldest']:%d %b %Y} ({days_ago(due['Oldest'])})" in row
    assert "Timing: Evenings" in row
    assert f'href="/adjustments/patients/{patient_ids["Oldest"]}"' in row


# -- auditors read, never write --------------------------------------------------------------------------------

def test_an_auditor_reads_the_register_but_cannot_change_it(app, client, login_as, received):
    item_id = _make(app, received["patient_id"], "environment_access", "Step-free room")
    user_id = login_as("auditor")
    body = pages.page_text(client.get(received["register"]))
    assert "Step-free room" in body
    assert "Record an adjustment" not in body
    assert f'href="/adjustments/{item_id}/edit"' not in body, "no edit link where it would be refused"
    assert not pages.field_names(body) & {"category", "description"}
    before = _saved(app)
    denied_before = len(events(app, "access.denied"))
    responses = [
        post_form(client, f"{received['register']}/new", _record_form()),
        client.get(f"/adjustments/{item_id}/edit"),
        post_form(client, f"/adjustments/{item_id}/edit",
                  {"category": "timing", "description": "x", "consent_basis": "patient", "version": "1"}),
        post_form(client, f"/adjustments/{item_id}/end", {"end_reason": "Auditor says so", "version": "1"}),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert _saved(app)[:3] == before[:3], "nothing changed"
    denied = events(app, "access.denied")[denied_before:]
    assert [e.actor_id for e in denied] == [user_id] * 4


# -- the triage script records real adjustments ----------------------------------------------------------------

def test_triage_records_the_chosen_adjustments_with_their_consent_basis(app, client, login_as, received):
    user_id = login_as("booking")
    response = post_form(client, f"/triage/referrals/{received['referral_id']}",
                         {**SCRIPT_FORM, "caring_or_work": "Works nights", "record_suggested_adjustments": "y",
                          "other_adjustment_category": "environment_access",
                          "other_adjustment_description": "Quiet waiting room",
                          "adjustment_consent_basis": "best_interest", "outcome": "accept", "version": "1"})
    assert response.status_code == 303
    with app.app_context():
        rows = db.session.execute(select(ReasonableAdjustment.category, ReasonableAdjustment.description,
                                         ReasonableAdjustment.source, ReasonableAdjustment.consent_basis,
                                         ReasonableAdjustment.recorded_by, ReasonableAdjustment.recorded_role)
                                  .order_by(ReasonableAdjustment.id)).all()
    assert [tuple(r) for r in rows] == [
        ("timing", "Appointments that fit: Works nights", "triage_script", "best_interest", user_id, "booking"),
        ("environment_access", "Quiet waiting room", "triage_script", "best_interest", user_id, "booking"),
    ]
    banner = pages.patient_banner(pages.page_text(client.get(response.headers["Location"])))
    assert "Timing: Appointments that fit: Works nights" in banner
    assert "Environment and access: Quiet waiting room" in banner


def test_triage_refuses_an_unknown_consent_basis(app, client, login_as, received):
    login_as("booking")
    before = _saved(app)
    response = post_form(client, f"/triage/referrals/{received['referral_id']}",
                         {**SCRIPT_FORM, "record_suggested_adjustments": "y", "caring_or_work": "Works nights",
                          "adjustment_consent_basis": "whim", "outcome": "accept", "version": "1"})
    body = pages.page_text(response)
    assert "There is a problem" in body
    assert 'href="#adjustment_consent_basis"' in body
    assert "Not a valid choice" in body
    assert _saved(app) == before
    assert count(app, ReasonableAdjustment) == 0


# -- at the appointment: booking prompts, and met or not met ---------------------------------------------------

@pytest.fixture
def due(app):
    """An accepted referral whose patient has two adjustments that apply at appointments, one that does not and
    one ended, with a telephone appointment that began an hour ago."""
    with app.app_context():
        actor = staff(db.session, "clinician", "due.maker")
        referral = make_referral(db.session, given_name="Supported")
        accept(db.session, actor, referral)
        patient = referral.patient
        bsl = record_adjustment(db.session, actor, patient, "communication_support", "BSL interpreter")
        carer = record_adjustment(db.session, actor, patient, "support_person", "Carer present")
        letters = record_adjustment(db.session, actor, patient, "information_format", "Large print letters",
                                    applies_to_appointments=False)
        gone = record_adjustment(db.session, actor, patient, "timing", "Mornings")
        adjustments.end_adjustment(db.session, actor, gone, gone.version, "No longer needed")
        appointment = book(db.session, actor, referral, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
        db.session.commit()
        return {"referral_id": referral.id, "appointment_id": appointment.id, "bsl": bsl.id, "carer": carer.id,
                "letters": letters.id, "gone": gone.id, "url": f"/appointments/{appointment.id}/outcome",
                "booking": f"/appointments/referrals/{referral.id}"}


def test_the_booking_page_says_what_to_arrange_and_asks_about_each_adjustment(client, login_as, due):
    login_as("clinician")
    body = pages.page_text(client.get(due["booking"]))
    callout = body[body.index("Book an interpreter or communication support"):]
    assert "Arrange: BSL interpreter" in callout[:callout.index("</div>")]
    assert "Arrange: Carer present" not in body, "only communication support is a booking prompt"
    row = pages.row_naming(body, f'action="{due["url"]}"')
    assert "RA</span> Communication support: BSL interpreter" in row, "on the appointment list too"
    form = re.search(rf'<form method="post" action="{due["url"]}".*?</form>', body, re.S).group(0)
    names = pages.field_names(form)
    for key in ("bsl", "carer"):
        assert {f"met_{due[key]}", f"met_reason_{due[key]}"} <= names
    for key in ("letters", "gone"):
        assert f"met_{due[key]}" not in names, "not asked: not at appointments, or ended"
    assert "Was this adjustment met? Communication support: BSL interpreter" in form


def test_no_prompt_without_communication_support(app, client, login_as, received):
    _make(app, received["patient_id"], "timing", "Mornings")
    with app.app_context():
        accept(db.session, staff(db.session, "booking", "acceptor"), db.session.get(Referral, received["referral_id"]))
        db.session.commit()
    login_as("clinician")
    body = pages.page_text(client.get(f"/appointments/referrals/{received['referral_id']}"))
    assert "Arrange:" not in body
    assert "Book an interpreter or communication support" not in body


#: case -> (outcome, answers besides it, field the message is beside, message): one of the form's rules, and the
#: domain's (tests/blueprints/test_form_rules.py and tests/domain/test_adjustments.py have the rest)
BAD_DELIVERY = {
    "NUL byte in a reason, at an attendance": ("attended", {"met_{bsl}": "yes", "met_{carer}": "no",
                                                            "met_reason_{carer}": "Ill\x00"}, "met_reason_{carer}",
                                               "Shorten the reason and remove special characters"),
    "one not answered, at a missed appointment": ("dna", {"met_{bsl}": "yes"}, "met_{carer}",
                                                  "Record whether each adjustment was met (1 not answered)"),
}


@pytest.mark.parametrize("case", BAD_DELIVERY)
def test_an_outcome_needs_met_or_not_met_for_each_adjustment(app, client, login_as, due, case):
    outcome, answers, field, message = BAD_DELIVERY[case]
    login_as("clinician")
    before = _saved(app)
    data = {key.format(**due): value for key, value in answers.items()}
    response = post_form(client, due["url"], {"outcome": outcome, "reason": "", "version": "1", **data})
    pages.shown_again(response, f"{field.format(**due)}-{due['appointment_id']}", message)
    assert _saved(app) == before, "nothing recorded"


def test_met_and_not_met_are_recorded_with_the_outcome(app, client, login_as, due):
    user_id = login_as("clinician")
    response = post_form(client, due["url"], {"outcome": "attended", "reason": "", "version": "1",
                                              f"met_{due['bsl']}": "yes", f"met_reason_{due['bsl']}": "ignored",
                                              f"met_{due['carer']}": "no",
                                              f"met_reason_{due['carer']}": "  Carer could not get time off  "})
    assert response.status_code == 303
    assert "Outcome recorded: attended, seen on time." in pages.page_text(client.get(response.headers["Location"]))
    with app.app_context():
        rows = db.session.execute(select(AdjustmentDelivery.adjustment_id, AdjustmentDelivery.appointment_id,
                                         AdjustmentDelivery.met, AdjustmentDelivery.reason,
                                         AdjustmentDelivery.recorded_by).order_by(AdjustmentDelivery.adjustment_id)
                                  ).all()
        status = db.session.get(Appointment, due["appointment_id"]).status
    assert status == "attended"
    assert [tuple(r) for r in rows] == [
        (due["bsl"], due["appointment_id"], True, None, user_id),
        (due["carer"], due["appointment_id"], False, "Carer could not get time off", user_id),
    ]
    [event] = events(app, "adjustment.delivery_recorded")
    assert [d["met"] for d in json.loads(event.data)["deliveries"]] == [True, False]


def test_a_dna_records_the_answers_and_goes_to_the_barrier_check(app, client, login_as, due):
    login_as("clinician")
    response = post_form(client, due["url"], {"outcome": "dna", "version": "1", f"met_{due['bsl']}": "no",
                                              f"met_reason_{due['bsl']}": "Interpreter cancelled",
                                              f"met_{due['carer']}": "yes"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/barrier-checks/")
    assert count(app, AdjustmentDelivery) == 2


def test_a_cancellation_does_not_ask_about_adjustments(app, client, login_as, due):
    login_as("clinician")
    response = post_form(client, due["url"], {"outcome": "cancelled_patient", "reason": "Unwell", "version": "1"})
    assert response.status_code == 303
    assert "Outcome recorded: cancelled by the patient." in pages.page_text(client.get(response.headers["Location"]))
    assert count(app, AdjustmentDelivery) == 0
