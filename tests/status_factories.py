"""Messages as the sender leaves them once GOV.UK Notify accepted them (status sent, with Notify's id), contact
details to judge a failure's route by, and a contact problem opened by a failure: for the delivery-status tests.

A message is written through outbox.queue, as a command would, then marked sent; given a Notify client (the fake's),
it is really sent there first, with its outbox id as the reference, so the fake reports on it."""
from datetime import UTC, datetime
from itertools import count

from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import message_statuses, outbox
from inclusive_access.models import ContactDetails, ContactTask, OutboxMessage, Referral
from tests.factories import make_referral, make_user

MOBILE, EMAIL = "07700 900123", "sam.sampleton@example.com"
ADDRESS = ["1 Test Street", "Leeds", "West Yorkshire"]
TEMPLATE_ID = "a6d3e1c2-7b4f-4e0a-9c8d-2f1e0b3a4c5d"
_keys = count(1)


def contact_details(session: Session, patient_id: int, **recorded) -> ContactDetails:
    """The patient's contact details, with only what `recorded` gives (mobile, email, address_lines, carer_...),
    in place of any recorded before."""
    details = session.scalar(select(ContactDetails).where(ContactDetails.patient_id == patient_id))
    if details is None:
        details = ContactDetails(patient_id=patient_id, updated_by=make_user(session).id)
        session.add(details)
    for field in ("mobile", "email", "carer_name", "carer_mobile", "carer_email", "carer_postcode"):
        setattr(details, field, recorded.pop(field, None))
    details.address_lines = recorded.pop("address_lines", [])
    details.carer_address_lines = recorded.pop("carer_address_lines", [])
    details.updated_at = datetime.now(UTC)
    assert not recorded, f"not a contact detail: {sorted(recorded)}"
    session.flush()
    return details


def _route(channel: str, template: str | None, addressed_to: str, recipient: str | None) -> outbox.Route:
    if channel == "letter":
        lines = {f"address_line_{n}": line for n, line in enumerate([*ADDRESS, "LS1 4AP"], start=1)}
        return outbox.Route(channel, template or "letter", addressed_to, None, lines)
    recipient = recipient or (MOBILE if channel == "sms" else EMAIL)
    return outbox.Route(channel, template or channel, addressed_to, recipient)


def sent_message(session: Session, patient_id: int, channel: str = "sms", *, kind: str = "appointment_reminder",
                 template: str | None = None, addressed_to: str = "patient", recipient: str | None = None,
                 referral_id: int | None = None, sent_at: datetime | None = None,
                 notify: NotificationsAPIClient | None = None) -> OutboxMessage:
    """A message Notify accepted: queued, (sent to `notify`, if given,) then marked sent with Notify's id."""
    route = _route(channel, template, addressed_to, recipient)
    message = outbox.queue(session, kind, f"test:status:{next(_keys)}", patient_id, route, datetime.now(UTC),
                           referral_id=referral_id)
    if notify is None:
        notify_id = f"00000000-0000-4000-8000-{message.id:012d}"
    else:
        send = {"sms": lambda: notify.send_sms_notification(route.recipient, TEMPLATE_ID, reference=str(message.id)),
                "email": lambda: notify.send_email_notification(route.recipient, TEMPLATE_ID,
                                                                reference=str(message.id)),
                "letter": lambda: notify.send_letter_notification(TEMPLATE_ID, route.personalisation,
                                                                  reference=str(message.id))}[channel]
        notify_id = send()["id"]
    message.status, message.notify_id, message.attempts = "sent", notify_id, 1
    message.sent_at = sent_at or datetime.now(UTC)
    session.flush()
    return message


def open_contact_task(session: Session, referral: Referral | None = None) -> ContactTask:
    """The only route to the patient of `referral` (a new one unless given), their mobile, failed permanently: the
    contact problem it opened."""
    referral = referral or make_referral(session)
    contact_details(session, referral.patient_id, mobile=MOBILE)
    message = sent_message(session, referral.patient_id, referral_id=referral.id)
    assert message_statuses.record_status(session, message, "permanent-failure") == message_statuses.RECORDED
    return session.scalars(select(ContactTask).where(ContactTask.message_id == message.id)).one()
