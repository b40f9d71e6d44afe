"""The append-only, hash-chained event log: every change to the record, in order."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_patient_seq", "patient_id", "seq"),
        Index("ix_events_referral_seq", "referral_id", "seq"),
        Index("ix_events_action_seq", "action", "seq"),
        Index("ix_events_actor_seq", "actor_id", "seq"),
        # what one user viewed in a period, newest first, a page at a time (audit.user_access): the period's views
        # alone, in order, however long the user's history
        Index("ix_events_actor_action_occurred", "actor_id", "action", "occurred_at", "seq"),
        # where an instant falls in the log (an export's _since, an AuditEvent search by date)
        Index("ix_events_occurred_seq", "occurred_at", "seq"),
    )

    #: position in the chain, 1, 2, 3, ... with no gaps (assigned under the append lock, not a sequence)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the actor's role at the time; None for system jobs
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(48))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    patient_id: Mapped[int | None]
    referral_id: Mapped[int | None]
    #: canonical JSON of the changed fields, stored as the exact text that was hashed
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA-256 under the key named by key_id; plain SHA-256 when key_id is None (written before the chain was
    #: keyed, migration 0011: none may follow a keyed event)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(16))
