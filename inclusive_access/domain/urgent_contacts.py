"""Crisis and urgent contacts: staff record an emergency department attendance, crisis team contact, urgent GP
contact or admission a referral's patient had, who told them, and whether it followed a delay on the pathway."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, submissions
from inclusive_access.domain.access import CLINICAL_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.pathway_delays import DelayLink
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Referral, UrgentContact

KINDS = {"ed_attendance": "Emergency department attendance", "crisis_team": "Crisis team contact",
         "urgent_gp": "Urgent GP contact", "admission": "Hospital admission"}
SOURCES = {"patient": "The patient", "carer": "A carer or relative", "gp_letter": "A GP letter",
           "ed_discharge_summary": "An emergency department discharge summary", "crisis_team": "The crisis team",
           "other": "Someone else"}
#: whether a contact followed a delay is a clinical judgement, which booking staff do not make (DOMAIN.md)
RECORD_ROLES = CLINICAL_JUDGEMENT
#: a contact may come before the referral (an attendance often prompts one); one more than a year before it is the
#: patient's history, not this pathway's, and a date that far back is more likely a typing slip
EARLIEST_BEFORE_REFERRAL = timedelta(days=365)


@dataclass(frozen=True)
class ContactDetails:
    kind: str
    occurred_on: date | None
    source: str
    delay: DelayLink

    def errors(self, received_on: date, today: date) -> dict[str, str]:
        found = {}
        if self.kind not in KINDS:
            found["kind"] = "Select the kind of urgent contact"
        if self.occurred_on is None:
            found["occurred_on"] = "Enter the date it happened"
        elif self.occurred_on > today:
            found["occurred_on"] = "The date it happened must be today or in the past"
        elif self.occurred_on < received_on - EARLIEST_BEFORE_REFERRAL:
            found["occurred_on"] = (f"The date it happened must be no more than a year before the referral was "
                                    f"received ({received_on:%-d %b %Y})")
        if self.source not in SOURCES:
            found["source"] = "Select who told us"
        return {**found, **self.delay.errors()}


def record_urgent_contact(session: Session, actor: Actor, referral: Referral, details: ContactDetails,
                          submission_token: str | None = None, now: datetime | None = None) -> UrgentContact:
    """A clinician records an urgent contact on a referral in any state: one after discharge counts as much as one
    while waiting."""
    require_role(actor, RECORD_ROLES)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, UrgentContact, submission_token)
    if errors := details.errors(referral.received_at.astimezone(LONDON).date(), now.astimezone(LONDON).date()):
        raise InvalidInput(errors)
    contact = UrgentContact(patient_id=referral.patient_id, referral_id=referral.id, kind=details.kind,
                            occurred_on=details.occurred_on, source=details.source,
                            followed_delay=details.delay.answer, delay_detail=details.delay.stored_detail,
                            recorded_by=actor.user_id, recorded_role=actor.role, recorded_at=now,
                            submission_token=submission_token)
    session.add(contact)
    session.flush()
    events.record(session, actor, actions.URGENT_CONTACT_RECORDED, "urgent_contact", contact.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"kind": details.kind, "occurred_on": details.occurred_on, "source": details.source,
                        **details.delay.data()})
    return contact


def contacts_for_referral(session: Session, referral_id: int) -> list[UrgentContact]:
    """A referral's urgent contacts, most recent first."""
    return list(session.scalars(select(UrgentContact).where(UrgentContact.referral_id == referral_id)
                                .order_by(UrgentContact.occurred_on.desc(), UrgentContact.id.desc())))
