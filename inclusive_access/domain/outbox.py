"""The outbox: messages written in the transaction of the event that calls for them, sent later by a worker.

Writing the message with its cause means a booking is never saved without its confirmation, nor a confirmation
queued for a booking that rolled back. `queue` is called by domain commands after their event; `flask notify send`
sends what is due.
"""
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import events
from inclusive_access.models import Event, OutboxMessage
from inclusive_access.models.messages import CHANNELS, KINDS

#: each kind's templates: one per channel, and a letter's own for large print and easy read
TEMPLATES = ("sms", "email", "letter", "letter_large_print", "letter_easy_read")
MESSAGE_NAMES = {"appointment_confirmation": "Appointment confirmation", "appointment_reminder": "Appointment reminder",
                 "rebooking_offer": "Rebooking offer", "clarification_request": "Clarification request"}
#: how each template reaches its addressee
SENT_BY = {"sms": "text message", "email": "email", "letter": "letter", "letter_large_print": "large-print letter",
           "letter_easy_read": "easy read letter"}
ADDRESSEE_LABELS = {"patient": "The patient", "carer": "Their carer or advocate", "referrer": "The referrer"}


@dataclass(frozen=True)
class Route:
    """How one message reaches its addressee: channel, template, whom it is addressed to, and what fills it."""

    channel: str
    template: str
    addressed_to: str
    #: phone number or email address; None for a letter, whose address lines are in the personalisation
    recipient: str | None
    personalisation: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS or self.template not in TEMPLATES:
            raise ValueError(f"no such channel or template: {self.channel}, {self.template}")


@dataclass(frozen=True)
class Withheld:
    """No safe route is recorded: the message is kept, unsent, with the reason, so staff and reports see it."""

    reason: str
    addressed_to: str = "patient"


@dataclass(frozen=True)
class MessageSettings:
    #: Notify template id per kind and template, e.g. {"appointment_reminder": {"sms": "<uuid>"}}
    templates: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: days before an appointment its reminders are queued, furthest first
    reminder_days: tuple[int, ...] = (3, 1)
    #: the number messages give for rebooking or questions
    service_phone: str = ""

    def template_id(self, kind: str, template: str) -> str | None:
        return self.templates.get(kind, {}).get(template)

    @classmethod
    def from_mapping(cls, cfg: Mapping) -> "MessageSettings":
        """Read the settings; a template map naming an unknown message or format stops the app at start-up."""
        templates = cfg.get("NOTIFY_TEMPLATES") or {}
        if isinstance(templates, str):
            templates = json.loads(templates)
        for kind, by_template in templates.items():
            unknown = set(by_template) - set(TEMPLATES)
            if kind not in KINDS or unknown:
                raise ValueError(f"NOTIFY_TEMPLATES: unknown message {kind!r} or format {sorted(unknown)}; "
                                 f"messages are {', '.join(KINDS)}; formats {', '.join(TEMPLATES)}")
        days = str(cfg.get("NOTIFY_REMINDER_DAYS", "3,1"))
        return cls(templates=templates,
                   reminder_days=tuple(sorted({int(day) for day in days.split(",") if day.strip()}, reverse=True)),
                   service_phone=cfg.get("SERVICE_PHONE", ""))


def queue(session: Session, kind: str, dedupe_key: str, patient_id: int, route: Route | Withheld, now: datetime, *,
          referral_id: int | None = None, appointment_id: int | None = None, clarification_id: int | None = None,
          cause: Event | None = None) -> OutboxMessage | None:
    """Write one message to the outbox, due now, naming the event that caused it once that is sealed; None when
    its cause already queued one (`dedupe_key`).

    Called inside the command's transaction, whose lock on its record orders the check and the insert (and
    uq_outbox_messages_dedupe_key backs it).
    """
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    message = OutboxMessage(kind=kind, dedupe_key=dedupe_key, patient_id=patient_id, referral_id=referral_id,
                            appointment_id=appointment_id, clarification_id=clarification_id,
                            addressed_to=route.addressed_to, queued_at=now, attempts=0)
    if isinstance(route, Withheld):
        message.status, message.withheld_reason = "withheld", route.reason
    else:
        message.status, message.next_attempt_at = "queued", now
        message.channel, message.template, message.recipient = route.channel, route.template, route.recipient
        message.personalisation = route.personalisation
    session.add(message)
    session.flush()
    if cause is not None:
        events.when_sealed(session, lambda: setattr(message, "cause_seq", cause.seq))
    return message


def messages_for(session: Session, patient_id: int) -> list[OutboxMessage]:
    """A patient's messages, newest first (the timeline shows their outcomes)."""
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.patient_id == patient_id)
                                .order_by(OutboxMessage.id.desc())))
