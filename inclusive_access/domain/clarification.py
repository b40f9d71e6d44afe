"""Rapid clarification: a poor-quality referral is never parked; the referrer is contacted within 24 hours."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import (
    actions,
    clocks,
    events,
    locking,
    message_causes,
    referral_flow,
    submissions,
    worklists,
)
from inclusive_access.domain.access import BOOKING_WORK, require_role
from inclusive_access.domain.actors import SYSTEM, Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.domain.outbox import MessageSettings
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import Clarification, ContactAttempt, Referral

CHANNELS = {"telephone": "Telephone", "email": "Email", "secure_message": "Secure message"}


def request_clarification(session: Session, actor: Actor, referral: Referral, seen_version: int, question: str,
                          channel: str, contact_name: str, submission_token: str | None = None,
                          now: datetime | None = None, policy: Policy = DEFAULT_POLICY,
                          messages: MessageSettings = message_causes.DEFAULT_SETTINGS) -> Clarification:
    """Ask the referrer a question; the referral waits in awaiting_clarification, due back in 24 hours. Asked by
    email, the question is queued to the referrer's email address with the request."""
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, Clarification, submission_token)
    referral_flow.check_version(session, referral, seen_version)
    errors = {}
    if not question:
        errors["question"] = "Enter the question for the referrer"
    if channel not in CHANNELS:
        errors["channel"] = "Select how you will contact them"
    if not contact_name:
        errors["contact_name"] = "Enter whom you will contact"
    if errors:
        raise InvalidInput(errors)
    item = Clarification(referral_id=referral.id, question=question, channel=channel, contact_name=contact_name,
                         requested_by=actor.user_id, requested_at=now,
                         due_at=clocks.clarification_due(now, policy.clocks), submission_token=submission_token)
    session.add(item)
    session.flush()
    asked = referral_flow.transition(session, actor, referral, "request_clarification",
                                     actions.CLARIFICATION_REQUESTED, now=now, entity=("clarification", item.id),
                                     data={"question": question, "channel": channel, "contact": contact_name,
                                           "due_at": item.due_at, "summary": "Clarification requested"})
    message_causes.clarification_requested(session, item, referral, asked, messages, now)
    return item


def log_attempt(session: Session, actor: Actor, item: Clarification, method: str, reached: bool,
                note: str | None, submission_token: str | None = None, now: datetime | None = None) -> ContactAttempt:
    """Record one attempt to reach the referrer, reached or not."""
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, ContactAttempt, submission_token)
    require_role(actor, BOOKING_WORK)
    _require_open(item)
    if method not in CHANNELS:
        raise InvalidInput({"method": "Select how you tried to contact them"})
    attempt = ContactAttempt(clarification_id=item.id, attempted_at=now, method=method, reached=reached, note=note,
                             recorded_by=actor.user_id, submission_token=submission_token)
    session.add(attempt)
    session.flush()
    referral = session.get(Referral, item.referral_id)
    events.record(session, actor, actions.CLARIFICATION_ATTEMPTED, "clarification", item.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"method": method, "reached": reached, "note": note})
    return attempt


def close_clarification(session: Session, actor: Actor, item: Clarification, seen_version: int,
                        response: str | None, close_reason: str | None, now: datetime | None = None) -> None:
    """Close with the referrer's answer, or a documented reason; the referral goes back to the top of triage."""
    now = now or datetime.now(UTC)
    require_role(actor, BOOKING_WORK)
    events.lock_log(session)
    _require_open(item)
    if seen_version != item.version:
        raise StaleRecord("This clarification changed since you opened it.")
    if not response and not close_reason:
        raise InvalidInput({"response": "Enter the referrer's answer, or the reason for closing without one"})
    referral = session.get(Referral, item.referral_id)
    item.response, item.close_reason = response or None, (close_reason or None) if not response else None
    item.closed_by, item.closed_at = actor.user_id, now
    # Back at the top of the triage queue, due now: the wait for the answer has already cost time.
    referral.triage_priority, referral.triage_due_at = 0, now
    locking.flush(session, "clarification")
    action = actions.CLARIFICATION_ANSWERED if response else actions.CLARIFICATION_CLOSED
    referral_flow.transition(session, actor, referral, "clarification_closed", action, now=now,
                             entity=("clarification", item.id),
                             data={"response": response, "close_reason": item.close_reason,
                                   "summary": "Clarification answered" if response else "Closed without answer"})


def escalate_overdue(session: Session, now: datetime | None = None) -> list[Clarification]:
    """`flask sla sweep`: escalate each newly overdue clarification once (escalated_at makes it idempotent)."""
    now = now or datetime.now(UTC)
    events.lock_log(session)
    overdue = session.scalars(
        select(Clarification).where(Clarification.closed_at.is_(None), Clarification.escalated_at.is_(None),
                                    Clarification.due_at < now).order_by(Clarification.due_at)
    ).all()
    for item in overdue:
        item.escalated_at = now
        session.flush()
        referral = session.get(Referral, item.referral_id)
        events.record(session, SYSTEM, actions.CLARIFICATION_ESCALATED, "clarification", item.id,
                      patient_id=referral.patient_id, referral_id=referral.id, now=now,
                      data={"due_at": item.due_at,
                            "overdue_by_minutes": int((now - item.due_at).total_seconds() // 60)})
    return list(overdue)


def _open():
    return select(Clarification).where(Clarification.closed_at.is_(None))


def clarification_worklist(session: Session, now: datetime, page: int = 1,
                           per_page: int = worklists.PER_PAGE) -> worklists.WorklistPage:
    """Open clarifications: overdue (the escalated among them) first, then due today, then later, by due time.

    Reads ix_clarifications_open_by_due (closed_at, due_at).
    """
    order = (Clarification.due_at, Clarification.id)
    return worklists.page_of(session, _open(), Clarification.due_at, timedelta(0), order, now, page, per_page)


def count_open(session: Session) -> int:
    return worklists.count(session, _open())


def _require_open(item: Clarification) -> None:
    if item.closed_at is not None:
        raise InvalidInput({"response": "This clarification is already closed"})
