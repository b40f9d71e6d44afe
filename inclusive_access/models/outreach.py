"""Outreach with partners: partner organisations, the venues where sessions are held, the sessions and their named
clinicians, and the minimum record completed at a venue, online or not, until a clinician reconciles it with the
core record."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import Versioned
from inclusive_access.models.users import User

PARTNER_KINDS = ("voluntary", "housing", "other")
VENUE_KINDS = ("hostel", "day_centre", "community", "other")
SESSION_STATUSES = ("planned", "cancelled")
#: a risk screen's answer at the venue
RISK_ANSWERS = ("yes", "no", "not_known")
RECONCILIATION_STATUSES = ("unreconciled", "matched", "new_patient")
#: who takes an engagement plan's step: the service or the partner
STEP_OWNERS = ("service", "partner")
#: a linked record with a follow-up planned that the lost-contact sweep has not judged yet
FOLLOW_UP_UNJUDGED = "follow_up_on IS NOT NULL AND referral_id IS NOT NULL AND follow_up_checked_at IS NULL"


class Listed(Versioned):
    """What partners and venues share, and what domain/outreach.py adds and updates alike: a unique name, a kind,
    and whether it is still offered (never deleted)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Partner(Listed, db.Model):
    """A voluntary-sector, housing or other organisation the service runs outreach with."""

    __tablename__ = "partners"
    __table_args__ = (CheckConstraint(one_of("kind", PARTNER_KINDS), name="kind"),)

    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(160))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    #: the information-sharing agreement that applies: its title or reference, and when it is next reviewed
    sharing_agreement: Mapped[str] = mapped_column(Text)
    sharing_agreement_review_on: Mapped[date | None]


class Venue(Listed, db.Model):
    """A hostel, day centre or other community place where outreach sessions are held."""

    __tablename__ = "venues"
    __table_args__ = (CheckConstraint(one_of("kind", VENUE_KINDS), name="kind"),)

    postcode: Mapped[str | None] = mapped_column(String(8))
    #: the partner that runs the venue, when one does
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))

    partner: Mapped[Partner | None] = relationship(lazy="joined")


