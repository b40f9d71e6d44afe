"""Each event as one sentence in staff words, built only from what the viewer's role may read of it."""
from collections.abc import Callable
from datetime import date, datetime, timedelta

from inclusive_access.domain import (
    actions,
    adjustments,
    appointments,
    audit_findings,
    audit_sampling,
    clarification,
    contact_details,
    contact_tasks,
    discharge,
    dna,
    engagement_plans,
    kpis,
    outbox,
    outreach,
    outreach_records,
    questionnaires,
    safeguarding,
    triage,
    urgent_contacts,
)
from inclusive_access.domain.clocks import describe
from inclusive_access.domain.equity import COMMUNICATION_NEEDS, ETHNIC_CATEGORIES, HOUSING_STATUSES, SEXES
from inclusive_access.domain.event_view import ShownEvent
from inclusive_access.domain.pathway_delays import DELAY_ANSWERS
from inclusive_access.domain.segments import FLAG_LABELS
from inclusive_access.template_filters import labels, london, yes_no

#: coded fields of the patient and of an adjustment, for the changes a correction records
_CODED = {"ethnic_category": ETHNIC_CATEGORIES, "sex": SEXES, "housing_status": HOUSING_STATUSES,
          "communication_needs": COMMUNICATION_NEEDS, "category": adjustments.CATEGORIES,
          "consent_basis": adjustments.CONSENT_BASES}


class Readable:
    """The data of one event that the viewer may read, with the wording each kind of value needs.

    Every accessor answers None for a key that is absent, empty or withheld (event_view.shown leaves withheld keys
    out), so a sentence cannot name what the viewer's role may not read."""

    def __init__(self, event: ShownEvent):
        self.data, self.year = event.data, event.occurred_at.year

    def __getitem__(self, key: str):
        value = self.data.get(key)
        return None if value in ("", [], {}) else value

    def label(self, key: str, mapping: dict) -> str | None:
        return None if self[key] is None else mapping.get(self[key], str(self[key]))

    def labels(self, key: str, mapping: dict) -> str | None:
        return labels(self[key], mapping) or None

    def time(self, key: str) -> str | None:
        return _time(self[key], self.year)

    def day(self, key: str) -> str | None:
        return None if self[key] is None else f"{date.fromisoformat(self[key]):%-d %b %Y}"


def _time(value: str | None, year: int) -> str | None:
    """'12 Dec, 10:00' in UK time; the year only when it is not the year of the event that names it."""
    if value is None:
        return None
    when = datetime.fromisoformat(value)
    return london(when, "%-d %b, %H:%M" if when.year == year else "%-d %b %Y, %H:%M")


def _say(main: str, *details: tuple[str, object]) -> str:
    """The sentence, then each detail that is readable as 'Name: value'."""
    shown = [f"{name}: {value}" for name, value in details if value not in (None, "")]
    return ". ".join([main, *shown])


def _with(text: str, part: str | None, template: str) -> str:
    return text + template.format(part) if part else text


def _outreach_record(d: Readable, main: str) -> str:
    return _say(_with(main, d.time("seen_at"), ", seen {}"), ("Name given", d["given_name"]),
                ("Presenting need", d["presenting_need"]), ("Action agreed", d["action_agreed"]),
                ("Risk of exploitation", d.label("exploitation_risk", outreach_records.RISKS)),
                ("Risk of self-neglect", d.label("self_neglect_risk", outreach_records.RISKS)),
                ("Flags", d.labels("flags", FLAG_LABELS)), ("Follow-up", d.day("follow_up_on")))


def _booked(d: Readable) -> str:
    fmt = d.label("format", appointments.FORMATS)
    if d["retrospective"]:
        main = _with(_with("Recorded a past contact", fmt, " ({})"), d.time("starts_at"), " on {}")
        return _say(main + ", entered retrospectively", ("Why it was not booked ahead", d["reason"]),
                    ("Place", d["place"]), ("Support to arrange", d["notes"]))
    main = _with(_with("Booked an appointment", d.time("starts_at"), " for {}"), fmt, " ({})")
    return _say(main, ("Place", d["place"]), ("Support to arrange", d["notes"]))


def _slot(value: dict | None, year: int) -> str | None:
    if not value:
        return None
    parts = [_time(value.get("starts_at"), year), appointments.FORMATS.get(value.get("format"), value.get("format")),
             value.get("place")]
    return ", ".join(p for p in parts if p)


