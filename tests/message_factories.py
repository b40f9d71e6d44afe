"""Message factories: outbox messages queued through the domain (outbox.queue) for a referral's patient, one of each
channel, the template settings they are sent with, and a Notify that accepts anything for tests that need no HTTP."""
import uuid
from datetime import UTC, datetime
from itertools import count

from sqlalchemy.orm import Session

from inclusive_access.domain import outbox
from inclusive_access.domain.outbox import MessageSettings, Route, Withheld
from inclusive_access.models import OutboxMessage, Referral

#: when the tests' messages are queued: three days before the referral's appointment (tests/factories.py SLOT); the
#: sending tests move their clock on from here
QUEUED = datetime(2026, 6, 5, 9, 0, tzinfo=UTC)
#: what an appointment reminder says (the keys the messages helper fills)
REMINDER = {"name": "Testy Sampleton", "patient_name": "Testy Sampleton", "date": "Monday 8 June 2026",
            "time": "10:00am", "format": "at the clinic", "place": "Room 4, Riverside Health Centre",
            "service_phone": "0113 496 0000", "interpreter_language": ""}
ADDRESS = {"address_line_1": "Testy Sampleton", "address_line_2": "1 Example Street", "address_line_3": "Leeds",
           "address_line_4": "LS1 4AP"}
#: a route of each channel, to the patient
ROUTES = {"sms": Route("sms", "sms", "patient", "07700 900123", REMINDER),
          "email": Route("email", "email", "patient", "testy@example.com", REMINDER),
          "letter": Route("letter", "letter", "patient", None, {**REMINDER, **ADDRESS}),
          "letter_large_print": Route("letter", "letter_large_print", "patient", None, {**REMINDER, **ADDRESS})}
#: Notify template ids for every reminder template, as NOTIFY_TEMPLATES would hold them
TEMPLATES = {"appointment_reminder": {template: str(uuid.uuid5(uuid.NAMESPACE_URL, f"reminder/{template}"))
                                      for template in outbox.TEMPLATES}}
_keys = count(1)


def settings(templates: dict = TEMPLATES) -> MessageSettings:
    return MessageSettings.from_mapping({"NOTIFY_TEMPLATES": templates})


def queued(session: Session, referral: Referral, route: str | Route | Withheld = "sms",
           kind: str = "appointment_reminder", at: datetime = QUEUED) -> OutboxMessage:
    """A message for the referral's patient queued at `at`: by a channel's route (ROUTES), or a route given."""
    return outbox.queue(session, kind, f"test:{next(_keys)}", referral.patient_id,
                        ROUTES[route] if isinstance(route, str) else route, at, referral_id=referral.id)


class AcceptingNotify:
    """A Notify that accepts every message and finds none sent before: for tests that record outcomes, not the
    requests (tests/fake_notify_api.py is the Notify the sending tests talk to)."""

    def send(self, message, template_id: str) -> str:
        return str(uuid.uuid4())

    def find(self, reference: str) -> str | None:
        return None
