"""Appointment pages: booking with the triage suggestions to hand, double submits, rebooking, outcomes and
first contact, bad input, and stale forms."""
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Appointment, BarrierCheck, Event, Referral
from tests.blueprints.pages import conflict, field_names, open_page, page_text, patient_banner, shown_again, version_in
from tests.blueprints.records import accept, accepted_referral, count, events, stored_row
from tests.conftest import post_form
from tests.factories import book, make_referral, staff

IN_TEN_DAYS = (datetime.now(LONDON).date() + timedelta(days=10)).isoformat()
IN_TWELVE_DAYS = (datetime.now(LONDON).date() + timedelta(days=12)).isoformat()
YESTERDAY = (datetime.now(LONDON).date() - timedelta(days=1)).isoformat()
#: after the referral arrived (an hour ago) but already past
TEN_MINUTES_AGO = datetime.now(LONDON) - timedelta(minutes=10)
BOOKING_FIELDS = {"starts_at", "format", "place", "duration_minutes", "notes", "submission_token", "version",
                  "csrf_token"}


@pytest.fixture
def accepted(app):
    """A Polish-speaking patient's referral, accepted at triage with an interpreter in the script (version 2)."""
    with app.app_context():
        referral = make_referral(db.session, given_name="Bookable", interpreter_needed="yes",
                                 preferred_language="Polish")
        accept(db.session, staff(db.session, "booking"), referral, interpreter_needed=True, language="Polish",
               caring_or_work="Works days")
        db.session.commit()
        assert (referral.state, referral.version) == ("accepted", 2)
        return referral.id


def _booking(client, referral_id: int) -> dict:
    """Open the booking page as the browser does: its version and one-time token."""
    page = client.get(f"/appointments/referrals/{referral_id}").get_data(as_text=True)
    body = page[page.index("<h2>Book an appointment</h2>"):]  # the outcome forms above carry their own versions
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"|'
                      r'type="hidden" name="submission_token" value="([^"]+)"|'
                      r'id="submission_token" name="submission_token" type="hidden" value="([^"]+)"', body)
    assert token, body
    return {"version": version_in(body), "submission_token": next(filter(None, token.groups()))}


def _evening(day: str = IN_TEN_DAYS, **overrides) -> dict:
    return {"starts_at": f"{day}T19:30", "format": "telephone_interpreter", "place": "", "duration_minutes": "45",
            "notes": "Book a Polish interpreter", **overrides}


def _appointments(app, referral_id: int) -> list[Appointment]:
    with app.app_context():
        rows = db.session.scalars(select(Appointment).where(Appointment.referral_id == referral_id)
                                  .order_by(Appointment.id)).all()
        db.session.expunge_all()
        return rows


def _changes(app) -> tuple:
    """Every appointment and referral as stored, and the events other than views."""
    with app.app_context():
        booked = db.session.execute(select(Appointment.id, Appointment.starts_at, Appointment.format,
                                           Appointment.place, Appointment.status, Appointment.version)).all()
        referrals = db.session.execute(select(Referral.id, Referral.state, Referral.version,
                                              Referral.first_contact_at)).all()
    return sorted(booked), sorted(referrals), count(app, Event, Event.action != "record.viewed")


# -- the booking page ------------------------------------------------------------------------------------------

def test_the_booking_page_says_book_an_interpreter_and_shows_the_suggestions(client, login_as, accepted):
    login_as("booking")
    body = open_page(client, f"/appointments/referrals/{accepted}")
    assert "Bookable SAMPLETON" in patient_banner(body)
    assert "Book an interpreter or communication support" in body
    assert "Book an interpreter (Polish) for every contact" in body
    assert "The booking script suggested:</strong> Telephone with interpreter, Evening appointment, Clinic." in body
    assert "No appointments yet." in body
    assert field_names(body) >= BOOKING_FIELDS
    assert version_in(body) == "2"
    assert _booking(client, accepted)["version"] == "2"
    assert "Evening appointments are allowed." in body


