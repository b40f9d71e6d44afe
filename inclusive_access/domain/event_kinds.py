"""The kinds of work a record's events belong to: the groups a referral's or patient's timeline is filtered by."""
from inclusive_access.domain import audit_findings, events

#: kind -> (what staff call it, the actions of that kind). Every action a record's timeline shows has one kind;
#: views belong to the access log (audit pages), accounts, the log and governance name no patient.
KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "referral": ("Referral and patient details", frozenset({
        events.REFERRAL_RECEIVED, events.REFERRAL_RE_REFERRED, events.PATIENT_REGISTERED, events.PATIENT_UPDATED})),
    "triage": ("Triage and clarification", frozenset({
        events.TRIAGE_SCRIPT_RECORDED, events.TRIAGE_ACCEPTED, events.TRIAGE_ESCALATED, events.TRIAGE_REJECTED,
        events.TRIAGE_REJECTION_PROPOSED, events.REJECTION_UPHELD, events.REJECTION_OVERTURNED,
        events.CLARIFICATION_REQUESTED, events.CLARIFICATION_ATTEMPTED, events.CLARIFICATION_ANSWERED,
        events.CLARIFICATION_CLOSED, events.CLARIFICATION_ESCALATED})),
    "appointments": ("Appointments", frozenset({
        events.APPOINTMENT_BOOKED, events.APPOINTMENT_REBOOKED, events.APPOINTMENT_CANCELLED,
        events.APPOINTMENT_ATTENDED, events.APPOINTMENT_LATE_NOT_SEEN, events.APPOINTMENT_DNA,
        events.FIRST_CONTACT})),
    "barrier_checks": ("Barrier checks", frozenset({
        events.BARRIER_CHECK_OPENED, events.BARRIER_CHECK_UPDATED, events.BARRIER_CHECK_ATTEMPTED,
        events.BARRIER_CHECK_COMPLETED, events.BARRIER_CHECK_OVERRIDDEN})),
    "adjustments": ("Adjustments", frozenset({
        events.ADJUSTMENT_RECORDED, events.ADJUSTMENT_UPDATED, events.ADJUSTMENT_ENDED,
        events.ADJUSTMENT_DELIVERY_RECORDED})),
    "safeguarding": ("Safeguarding", frozenset({
        events.SAFEGUARDING_RAISED, events.SAFEGUARDING_ROUTED, events.SAFEGUARDING_ACTION_RECORDED,
        events.SAFEGUARDING_CLOSED})),
    "discharge": ("Senior review and discharge", frozenset({
        events.SENIOR_REVIEW_FLAGGED, events.DISCHARGE_REQUESTED, events.REFERRAL_DISCHARGED,
        events.ENGAGEMENT_CONTINUED})),
    "audit": ("Audit findings", frozenset({audit_findings.FINDING_RECORDED})),
}
#: action -> its kind
KIND_OF = {action: kind for kind, (_label, actions) in KINDS.items() for action in actions}