def _rebooked(d: Readable) -> str:
    before, after = _slot(d["from"], d.year), _slot(d["to"], d.year)
    return _with(_with("Rebooked an appointment", before, " from {}"), after, " to {}")


def _outcome(main: str) -> Callable[[Readable], str]:
    def sentence(d: Readable) -> str:
        text = _with(main, ", ".join(filter(None, [d.time("starts_at"), d.label("format", appointments.FORMATS)])),
                     " ({})")
        if d["retrospective"]:
            text = _with(text + ", entered retrospectively", d.time("first_contact_was"),
                         ": now the first contact, before the one of {}")
            return _say(text, ("Why it was not booked ahead", d["reason"]))
        return _say(text, ("Reason", d["reason"]))
    return sentence


def _cancelled(d: Readable) -> str:
    text = _with(d.label("status", appointments.OUTCOMES) or "Cancelled", d.time("starts_at"),
                 ": the appointment of {}")
    return _say(text, ("Reason", d["reason"]))


def _changes(d: Readable) -> str | None:
    """'imd decile 1 → 5; description Afternoons → After 2pm': each changed field, its values in words."""
    def words(key, value):
        if isinstance(value, list):
            return labels(value, _CODED.get(key, {})) or "none"
        if isinstance(value, bool) or value is None:
            return yes_no(value)
        return _CODED.get(key, {}).get(value, str(value))
    return "; ".join(f"{key.replace('_', ' ')} {words(key, old)} → {words(key, new)}"
                     for key, (old, new) in (d["changes"] or {}).items()) or None


def _contact_details(d: Readable) -> str:
    """Which details changed, for every role; what they were and became, for the care team."""
    def words(value) -> str:
        return (", ".join(value) if isinstance(value, list) else value) or "none"
    changes = d["changes"] or {}
    in_order = sorted(changes or d["changed"] or (), key=lambda key: list(contact_details.LABELS).index(key)
                      if key in contact_details.LABELS else len(contact_details.LABELS))  # the form's order
    if changes:
        changed = "; ".join(f"{contact_details.LABELS.get(key, key)} {words(changes[key][0])} → "
                            f"{words(changes[key][1])}" for key in in_order)
    else:
        changed = ", ".join(contact_details.LABELS.get(key, key) for key in in_order) or None
    return _say("Recorded the patient's contact details", ("Changed", changed or "nothing"))


def _plan_agreed(d: Readable) -> str:
    """The plan's partner and date for every role; who agreed it and each step (who, what, by when) for the care
    team."""
    steps = "; ".join(f"{engagement_plans.OWNERS.get(step.get('owner'), step.get('owner'))} "
                      f"({step.get('owner_name')}): {step.get('action')}, by "
                      f"{date.fromisoformat(step['due_on']):%-d %b %Y}" for step in d["steps"] or [])
    return _say(_with(_with("Agreed an engagement plan", d["partner"], " with {}"), d.day("agreed_on"), " on {}"),
                ("Agreed by", d["agreed_by"]), ("Steps", steps))


def _deliveries(d: Readable) -> str:
    given = d["deliveries"] or []
    if not given:
        return "Recorded whether the patient's adjustments were met at the appointment"
    unmet = [item.get("reason") for item in given if not item.get("met")]
    reasons = "; ".join(r for r in unmet if r)
    return _say(f"Recorded the patient's adjustments at the appointment: {len(given) - len(unmet)} of "
                f"{len(given)} met", ("Why not met", reasons))


def _finding(d: Readable) -> str:
    answers = d["answers"] or {}
    counted = ", ".join(f"{sum(1 for a in answers.values() if a == code)} {label.lower()}"
                        for code, label in audit_findings.ANSWERS.items() if code in answers.values())
    text = "Recorded an audit finding" if (d["version"] or 1) == 1 else "Revised an audit finding"
    return _say(text, ("Answers", counted), ("Why revised", d["reason"]), ("Note", d["note"]))


def _verified(d: Readable) -> str:
    if d["ok"] is None:
        return "Verified the event log"
    result = "the chain verifies" if d["ok"] else f"the chain breaks at event {d['bad_seq']}"
    return _say(f"Verified the event log ({d['count']} events): {result}", ("Reason", d["reason"]))


