"""Same-day triage: the booking script, the four outcomes (a flagged rejection waits for a senior), the worklist."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from inclusive_access.domain import (
    actions,
    adjustments,
    clarification,
    events,
    locking,
    message_causes,
    referral_flow,
    reviews,
    triage_flags,
    worklists,
)
from inclusive_access.domain.access import SENIOR_JUDGEMENT
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.adjustments import SHORT_LABELS as ADJUSTMENT_CATEGORIES
from inclusive_access.domain.errors import InvalidInput, NotPermitted
from inclusive_access.domain.outbox import MessageSettings
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import Pathway, Patient, Referral, TriageRecord

CONTACT_METHODS = {"telephone": "Telephone", "text": "Text message", "email": "Email", "letter": "Letter",
                   "carer": "Through a carer or advocate"}
MOBILITY = {"none": "No difficulty travelling", "step_free": "Needs step-free access",
            "needs_help": "Cannot travel without help", "housebound": "Cannot leave home",
            "cost": "The cost of travel is a barrier"}
DIGITAL = {"video": "Smartphone or computer, happy to use video", "phone_only": "Telephone only",
           "none": "No reliable telephone"}
FORMATS = {"clinic": "Clinic", "telephone": "Telephone", "telephone_interpreter": "Telephone with interpreter",
           "video": "Video", "home_visit": "Home visit", "community_venue": "Community venue",
           "evening": "Evening appointment"}
REJECTION_CODES = {"not_eligible": "Not eligible for this service", "wrong_service": "Better met by another service",
                   "duplicate": "Duplicate referral", "declined": "Patient declined", "other": "Other"}
OUTCOMES = ("accept", "clarify", "escalate", "reject")


@dataclass(frozen=True)
class BookingScript:
    """The questions asked at triage; answers find barriers before the first appointment is missed."""

    contact_method: str
    contact_times: str
    safe_to_leave_message: bool | None
    interpreter_needed: bool | None
    language: str
    communication_needs: str
    mobility: str
    caring_or_work: str
    digital_access: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def suggest_formats(script: BookingScript) -> list[str]:
    """Alternative formats that fit the answers, most suitable first; clinic when nothing points elsewhere.

    Nothing that needs a telephone is suggested to someone without a reliable one.
    """
    has_phone = script.digital_access != "none"
    formats = []
    if script.interpreter_needed:
        formats.append("telephone_interpreter" if has_phone else "home_visit")
    if script.mobility == "housebound":
        formats.append("home_visit")
    if script.mobility in ("needs_help", "cost"):
        formats.append("community_venue")
    if script.digital_access == "video":
        formats.append("video")
    if script.caring_or_work:
        formats.append("evening")
    if has_phone and not script.interpreter_needed:
        formats.append("telephone")
    if script.mobility in ("none", "step_free"):
        formats.append("clinic")
    return list(dict.fromkeys(formats)) or ["clinic"]


def suggest_adjustments(script: BookingScript) -> list[dict]:
    """Adjustments the answers call for, to be confirmed by the person triaging."""
    found = []
    if script.interpreter_needed:
        found.append({"category": "communication_support",
                      "description": f"{script.language or 'Spoken language'} interpreter for every contact"})
    if script.communication_needs:
        found.append({"category": "information_format", "description": script.communication_needs})
    if script.mobility == "step_free":
        found.append({"category": "environment_access", "description": "Step-free access"})
    if script.mobility == "housebound":
        found.append({"category": "environment_access", "description": "Home visits"})
    if script.caring_or_work:
        found.append({"category": "timing", "description": f"Appointments that fit: {script.caring_or_work}"})
    if script.contact_method == "carer":
        found.append({"category": "support_person", "description": "Contact through the carer or advocate"})
    return found


def record_for(session: Session, referral_id: int) -> TriageRecord | None:
    """The booking script's answers saved for a referral, if any."""
    return session.scalar(select(TriageRecord).where(TriageRecord.referral_id == referral_id))


def save_script(session: Session, actor: Actor, referral: Referral, script: BookingScript,
                proposed_adjustments: list[dict], now: datetime, consent_basis: str = "patient") -> TriageRecord:
    """Store the answers and suggested formats, and record the chosen adjustments in the patient's register.

    An adjustment already active for the patient (same kind and description) is not recorded twice.
    """
    for item in proposed_adjustments:
        if item.get("category") not in ADJUSTMENT_CATEGORIES or not item.get("description"):
            raise InvalidInput({"proposed_adjustments": "Each adjustment needs a category and a description"})
    record = record_for(session, referral.id)
    if record is None:
        record = TriageRecord(referral_id=referral.id, recorded_by=actor.user_id, recorded_at=now)
        session.add(record)
    record.answers, record.suggested_formats = script.as_dict(), suggest_formats(script)
    record.proposed_adjustments = proposed_adjustments
    record.recorded_by, record.recorded_at = actor.user_id, now
    session.flush()
    events.record(session, actor, actions.TRIAGE_SCRIPT_RECORDED, "triage_record", record.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"answers": record.answers, "suggested_formats": record.suggested_formats,
                        "proposed_adjustments": proposed_adjustments})
    patient = session.get(Patient, referral.patient_id)
    held = {(a.category, a.description) for a in patient.active_adjustments}
    for item in proposed_adjustments:
        if (item["category"], item["description"]) not in held:
            adjustments.record_adjustment(
                session, actor, patient, adjustments.AdjustmentDetails(
                    category=item["category"], description=item["description"], consent_basis=consent_basis),
                "triage_script", now=now)
            held.add((item["category"], item["description"]))
    return record


