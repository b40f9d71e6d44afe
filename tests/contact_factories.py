"""Patients who are to be contacted one way or another: a booking script's contact answers, their communication
needs and their contact details, recorded through the domain as triage and the contact details page record them."""
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import appointments, contact_details, message_causes, triage
from inclusive_access.domain.message_routes import contact_details_for
from inclusive_access.models import OutboxMessage, Patient, Referral
from tests.factories import RECEIVED, SCRIPT, SLOT, TRIAGED, book, make_referral

MOBILE, EMAIL = "07700 900123", "sam.sampleton@example.com"
ADDRESS = ("Flat 2", "1 Example Street", "Leeds")
CARER = {"carer_name": "Jo Carer", "carer_mobile": "07700 900456", "carer_email": "jo.carer@example.org",
         "carer_address_lines": ("3 Sample Road", "Leeds"), "carer_postcode": "LS2 9JT"}


def contacted(session: Session, actor, method: str = "telephone", *, safe: bool | None = True,
              language: str = "", needs: str = "", **details) -> Referral:
    """A referral received on RECEIVED and accepted at TRIAGED with a booking script saying `method` (""
    for not asked) and `safe` to leave a message, an interpreter of `language` if given; the patient's
    communication `needs` ("easy_read;large_print") and contact `details` (contact_details.ContactInfo's fields)."""
    referral = make_referral(session, received_at=RECEIVED, communication_needs=needs)
    script = replace(SCRIPT, contact_method=method, safe_to_leave_message=safe, interpreter_needed=bool(language),
                     language=language)
    triage.triage_referral(session, actor, referral, referral.version, script, [], "accept", now=TRIAGED)
    if details:
        patient = session.get(Patient, referral.patient_id)
        contact_details.record_contact_details(session, actor, patient, 0, contact_details.ContactInfo(**details),
                                               now=TRIAGED)
    return referral


def record_details(session: Session, actor, patient: Patient, **details) -> None:
    row = contact_details_for(session, patient.id)
    contact_details.record_contact_details(session, actor, patient, row.version if row else 0,
                                           contact_details.ContactInfo(**details), now=TRIAGED)


def messages(session: Session, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    return list(session.scalars(query.where(OutboxMessage.kind == kind) if kind else query))


def cause(session: Session, actor, referral: Referral, kind: str) -> OutboxMessage:
    """Do what calls for a message of `kind` about the referral's appointment at SLOT, and return that message:
    a booking (confirmation), the reminder sweep 3 days before, or recording the appointment missed."""
    appointment = book(session, actor, referral, SLOT, now=TRIAGED)
    if kind == "appointment_reminder":
        message_causes.queue_reminders(session, now=SLOT - timedelta(days=3))
    elif kind == "rebooking_offer":
        appointments.record_outcome(session, actor, appointment, appointment.version, "dna",
                                    now=SLOT + timedelta(hours=1))
    [message] = messages(session, kind)
    return message
