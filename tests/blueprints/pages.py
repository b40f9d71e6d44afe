"""Helpers for route tests: security-header invariants, form field names, event and row counts, workflow records."""
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from inclusive_access.domain import adjustments, appointments, clarification, dna, triage
from inclusive_access.domain.actors import Actor, actor_for
from inclusive_access.domain.triage import BookingScript
from inclusive_access.extensions import db
from inclusive_access.models import Event
from tests.conftest import PASSWORD, post_form
from tests.factories import make_user


def assert_security_headers(response, patient_data: bool = False) -> None:
    """The headers every response must carry; `patient_data` pages must also never be cached."""
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, "no Content-Security-Policy"
    assert "unsafe-inline" not in csp, csp
    assert "unsafe-eval" not in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    if patient_data:
        assert "no-store" in response.headers.get("Cache-Control", ""), response.headers
    # Every inline script must carry this response's nonce, or the CSP blocks it.
    nonce = re.search(r"'nonce-([^']+)'", csp)
    for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
        if "src=" not in tag:
            assert nonce, "inline script but no nonce in the CSP"
            assert f'nonce="{nonce.group(1)}"' in tag, tag


def broken_summary_links(body: str) -> list[str]:
    """The error summary's links whose target is not on the page (the hidden version field aside: only tampering
    gets it wrong)."""
    summary = re.search(r'nhsuk-error-summary__list.*?</ul>', body, re.S)
    assert summary, "no error summary"
    return [t for t in re.findall(r'href="#([^"]+)"', summary.group(0)) if t != "version" and f'id="{t}"' not in body]


def field_names(html: str) -> set[str]:
    """The names of the inputs, selects and textareas a page's forms would post."""
    return set(re.findall(r'<(?:input|select|textarea)\b[^>]*?\bname="([^"]+)"', html))


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


def staff(session, role: str, username: str | None = None) -> Actor:
    """A user of `role` (not signed in anywhere) to act through the domain."""
    return actor_for(make_user(session, role=role, username=username))


def accept(session, actor: Actor, referral, **answers):
    """Triage `referral` as accepted, with the script's answers."""
    return triage.triage_referral(session, actor, referral, referral.version, script(**answers), [], "accept")


def book(session, actor: Actor, referral, starts_at: datetime, fmt: str = "telephone", place: str | None = None):
    """Book `referral` for `starts_at`; a start already past was booked ahead, at the latest as it began."""
    return appointments.book_appointment(session, actor, referral, referral.version, starts_at, fmt, place,
                                         now=min(datetime.now(UTC), starts_at))


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


def version_in(html: str) -> str:
    """The version a page's form carries in its hidden field."""
    return re.search(r'name="version" value="([^"]*)"', html).group(1)