def triage_referral(session: Session, actor: Actor, referral: Referral, seen_version: int, script: BookingScript,
                    proposed_adjustments: list[dict], outcome: str, *, reason_code: str | None = None,
                    reason_text: str | None = None, clarify: dict | None = None, now: datetime | None = None,
                    policy: Policy = DEFAULT_POLICY, consent_basis: str = "patient",
                    messages: MessageSettings | None = None) -> TriageRecord:
    """Record the booking script and one outcome: accept, clarify (then request_clarification), escalate, reject.

    Only a senior decides a referral escalated to senior triage. Rejecting a flagged referral does not
    reject it: it waits in rejection_review for a senior's sign-off.
    """
    now = now or datetime.now(UTC)
    locking.claim(session, referral)
    referral_flow.check_version(session, referral, seen_version)
    if outcome not in OUTCOMES:
        raise InvalidInput({"outcome": "Select what happens next"})
    if referral.triage_escalated_at and outcome in ("accept", "reject") and actor.role not in SENIOR_JUDGEMENT:
        raise NotPermitted("This referral is waiting for senior triage.")
    record = save_script(session, actor, referral, script, proposed_adjustments, now, consent_basis)
    if outcome == "accept":
        referral.triaged_at = now
        referral_flow.transition(session, actor, referral, "accept", actions.TRIAGE_ACCEPTED, now=now,
                                 data={"summary": "Accepted at triage"})
        record.outcome = "accepted"
    elif outcome == "escalate":
        if not reason_text:
            raise InvalidInput({"reason_text": "Say why this needs a senior's triage"})
        referral.triage_escalated_at = now
        referral_flow.transition(session, actor, referral, "escalate", actions.TRIAGE_ESCALATED, now=now,
                                 data={"reason": reason_text, "summary": "Escalated to senior triage"})
        record.outcome = "escalated"
    elif outcome == "reject":
        _reject(session, actor, referral, reason_code, reason_text, now)
        record.outcome = referral.state
    else:
        details = {"question": "", "channel": "", "contact_name": "", **(clarify or {})}
        clarification.request_clarification(session, actor, referral, referral.version, now=now, policy=policy,
                                            messages=messages or message_causes.DEFAULT_SETTINGS, **details)
        record.outcome = "clarification"
    session.flush()
    return record


def _reject(session: Session, actor: Actor, referral: Referral, code: str | None, text: str | None, now) -> None:
    errors = {}
    if code not in REJECTION_CODES:
        errors["reason_code"] = "Select the reason for rejecting"
    if not text:
        errors["reason_text"] = "Explain the decision for the referrer and the record"
    if errors:
        raise InvalidInput(errors)
    # Opened before the referral changes, so the referral is written (and its version bumped) once.
    review = (reviews.open_review(session, actor, referral, "rejection", code, text, now)
              if triage_flags.rejection_needs_a_senior(session, referral) else None)
    referral.rejection_code, referral.rejection_text, referral.triaged_at = code, text, now
    if review is not None:
        referral_flow.transition(session, actor, referral, "reject_flagged", actions.TRIAGE_REJECTION_PROPOSED,
                                 now=now, data={"code": code, "reason": text, "review_id": review.id,
                                                "summary": "Rejection proposed: waits for a senior"})
    else:
        referral_flow.transition(session, actor, referral, "reject", actions.TRIAGE_REJECTED, now=now,
                                 data={"code": code, "reason": text, "summary": "Rejected at triage"})


@dataclass(frozen=True)
class WorklistFilters:
    pathway: str | None = None
    flag: str | None = None
    overdue_only: bool = False


def _awaiting_triage():
    return select(Referral).where(Referral.state == "received")


def triage_worklist(session: Session, filters: WorklistFilters, now: datetime, page: int = 1,
                    per_page: int = worklists.PER_PAGE) -> worklists.WorklistPage:
    """Referrals awaiting triage: overdue, due today, then later, by due time; flagged first at equal time.

    Answered clarifications come back at the top (DOMAIN.md): they are due from the moment they return, so
    they lead the overdue band. Reads ix_referrals_triage_queue (state, triage_priority, triage_due_at); the
    cost follows the queue, not the history.
    """
    query = _awaiting_triage()
    if filters.pathway:
        query = query.join(Pathway).where(Pathway.code == filters.pathway)
    if filters.flag:
        query = query.where(cast(Referral.flags, String).like(f'%"{filters.flag}"%'))
    if filters.overdue_only:
        query = query.where(Referral.triage_due_at < now)
    order = (Referral.triage_priority, Referral.triage_due_at, Referral.flagged.desc(), Referral.id)
    return worklists.page_of(session, query, Referral.triage_due_at, timedelta(0), order, now, page, per_page)


def count_awaiting(session: Session) -> int:
    """For the navigation: referrals awaiting triage (an index-only count of ix_referrals_triage_queue)."""
    return worklists.count(session, _awaiting_triage())
