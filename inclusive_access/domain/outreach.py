"""Outreach planning: the service manager adds partner organisations and venues and plans sessions with named
clinicians; a clinician sees the sessions they are named on."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, listing, locking
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import CLINICAL_JUDGEMENT, MANAGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.models import OutreachRecord, OutreachSession, Partner, User, Venue
from inclusive_access.models.outreach import session_clinicians

PARTNER_KINDS = {"voluntary": "Voluntary, community or social enterprise", "housing": "Housing",
                 "other": "Other"}
VENUE_KINDS = {"hostel": "Hostel", "day_centre": "Day centre", "community": "Community venue", "other": "Other"}
#: planning sessions, partners and venues is the service manager's work
PLAN_ROLES = MANAGEMENT
#: who may be named on a session and record what they see there: the assessment is clinical
OUTREACH_CLINICIANS = CLINICAL_JUDGEMENT
#: how far back the session lists look: a bounded window, so they do not grow with the service's history
RECENT = timedelta(days=28)


@dataclass(frozen=True)
class PartnerDetails:
    name: str
    kind: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    sharing_agreement: str
    sharing_agreement_review_on: date | None


def parse_partner(raw: dict) -> PartnerDetails:
    errors = v.FieldErrors()
    details = PartnerDetails(
        name=v.text(errors, raw, "name", "the partner's name", 160),
        kind=v.choice(errors, raw, "kind", "the kind of partner", PARTNER_KINDS),
        contact_name=v.text(errors, raw, "contact_name", "the contact's name", 120, required=False),
        contact_email=v.text(errors, raw, "contact_email", "the contact's email address", 160, required=False),
        contact_phone=v.text(errors, raw, "contact_phone", "the contact's telephone number", 40, required=False),
        sharing_agreement=v.text(errors, raw, "sharing_agreement", "the information-sharing agreement", 2000,
                                 multiline=True),
        sharing_agreement_review_on=v.a_date(errors, raw, "sharing_agreement_review_on",
                                             "the agreement's review date", required=False))
    if errors:
        raise InvalidInput(errors)
    return details


def add_partner(session: Session, actor: Actor, details: PartnerDetails, now: datetime | None = None) -> Partner:
    return _add_named(session, actor, Partner, "partner", details, actions.PARTNER_ADDED, now,
                      sharing_agreement=details.sharing_agreement)


def update_partner(session: Session, actor: Actor, partner: Partner, seen_version: int, details: PartnerDetails,
                   now: datetime | None = None) -> dict:
    """Correct a partner's details, contacts or agreement; returns {field: [old, new]} (nothing changed: no
    event)."""
    return _update_named(session, actor, partner, "partner", seen_version, details, actions.PARTNER_UPDATED, now)


def _refuse_a_taken_name(session: Session, model, what: str, name: str, other_than: int | None = None) -> None:
    query = select(model.id).where(model.name == name)
    if session.scalar(query if other_than is None else query.where(model.id != other_than)):
        raise InvalidInput({"name": f"A {what} with this name already exists"})


def _add_named(session: Session, actor: Actor, model, what: str, details, action: str, now: datetime | None, **data):
    """A new partner or venue, named as no other is; its event has its name, kind and `data`."""
    require_role(actor, PLAN_ROLES)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    _refuse_a_taken_name(session, model, what, details.name)
    record = model(**vars(details), created_at=now)
    session.add(record)
    session.flush()
    events.record(session, actor, action, what, record.id, now=now,
                  data={"name": details.name, "kind": details.kind, **data})
    return record


def _update_named(session: Session, actor: Actor, record, what: str, seen_version: int, details, action: str,
                  now: datetime | None) -> dict:
    """Set a partner's or venue's details as the user saw it at `seen_version`; returns {field: [old, new]}
    (nothing changed: no event)."""
    require_role(actor, PLAN_ROLES)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    _refuse_a_taken_name(session, type(record), what, details.name, other_than=record.id)
    if seen_version != record.version:
        raise StaleRecord(f"This {what} changed since you opened it.")
    changes = {key: [getattr(record, key), value] for key, value in vars(details).items()
               if getattr(record, key) != value}
    for key, (_old, value) in changes.items():
        setattr(record, key, value)
    locking.flush(session, what)
    if changes:
        events.record(session, actor, action, what, record.id, now=now, data={"name": record.name, "changes": changes})
    return changes


@dataclass(frozen=True)
class VenueDetails:
    name: str
    kind: str
    postcode: str | None
    partner_id: int | None


def parse_venue(session: Session, raw: dict) -> VenueDetails:
    errors = v.FieldErrors()
    partners = {str(pid) for pid in session.scalars(select(Partner.id).where(Partner.active))}
    partner_id = v.choice(errors, raw, "partner_id", "the partner", partners, required=False)
    details = VenueDetails(name=v.text(errors, raw, "name", "the venue's name", 160),
                           kind=v.choice(errors, raw, "kind", "the kind of venue", VENUE_KINDS),
                           postcode=v.postcode(errors, raw), partner_id=int(partner_id) if partner_id else None)
    if errors:
        raise InvalidInput(errors)
    return details


def add_venue(session: Session, actor: Actor, details: VenueDetails, now: datetime | None = None) -> Venue:
    return _add_named(session, actor, Venue, "venue", details, actions.VENUE_ADDED, now, partner_id=details.partner_id)


def update_venue(session: Session, actor: Actor, venue: Venue, seen_version: int, details: VenueDetails,
                 now: datetime | None = None) -> dict:
    """Correct a venue's details; returns {field: [old, new]} (nothing changed: no event)."""
    return _update_named(session, actor, venue, "venue", seen_version, details, actions.VENUE_UPDATED, now)


