"""What each role may read of each event's data: one table, applied to every timeline before a page shows it."""
import json
from dataclasses import dataclass, fields
from datetime import datetime

from inclusive_access.domain import actions, import_jobs, intake, later
from inclusive_access.domain.access import AUDIT_WORK, CARE_TEAM, CLINICAL_READ, EVERYONE, OVERSIGHT, REPORT_READERS
from inclusive_access.models import Event

#: what every state transition carries (referral_flow.transition)
_TRANSITION = {"from": EVERYONE, "to": EVERYONE, "version": EVERYONE, "summary": EVERYONE}
#: a senior's decision at review (discharge.decide_review): the decision is a code, its reasons are clinical
_DECISION = {**_TRANSITION, "review_id": EVERYONE, "kind": EVERYONE, "decision": EVERYONE, "concern_id": EVERYONE,
             "rationale": CLINICAL_READ, "plan": CLINICAL_READ}
_REFERRAL = {f.name: EVERYONE for f in fields(intake.ReferralDetails)}
_PATIENT = {f.name: EVERYONE for f in fields(intake.PatientDetails)}
_OUTREACH_CODES = {key: EVERYONE for key in (
    "kind", "session_id", "client_key", "seen_at", "name_is_alias", "consent_to_share", "shared_with_partner_ids",
    "exploitation_risk", "self_neglect_risk", "flags", "follow_up_on")}
_OUTREACH_CLINICAL = {key: CLINICAL_READ for key in (
    "given_name", "family_name", "approximate_age", "date_of_birth", "nhs_number", "postcode", "presenting_need",
    "safeguarding_detail", "action_agreed", "follow_up_plan")}
#: what the sending worker records of a message (domain/notify_sending.py)
_MESSAGE = ("kind", "channel", "template", "addressed_to", "attempt")

