"""The only writer of referral_facts (and, through fact_counts, of its counts) and of outcome_facts as events are
appended: each event updates its referral's rows in the same transaction, by fact_projection's `project` and
outcome_projection's `outcome`, and forgets the stored wait figures of a month it moves (monthly_waits);
fact_rebuild recomputes every row from the log alone with the same functions."""
import json
from collections import Counter
from datetime import date
from functools import cache

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, fact_counts, locking, monthly_waits, outcome_projection
from inclusive_access.domain.fact_projection import (
    COLUMNS,
    PATIENT_ACTIONS,
    Adjustments,
    Appointments,
    Known,
    booking,
    project,
    to_utc,
    unfollowed,
)
from inclusive_access.models import Event, OutcomeFact, ReferralFact, UnrebookedDna

#: session.info key set while fact_rebuild.deferred holds the projection back for one rebuild
DEFERRED = "facts_deferred"


def _row(session: Session, referral_id: int) -> dict | None:
    row = session.get(ReferralFact, referral_id)
    return None if row is None else {c: getattr(row, c) for c in COLUMNS}


def _referrals_of(session: Session, patient_id: int) -> list[dict]:
    session.flush()  # a discharge's own row first
    return [_row(session, rid) for rid in session.scalars(select(ReferralFact.referral_id).where(
        ReferralFact.patient_id == patient_id))]


def _adjustments(session: Session, patient_id: int) -> Adjustments:
    """The patient's adjustments as the log stands (read from ix_events_patient_seq)."""
    recorded, ended = [], []
    for action, at in session.execute(select(Event.action, Event.occurred_at).where(
            Event.patient_id == patient_id, Event.action.in_(sorted(PATIENT_ACTIONS)))):
        (recorded if action == actions.ADJUSTMENT_RECORDED else ended).append(to_utc(at))
    return Adjustments(recorded, ended)


def _appointments(session: Session, referral_id: int) -> Appointments:
    """The referral's missed appointments and bookings as the log stands (read from ix_events_referral_seq)."""
    missed, booked = [], []
    for action, at, data in session.execute(select(Event.action, Event.occurred_at, Event.data).where(
            Event.referral_id == referral_id, Event.action.in_((actions.APPOINTMENT_DNA, actions.APPOINTMENT_BOOKED)))):
        data = json.loads(data)
        if action == actions.APPOINTMENT_DNA:
            missed.append(to_utc(data["starts_at"]))
        else:
            booked.append(booking(at, data))
    return Appointments(missed, booked)


def _logged(session: Session, referral_id: int, action: str) -> list[dict]:
    """The data of a referral's events of one action, in log order (read from ix_events_referral_seq)."""
    return [json.loads(data) for data in session.scalars(select(Event.data).where(
        Event.referral_id == referral_id, Event.action == action).order_by(Event.seq))]


def _urgent_contacts(session: Session, referral_id: int) -> list[date]:
    return [outcome_projection.occurred_on(data)
            for data in _logged(session, referral_id, actions.URGENT_CONTACT_RECORDED)]


def _store_outcome(session: Session, event: Event) -> None:
    """Rewrite the outcome_facts row of the event's referral and instrument from all its answers in the log."""
    instrument = json.loads(event.data)["instrument"]
    answers = [outcome_projection.answer(data)
               for data in _logged(session, event.referral_id, actions.QUESTIONNAIRE_COMPLETED)
               if data["instrument"] == instrument]
    after = outcome_projection.outcome(event.referral_id, instrument, answers)
    row = session.get(OutcomeFact, (event.referral_id, instrument))
    if row is None:
        session.add(OutcomeFact(**after))
    else:
        for column, value in after.items():
            setattr(row, column, value)
    session.flush()


def apply(session: Session, event: Event) -> None:
    """Update the facts an event changes, in the caller's transaction (events.record calls this, once the event is
    flushed): its referral's, or for an adjustment recorded or ended, those of all the patient's referrals."""
    if session.info.get(DEFERRED):
        return
    locking.share_projection(session)
    if event.action in outcome_projection.ACTIONS:
        _store_outcome(session, event)
        return
    if event.action in PATIENT_ACTIONS:
        referral_ids = session.scalars(select(ReferralFact.referral_id).where(
            ReferralFact.patient_id == event.patient_id)).all()
    elif event.action == actions.REFERRAL_DISCHARGED:  # its own referral, then the others it may make re-referrals
        referral_ids = [event.referral_id, *session.scalars(select(ReferralFact.referral_id).where(
            ReferralFact.patient_id == event.patient_id, ReferralFact.referral_id != event.referral_id))]
    elif event.referral_id is not None:
        referral_ids = [event.referral_id]
    else:
        return
    known = Known(cache(lambda pid: _adjustments(session, pid)), lambda rid: _appointments(session, rid),
                  lambda pid: _referrals_of(session, pid), lambda rid: _urgent_contacts(session, rid))
    for referral_id in referral_ids:
        before = _row(session, referral_id)
        after = project(before, event, known)
        if after is None or after == before:
            continue
        if before is None:
            session.add(ReferralFact(**after))
        else:
            row = session.get(ReferralFact, referral_id)
            for column, value in after.items():
                if before[column] != value:
                    setattr(row, column, value)
        fact_counts.add(session, before, after)
        monthly_waits.forget(session, before, after)
        if event.action in (actions.APPOINTMENT_DNA, actions.APPOINTMENT_BOOKED):  # a DNA, or a booking after one
            session.execute(delete(UnrebookedDna).where(UnrebookedDna.referral_id == referral_id))
            store_unrebooked(session, {referral_id: Counter(unfollowed(known.appointments(referral_id)))})
    session.flush()


def store_unrebooked(session: Session, by_referral: dict[int, Counter]) -> None:
    """Write unrebooked_dnas rows: each referral's missed starts, and how many were missed at each."""
    rows = [{"referral_id": rid, "missed_at": at, "dnas": n} for rid, starts in by_referral.items()
            for at, n in sorted(starts.items())]
    if rows:
        session.execute(insert(UnrebookedDna), rows)

