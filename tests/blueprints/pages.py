"""Helpers for route tests: a page's text and banner, a form shown again with its problems, a redirect after a
save and the conflict page after a stale one, form field names, stored rows, event and row counts, workflow
records."""
import html
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from inclusive_access.domain import adjustments, appointments, clarification, dna, triage
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.triage import BookingScript
from inclusive_access.extensions import db
from inclusive_access.models import Event
from tests.conftest import PASSWORD, post_form
from tests.factories import book, make_referral, staff


def broken_summary_links(body: str) -> list[str]:
    """The error summary's links whose target is not on the page (the hidden version field aside: only tampering
    gets it wrong)."""
    summary = re.search(r'nhsuk-error-summary__list.*?</ul>', body, re.S)
    assert summary, "no error summary"
    return [t for t in re.findall(r'href="#([^"]+)"', summary.group(0)) if t != "version" and f'id="{t}"' not in body]


def page_text(response) -> str:
    """A response's body as text, with HTML entities read as the characters they stand for."""
    return html.unescape(response.get_data(as_text=True))


def open_page(client, url: str, heading: str | None = None, **kwargs) -> str:
    """GET a page that must be there (200; the client checks its security headers), headed `heading` if given.
    Returns its text."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    body = page_text(response)
    assert heading is None or f"<h1>{heading}</h1>" in body, heading
    return body


def page_about(client, url: str, patient: str, heading: str) -> str:
    """Open a page about one patient (open_page): its banner names `patient`, and its heading is `heading`."""
    body = open_page(client, url, heading)
    assert patient in patient_banner(body)
    return body


def redirected(client, response, to: str) -> str:
    """A save answered as it succeeded: redirected (303) to `to`. Returns the text of the page there."""
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"] == to
    return open_page(client, to)


def conflict(response, record: str) -> str:
    """A stale save's answer: 409, and the page says this `record` changed while the user was working on it.
    Returns the page's text."""
    assert response.status_code == 409, response.status_code
    body = page_text(response)
    assert f"This {record} changed while you were working on it" in body
    return body


def patient_banner(body: str) -> str:
    """The patient banner of a page's text."""
    start = body.index('aria-label="Patient details"')
    return body[start:body.index("</section>", start)]


def row_naming(body: str, name: str) -> str:
    """The table row of a page's text that names `name` (the first)."""
    start = body.rindex("<tr", 0, body.index(name))
    return body[start:body.index("</tr>", start)]


def shown_again(response, field: str, message: str, status: int | tuple[int, ...] = 400,
                hidden: tuple[str, ...] = ("version",)) -> str:
    """A form sent back with its problems: `status`, an error summary whose links all land on the page and that
    links to `field`, and `message` on the page, next to the field unless the field is `hidden` (a hidden field has
    no place of its own: only the summary says it). Returns the page's text."""
    assert response.status_code in (status if isinstance(status, tuple) else (status,)), response.status_code
    body = page_text(response)
    assert [t for t in broken_summary_links(body) if t not in hidden] == []
    assert "There is a problem" in body
    assert f'<a href="#{field}"' in body, "the summary links to the field"
    assert message in body
    if field not in hidden:
        error = body.index(f'id="{field}-error"')
        assert message in body[error:error + 400], "the message sits next to the field"
    return body


def field_names(page: str) -> set[str]:
    """The names of the inputs, selects and textareas a page's forms would post."""
    return set(re.findall(r'<(?:input|select|textarea)\b[^>]*?\bname="([^"]+)"', page))


def stored_row(app, model, row_id: int):
    """The row of `model` as stored now, detached so its columns can be read outside the app context."""
    with app.app_context():
        row = db.session.get(model, row_id)
        db.session.expunge(row)
        return row


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(app, action: str | None = None) -> list[Event]:
    with app.app_context():
        query = select(Event).order_by(Event.seq)
        if action:
            query = query.where(Event.action == action)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def sign_in(client, username: str, password: str = PASSWORD):
    return post_form(client, "/auth/login", {"username": username, "password": password})


# -- workflow records, made through the domain as the pages would make them ------------------------------------

#: a complete booking script as the triage form posts it (no interpreter, no travel barrier)
SCRIPT_FORM = {"contact_method": "telephone", "contact_times": "Mornings", "safe_to_leave_message": "yes",
               "interpreter_needed": "no", "language": "", "communication_needs": "", "mobility": "none",
               "caring_or_work": "", "digital_access": "phone_only"}