def test_no_interpreter_callout_when_none_is_needed(app, client, login_as):
    referral_id = accepted_referral(app, interpreter_needed="no")["referral_id"]
    login_as("clinician")
    body = open_page(client, f"/appointments/referrals/{referral_id}")
    assert "Book an interpreter" not in body
    assert "The booking script suggested:</strong> Telephone, Clinic." in body


def test_an_evening_telephone_interpreter_appointment_is_booked_and_listed(app, client, login_as, accepted):
    user_id = login_as("booking")
    response = post_form(client, f"/appointments/referrals/{accepted}", {**_evening(), **_booking(client, accepted)})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/appointments/referrals/{accepted}"
    page = page_text(client.get(response.headers["Location"]))
    assert "Appointment booked." in page
    listed = page[page.index("Booked and past appointments"):page.index("</table>")]
    day = date.fromisoformat(IN_TEN_DAYS)
    assert f"{day:%a %d %b %Y} 19:30" in listed
    assert "Telephone with interpreter" in listed
    assert "Book a Polish interpreter" in listed
    assert "Booked" in listed
    [appointment] = _appointments(app, accepted)
    assert appointment.starts_at.astimezone(LONDON).replace(tzinfo=None) == datetime.combine(day, time(19, 30))
    assert (appointment.format, appointment.duration_minutes, appointment.booked_by) == (
        "telephone_interpreter", 45, user_id)
    assert stored_row(app, Referral, accepted).version == 3, "booking bumps the referral, so stale forms are caught"
    booked = events(app, "appointment.booked")
    assert [(e.entity_id, e.actor_id, e.referral_id) for e in booked] == [(appointment.id, user_id, accepted)]


def test_a_double_submit_books_one_appointment(app, client, login_as, accepted):
    login_as("booking")
    data = {**_evening(), **_booking(client, accepted)}
    first = post_form(client, f"/appointments/referrals/{accepted}", data)
    second = post_form(client, f"/appointments/referrals/{accepted}", data)
    assert (first.status_code, second.status_code) == (303, 303)
    assert second.headers["Location"] == f"/appointments/referrals/{accepted}"
    assert "This appointment was already booked." in page_text(client.get(second.headers["Location"]))
    assert len(_appointments(app, accepted)) == 1
    assert len(events(app, "appointment.booked")) == 1


def test_a_second_form_books_a_second_appointment(app, client, login_as, accepted):
    login_as("booking")
    assert post_form(client, f"/appointments/referrals/{accepted}",
                     {**_evening(), **_booking(client, accepted)}).status_code == 303
    assert post_form(client, f"/appointments/referrals/{accepted}",
                     {**_evening(IN_TWELVE_DAYS), **_booking(client, accepted)}).status_code == 303
    assert len(_appointments(app, accepted)) == 2


def test_a_stale_booking_form_is_a_conflict(app, client, login_as, accepted):
    login_as("booking")
    opened = _booking(client, accepted)
    assert post_form(client, f"/appointments/referrals/{accepted}", {**_evening(), **_booking(client, accepted)}
                     ).status_code == 303
    before = _changes(app)
    body = conflict(post_form(client, f"/appointments/referrals/{accepted}", {**_evening(IN_TWELVE_DAYS), **opened}),
                    "referral")
    assert "Appointment booked (Telephone with interpreter)" in body
    assert "Test booking" in body
    assert _changes(app) == before


#: case -> (overrides of a valid booking, field, message): the rules that need the referral or the domain (what the
#: form refuses on its own is tests/blueprints/test_form_rules.py's; "no date" shows one of them on the page)
BAD_BOOKING = {
    "clinic without a place": ({"format": "clinic", "place": ""}, "place", "Enter where the appointment is"),
    "community venue without a place": ({"format": "community_venue"}, "place", "Enter where the appointment is"),
    "no date": ({"starts_at": ""}, "starts_at", "Enter the date and time"),
    "not a date": ({"starts_at": "2026-02-30T10:00"}, "starts_at", "Enter the date and time of the appointment"),
    "before the referral arrived": ({"starts_at": f"{YESTERDAY}T10:00"}, "starts_at",
                                    "The time is before the referral was received"),
    "ten minutes ago": ({"starts_at": f"{TEN_MINUTES_AGO:%Y-%m-%dT%H:%M}"}, "starts_at",
                        "The time is in the past: enter a future time, or, if the contact already happened, ask a "
                        "clinician to record a past contact"),
}