#: action -> the sentence that tells staff what happened (the actor's name follows it on the page)
SENTENCES: dict[str, Callable[[Readable], str]] = {
    actions.USER_CREATED: lambda d: _with(_with(_with("Created a user account", d["username"], " {}"),
                                                d["role"], " with the {} role"), d["via"],
                                          " at its first sign-in through {}"),
    actions.USER_DEACTIVATED: lambda d: "Deactivated a user account",
    actions.USER_ROLE_CHANGED: lambda d: _with(_with(_with("Changed a user's role", d["from"], " from {}"), d["to"],
                                                     " to {}"), d["via"], ", as {} gave it at sign-in"),
    actions.LOGIN_SUCCEEDED: lambda d: _with(_with("Signed in", d["via"], " through {}"), d["source"], " from {}"),
    actions.LOGIN_FAILED: lambda d: _say(_with(_with(_with("Failed to sign in", d["via"], " through {}"),
                                                     d["username"], " as {}"), d["source"], " from {}"),
                                        ("Reason", d["reason"]), ("Failures in a row", d["failures"]),
                                        ("Roles at the provider", ", ".join(d["roles"] or []))),
    actions.LOGIN_LOCKED: lambda d: _say(_with("Sign-in locked after repeated failures", d.time("until"), " until {}"),
                                        ("From", d["source"]), ("Locks in a row", d["lockouts"])),
    actions.LOGIN_THROTTLED: lambda d: _say(_with("Too many failed sign-ins", d.time("until"), ": refused until {}"),
                                           ("Counted per", d["scope"]), ("From", d["source"]),
                                           ("Username", d["username"])),
    actions.PASSWORD_CHANGED: lambda d: "Changed their password" + (", ending their other sessions"
                                                                   if d["other_sessions_ended"] else ""),
    actions.PASSWORD_RESET: lambda d: "Reset a user's password",
    actions.LOGGED_OUT: lambda d: "Signed out",
    actions.ACCESS_DENIED: lambda d: _with("Was refused a page their role may not open",
                                          " ".join(filter(None, [d["method"], d["endpoint"]])), " ({})"),
    actions.PATIENT_REGISTERED: lambda d: ("Registered the patient from an outreach record, identity not verified"
                                           if d["identity_verified"] is False else "Registered the patient"),
    actions.PATIENT_UPDATED: lambda d: _say("Corrected the patient's details", ("Changed", _changes(d))),
    actions.PATIENT_IDENTITY_VERIFIED: lambda d: _say("Verified the patient's identity",
                                                      ("NHS number", d["nhs_number"]), ("How", d["how"])),
    actions.PATIENT_CONTACT_DETAILS_RECORDED: _contact_details,
    actions.REFERRAL_RECEIVED: lambda d: _say(
        _with(_with(_with("Received the referral", d["referrer_name"], " from {}"), d["referrer_organisation"],
                    ", {}"), d["urgency"], " ({})"),
        ("Inequality flags", d.labels("flags", FLAG_LABELS) or ("none" if "flags" in d.data else None)),
        ("Re-refers referral", d["previous_referral_id"]),
        ("Added while this referral was open", d["open_referral_id"]),
        ("Why another referral", d["duplicate_reason"])),
    actions.RECORD_VIEWED: lambda d: "Opened the record",
    actions.TRIAGE_SCRIPT_RECORDED: lambda d: _say(
        "Went through the triage booking script",
        ("Suggested formats", d.labels("suggested_formats", triage.FORMATS)),
        ("Adjustments proposed", len(d["proposed_adjustments"]) if d["proposed_adjustments"] else None)),
    actions.TRIAGE_ACCEPTED: lambda d: "Accepted the referral at triage",
    actions.TRIAGE_ESCALATED: lambda d: _say("Escalated the triage to a senior", ("Reason", d["reason"])),
    actions.TRIAGE_FLAGS_CORRECTED: lambda d: _say(
        "Corrected the inequality flags", ("Before", d.labels("flags_before", FLAG_LABELS) or "none"),
        ("Now", d.labels("flags", FLAG_LABELS) or "none"), ("Triage due", d.time("triage_due_at")),
        ("Reason", d["reason"])),
    actions.TRIAGE_REJECTED: lambda d: _say(_with("Rejected the referral", d.label("code", triage.REJECTION_CODES),
                                                 ": {}"), ("Reason", d["reason"])),
    actions.TRIAGE_REJECTION_PROPOSED: lambda d: _say(
        _with("Proposed rejecting the referral", d.label("code", triage.REJECTION_CODES), ": {}") +
        ", for a senior to review", ("Reason", d["reason"])),
    actions.REJECTION_UPHELD: lambda d: _say("Upheld the rejection at senior review", ("Rationale", d["rationale"])),
    actions.REJECTION_OVERTURNED: lambda d: _say("Overturned the rejection at senior review: back to triage",
                                                ("Rationale", d["rationale"]), ("Plan", d["plan"])),
    actions.CLARIFICATION_REQUESTED: lambda d: _say(
        _with(_with("Asked the referrer to clarify", d.label("channel", clarification.CHANNELS), " by {}"),
              d.time("due_at"), ", answer due by {}"), ("Contact", d["contact"]), ("Question", d["question"])),
    actions.CLARIFICATION_ATTEMPTED: lambda d: _say(
        _with("Tried to reach the referrer", d.label("method", clarification.CHANNELS), " by {}") +
        {True: ": reached", False: ": not reached"}.get(d["reached"], ""), ("Note", d["note"])),
    actions.CLARIFICATION_ANSWERED: lambda d: _say("Recorded the referrer's answer", ("Answer", d["response"])),
    actions.CLARIFICATION_CLOSED: lambda d: _say("Closed the clarification without an answer",
                                                ("Reason", d["close_reason"])),
    actions.CLARIFICATION_ESCALATED: lambda d: _with(
        "Escalated an unanswered clarification",
        describe(-timedelta(minutes=d["overdue_by_minutes"])) if d["overdue_by_minutes"] is not None else None, ", {}"),
    actions.APPOINTMENT_BOOKED: _booked,
    actions.APPOINTMENT_REBOOKED: _rebooked,
    actions.APPOINTMENT_CANCELLED: _cancelled,
    actions.APPOINTMENT_ATTENDED: _outcome("Recorded that the patient attended"),
    actions.APPOINTMENT_DNA: _outcome("Recorded a missed appointment"),
    actions.APPOINTMENT_LATE_NOT_SEEN: _outcome("Recorded that the patient arrived too late to be seen"),
    actions.FIRST_CONTACT: lambda d: _with("First contact with the patient", d.time("first_contact_at"), " on {}") +
    ": the referral is in treatment",
    actions.ADJUSTMENT_RECORDED: lambda d: _say(
        _with("Recorded a reasonable adjustment", d.label("category", adjustments.CATEGORIES), ": {}"),
        ("Adjustment", d["description"]), ("Identified at", d.label("source", adjustments.SOURCES)),
        ("Consent", d.label("consent_basis", adjustments.CONSENT_BASES)), ("Review by", d.day("review_date"))),
    actions.ADJUSTMENT_UPDATED: lambda d: _say("Updated a reasonable adjustment", ("Changed", _changes(d))),
    actions.ADJUSTMENT_ENDED: lambda d: _say("Ended a reasonable adjustment", ("Reason", d["reason"])),
    actions.ADJUSTMENT_DELIVERY_RECORDED: _deliveries,
    actions.BARRIER_CHECK_OPENED: lambda d: "Opened a barrier check after a missed appointment" + (
        ": the patient was not brought" if d["was_not_brought"] else ""),
    actions.BARRIER_CHECK_UPDATED: lambda d: _say(
        "Recorded what stood in the way", ("Barriers", d.labels("barriers", dna.BARRIERS)), ("Other", d["other"]),
        ("Safeguarding", d.label("safeguarding", dna.SAFEGUARDING))),
    actions.BARRIER_CHECK_ATTEMPTED: lambda d: _say(
        _with("Tried to reach the patient", d.label("method", dna.ATTEMPT_METHODS), " by {}") +
        {True: ": reached", False: ": not reached"}.get(d["reached"], ""), ("Note", d["note"])),
    actions.BARRIER_CHECK_COMPLETED: lambda d: _say(
        _with("Completed the barrier check", d.label("outcome", dna.OUTCOMES), ": {}"),
        ("Alternative offered", d.label("alternative_format", dna.ALTERNATIVES)),
        ("Barriers", d.labels("barriers", dna.BARRIERS)), ("Safeguarding", d.label("safeguarding", dna.SAFEGUARDING))),
    actions.BARRIER_CHECK_OVERRIDDEN: lambda d: _say("Booked before the barrier check was complete, for urgent "
                                                    "clinical need", ("Reason", d["reason"])),
    actions.SENIOR_REVIEW_FLAGGED: lambda d: _with("Put the referral on the senior review list", d["reason"], ": {}"),
    actions.DISCHARGE_REQUESTED: lambda d: _say(
        _with("Asked a senior to approve discharge", d.label("reason", discharge.REASONS), ": {}"),
        ("Missed appointments", d["dna_count"]), ("Why", d["reason_text"])),
    actions.REFERRAL_DISCHARGED: lambda d: _say(
        _with("Discharged the patient after senior review", d.label("reason", discharge.REASONS), ": {}"),
        ("Rationale", d["rationale"]), ("Why safe despite the safeguarding concern", d["safe_despite_concern"])),
    actions.ENGAGEMENT_CONTINUED: lambda d: _say("Decided at senior review to continue engagement",
                                                ("Rationale", d["rationale"]), ("Plan", d["plan"])),
    actions.REFERRAL_RE_REFERRED: lambda d: _with("Re-referred the patient", d["new_referral_id"],
                                                 " as referral {}"),
    actions.SAFEGUARDING_RAISED: lambda d: _say(
        _with("Raised a safeguarding concern", d.label("category", safeguarding.CATEGORIES), ": {}"),
        ("Concern", d["concern"]), *_delay(d)),
    actions.SAFEGUARDING_ROUTED: lambda d: _say("Routed the safeguarding concern", ("To", d["routed_to"]),
                                               ("On", d.day("routed_on")), ("Reference", d["reference"])),
    actions.SAFEGUARDING_ACTION_RECORDED: lambda d: _say("Recorded a safeguarding action", ("Action", d["action"])),
    actions.SAFEGUARDING_CLOSED: lambda d: _say("Closed the safeguarding concern", ("Outcome", d["outcome"]),
                                               ("Summary", d["summary"])),
    actions.URGENT_CONTACT_RECORDED: lambda d: _say(
        _with("Recorded an urgent contact", d.label("kind", urgent_contacts.KINDS), ": {}"),
        ("On", d.day("occurred_on")), ("Told by", d.label("source", urgent_contacts.SOURCES)), *_delay(d)),
    actions.QUESTIONNAIRE_COMPLETED: lambda d: _say(
        _with("Recorded a completed questionnaire", d["title"], ": {}"),
        ("When in the referral", d.label("time_point", questionnaires.TIME_POINTS)),
        ("Answered", d.time("completed_at")),
        ("How", d.label("mode", questionnaires.MODES)), ("Score", d["score"])),
    actions.QUESTIONNAIRE_LINK_ISSUED: lambda d: _say(
        _with("Sent the patient a questionnaire link", d["title"], ": {}"),
        ("When in the referral", d.label("time_point", questionnaires.TIME_POINTS)),
        ("Wording", {True: "easy read", False: "plain English"}.get(d["easy_read"])),
        ("Expires", d.time("expires_at"))),
    actions.PARTNER_ADDED: lambda d: _say(_with("Added an outreach partner", d["name"], ": {}"),
                                          ("Kind", d.label("kind", outreach.PARTNER_KINDS)),
                                          ("Information-sharing agreement", d["sharing_agreement"])),
    actions.VENUE_ADDED: lambda d: _say(_with("Added an outreach venue", d["name"], ": {}"),
                                        ("Kind", d.label("kind", outreach.VENUE_KINDS))),
    actions.OUTREACH_SESSION_PLANNED: lambda d: _say(
        _with("Planned an outreach session", d.time("starts_at"), " for {}"), ("Ends", d.time("ends_at")),
        ("Partner staff", d["partner_staff"])),
    actions.PARTNER_UPDATED: lambda d: _say(_with("Updated an outreach partner", d["name"], ": {}"),
                                            ("Changed", _changes(d))),
    actions.VENUE_UPDATED: lambda d: _say(_with("Updated an outreach venue", d["name"], ": {}"),
                                          ("Changed", _changes(d))),
    actions.OUTREACH_SESSION_CANCELLED: lambda d: _say(
        _with("Cancelled an outreach session", d.time("starts_at"), " planned for {}"), ("Reason", d["reason"])),
    actions.ENGAGEMENT_PLAN_AGREED: _plan_agreed,
    actions.ENGAGEMENT_STEP_DONE: lambda d: _say(
        _with("Marked a step of an engagement plan done", d.day("done_on"), " on {}"),
        ("Taken by", d.label("owner", engagement_plans.OWNERS)), ("Step", d["action"]), ("Done by", d["done_by"]),
        ("Due", d.day("due_on")), ("On time", None if d["on_time"] is None else yes_no(d["on_time"]))),
    actions.OUTREACH_RECORD_RECEIVED: lambda d: _outreach_record(d, "Received an outreach minimum record"),
    actions.OUTREACH_RECORD_LINKED: lambda d: _outreach_record(d, {
        "new_patient": "Registered the person from an outreach minimum record",
        "matched": "Linked an outreach minimum record to this patient"}.get(d["kind"], "Linked an outreach record")),
    actions.OUTREACH_LINK_UNDONE: lambda d: _say(
        "Undid the link of an outreach minimum record to this patient", ("Why", d["reason"]),
        ("Safeguarding", "the concern the link raised stays open for a senior to close"
         if d["concern_left_open"] else None)),
    actions.MESSAGE_DELIVERED: lambda d: _message(d, "by {} delivered"),
    actions.MESSAGE_DELIVERY_FAILED: lambda d: _with(_message(d, "by {} could not be delivered"), d["failure"],
                                                     " ({} failure)"),
    actions.CONTACT_TASK_OPENED: lambda d: _say(
        "Opened a contact problem for booking staff: " + contact_tasks.REASON_LABELS.get(
            d["reason"], "a message could not be delivered").lower(), ("Message", d["kind"] and _message(d, "by {}"))),
    actions.CONTACT_TASK_CLOSED: lambda d: _say("Closed the contact problem", ("What was done", d["note"])),
    actions.OUTREACH_FOLLOW_UP_CHECKED: lambda d: (
        _with("Lost contact after outreach: no contact by the follow-up date", d.day("follow_up_on"), ", {}")
        if d["contact_lost"] else
        _with("Outreach follow-up kept: in contact by the follow-up date", d.day("follow_up_on"), ", {}")),
    actions.PARTNERSHIP_REVIEW_RECORDED: lambda d: _say(
        _with("Recorded a partnership review meeting", d["title"], ": {}"), ("Held", d.day("held_on")),
        ("Figures reviewed", " to ".join(filter(None, [d.day("period_start"), d.day("period_end")]))),
        ("Partners present", len(d["partner_ids"] or []) or None), ("Minutes", d["minutes"]),
        ("Learning", d["learning"])),
    actions.PARTNERSHIP_REVIEW_EDITED: lambda d: _say("Edited a partnership review meeting's minutes",
                                                      ("Minutes", d["minutes"]), ("Learning", d["learning"])),
    actions.PARTNERSHIP_ACTION_ADDED: lambda d: _say(
        _with("Added an action to a partnership review meeting", d["description"], ": {}"),
        ("Lead", d["lead_name"]), ("Due", d.day("due_on"))),
    actions.PARTNERSHIP_ACTION_COMPLETED: lambda d: _say("Completed a partnership review action",
                                                         ("Done on", d.day("done_on"))),
    actions.MESSAGE_SENT: lambda d: _say(_message(d, "sent by {}"),
                                         ("Attempt", d["attempt"] if (d["attempt"] or 0) > 1 else None)),
    actions.MESSAGE_FAILED: lambda d: _say(_message(d, "by {} not sent"), ("Why", d["error"]),
                                           ("Attempts", d["attempt"])),
    actions.LOG_VERIFIED: _verified,
    actions.CHECKPOINT_TAKEN: lambda d: "Took a checkpoint of the event log",
    actions.SAMPLE_DRAWN: lambda d: _say(
        _with(_with("Drew an audit sample", d["taken"], " of {} records"),
              d.label("record_type", audit_sampling.RECORD_TYPES), ": {}"),
        ("Months", " to ".join(filter(None, [d["first_month"], d["last_month"]]))),
        ("Out of", d["population"])),
    actions.FINDING_RECORDED: _finding,
    actions.GOVERNANCE_OPENED: lambda d: _say(
        _with(_with(f"Opened a governance item on the {_kpi(d).name}", d["pathway"], " for {}"), d["month"], ", {}")
        + (", arising from a restatement" if d["restatement"] else ""),
        (f"Gap in {_kpi(d).unit}", d["gap_days"]), (f"Threshold in {_kpi(d).unit}", d["threshold_days"]),
        ("First reported", d.time("first_reported_at")),
        (f"First reported gap in {_kpi(d).unit}", d["first_reported_gap_days"])),
    actions.GOVERNANCE_MONTHS_REPORTED: lambda d: _say(
        _with(f"Reported closed months of the {_kpi(d).name}", len(d["months"] or []), " ({})")),
    actions.GOVERNANCE_PLAN_RECORDED: lambda d: _say(
        "Recorded the governance plan", ("Explanation", d["variance_explanation"]),
        ("Action", d["corrective_action"]), ("Lead", d["lead_name"]), ("Re-measure in", d["remeasure_month"])),
    actions.GOVERNANCE_CLOSED: lambda d: _say(f"Closed the governance item on the {_kpi(d).name}",
                                                 ("Note", d["closure_note"]),
                                                 (f"Re-measured gap in {_kpi(d).unit}", d["remeasured_gap_days"])),
    actions.IMPORT_STAGED: lambda d: _import("Uploaded a referrals file for import", d),
    actions.IMPORT_STARTED: lambda d: _import("Started importing a referrals file", d),
    actions.IMPORT_REFUSED: lambda d: _import("Refused to import a referrals file all or nothing: rows have errors",
                                                  d),
    actions.IMPORT_COMPLETED: lambda d: _import("Finished importing a referrals file", d),
    actions.ODS_LOADED: lambda d: _say(_with("Loaded an ODS organisations file", d["file_name"], ", {}"),
                                       ("Added", d["added"]), ("Updated", d["updated"]), ("Left out", d["left_out"])),
    actions.REJECTS_DOWNLOADED: lambda d: _say(_with("Downloaded the rejected rows", d["file_name"], " of {}"),
                                                   ("Rows", d["rows"])),
    actions.API_CLIENT_CREATED: lambda d: _say(_with("Created the FHIR API client", d["name"], " {}"),
                                               ("Client id", d["client_id"]), ("Scopes", d["scopes"])),
    actions.API_CLIENT_DEACTIVATED: lambda d: _with("Deactivated the FHIR API client", d["client_id"], " {}"),
    actions.FHIR_READ: lambda d: _say(
        _with(_with("A system read patient data through the FHIR API", d["client_id"], " (client {})"),
              d["resource_type"], ": {}"),
        ("Search", d["search"]), ("Resources returned", d["count"]), ("Ids", ", ".join(d["ids"] or ()) or None)),
    actions.FHIR_EXPORTED: lambda d: _say(
        _with("A system exported data in bulk through the FHIR API", d["client_id"], " (client {})"),
        ("Types", ", ".join(d["types"] or ()) or None), ("Changed since", d.time("since")),
        ("As at", d.time("transaction_time")),
        ("Resources", ", ".join(f"{kind} {count}" for kind, count in (d["counts"] or {}).items()) or None)),
    actions.FHIR_WRITE: lambda d: _say(
        _with(_with("A system sent a referral through the FHIR API", d["client_id"], " (client {})"),
              d["id"], ": referral {}"),
        ("Its identifier", d["identifier"]), (
            "The patient", "already on file" if d["linked_existing_patient"] else "registered by it")),
}


