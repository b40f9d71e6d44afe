"""The safeguarding route: a concern raised on an active referral, its multi-agency route and actions, and
closure by a senior. An open concern shows on the patient banner and blocks discharge."""
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, locking, states, submissions
from inclusive_access.domain.access import CLINICAL_JUDGEMENT, SENIOR_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.pathway_delays import DelayLink
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Patient, Referral, SafeguardingAction, SafeguardingConcern

CATEGORIES = {"lost_contact": "Lost contact", "exploitation_risk": "Risk of exploitation",
              "self_neglect": "Self-neglect", "domestic_abuse": "Domestic abuse", "other": "Other"}
RAISE_ROLES = CLINICAL_JUDGEMENT
CLOSE_ROLES = SENIOR_JUDGEMENT


@dataclass(frozen=True)
class ConcernDetails:
    category: str
    concern: str
    #: asked when a concern is raised on its own; the routes that raise one from another decision do not ask
    delay: DelayLink = DelayLink()

    def errors(self) -> dict[str, str]:
        found = {}
        if self.category not in CATEGORIES:
            found["category"] = "Select the kind of concern"
        if not (self.concern or "").strip():
            found["concern"] = "Describe the concern"
        return {**found, **self.delay.errors()}


def raise_concern(session: Session, actor: Actor, referral: Referral, details: ConcernDetails,
                  review_id: int | None = None, submission_token: str | None = None,
                  now: datetime | None = None) -> SafeguardingConcern:
    """Any clinician raises a concern on an active referral (or a senior, choosing the route at review)."""
    require_role(actor, RAISE_ROLES)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, SafeguardingConcern, submission_token)
    if referral.state not in states.ACTIVE_STATES:
        raise TransitionNotAllowed(f"Safeguarding concerns are raised on an active referral; this one is "
                                   f"{referral.state.replace('_', ' ')}.")
    if errors := details.errors():
        raise InvalidInput(errors)
    concern = SafeguardingConcern(patient_id=referral.patient_id, referral_id=referral.id, review_id=review_id,
                                  category=details.category, concern=details.concern,
                                  followed_delay=details.delay.answer, delay_detail=details.delay.stored_detail,
                                  raised_by=actor.user_id, raised_role=actor.role, raised_at=now, status="open",
                                  submission_token=submission_token)
    session.add(concern)
    session.flush()
    session.expire(session.get(Patient, referral.patient_id), ["open_concerns"])
    events.record(session, actor, actions.SAFEGUARDING_RAISED, "safeguarding_concern", concern.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"category": details.category, "concern": details.concern, "review_id": review_id,
                        **details.delay.data()})
    return concern


def _change(session: Session, actor: Actor, roles, concern: SafeguardingConcern, seen_version: int,
            now: datetime | None) -> datetime:
    """Before a change to a concern: the actor's role, the log locked, the concern open and as the user saw it;
    the time of the change."""
    require_role(actor, roles)
    events.lock_log(session)
    if concern.status != "open":
        raise TransitionNotAllowed("This concern is closed.")
    if seen_version != concern.version:
        raise StaleRecord("This safeguarding concern changed since you opened it.")
    return now or datetime.now(UTC)


def route_concern(session: Session, actor: Actor, concern: SafeguardingConcern, seen_version: int, routed_to: str,
                  routed_on: date | None, reference: str | None, now: datetime | None = None) -> None:
    """Record the referral to multi-agency review: to whom, when, and their reference."""
    now = _change(session, actor, RAISE_ROLES, concern, seen_version, now)
    errors = {}
    if not routed_to:
        errors["routed_to"] = "Enter whom the concern was referred to"
    if routed_on is None:
        errors["routed_on"] = "Enter the date it was referred"
    elif routed_on > now.astimezone(LONDON).date():
        errors["routed_on"] = "The date it was referred must be today or in the past"
    if errors:
        raise InvalidInput(errors)
    concern.routed_to, concern.routed_on, concern.route_reference = routed_to, routed_on, reference
    locking.flush(session, "safeguarding concern")
    events.record(session, actor, actions.SAFEGUARDING_ROUTED, "safeguarding_concern", concern.id,
                  patient_id=concern.patient_id, referral_id=concern.referral_id, now=now,
                  data={"routed_to": routed_to, "routed_on": routed_on, "reference": reference})


def record_action(session: Session, actor: Actor, concern: SafeguardingConcern, action: str,
                  submission_token: str | None = None, now: datetime | None = None) -> SafeguardingAction:
    """Append an action taken on an open concern (actions are never edited)."""
    require_role(actor, RAISE_ROLES)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, SafeguardingAction, submission_token)
    if concern.status != "open":
        raise TransitionNotAllowed("This concern is closed.")
    if not action:
        raise InvalidInput({"action": "Describe the action taken"})
    row = SafeguardingAction(concern_id=concern.id, action=action, recorded_by=actor.user_id, recorded_at=now,
                             submission_token=submission_token)
    session.add(row)
    session.flush()
    session.refresh(concern, ["actions"])
    events.record(session, actor, actions.SAFEGUARDING_ACTION_RECORDED, "safeguarding_concern", concern.id,
                  patient_id=concern.patient_id, referral_id=concern.referral_id, now=now, data={"action": action})
    return row


def close_concern(session: Session, actor: Actor, concern: SafeguardingConcern, seen_version: int, outcome: str,
                  summary: str, now: datetime | None = None) -> None:
    """Only a senior closes a concern, with its outcome and a summary."""
    now = _change(session, actor, CLOSE_ROLES, concern, seen_version, now)
    errors = {}
    if not outcome:
        errors["outcome"] = "Record the outcome of the safeguarding route"
    if not summary:
        errors["summary"] = "Write the closing summary"
    if errors:
        raise InvalidInput(errors)
    concern.outcome, concern.closure_summary = outcome, summary
    concern.status, concern.closed_by, concern.closed_at = "closed", actor.user_id, now
    locking.flush(session, "safeguarding concern")
    session.expire(session.get(Patient, concern.patient_id), ["open_concerns"])
    events.record(session, actor, actions.SAFEGUARDING_CLOSED, "safeguarding_concern", concern.id,
                  patient_id=concern.patient_id, referral_id=concern.referral_id, now=now,
                  data={"outcome": outcome, "summary": summary})


def open_concerns(session: Session, limit: int = 200) -> list[SafeguardingConcern]:
    """Open concerns, oldest first (reads ix_safeguarding_status_raised)."""
    return list(session.scalars(select(SafeguardingConcern).where(SafeguardingConcern.status == "open")
                                .order_by(SafeguardingConcern.raised_at, SafeguardingConcern.id).limit(limit)))


def concerns_for_patient(session: Session, patient_id: int) -> list[SafeguardingConcern]:
    return list(session.scalars(select(SafeguardingConcern).where(SafeguardingConcern.patient_id == patient_id)
                                .order_by(SafeguardingConcern.raised_at)))


def concerns_for_referral(session: Session, referral_id: int) -> list[SafeguardingConcern]:
    return list(session.scalars(select(SafeguardingConcern).where(SafeguardingConcern.referral_id == referral_id)
                                .order_by(SafeguardingConcern.raised_at)))
