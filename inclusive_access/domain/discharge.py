"""Senior review before discharge: requests, the senior's decision (four eyes), and what blocks a discharge.

No one leaves the pathway because a standard process did not fit them (DOMAIN.md "Missed appointments"):
every discharge is a senior's decision at review, with a rationale; never while a barrier check is open,
and never past an open safeguarding concern unless the senior records why discharge is still safe.
"""
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, dna, events, referral_flow, reviews, safeguarding, states
from inclusive_access.domain.access import CLINICAL_JUDGEMENT, SENIOR_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, TransitionNotAllowed
from inclusive_access.models import Appointment, BarrierCheck, BarrierContactAttempt, Patient, Referral, SeniorReview

REASONS = {"treatment_complete": "Treatment complete", "patient_choice": "Patient's choice",
           "moved_away": "Moved out of the area", "non_attendance": "Non-attendance", "other": "Other"}
DECISIONS = {"approved": "Approve", "continue": "Continue engagement", "safeguarding": "Safeguarding route"}
#: unreached contact attempts since the last contact that prompt the safeguarding route (lost contact)
LOST_CONTACT_ATTEMPTS = 3


def request_discharge(session: Session, actor: Actor, referral: Referral, seen_version: int, reason: str,
                      reason_text: str, submission_token: str | None = None,
                      now: datetime | None = None) -> SeniorReview:
    """A clinician or senior asks for discharge; the referral waits in discharge_review for another senior.

    A request for non-attendance can't be made while a barrier check is open: the graded response comes first.
    """
    require_role(actor, CLINICAL_JUDGEMENT)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    reviews.check_token(session, submission_token)
    referral_flow.check_version(session, referral, seen_version)
    states.next_state(referral.state, "request_discharge", actor.role)
    errors = {}
    if reason not in REASONS:
        errors["reason"] = "Select the reason for discharge"
    if not reason_text:
        errors["reason_text"] = "Explain why the referral should be discharged"
    if reason == "non_attendance" and dna.open_check_for(session, referral.id) is not None:
        errors["reason"] = "Complete the barrier check for the missed appointment before asking for discharge"
    if _booked(session, referral.id):
        errors["reason"] = "Cancel or record the outcome of the booked appointments first"
    if errors:
        raise InvalidInput(errors)
    review = reviews.open_review(session, actor, referral, "discharge", reason, reason_text, now, submission_token)
    referral_flow.transition(session, actor, referral, "request_discharge", actions.DISCHARGE_REQUESTED, now=now,
                             entity=("senior_review", review.id),
                             data={"reason": reason, "reason_text": reason_text, "dna_count": review.dna_count,
                                   "summary": f"Discharge requested: {REASONS[reason]}"})
    return review


@dataclass(frozen=True)
class Decision:
    """What the senior decided at review, as the form sends it."""

    decision: str
    rationale: str
    plan: str | None = None
    #: continue (or safeguarding) by returning the referral to triage rather than to treatment
    return_to_triage: bool = False
    concern: safeguarding.ConcernDetails | None = None
    safe_despite_concern: str | None = None

    def errors(self) -> dict[str, str]:
        found = {}
        if self.decision not in DECISIONS:
            found["decision"] = "Select the decision"
        if not (self.rationale or "").strip():
            found["rationale"] = "Record the rationale for the decision"
        if self.decision == "continue" and not (self.plan or "").strip():
            found["plan"] = "Record the plan for continuing engagement"
        if self.decision == "safeguarding":
            found.update((self.concern or safeguarding.ConcernDetails("", "")).errors())
        return found


def decide_review(session: Session, actor: Actor, review: SeniorReview, seen_version: int, decision: Decision,
                  now: datetime | None = None) -> None:
    """A senior decides a review: approve (discharge, or uphold the rejection), continue engagement with a plan,
    or the safeguarding route (a concern is raised and engagement continues). A rationale is always required."""
    require_role(actor, SENIOR_JUDGEMENT)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    referral = review.referral
    referral_flow.check_version(session, referral, seen_version)
    if review.decided_at is not None:
        raise TransitionNotAllowed("This review has already been decided.")
    if errors := decision.errors():
        raise InvalidInput(errors)
    if decision.decision != "approved" and decision.return_to_triage and referral.first_contact_at is not None:
        raise InvalidInput({"return_to_triage": "This referral has had its first contact: continue treatment"})
    reviews.check_four_eyes(actor, review, decision.decision)
    data = {"review_id": review.id, "kind": review.kind, "decision": decision.decision,
            "rationale": decision.rationale, "plan": decision.plan}
    if decision.decision == "approved":
        _approve(session, actor, review, referral, decision, data, now)
    else:
        if decision.decision == "safeguarding":
            data["concern_id"] = safeguarding.raise_concern(session, actor, referral, decision.concern,
                                                            review_id=review.id, now=now).id
        _continue(session, actor, review, referral, decision, data, now)
    if review.kind == "attendance":
        referral.senior_review_reason = referral.senior_review_flagged_at = None
    reviews.close_review(session, actor, review, decision.decision, decision.rationale, decision.plan,
                         decision.safe_despite_concern if decision.decision == "approved" else None, now)