@pytest.mark.parametrize("case", BAD_BOOKING)
def test_bad_booking_input_is_shown_again_and_nothing_is_saved(app, client, login_as, accepted, case):
    login_as("clinician")
    overrides, field, message = BAD_BOOKING[case]
    data = {k: v for k, v in {**_evening(), **_booking(client, accepted), **overrides}.items() if v is not None}
    before = _changes(app)
    response = post_form(client, f"/appointments/referrals/{accepted}", data)
    shown_again(response, field, message, hidden=("version", "submission_token"))  # only tampering gets them wrong
    assert _changes(app) == before
    assert _appointments(app, accepted) == []


def test_a_referral_not_yet_accepted_cannot_be_booked(app, client, login_as):
    with app.app_context():
        referral = make_referral(db.session)
        db.session.commit()
        referral_id = referral.id
    login_as("booking")
    page = page_text(client.get(f"/appointments/referrals/{referral_id}"))
    assert "Appointments can be booked once the referral is accepted." in page
    assert 'name="submission_token"' not in page
    before = _changes(app)
    response = post_form(client, f"/appointments/referrals/{referral_id}",
                         {**_evening(), "version": "1", "submission_token": "not-accepted"})
    assert response.status_code == 400
    assert "'book' is not possible while the referral is received." in page_text(response)
    assert _changes(app) == before
    assert client.get("/appointments/referrals/999999").status_code == 404


# -- rebooking -------------------------------------------------------------------------------------------------

@pytest.fixture
def booked(app, accepted):
    """A telephone appointment at 10:00 in ten days' time for the accepted referral."""
    with app.app_context():
        referral = db.session.get(Referral, accepted)
        starts = datetime.combine(date.fromisoformat(IN_TEN_DAYS), time(10, 0), LONDON).astimezone(UTC)
        appointment = book(db.session, staff(db.session, "booking"), referral, starts)
        db.session.commit()
        return {"referral_id": accepted, "appointment_id": appointment.id}


def test_the_rebook_page_shows_the_appointment(client, login_as, booked):
    login_as("booking")
    body = open_page(client, f"/appointments/{booked['appointment_id']}/rebook")
    assert "Bookable SAMPLETON" in body[body.index('aria-label="Patient details"'):]
    assert f'value="{IN_TEN_DAYS}T10:00"' in body
    assert re.search(r'value="telephone"[^>]*checked|checked[^>]*value="telephone"', body)
    assert version_in(body) == "1"
    assert BOOKING_FIELDS - {"submission_token", "duration_minutes"} <= field_names(body)
    assert "duration_minutes" not in field_names(body), "rebooking keeps the length, so it does not ask for one"
    assert "Length in minutes" not in body
    assert client.get("/appointments/999999/rebook").status_code == 404


def test_rebooking_moves_the_appointment(app, client, login_as, booked):
    user_id = login_as("clinician")
    url = f"/appointments/{booked['appointment_id']}/rebook"
    response = post_form(client, url, {"starts_at": f"{IN_TWELVE_DAYS}T18:00", "format": "video", "place": "",
                                       "notes": "Video link by text", "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/appointments/referrals/{booked['referral_id']}"
    assert "Appointment moved." in page_text(client.get(response.headers["Location"]))
    [appointment] = _appointments(app, booked["referral_id"])
    assert appointment.starts_at.astimezone(LONDON).replace(tzinfo=None) == datetime.combine(
        date.fromisoformat(IN_TWELVE_DAYS), time(18, 0))
    assert (appointment.format, appointment.notes, appointment.status, appointment.version) == (
        "video", "Video link by text", "booked", 2)
    assert appointment.duration_minutes == 30, "the length is kept"
    [rebooked] = events(app, "appointment.rebooked")
    assert (rebooked.actor_id, rebooked.entity_id) == (user_id, appointment.id)
    assert '"format":"telephone"' in rebooked.data
    assert '"format":"video"' in rebooked.data

    stale = post_form(client, url, {"starts_at": f"{IN_TEN_DAYS}T09:00", "format": "telephone", "place": "",
                                    "notes": "", "version": "1"})
    conflict(stale, "appointment")
    assert _appointments(app, booked["referral_id"])[0].format == "video"


# The booking form's own rules (the notes, the format, the version) are tests/blueprints/test_form_rules.py's.
@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"format": "clinic", "place": ""}, "place", "Enter where the appointment is"),
    ({"starts_at": "tomorrow"}, "starts_at", "Enter the date and time of the appointment"),
])
def test_bad_rebooking_input_changes_nothing(app, client, login_as, booked, overrides, field, message):
    login_as("booking")
    before = _changes(app)
    data = {"starts_at": f"{IN_TWELVE_DAYS}T18:00", "format": "video", "place": "", "notes": "", "version": "1",
            **overrides}
    shown_again(post_form(client, f"/appointments/{booked['appointment_id']}/rebook", data), field, message)
    assert _changes(app) == before