@dataclass(frozen=True)
class SessionPlan:
    venue_id: int
    starts_at: datetime
    ends_at: datetime
    clinician_ids: tuple[int, ...]
    partner_staff: str | None


def parse_session_plan(session: Session, raw: dict, clinician_ids: list[str]) -> SessionPlan:
    """A session at a current venue, its start and end as London wall-clock times, and one or more clinicians."""
    errors = v.FieldErrors()
    venues = {str(vid) for vid in session.scalars(select(Venue.id).where(Venue.active))}
    venue = v.choice(errors, raw, "venue_id", "the venue", venues)
    starts_at = _local_time(errors, raw, "starts_at", "the start")
    ends_at = _local_time(errors, raw, "ends_at", "the end")
    if starts_at and ends_at and ends_at <= starts_at:
        errors.add("ends_at", "The end must be after the start")
    allowed = {str(uid) for uid in session.scalars(select(User.id).where(
        User.role.in_(OUTREACH_CLINICIANS), User.active))}
    chosen = sorted({cid for cid in clinician_ids if cid})
    if not chosen:
        errors.add("clinician_ids", "Select at least one clinician")
    elif not set(chosen) <= allowed:
        errors.add("clinician_ids", "Select clinicians from the list")
    partner_staff = v.text(errors, raw, "partner_staff", "the partner's staff", 1000, required=False,
                           multiline=True)
    if errors:
        raise InvalidInput(errors)
    return SessionPlan(int(venue), starts_at, ends_at, tuple(int(cid) for cid in chosen), partner_staff)


def plan_session(session: Session, actor: Actor, plan: SessionPlan, now: datetime | None = None) -> OutreachSession:
    require_role(actor, PLAN_ROLES)
    now = now or datetime.now(UTC)
    planned = OutreachSession(venue_id=plan.venue_id, starts_at=plan.starts_at, ends_at=plan.ends_at,
                              partner_staff=plan.partner_staff, planned_by=actor.user_id, planned_at=now,
                              clinicians=list(session.scalars(select(User).where(User.id.in_(plan.clinician_ids)))))
    session.add(planned)
    session.flush()
    events.record(session, actor, actions.OUTREACH_SESSION_PLANNED, "outreach_session", planned.id, now=now,
                  data={"venue_id": plan.venue_id, "starts_at": plan.starts_at, "ends_at": plan.ends_at,
                        "clinician_ids": list(plan.clinician_ids), "partner_staff": plan.partner_staff})
    return planned


def cancel_session(session: Session, actor: Actor, planned: OutreachSession, seen_version: int, reason: str,
                   now: datetime | None = None) -> None:
    """Cancel a session that has not ended and from which no minimum record came, with the reason its clinicians
    read."""
    require_role(actor, PLAN_ROLES)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    errors = v.FieldErrors()
    reason = v.text(errors, {"cancel_reason": reason}, "cancel_reason", "why the session is cancelled", 1000,
                    multiline=True)
    if errors:
        raise InvalidInput(errors)
    if planned.status != "planned":
        raise TransitionNotAllowed("This session is already cancelled.")
    if planned.ends_at <= now or session.scalar(select(OutreachRecord.id).where(
            OutreachRecord.session_id == planned.id).limit(1)):
        raise TransitionNotAllowed("This session has taken place, so it cannot be cancelled.")
    if seen_version != planned.version:
        raise StaleRecord("This session changed since you opened it.")
    planned.status, planned.cancelled_by, planned.cancelled_at, planned.cancel_reason = (
        "cancelled", actor.user_id, now, reason)
    locking.flush(session, "outreach session")
    events.record(session, actor, actions.OUTREACH_SESSION_CANCELLED, "outreach_session", planned.id, now=now,
                  data={"venue_id": planned.venue_id, "starts_at": planned.starts_at, "reason": reason})


