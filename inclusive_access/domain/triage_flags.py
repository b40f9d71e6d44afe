"""Correcting a referral's inequality flags at triage, with a reason (DOMAIN.md: derived at receipt, snapshotted on
the referral, editable at triage with a reason)."""
from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, clocks, locking, referral_flow, segments, states
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import Event, Referral

#: the triage_priority of a referral waiting in due order; a lower one was put at the top on purpose (returned
#: from clarification or review, due now), and a flag changes nothing about that
IN_DUE_ORDER = 1


def correct_flags(session: Session, actor: Actor, referral: Referral, seen_version: int, flags: list[str],
                  reason: str | None, now: datetime | None = None, policy: Policy = DEFAULT_POLICY) -> None:
    """Set the referral's flags to `flags` (keys of segments.FLAGS): whether it is flagged, and with that when its
    triage is due, follows them, and the reports count the corrected snapshot (fact_projection)."""
    now = now or datetime.now(UTC)
    locking.claim(session, referral)
    referral_flow.check_version(session, referral, seen_version)
    states.next_state(referral.state, "correct_flags", actor.role)
    chosen = [flag.key for flag in segments.FLAGS if flag.key in flags]
    errors = {}
    if set(flags) - set(chosen):
        errors["flags"] = "Select flags from the list only"
    elif chosen == list(referral.flags):
        errors["flags"] = "Change at least one flag, or go back to the booking script"
    if not reason:
        errors["reason"] = "Give the reason for changing the flags"
    if errors:
        raise InvalidInput(errors)
    before = list(referral.flags)
    referral.flags, referral.flagged = chosen, bool(chosen)
    if referral.triage_priority == IN_DUE_ORDER:
        referral.triage_due_at = clocks.triage_due(referral.received_at, referral.flagged, policy.clocks)
    referral_flow.transition(session, actor, referral, "correct_flags", actions.TRIAGE_FLAGS_CORRECTED, now=now,
                             data={"flags_before": before, "flags": chosen, "reason": reason,
                                   "triage_due_at": referral.triage_due_at,
                                   "summary": "Inequality flags corrected"})


def rejection_needs_a_senior(session: Session, referral: Referral) -> bool:
    """Whether rejecting the referral waits for a senior's sign-off (DOMAIN.md: a flagged referral's does): it is
    flagged, or its flags were ever corrected, since every correction leaves or finds it flagged. Removing the flags
    must not be the way past the second pair of eyes (H-014)."""
    return referral.flagged or bool(session.scalar(select(exists().where(
        Event.referral_id == referral.id, Event.action == actions.TRIAGE_FLAGS_CORRECTED))))