def _message(d: Readable, how: str) -> str:
    """'Appointment reminder sent by text message to the carer': the message, its format, and whom it was for."""
    name = d.label("kind", outbox.MESSAGE_NAMES) or "Message"
    by = d.label("template", outbox.SENT_BY) or d.label("channel", outbox.SENT_BY) or "message"
    said = f"{name} {how.format(by)}"
    return _with(said, {"carer": "the carer", "referrer": "the referrer"}.get(d["addressed_to"]), " to {}")


def _kpi(d: Readable) -> kpis.Kpi:
    """The KPI a governance event is about (events recorded before there were two say none: the wait gap)."""
    return kpis.of(d["kpi"])


def _delay(d: Readable) -> tuple[tuple[str, object], ...]:
    return (("Followed a delay on the pathway", d.label("followed_delay", DELAY_ANSWERS)),
            ("The delay", d["delay_detail"]))


def _import(main: str, d: Readable) -> str:
    return _say(_with(main, d["file_name"], ", {}"), ("Rows", d["total_rows"]), ("Valid", d["valid_rows"]),
                ("With errors", d["invalid_rows"]), ("Already imported", d["present_rows"]),
                ("Imported", d["imported_rows"]), ("Refused on import", d["refused_rows"]))


def sentence(event: ShownEvent) -> str:
    """What happened, in staff words, from the data the viewer may read; an action without a sentence names its
    code rather than fail the page (a test keeps SENTENCES complete)."""
    build = SENTENCES.get(event.action)
    return build(Readable(event)) if build else event.action