# -- outcomes --------------------------------------------------------------------------------------------------

@pytest.fixture
def started(app, accepted):
    """An appointment that began an hour ago (version 1), for the accepted referral."""
    with app.app_context():
        referral = db.session.get(Referral, accepted)
        starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        appointment = book(db.session, staff(db.session, "booking"), referral, starts)
        db.session.commit()
        return {"referral_id": accepted, "appointment_id": appointment.id, "starts_at": starts}


def test_the_booking_page_offers_a_clinician_the_outcome_form(client, login_as, started):
    login_as("clinician")
    body = client.get(f"/appointments/referrals/{started['referral_id']}").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="/appointments/{started["appointment_id"]}/outcome".*?</form>',
                     body, re.S)
    assert form
    assert {"outcome", "reason", "version", "csrf_token"} <= field_names(form.group(0))
    assert version_in(form.group(0)) == "1"
    assert f'href="/appointments/{started["appointment_id"]}/rebook"' in body


def test_booking_staff_rebook_but_leave_the_outcome_to_a_clinician(client, login_as, started):
    login_as("booking")
    body = client.get(f"/appointments/referrals/{started['referral_id']}").get_data(as_text=True)
    assert f'href="/appointments/{started["appointment_id"]}/rebook"' in body
    assert "/outcome" not in body
    assert "outcome" not in field_names(body)