def partners(session: Session) -> list[Partner]:
    """Every partner, by name: a service works with tens, not thousands."""
    return list(session.scalars(select(Partner).order_by(Partner.name)))


def venues(session: Session) -> list[Venue]:
    return list(session.scalars(select(Venue).order_by(Venue.name)))


def active_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).where(Partner.active).order_by(Partner.name)))


def active_venues(session: Session) -> list[Venue]:
    return list(session.scalars(select(Venue).where(Venue.active).order_by(Venue.name)))


def outreach_clinicians(session: Session) -> list[User]:
    """The active clinicians and seniors a session may name."""
    return list(session.scalars(select(User).where(User.role.in_(OUTREACH_CLINICIANS), User.active)
                                .order_by(User.display_name, User.id)))


def upcoming_sessions(session: Session, now: datetime, page: int, per_page: int = 25) -> listing.Page:
    """Sessions not yet ended, soonest first, a page at a time (reads ix_outreach_sessions_starts_at)."""
    found = listing.page_of(session, select(OutreachSession).where(OutreachSession.ends_at > now)
                            .order_by(OutreachSession.starts_at, OutreachSession.id), page, per_page)
    return listing.Page([s for (s,) in found.rows], found.total, found.page, found.pages)


def recent_sessions(session: Session, now: datetime, limit: int = 100) -> list[OutreachSession]:
    """Sessions ended within RECENT, latest first."""
    return list(session.scalars(select(OutreachSession).where(
        OutreachSession.ends_at <= now, OutreachSession.starts_at >= now - RECENT)
        .order_by(OutreachSession.starts_at.desc(), OutreachSession.id.desc()).limit(limit)))


@dataclass(frozen=True)
class ClinicianSessions:
    #: sessions ending today or later (cancelled ones too, so the clinician knows), soonest first
    upcoming: list[OutreachSession]
    #: sessions ended within RECENT, latest first
    recent: list[OutreachSession]


def clinician_sessions(session: Session, user_id: int, now: datetime) -> ClinicianSessions:
    """The sessions a clinician is named on: today's and upcoming first, then recent ones."""
    named = select(OutreachSession).join(session_clinicians).where(session_clinicians.c.user_id == user_id)
    day_starts = datetime.combine(now.astimezone(v.LONDON).date(), datetime.min.time(), v.LONDON).astimezone(UTC)
    upcoming = session.scalars(named.where(OutreachSession.ends_at > day_starts)
                               .order_by(OutreachSession.starts_at, OutreachSession.id))
    recent = session.scalars(named.where(OutreachSession.ends_at <= day_starts,
                                         OutreachSession.starts_at >= now - RECENT)
                             .order_by(OutreachSession.starts_at.desc(), OutreachSession.id.desc()))
    return ClinicianSessions(list(upcoming), list(recent))


def is_named_on_any(session: Session, user_id: int) -> bool:
    """Whether the user is named on any session: the navigation offers their sessions page then."""
    return session.scalar(select(session_clinicians.c.session_id).where(
        session_clinicians.c.user_id == user_id).limit(1)) is not None


def is_named_on(session: Session, outreach_session_id: int, user_id: int | None) -> bool:
    return user_id is not None and session.scalar(select(session_clinicians.c.user_id).where(
        session_clinicians.c.session_id == outreach_session_id, session_clinicians.c.user_id == user_id)) is not None


def sessions_for_clinician(session: Session, user_id: int, since: datetime) -> list[OutreachSession]:
    """A clinician's planned sessions ending after `since`, soonest first."""
    return list(session.scalars(
        select(OutreachSession).join(session_clinicians)
        .where(session_clinicians.c.user_id == user_id, OutreachSession.status == "planned",
               OutreachSession.ends_at > since)
        .order_by(OutreachSession.starts_at)))


def _local_time(errors: v.FieldErrors, raw: dict, field: str, label: str) -> datetime | None:
    value = (raw.get(field) or "").strip()
    if not value:
        errors.add(field, f"Enter {label}")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors.add(field, f"{label[0].upper()}{label[1:]} must be a real date and time")
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=v.LONDON)).astimezone(UTC)