def _approve(session: Session, actor: Actor, review: SeniorReview, referral: Referral, decision: Decision,
             data: dict, now: datetime) -> None:
    if review.kind == "rejection":
        referral_flow.transition(session, actor, referral, "uphold_rejection", actions.REJECTION_UPHELD, now=now,
                                 data={**data, "summary": "Rejection upheld by a senior"})
        return
    blocks = discharge_blocks(session, referral)
    if blocks.get("safe_despite_concern") and decision.safe_despite_concern:
        del blocks["safe_despite_concern"]
    if blocks:
        raise InvalidInput(blocks)
    reason = "non_attendance" if review.kind == "attendance" else review.reason
    referral.discharged_at, referral.discharge_reason = now, reason
    in_review = referral.state == states.ReferralState.DISCHARGE_REVIEW
    action = "approve_discharge" if in_review else "discharge_after_review"
    referral_flow.transition(session, actor, referral, action, actions.REFERRAL_DISCHARGED, now=now,
                             data={**data, "reason": reason, "safe_despite_concern": decision.safe_despite_concern,
                                   "summary": f"Discharged: {REASONS[reason]}"})


def _continue(session: Session, actor: Actor, review: SeniorReview, referral: Referral, decision: Decision,
              data: dict, now: datetime) -> None:
    if review.kind == "rejection":
        # Back to triage afresh: the proposed rejection stays in the event log, not on the referral.
        _to_top_of_triage(referral, now)
        referral.rejection_code = referral.rejection_text = None
        referral_flow.transition(session, actor, referral, "overturn_rejection", actions.REJECTION_OVERTURNED,
                                 now=now, data={**data, "summary": "Returned to triage by a senior"})
        return
    if decision.return_to_triage:
        _to_top_of_triage(referral, now)
        action = "return_to_triage"
    elif referral.state == states.ReferralState.DISCHARGE_REVIEW:
        action = "resume_treatment" if referral.first_contact_at else "resume_booking"
    else:
        action = "continue_engagement"
    referral_flow.transition(session, actor, referral, action, actions.ENGAGEMENT_CONTINUED, now=now,
                             data={**data, "summary": "Engagement continues after senior review"})


def _to_top_of_triage(referral: Referral, now: datetime) -> None:
    referral.triage_priority, referral.triage_due_at, referral.triaged_at = 0, now, None


def _booked(session: Session, referral_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.referral_id == referral_id, Appointment.status == states.AppointmentStatus.BOOKED))


def discharge_blocks(session: Session, referral: Referral) -> dict[str, str]:
    """What stops a discharge now, by the form field that answers it (empty when nothing does)."""
    blocks = {}
    if dna.open_check_for(session, referral.id) is not None:
        blocks["decision"] = "A barrier check is still open: complete it before discharge"
    elif _booked(session, referral.id):
        blocks["decision"] = "Cancel or record the outcome of the booked appointments before discharge"
    if session.get(Patient, referral.patient_id).open_concerns:
        blocks["safe_despite_concern"] = ("A safeguarding concern is open: close it first, or record why "
                                          "discharge is still safe")
    return blocks


def unreached_since_last_contact(session: Session, referral: Referral) -> int:
    """Contact attempts that did not reach the patient since they were last seen or reached (lost contact)."""
    last_seen = session.scalar(select(func.max(Appointment.starts_at)).where(
        Appointment.referral_id == referral.id,
        Appointment.status.in_((states.AppointmentStatus.ATTENDED, states.AppointmentStatus.ATTENDED_LATE))))
    on_referral = BarrierCheck.referral_id == referral.id
    last_reached = session.scalar(select(func.max(BarrierContactAttempt.attempted_at)).join(BarrierCheck)
                                  .where(on_referral, BarrierContactAttempt.reached.is_(True)))
    since = max((t for t in (last_seen, last_reached) if t is not None), default=None)
    unreached = (select(func.count()).select_from(BarrierContactAttempt).join(BarrierCheck)
                 .where(on_referral, BarrierContactAttempt.reached.is_(False)))
    if since is not None:
        unreached = unreached.where(BarrierContactAttempt.attempted_at > since)
    return session.scalar(unreached)


def is_lost_contact(unreached: int) -> bool:
    """Not reached after three attempts since the last contact: the review prompts the safeguarding route."""
    return unreached >= LOST_CONTACT_ATTEMPTS


def lost_contact(session: Session, referral: Referral) -> bool:
    return is_lost_contact(unreached_since_last_contact(session, referral))