def test_attended_is_first_contact_and_starts_treatment(app, client, login_as, started):
    user_id = login_as("clinician")
    response = post_form(client, f"/appointments/{started['appointment_id']}/outcome",
                         {"outcome": "attended", "reason": "", "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/appointments/referrals/{started['referral_id']}"
    page = page_text(client.get(response.headers["Location"]))
    assert "Outcome recorded: attended, seen on time." in page
    assert "Attended, seen on time (first contact)" in page
    referral = stored_row(app, Referral, started["referral_id"])
    assert referral.state == "in_treatment"
    assert referral.first_contact_at == started["starts_at"]
    [appointment] = _appointments(app, started["referral_id"])
    assert (appointment.status, appointment.first_contact) == ("attended", True)
    assert [e.actor_id for e in events(app, "appointment.attended")] == [user_id]
    assert [e.referral_id for e in events(app, "referral.first_contact")] == [started["referral_id"]]
    assert "Book an appointment" in page, "a referral in treatment can still be booked"


def test_did_not_attend_keeps_the_referral_accepted(app, client, login_as, started):
    login_as("clinician")
    response = post_form(client, f"/appointments/{started['appointment_id']}/outcome",
                         {"outcome": "dna", "version": "1"})
    assert response.status_code == 303
    with app.app_context():
        [check] = db.session.scalars(select(BarrierCheck)).all()
        assert (check.referral_id, check.appointment_id) == (started["referral_id"], started["appointment_id"])
    assert response.headers["Location"] == f"/barrier-checks/{check.id}", "a DNA goes straight to its barrier check"
    referral = stored_row(app, Referral, started["referral_id"])
    assert (referral.state, referral.first_contact_at) == ("accepted", None)
    assert _appointments(app, started["referral_id"])[0].status == "dna"
    assert '"attendance_code":"3"' in events(app, "appointment.dna")[0].data


#: case -> (appointment fixture, form data, field, message): the domain's refusals, and one of the form's own
#: (tests/blueprints/test_form_rules.py has the rest)
BAD_OUTCOME = {
    "attended before the start": ("booked", {"outcome": "attended"}, "outcome",
                                  "Attendance can only be recorded once the appointment has started"),
    "did not attend before the start": ("booked", {"outcome": "dna"}, "outcome",
                                        "Attendance can only be recorded once the appointment has started"),
    "cancelled without a reason": ("started", {"outcome": "cancelled_patient", "reason": ""}, "reason",
                                   "Enter why it was cancelled"),
    "no outcome": ("started", {}, "outcome", "Select what happened"),
}


@pytest.mark.parametrize("case", BAD_OUTCOME)
def test_a_bad_outcome_is_shown_beside_its_field_and_changes_nothing(app, client, login_as, request, case):
    which, data, field, message = BAD_OUTCOME[case]
    ids = request.getfixturevalue(which)
    login_as("clinician")
    before = _changes(app)
    response = post_form(client, f"/appointments/{ids['appointment_id']}/outcome", {"version": "1", **data})
    body = shown_again(response, f"{field}-{ids['appointment_id']}", message)
    assert "Book an appointment" in body, "the booking page, its own form ready to use"
    assert _changes(app) == before
    assert stored_row(app, Referral, ids["referral_id"]).state == "accepted"


def test_a_refused_outcome_keeps_what_was_entered(client, login_as, started):
    login_as("clinician")
    response = post_form(client, f"/appointments/{started['appointment_id']}/outcome",
                         {"outcome": "cancelled_patient", "reason": "", "version": "1"})
    row = re.search(rf'id="outcome-{started["appointment_id"]}".*?</form>', page_text(response), re.S).group(0)
    assert re.search(r'value="cancelled_patient"[^>]*checked', row), "the outcome chosen is still chosen"


def test_a_stale_outcome_is_the_conflict_page(app, client, login_as, started):
    login_as("clinician")
    before = _changes(app)
    response = post_form(client, f"/appointments/{started['appointment_id']}/outcome",
                         {"outcome": "attended", "version": "2"})
    conflict(response, "appointment")
    assert _changes(app) == before


def test_an_outcome_is_recorded_once(app, client, login_as, started):
    login_as("clinician")
    url = f"/appointments/{started['appointment_id']}/outcome"
    assert post_form(client, url, {"outcome": "cancelled_service", "reason": "Clinic closed",
                                   "version": "1"}).status_code == 303
    before = _changes(app)
    again = post_form(client, url, {"outcome": "attended", "version": "2"})
    assert again.status_code == 303
    assert "This appointment already has an outcome." in page_text(client.get(again.headers["Location"]))
    assert _changes(app) == before
    assert _appointments(app, started["referral_id"])[0].cancel_reason == "Clinic closed"
    assert post_form(client, "/appointments/999999/outcome", {"outcome": "attended", "version": "1"}
                     ).status_code == 404


# -- a contact that already happened -------------------------------------------------------------------------------

def _past_contact(client, referral_id: int, **overrides) -> dict:
    page = client.get(f"/appointments/referrals/{referral_id}/past-contact").get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)
    return {"version": version_in(page), "submission_token": token.group(1),
            "starts_at": f"{TEN_MINUTES_AGO:%Y-%m-%dT%H:%M}", "format": "clinic", "place": "Drop-in clinic",
            "duration_minutes": "20", "outcome": "attended", "reason": "Seen at the drop-in clinic", **overrides}


def test_only_clinicians_are_offered_record_a_past_contact(client, login_as, accepted):
    login_as("booking")
    assert "Record a past contact" not in page_text(client.get(f"/appointments/referrals/{accepted}"))
    login_as("clinician", "past.clinician")
    page = page_text(client.get(f"/appointments/referrals/{accepted}"))
    assert f'href="/appointments/referrals/{accepted}/past-contact"' in page


def test_a_clinician_records_a_past_contact_marked_retrospective(app, client, login_as, accepted):
    user_id = login_as("clinician")
    response = post_form(client, f"/appointments/referrals/{accepted}/past-contact", _past_contact(client, accepted))
    assert response.status_code == 303
    assert "Past contact recorded." in page_text(client.get(response.headers["Location"]))
    [appointment] = _appointments(app, accepted)
    assert (appointment.status, appointment.first_contact, appointment.booked_by) == ("attended", True, user_id)
    referral = stored_row(app, Referral, accepted)
    assert (referral.state, referral.first_contact_at) == ("in_treatment", appointment.starts_at)
    assert referral.first_contact_at >= referral.received_at, "the wait is never negative"
    for action in ("appointment.booked", "appointment.attended"):
        [event] = events(app, action)
        data = json.loads(event.data)
        assert (data["retrospective"], data["reason"]) == (True, "Seen at the drop-in clinic")
    timeline = page_text(client.get(f"/referrals/{accepted}"))
    timeline = timeline[timeline.index("Timeline"):]
    assert "retrospective" in timeline.lower()
    assert "Seen at the drop-in clinic" in timeline


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"reason": " "}, "reason", "Give the reason this contact is recorded after it happened"),
    ({"starts_at": f"{IN_TEN_DAYS}T10:00"}, "starts_at", "The time is in the future: book an appointment instead"),
    ({"starts_at": f"{YESTERDAY}T10:00"}, "starts_at", "The time is before the referral was received"),
])
def test_a_past_contact_without_a_reason_or_at_the_wrong_time_saves_nothing(app, client, login_as, accepted,
                                                                            overrides, field, message):
    login_as("clinician")
    data = _past_contact(client, accepted, **overrides)
    before = _changes(app)
    response = post_form(client, f"/appointments/referrals/{accepted}/past-contact", data)
    assert response.status_code == 400
    body = page_text(response)
    assert f'href="#{field}"' in body
    assert message in body
    assert _changes(app) == before
    assert _appointments(app, accepted) == []


