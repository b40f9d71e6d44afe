"""Referral and appointment states with one transition table each: (state, action) -> next state, roles."""
from enum import StrEnum

from inclusive_access.domain.access import BOOKING_WORK, CLINICAL_JUDGEMENT, SENIOR_JUDGEMENT
from inclusive_access.domain.errors import NotPermitted, TransitionNotAllowed


class ReferralState(StrEnum):
    RECEIVED = "received"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    ACCEPTED = "accepted"
    IN_TREATMENT = "in_treatment"
    REJECTION_REVIEW = "rejection_review"
    REJECTED = "rejected"
    NEEDS_SENIOR_REVIEW = "needs_senior_review"
    DISCHARGE_REVIEW = "discharge_review"
    DISCHARGED = "discharged"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    ATTENDED = "attended"
    ATTENDED_LATE = "attended_late"
    LATE_NOT_SEEN = "late_not_seen"
    DNA = "dna"
    CANCELLED_PATIENT = "cancelled_patient"
    CANCELLED_SERVICE = "cancelled_service"


S = ReferralState

#: (state, action) -> (next state, roles allowed)
REFERRAL_TRANSITIONS: dict[tuple[ReferralState, str], tuple[ReferralState, frozenset[str]]] = {
    (S.RECEIVED, "accept"): (S.ACCEPTED, BOOKING_WORK),
    (S.RECEIVED, "request_clarification"): (S.AWAITING_CLARIFICATION, BOOKING_WORK),
    (S.RECEIVED, "escalate"): (S.RECEIVED, BOOKING_WORK),
    (S.RECEIVED, "correct_flags"): (S.RECEIVED, BOOKING_WORK),
    (S.RECEIVED, "reject"): (S.REJECTED, CLINICAL_JUDGEMENT),
    # A flagged referral is never rejected on one person's say: it waits for a senior.
    (S.RECEIVED, "reject_flagged"): (S.REJECTION_REVIEW, CLINICAL_JUDGEMENT),
    (S.AWAITING_CLARIFICATION, "clarification_closed"): (S.RECEIVED, BOOKING_WORK),
    (S.REJECTION_REVIEW, "uphold_rejection"): (S.REJECTED, SENIOR_JUDGEMENT),
    (S.REJECTION_REVIEW, "overturn_rejection"): (S.RECEIVED, SENIOR_JUDGEMENT),
    (S.ACCEPTED, "book"): (S.ACCEPTED, BOOKING_WORK),
    (S.ACCEPTED, "first_contact"): (S.IN_TREATMENT, BOOKING_WORK),
    (S.IN_TREATMENT, "book"): (S.IN_TREATMENT, BOOKING_WORK),
    (S.ACCEPTED, "request_discharge"): (S.DISCHARGE_REVIEW, CLINICAL_JUDGEMENT),
    (S.IN_TREATMENT, "request_discharge"): (S.DISCHARGE_REVIEW, CLINICAL_JUDGEMENT),
    # Every discharge is a senior's decision at review: on a request, or from the senior review list.
    (S.DISCHARGE_REVIEW, "approve_discharge"): (S.DISCHARGED, SENIOR_JUDGEMENT),
    (S.ACCEPTED, "discharge_after_review"): (S.DISCHARGED, SENIOR_JUDGEMENT),
    (S.IN_TREATMENT, "discharge_after_review"): (S.DISCHARGED, SENIOR_JUDGEMENT),
    (S.DISCHARGE_REVIEW, "resume_treatment"): (S.IN_TREATMENT, SENIOR_JUDGEMENT),
    (S.DISCHARGE_REVIEW, "resume_booking"): (S.ACCEPTED, SENIOR_JUDGEMENT),
    (S.DISCHARGE_REVIEW, "return_to_triage"): (S.RECEIVED, SENIOR_JUDGEMENT),
    (S.ACCEPTED, "return_to_triage"): (S.RECEIVED, SENIOR_JUDGEMENT),
    (S.ACCEPTED, "continue_engagement"): (S.ACCEPTED, SENIOR_JUDGEMENT),
    (S.IN_TREATMENT, "continue_engagement"): (S.IN_TREATMENT, SENIOR_JUDGEMENT),
}
#: states in which a referral is still open: safeguarding concerns may be raised on it
ACTIVE_STATES = frozenset(set(ReferralState) - {S.REJECTED, S.DISCHARGED})
#: states from which a new referral may be made that links back (the old one stays read-only)
CLOSED_STATES = frozenset({S.REJECTED, S.DISCHARGED})

#: appointment status -> statuses an outcome may move it to
APPOINTMENT_OUTCOMES = {
    AppointmentStatus.BOOKED: frozenset(AppointmentStatus) - {AppointmentStatus.BOOKED},
}


def next_state(state: str, action: str, role: str | None) -> ReferralState:
    """The state after `action`, or TransitionNotAllowed / NotPermitted."""
    entry = REFERRAL_TRANSITIONS.get((ReferralState(state), action))
    if entry is None:
        raise TransitionNotAllowed(
            f"'{action.replace('_', ' ')}' is not possible while the referral is {state.replace('_', ' ')}.")
    target, roles = entry
    if role not in roles:
        raise NotPermitted(f"The {role or 'system'} role may not {action.replace('_', ' ')} a referral.")
    return target


def allowed_actions(state: str, role: str | None) -> set[str]:
    """What the UI may offer this role for a referral in this state."""
    return {action for (s, action), (_t, roles) in REFERRAL_TRANSITIONS.items() if s == state and role in roles}
