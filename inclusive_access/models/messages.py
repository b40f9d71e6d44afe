"""Messages to patients, carers and referrers: where to reach them, and the outbox GOV.UK Notify is sent from."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import Versioned

KINDS = ("appointment_confirmation", "appointment_reminder", "rebooking_offer", "clarification_request")
CHANNELS = ("sms", "email", "letter")
#: queued (due at next_attempt_at), sending (claimed by a worker, which may have crashed mid-send), sent (Notify
#: accepted it), then Notify's own outcomes; failed = given up before Notify accepted it; withheld = never sent,
#: because no safe route was recorded or the appointment it was about was over first (the reason says which)
STATUSES = ("queued", "sending", "sent", "delivered", "permanent_failure", "temporary_failure", "technical_failure",
            "failed", "withheld")
ADDRESSEES = ("patient", "carer", "referrer")


class ContactDetails(Versioned, db.Model):
    """How to reach a patient, and the carer or advocate who receives messages for them when the booking script
    says so. One row per patient; empty fields mean not known."""

    __tablename__ = "contact_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320))
    #: postal address without the postcode (the patient's postcode is on the patient), up to 6 lines
    address_lines: Mapped[list] = mapped_column(JSON, default=list)
    carer_name: Mapped[str | None] = mapped_column(String(120))
    carer_mobile: Mapped[str | None] = mapped_column(String(20))
    carer_email: Mapped[str | None] = mapped_column(String(320))
    carer_address_lines: Mapped[list] = mapped_column(JSON, default=list)
    carer_postcode: Mapped[str | None] = mapped_column(String(8))
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]


class OutboxMessage(db.Model):
    """One message, written in the transaction of the event that calls for it and sent later by `flask notify
    send`. Its id is Notify's reference, so a worker that crashed between sending and recording finds it there
    instead of sending it twice."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(f"channel IS NULL OR {one_of('channel', CHANNELS)}", name="channel"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint(one_of("addressed_to", ADDRESSEES), name="addressed_to"),
        CheckConstraint("(status = 'withheld') = (withheld_reason IS NOT NULL)", name="withheld_with_reason"),
        # the sender's claim: what is due, oldest first, without reading finished messages
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: once per cause (e.g. "reminder:appointment:12:3"): a second call for the same cause writes nothing
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    clarification_id: Mapped[int | None] = mapped_column(ForeignKey("clarifications.id"))
    #: the event that called for the message (its seq)
    cause_seq: Mapped[int | None]
    channel: Mapped[str | None] = mapped_column(String(8))
    #: which of the kind's templates: sms, email, letter, letter_large_print, letter_easy_read
    #: (settings NOTIFY_TEMPLATES map kind and template to Notify's template id)
    template: Mapped[str | None] = mapped_column(String(24))
    addressed_to: Mapped[str] = mapped_column(String(12))
    #: phone number or email address; None for a letter (the address is in the personalisation)
    recipient: Mapped[str | None] = mapped_column(String(320))
    personalisation: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    withheld_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    #: when a worker claimed it for sending (status sending)
    claimed_at: Mapped[datetime | None]
    #: Notify's notification id, once Notify has accepted the message
    notify_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    #: when Notify last reported a status
    status_at: Mapped[datetime | None]