#: action -> data key -> the roles that may read it. A key or action missing here is withheld from everyone.
#: An attempted username can be a password typed into the wrong box, and findings' notes stay with the auditor: those
#: are AUDIT_WORK's alone.
POLICY: dict[str, dict[str, frozenset[str]]] = {
    # `via`: the OpenID Connect provider a single sign-on went through (domain/oidc_accounts.py); `roles`: the role
    # codes it gave a person refused for holding none that maps to ours
    actions.USER_CREATED: {"username": OVERSIGHT, "role": OVERSIGHT, "via": OVERSIGHT},
    actions.USER_DEACTIVATED: {},
    actions.USER_ROLE_CHANGED: {"from": OVERSIGHT, "to": OVERSIGHT, "via": OVERSIGHT},
    actions.LOGIN_SUCCEEDED: {"source": OVERSIGHT, "via": OVERSIGHT},
    actions.LOGIN_FAILED: {"username": AUDIT_WORK, "reason": OVERSIGHT, "failures": OVERSIGHT, "source": OVERSIGHT,
                           "via": OVERSIGHT, "roles": OVERSIGHT},
    actions.LOGIN_LOCKED: {"until": OVERSIGHT, "source": OVERSIGHT, "lockouts": OVERSIGHT},
    actions.LOGIN_THROTTLED: {"scope": OVERSIGHT, "source": OVERSIGHT, "username": AUDIT_WORK, "until": OVERSIGHT},
    actions.PASSWORD_CHANGED: {"other_sessions_ended": OVERSIGHT},
    actions.PASSWORD_RESET: {},
    actions.LOGGED_OUT: {},
    # `shown_at`: when a page logged after it was sent was shown (domain/later.py)
    actions.ACCESS_DENIED: {"endpoint": OVERSIGHT, "method": OVERSIGHT, later.SHOWN_AT: OVERSIGHT},
    actions.PATIENT_REGISTERED: {**_PATIENT, "identity_verified": EVERYONE, "date_of_birth_estimated": EVERYONE},
    actions.PATIENT_UPDATED: {"version": EVERYONE, "changes": EVERYONE},
    actions.PATIENT_IDENTITY_VERIFIED: {"version": EVERYONE, "nhs_number": EVERYONE, "how": CARE_TEAM},
    # numbers, emails and addresses are personal: which fields changed for every role, their values for the care team
    actions.PATIENT_CONTACT_DETAILS_RECORDED: {"version": EVERYONE, "changed": EVERYONE, "changes": CARE_TEAM},
    actions.REFERRAL_RECEIVED: {**_REFERRAL, "flags": EVERYONE, "linked_existing_patient": EVERYONE,
                               "imd_quintile": EVERYONE, "previous_referral_id": EVERYONE,
                               "ethnic_category": EVERYONE, "triage_due_at": EVERYONE, "version": EVERYONE,
                               "sex": EVERYONE, "age_band": EVERYONE, "open_referral_id": EVERYONE,
                               "duplicate_reason": CARE_TEAM, "re_referral_after": EVERYONE,
                               "re_referral_discharged_at": EVERYONE},
    actions.RECORD_VIEWED: {later.SHOWN_AT: OVERSIGHT},
    actions.TRIAGE_SCRIPT_RECORDED: {"answers": CARE_TEAM, "suggested_formats": CARE_TEAM,
                                    "proposed_adjustments": CARE_TEAM},
    actions.TRIAGE_ACCEPTED: _TRANSITION,
    actions.TRIAGE_ESCALATED: {**_TRANSITION, "reason": CARE_TEAM},
    actions.TRIAGE_FLAGS_CORRECTED: {**_TRANSITION, "flags_before": EVERYONE, "flags": EVERYONE, "reason": CARE_TEAM,
                                     "triage_due_at": EVERYONE},
    # The rejection's code and text are on the referral page for every role.
    actions.TRIAGE_REJECTED: {**_TRANSITION, "code": EVERYONE, "reason": EVERYONE},
    actions.TRIAGE_REJECTION_PROPOSED: {**_TRANSITION, "code": EVERYONE, "reason": EVERYONE, "review_id": EVERYONE},
    actions.REJECTION_UPHELD: _DECISION,
    actions.REJECTION_OVERTURNED: _DECISION,
    actions.CLARIFICATION_REQUESTED: {**_TRANSITION, "question": CARE_TEAM, "channel": EVERYONE,
                                     "contact": CARE_TEAM, "due_at": EVERYONE},
    actions.CLARIFICATION_ATTEMPTED: {"method": EVERYONE, "reached": EVERYONE, "note": CARE_TEAM},
    actions.CLARIFICATION_ANSWERED: {**_TRANSITION, "response": CARE_TEAM, "close_reason": CARE_TEAM},
    actions.CLARIFICATION_CLOSED: {**_TRANSITION, "response": CARE_TEAM, "close_reason": CARE_TEAM},
    actions.CLARIFICATION_ESCALATED: {"due_at": EVERYONE, "overdue_by_minutes": EVERYONE},
    # a past contact (record_past_contact) is marked retrospective; why it was not booked ahead is care-team text
    actions.APPOINTMENT_BOOKED: {"starts_at": EVERYONE, "format": EVERYONE, "place": CARE_TEAM, "notes": CARE_TEAM,
                                "version": EVERYONE, "summary": EVERYONE, "retrospective": EVERYONE,
                                "reason": CARE_TEAM},
    actions.APPOINTMENT_REBOOKED: {"from": CARE_TEAM, "to": CARE_TEAM},
    **{action: {"status": EVERYONE, "attendance_code": EVERYONE, "reason": CARE_TEAM, "starts_at": EVERYONE,
                "format": EVERYONE, "retrospective": EVERYONE, "first_contact_was": EVERYONE}
       for action in (actions.APPOINTMENT_CANCELLED, actions.APPOINTMENT_ATTENDED, actions.APPOINTMENT_LATE_NOT_SEEN,
                      actions.APPOINTMENT_DNA)},
    actions.FIRST_CONTACT: {**_TRANSITION, "appointment_id": EVERYONE, "first_contact_at": EVERYONE},
    # Active adjustments show on every page that shows the patient (Accessible Information Standard: highly visible).
    actions.ADJUSTMENT_RECORDED: {"category": EVERYONE, "description": EVERYONE, "source": EVERYONE,
                                 "consent_basis": EVERYONE, "review_date": EVERYONE},
    actions.ADJUSTMENT_UPDATED: {"changes": EVERYONE},
    actions.ADJUSTMENT_ENDED: {"reason": EVERYONE},
    actions.ADJUSTMENT_DELIVERY_RECORDED: {"deliveries": CARE_TEAM},
    # The "was not brought" answer is a code, like the concern's status on the banner: its text is the concern's.
    actions.BARRIER_CHECK_OPENED: {"appointment_id": EVERYONE, "was_not_brought": EVERYONE},
    actions.BARRIER_CHECK_UPDATED: {"barriers": EVERYONE, "other": CARE_TEAM, "safeguarding": EVERYONE,
                                   "concern_id": EVERYONE},
    actions.BARRIER_CHECK_ATTEMPTED: {"method": EVERYONE, "reached": EVERYONE, "note": CARE_TEAM},
    actions.BARRIER_CHECK_COMPLETED: {"outcome": EVERYONE, "alternative_format": EVERYONE, "barriers": EVERYONE,
                                     "adjustment_id": EVERYONE, "safeguarding": EVERYONE, "concern_id": EVERYONE},
    actions.BARRIER_CHECK_OVERRIDDEN: {"reason": CLINICAL_READ},
    actions.SENIOR_REVIEW_FLAGGED: {"reason": EVERYONE, "review_id": EVERYONE},
    actions.DISCHARGE_REQUESTED: {**_TRANSITION, "reason": EVERYONE, "reason_text": CLINICAL_READ,
                                 "dna_count": EVERYONE},
    actions.REFERRAL_DISCHARGED: {**_DECISION, "reason": EVERYONE, "safe_despite_concern": CLINICAL_READ},
    actions.ENGAGEMENT_CONTINUED: _DECISION,
    actions.REFERRAL_RE_REFERRED: {"new_referral_id": EVERYONE, "summary": EVERYONE},
    # Booking and managers learn that a concern exists, its kind and its steps (the banner shows as much); the
    # concern, whether it followed a pathway delay, its route, actions, outcome and summary are for clinicians, seniors
    # and the auditor.
    actions.SAFEGUARDING_RAISED: {"category": EVERYONE, "review_id": EVERYONE, "concern": CLINICAL_READ,
                                  "followed_delay": CLINICAL_READ, "delay_detail": CLINICAL_READ},
    actions.SAFEGUARDING_ROUTED: {"routed_to": CLINICAL_READ, "routed_on": CLINICAL_READ, "reference": CLINICAL_READ},
    actions.SAFEGUARDING_ACTION_RECORDED: {"action": CLINICAL_READ},
    actions.SAFEGUARDING_CLOSED: {"outcome": CLINICAL_READ, "summary": CLINICAL_READ},
    # The urgent contact and the judgement of a delay, as codes, are on the referral page for every role; what the
    # delay was is the clinician's account.
    actions.URGENT_CONTACT_RECORDED: {"kind": EVERYONE, "occurred_on": EVERYONE, "source": EVERYONE,
                                      "followed_delay": EVERYONE, "delay_detail": CLINICAL_READ},
    # Which questionnaire was answered, when and how is for every role; the score is a clinical result.
    actions.QUESTIONNAIRE_COMPLETED: {"instrument": EVERYONE, "title": EVERYONE, "version": EVERYONE, "kind": EVERYONE,
                                      "time_point": EVERYONE, "completed_at": EVERYONE, "mode": EVERYONE,
                                      "score": CLINICAL_READ, "better": CLINICAL_READ, "mic": CLINICAL_READ},
    # That a link was sent, for what and until when: the link itself is never in the log.
    actions.QUESTIONNAIRE_LINK_ISSUED: {"instrument": EVERYONE, "title": EVERYONE, "time_point": EVERYONE,
                                        "easy_read": EVERYONE, "expires_at": EVERYONE},
    # Outreach planning names no patient; the partner's agreement and staff are operational text.
    actions.PARTNER_ADDED: {"name": EVERYONE, "kind": EVERYONE, "sharing_agreement": CARE_TEAM},
    actions.VENUE_ADDED: {"name": EVERYONE, "kind": EVERYONE, "partner_id": EVERYONE},
    actions.OUTREACH_SESSION_PLANNED: {"venue_id": EVERYONE, "starts_at": EVERYONE, "ends_at": EVERYONE,
                                       "clinician_ids": EVERYONE, "partner_staff": CARE_TEAM},
    # A partner's and a venue's details are the organisation's, not a patient's; a cancellation's reason is for all.
    actions.PARTNER_UPDATED: {"name": EVERYONE, "changes": EVERYONE},
    actions.VENUE_UPDATED: {"name": EVERYONE, "changes": EVERYONE},
    actions.OUTREACH_SESSION_CANCELLED: {"venue_id": EVERYONE, "starts_at": EVERYONE, "reason": EVERYONE},
    # An engagement plan: that one was agreed, with whom and when, for every role; who agreed and what each step
    # is, for the care team that works from it.
    actions.ENGAGEMENT_PLAN_AGREED: {"partner_id": EVERYONE, "partner": EVERYONE, "agreed_on": EVERYONE,
                                     "agreed_by": CARE_TEAM, "steps": CARE_TEAM},
    actions.ENGAGEMENT_STEP_DONE: {"step": EVERYONE, "owner": EVERYONE, "due_on": EVERYONE, "done_on": EVERYONE,
                                   "on_time": EVERYONE, "action": CARE_TEAM, "done_by": CARE_TEAM},
    # A minimum record's codes are for every role; who the person said they are and what was found is clinical.
    actions.OUTREACH_RECORD_RECEIVED: {**_OUTREACH_CODES, **_OUTREACH_CLINICAL},
    actions.OUTREACH_RECORD_LINKED: {**_OUTREACH_CODES, **_OUTREACH_CLINICAL, "concern_id": EVERYONE},
    actions.OUTREACH_LINK_UNDONE: {"kind": EVERYONE, "reason": CARE_TEAM, "concern_left_open": EVERYONE},
    actions.OUTREACH_FOLLOW_UP_CHECKED: {"follow_up_on": EVERYONE, "contact_lost": EVERYONE},
    # Which message went how to whom, for every role; never what it said (the personalisation stays on the outbox
    # row). Notify's reason for refusing one can quote what was sent: the care team's, who put it right.
    actions.MESSAGE_SENT: {key: EVERYONE for key in _MESSAGE},
    actions.MESSAGE_FAILED: {**{key: EVERYONE for key in _MESSAGE}, "error": CARE_TEAM},
    # A message's outcome and a contact problem's opening are codes (which message, which channel, which failure),
    # for every role; what booking staff did to reach the person is the care team's working note.
    **{action: {key: EVERYONE for key in ("message_id", "kind", "channel", "template", "addressed_to", "reported_at",
                                          "failure")}
       for action in (actions.MESSAGE_DELIVERED, actions.MESSAGE_DELIVERY_FAILED)},
    actions.CONTACT_TASK_OPENED: {key: EVERYONE for key in ("reason", "message_id", "kind", "channel", "addressed_to")},
    actions.CONTACT_TASK_CLOSED: {"reason": EVERYONE, "note": CARE_TEAM},
    # actions.LOG_VERIFIED, spelled out: audit_log reads this module.
    "audit.log_verified": {"ok": OVERSIGHT, "count": OVERSIGHT, "head_hash": OVERSIGHT, "bad_seq": OVERSIGHT,
                           "reason": OVERSIGHT},
    actions.CHECKPOINT_TAKEN: {},  # no data: the event is its time and place in the chain
    actions.SAMPLE_DRAWN: {key: OVERSIGHT for key in (
        "record_type", "first_month", "last_month", "pathway", "segment", "segment_value", "stratify_by",
        "allocation", "size", "seed", "population", "taken")},
    # Independence: the audited see that a finding was recorded, managers its answers (governance), the auditor all.
    actions.FINDING_RECORDED: {"sample_id": EVERYONE, "record_id": EVERYONE, "version": EVERYONE,
                                      "answers": OVERSIGHT, "note": AUDIT_WORK, "reason": AUDIT_WORK},
    # Aggregate figures and plans with no patient in them.
    actions.GOVERNANCE_OPENED: {key: EVERYONE for key in (
        "kpi", "pathway", "month", "gap_days", "ratio", "threshold_days", "breach", "special_cause", "restatement",
        "first_reported_at", "first_reported_gap_days")},
    actions.GOVERNANCE_MONTHS_REPORTED: {"kpi": EVERYONE, "months": EVERYONE},
    actions.GOVERNANCE_PLAN_RECORDED: {key: EVERYONE for key in (
        "variance_explanation", "corrective_action", "lead_name", "due_date", "remeasure_month")},
    actions.GOVERNANCE_CLOSED: {"kpi": EVERYONE, "closure_note": EVERYONE, "remeasure_month": EVERYONE,
                                   "remeasured_gap_days": EVERYONE},
    # A partnership review names no patient: its dates, partners and published figures are for every role; the
    # minutes, the learning from incidents and complaints and the actions are for those who read the meetings.
    actions.PARTNERSHIP_REVIEW_RECORDED: {
        **{key: EVERYONE for key in ("held_on", "title", "period_start", "period_end", "partner_ids", "figures")},
        "minutes": REPORT_READERS, "learning": REPORT_READERS},
    actions.PARTNERSHIP_REVIEW_EDITED: {"minutes": REPORT_READERS, "learning": REPORT_READERS, "version": EVERYONE},
    actions.PARTNERSHIP_ACTION_ADDED: {"review_id": EVERYONE, "description": REPORT_READERS,
                                       "lead_name": REPORT_READERS, "due_on": EVERYONE},
    actions.PARTNERSHIP_ACTION_COMPLETED: {"review_id": EVERYONE, "done_on": EVERYONE},
    # A web import's file and counts; its referrals' own events are the system's, as the CLI's are.
    **{action: {key: OVERSIGHT for key in import_jobs.SUMMARY_KEYS} for action in (
        actions.IMPORT_STAGED, actions.IMPORT_STARTED, actions.IMPORT_REFUSED,
        actions.IMPORT_COMPLETED)},
    actions.REJECTS_DOWNLOADED: {"file_name": OVERSIGHT, "rows": OVERSIGHT, later.SHOWN_AT: OVERSIGHT},
    actions.ODS_LOADED: {key: OVERSIGHT for key in ("file_name", "kind", "added", "updated", "left_out")},
    # The systems that may read the record through the FHIR API, and what each read: the access log's to see.
    actions.API_CLIENT_CREATED: {"client_id": OVERSIGHT, "name": OVERSIGHT, "scopes": OVERSIGHT},
    actions.API_CLIENT_DEACTIVATED: {"client_id": OVERSIGHT},
    actions.FHIR_READ: {key: OVERSIGHT for key in ("client_id", "resource_type", "ids", "search", "count",
                                                   later.SHOWN_AT)},
    actions.FHIR_EXPORTED: {key: OVERSIGHT for key in (
        "client_id", "job_id", "types", "since", "transaction_time", "counts")},
    actions.FHIR_WRITE: {key: OVERSIGHT for key in (
        "client_id", "resource_type", "id", "identifier", "linked_existing_patient")},
}