@pytest.mark.parametrize(("agreed", "preselected"), [("home_visit", "home_visit"), ("evening", None)])
def test_booking_after_a_barrier_check_preselects_the_format_agreed_there(app, client, login_as, agreed,
                                                                           preselected):
    from inclusive_access.domain import dna
    from tests.blueprints.records import miss

    with app.app_context():
        clinician = staff(db.session, "clinician")
        referral = make_referral(db.session, given_name="Missedonce")
        check = miss(db.session, clinician, referral, fmt="clinic")
        dna.log_attempt(db.session, clinician, check, "telephone", True, "Clinic too far: a home visit suits")
        dna.complete_barrier_check(db.session, clinician, check, check.version, "alternative_offered",
                                   alternative_format=agreed)
        db.session.commit()
        referral_id = referral.id
    login_as("booking")
    body = client.get(f"/appointments/referrals/{referral_id}").get_data(as_text=True)
    form = body[body.index("<h2>Book an appointment</h2>"):]
    checked = re.findall(r'<input[^>]*name="format"[^>]*value="([a-z_]+)"[^>]*checked', form)
    assert checked == ([preselected] if preselected else [])


def test_rebooking_an_appointment_made_before_the_barrier_check_ended_preselects_the_format_agreed(
        app, client, login_as):
    from inclusive_access.domain import appointments, dna
    from tests.blueprints.records import miss

    with app.app_context():
        clinician = staff(db.session, "clinician")
        referral = make_referral(db.session, given_name="Urgentbooking")
        check = miss(db.session, clinician, referral, fmt="clinic")
        urgent = appointments.book_appointment(
            db.session, clinician, referral, referral.version, datetime.now(UTC) + timedelta(days=2), "clinic",
            "Community Hub", override_reason="Wound review cannot wait for the barrier check")
        dna.log_attempt(db.session, clinician, check, "telephone", True, "Clinic too far: a home visit suits")
        dna.complete_barrier_check(db.session, clinician, check, check.version, "alternative_offered",
                                   alternative_format="home_visit")
        db.session.commit()
        appointment_id = urgent.id
    login_as("booking")
    body = client.get(f"/appointments/{appointment_id}/rebook").get_data(as_text=True)
    assert re.findall(r'<input[^>]*name="format"[^>]*value="([a-z_]+)"[^>]*checked', body) == ["home_visit"]
