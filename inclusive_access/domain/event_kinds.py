"""The kinds of work a record's events belong to: the groups a referral's or patient's timeline is filtered by."""
from inclusive_access.domain import actions

#: kind -> (what staff call it, the actions of that kind). Every action a record's timeline shows has one kind;
#: views belong to the access log (audit pages), accounts, the log and governance name no patient.
KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "referral": ("Referral and patient details", frozenset({
        actions.REFERRAL_RECEIVED, actions.REFERRAL_RE_REFERRED, actions.PATIENT_REGISTERED, actions.PATIENT_UPDATED,
        actions.PATIENT_IDENTITY_VERIFIED, actions.PATIENT_CONTACT_DETAILS_RECORDED})),
    "triage": ("Triage and clarification", frozenset({
        actions.TRIAGE_SCRIPT_RECORDED, actions.TRIAGE_ACCEPTED, actions.TRIAGE_ESCALATED,
        actions.TRIAGE_FLAGS_CORRECTED, actions.TRIAGE_REJECTED,
        actions.TRIAGE_REJECTION_PROPOSED, actions.REJECTION_UPHELD, actions.REJECTION_OVERTURNED,
        actions.CLARIFICATION_REQUESTED, actions.CLARIFICATION_ATTEMPTED, actions.CLARIFICATION_ANSWERED,
        actions.CLARIFICATION_CLOSED, actions.CLARIFICATION_ESCALATED})),
    "appointments": ("Appointments", frozenset({
        actions.APPOINTMENT_BOOKED, actions.APPOINTMENT_REBOOKED, actions.APPOINTMENT_CANCELLED,
        actions.APPOINTMENT_ATTENDED, actions.APPOINTMENT_LATE_NOT_SEEN, actions.APPOINTMENT_DNA,
        actions.FIRST_CONTACT})),
    "barrier_checks": ("Barrier checks", frozenset({
        actions.BARRIER_CHECK_OPENED, actions.BARRIER_CHECK_UPDATED, actions.BARRIER_CHECK_ATTEMPTED,
        actions.BARRIER_CHECK_COMPLETED, actions.BARRIER_CHECK_OVERRIDDEN})),
    "adjustments": ("Adjustments", frozenset({
        actions.ADJUSTMENT_RECORDED, actions.ADJUSTMENT_UPDATED, actions.ADJUSTMENT_ENDED,
        actions.ADJUSTMENT_DELIVERY_RECORDED})),
    "safeguarding": ("Safeguarding", frozenset({
        actions.SAFEGUARDING_RAISED, actions.SAFEGUARDING_ROUTED, actions.SAFEGUARDING_ACTION_RECORDED,
        actions.SAFEGUARDING_CLOSED})),
    "urgent_contacts": ("Crisis and urgent contacts", frozenset({actions.URGENT_CONTACT_RECORDED})),
    "questionnaires": ("Questionnaires", frozenset({actions.QUESTIONNAIRE_COMPLETED,
                                                    actions.QUESTIONNAIRE_LINK_ISSUED})),
    "outreach": ("Outreach and engagement plans", frozenset({
        actions.OUTREACH_RECORD_LINKED, actions.OUTREACH_LINK_UNDONE, actions.OUTREACH_FOLLOW_UP_CHECKED,
        actions.ENGAGEMENT_PLAN_AGREED, actions.ENGAGEMENT_STEP_DONE})),
    "messages": ("Messages, letters and contact problems", frozenset({
        actions.MESSAGE_SENT, actions.MESSAGE_FAILED, actions.MESSAGE_DELIVERED, actions.MESSAGE_DELIVERY_FAILED,
        actions.CONTACT_TASK_OPENED, actions.CONTACT_TASK_CLOSED})),
    "discharge": ("Senior review and discharge", frozenset({
        actions.SENIOR_REVIEW_FLAGGED, actions.DISCHARGE_REQUESTED, actions.REFERRAL_DISCHARGED,
        actions.ENGAGEMENT_CONTINUED})),
    "audit": ("Audit findings", frozenset({actions.FINDING_RECORDED})),
}
#: action -> its kind
KIND_OF = {action: kind for kind, (_label, of_kind) in KINDS.items() for action in of_kind}