#: who acted, for an event with no user behind it: the patient answering through a link, or else a system job
_NO_ACCOUNT = {"patient": "The patient"}


def may_read(action: str, key: str, role: str | None) -> bool:
    """Whether `role` may read `key` of an `action` event: only what the table grants (unknown means no)."""
    return role in POLICY.get(action, {}).get(key, ())


@dataclass(frozen=True)
class ShownEvent:
    """An event as one role may see it: its envelope, the data it may read, and the names of what is withheld."""

    seq: int
    occurred_at: datetime
    actor: str
    actor_role: str | None
    action: str
    patient_id: int | None
    referral_id: int | None
    data: dict
    withheld: tuple[str, ...]


def shown(event: Event, actor_name: str | None, role: str | None) -> ShownEvent:
    """The event with only the data keys `role` may read; the rest are named in `withheld`, so a page can say
    that something is hidden without showing it."""
    data, actor = json.loads(event.data), actor_name or _NO_ACCOUNT.get(event.actor_role, "System")
    return ShownEvent(seq=event.seq, occurred_at=event.occurred_at, actor=actor,
                      actor_role=event.actor_role, action=event.action, patient_id=event.patient_id,
                      referral_id=event.referral_id,
                      data={k: v for k, v in data.items() if may_read(event.action, k, role)},
                      withheld=tuple(k for k in data if not may_read(event.action, k, role)))