session_clinicians = Table(
    "outreach_session_clinicians", db.metadata,
    Column("session_id", ForeignKey("outreach_sessions.id"), primary_key=True),
    # a clinician's own sessions: WHERE user_id = ?
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class OutreachSession(Versioned, db.Model):
    """A planned session at a venue with its named clinicians; only they record and see its minimum records
    before reconciliation."""

    __tablename__ = "outreach_sessions"
    __table_args__ = (
        CheckConstraint(one_of("status", SESSION_STATUSES), name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)",
                        name="cancelled_with_reason"),
        Index("ix_outreach_sessions_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: the partner's staff expected (or present): names and roles as the partner gives them
    partner_staff: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    planned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    planned_at: Mapped[datetime]
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    venue: Mapped[Venue] = relationship(lazy="joined")
    clinicians: Mapped[list[User]] = relationship(secondary=session_clinicians, order_by=User.id, lazy="selectin")


class OutreachRecord(Versioned, db.Model):
    """The minimum record of one person seen at a session, as completed at the venue: never edited, only
    reconciled (linked to a patient, or the link undone), each step evented."""

    __tablename__ = "outreach_records"
    __table_args__ = (
        CheckConstraint(one_of("exploitation_risk", RISK_ANSWERS), name="exploitation_risk"),
        CheckConstraint(one_of("self_neglect_risk", RISK_ANSWERS), name="self_neglect_risk"),
        CheckConstraint(one_of("reconciliation", RECONCILIATION_STATUSES), name="reconciliation"),
        CheckConstraint("(reconciliation = 'unreconciled') = (patient_id IS NULL)", name="patient_when_reconciled"),
        CheckConstraint("(patient_id IS NULL) = (referral_id IS NULL)", name="referral_with_patient"),
        CheckConstraint("approximate_age IS NULL OR approximate_age BETWEEN 0 AND 120", name="approximate_age"),
        CheckConstraint("(follow_up_checked_at IS NULL) = (contact_lost IS NULL)", name="follow_up_judged"),
        # the reconciliation list: WHERE reconciliation = 'unreconciled' ORDER BY received_at
        Index("ix_outreach_records_reconciliation", "reconciliation", "received_at"),
        Index("ix_outreach_records_patient", "patient_id", "seen_at"),
        # the lost-contact sweep: linked records whose follow-up it has not judged yet, by follow-up date; a judged
        # record leaves the index, so a run reads what fell due since the last one, never the whole history
        Index("ix_outreach_records_follow_up_due", "follow_up_on", sqlite_where=text(FOLLOW_UP_UNJUDGED),
              postgresql_where=text(FOLLOW_UP_UNJUDGED)),
        # the outreach evidence: records seen in a period, and follow-ups planned for one
        Index("ix_outreach_records_seen_at", "seen_at"),
        Index("ix_outreach_records_follow_up_on", "follow_up_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("outreach_sessions.id"), index=True)
    #: the key the device gave the record when it was completed: a repeated send finds this row, never a second one
    client_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: when the person was seen, by the device's clock (UTC), and when the server received the record
    seen_at: Mapped[datetime]
    received_at: Mapped[datetime]
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # who was seen: whatever identity the person gives
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    #: the name is an alias the person chose, not their own
    name_is_alias: Mapped[bool] = mapped_column(default=False)
    approximate_age: Mapped[int | None]
    date_of_birth: Mapped[date | None]
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    postcode: Mapped[str | None] = mapped_column(String(8))
    # consent: whether anything may be shared with partners, and with which
    consent_to_share: Mapped[bool]
    shared_with_partner_ids: Mapped[list] = mapped_column(JSON, default=list)
    presenting_need: Mapped[str] = mapped_column(Text)
    exploitation_risk: Mapped[str] = mapped_column(String(9))
    self_neglect_risk: Mapped[str] = mapped_column(String(9))
    #: what the worry is, when either screen answered yes
    safeguarding_detail: Mapped[str | None] = mapped_column(Text)
    #: inequality flag keys (domain.segments.FLAGS) as seen at the venue
    flags: Mapped[list] = mapped_column(JSON, default=list)
    action_agreed: Mapped[str] = mapped_column(Text)
    follow_up_on: Mapped[date | None]
    follow_up_plan: Mapped[str | None] = mapped_column(Text)
    reconciliation: Mapped[str] = mapped_column(String(12), default="unreconciled")
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    #: the referral the record joined the core record on
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    reconciled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reconciled_at: Mapped[datetime | None]
    #: the concern a positive screen raised when the record was linked; kept when the link is undone, as the
    #: concern stays open on that referral until a senior closes it
    safeguarding_concern_id: Mapped[int | None] = mapped_column(ForeignKey("safeguarding_concerns.id"))
    #: when the lost-contact sweep judged the planned follow-up, once its date had passed, and whether it found no
    #: contact by then (domain.outreach_follow_up); cleared when the link is undone
    follow_up_checked_at: Mapped[datetime | None]
    contact_lost: Mapped[bool | None]

    session: Mapped[OutreachSession] = relationship(lazy="joined")

    @property
    def safeguarding_screen_positive(self) -> bool:
        return "yes" in (self.exploitation_risk, self.self_neglect_risk)


class EngagementPlan(Versioned, db.Model):
    """What a person agreed with a partner and the service about what happens next: recorded on the patient's
    record once the person is in it, its steps marked done as they are."""

    __tablename__ = "engagement_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    agreed_on: Mapped[date]
    #: who agreed it: the person, the partner's staff and the service's, as the clinician names them
    agreed_by: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]

    partner: Mapped[Partner] = relationship(lazy="joined")
    steps: Mapped[list["EngagementStep"]] = relationship(
        back_populates="plan", order_by="EngagementStep.position", lazy="selectin")


class EngagementStep(Versioned, db.Model):
    """One step of a plan: who does what by when, and, once done, when and by whom."""

    __tablename__ = "engagement_steps"
    __table_args__ = (
        CheckConstraint(one_of("owner", STEP_OWNERS), name="owner"),
        CheckConstraint("(done_on IS NULL) = (done_by IS NULL)", name="done_with_whom"),
        CheckConstraint("(done_on IS NULL) = (marked_at IS NULL)", name="done_when_marked"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("engagement_plans.id"), index=True)
    position: Mapped[int]
    owner: Mapped[str] = mapped_column(String(8))
    #: the named person who takes the step
    owner_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date]
    #: when the step was done and by whom (named as the clinician was told), and who marked it so, when
    done_on: Mapped[date | None]
    done_by: Mapped[str | None] = mapped_column(String(120))
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime | None]

    plan: Mapped[EngagementPlan] = relationship(back_populates="steps")