def script(**overrides) -> BookingScript:
    """The same answers as SCRIPT_FORM, as the domain takes them."""
    answers = {"contact_method": "telephone", "contact_times": "Mornings", "safe_to_leave_message": True,
               "interpreter_needed": False, "language": "", "communication_needs": "", "mobility": "none",
               "caring_or_work": "", "digital_access": "phone_only"}
    return BookingScript(**{**answers, **overrides})


def accept(session, actor: Actor, referral, **answers):
    """Triage `referral` as accepted, with the script's answers."""
    return triage.triage_referral(session, actor, referral, referral.version, script(**answers), [], "accept")


def ask(session, actor: Actor, referral, now: datetime | None = None, question: str = "Which knee?"):
    """Request a clarification of `referral` (at `now`, so it can be made overdue)."""
    return clarification.request_clarification(session, actor, referral, referral.version, question, "telephone",
                                               "Dr Example", now=now or datetime.now(UTC))


def propose_rejection(session, clinician: Actor, referral):
    """A clinician rejects `referral`; flagged, it waits in rejection_review for a senior."""
    return triage.triage_referral(session, clinician, referral, referral.version, script(), [], "reject",
                                  reason_code="wrong_service", reason_text="Better met by the falls service")


def miss(session, actor: Actor, referral, ago: timedelta = timedelta(minutes=30), fmt: str = "telephone"):
    """Accept `referral` (unless it already is), book an appointment that started `ago` (after the referral was
    received: by default it arrived an hour ago), and record it as a DNA: returns the barrier check that opened."""
    if referral.state == "received":
        accept(session, actor, referral)
    appointment = book(session, actor, referral, datetime.now(UTC).replace(microsecond=0) - ago, fmt,
                       "Community Hub" if fmt in ("clinic", "community_venue") else None)
    appointments.record_outcome(session, actor, appointment, appointment.version, "dna",
                                deliveries={a.id: (True, None)
                                            for a in adjustments.applicable_at_appointments(referral.patient)})
    return dna.open_check_for(session, referral.id)


def record_adjustment(session, actor: Actor, patient, category: str = "timing",
                      description: str = "Afternoon appointments only", source: str = "patient_request", **details):
    """Add an adjustment to `patient`'s register (consented by the patient unless `consent_basis` says otherwise)."""
    details.setdefault("consent_basis", "patient")
    return adjustments.record_adjustment(session, actor, patient, adjustments.AdjustmentDetails(
        category=category, description=description, **details), source)


def accepted_referral(app, **patient) -> dict:
    """A referral accepted at triage by a booking-team member (the patient's details as given), committed: its id
    and its patient's."""
    with app.app_context():
        referral = make_referral(db.session, **patient)
        accept(db.session, staff(db.session, "booking"), referral)
        db.session.commit()
        return {"referral_id": referral.id, "patient_id": referral.patient_id}


def one_of_each(session) -> SimpleNamespace:
    """A record of each kind the routes act on, made through the domain (not committed): a received referral whose
    patient has a reasonable adjustment, an accepted one with an appointment booked three days ahead, one awaiting
    clarification, a flagged one awaiting a senior's sign-off of its rejection, and one whose missed appointment
    opened a barrier check; with the booking-team member ("sample.booking") and the clinician who made them."""
    booking, clinician = staff(session, "booking", "sample.booking"), staff(session, "clinician")
    referral = make_referral(session)
    accepted = make_referral(session)
    accept(session, booking, accepted)
    appointment = book(session, booking, accepted, datetime.now(UTC) + timedelta(days=3))
    clarification = ask(session, booking, make_referral(session))
    review = make_referral(session, housing_status="rough_sleeping")
    propose_rejection(session, clinician, review)
    check = miss(session, clinician, make_referral(session))
    adjustment = record_adjustment(session, clinician, referral.patient)
    return SimpleNamespace(booking=booking, clinician=clinician, referral=referral, accepted=accepted,
                           appointment=appointment, clarification=clarification, review=review, check=check,
                           adjustment=adjustment)


def version_in(html: str) -> str:
    """The version a page's form carries in its hidden field."""
    return re.search(r'name="version" value="([^"]*)"', html).group(1)
