"""Lost contact after outreach: once a linked record's planned follow-up date has passed, the sweep (`flask sla
sweep`) judges whether there was contact since the person was seen, and puts the referral on the senior review list
when there was none, as repeated missed appointments do.

Contact is any of: a later outreach record linked to the same patient, an attended appointment on any of the
patient's referrals, or a contact attempt that reached them, from the time they were seen up to the end of the
follow-up day (UK time). Each record is judged once, evented either way: the judgement is kept on the record
(follow_up_checked_at, contact_lost), which takes it out of the sweep's index, so a run reads only the follow-ups
that fell due since the last one.
"""
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, dna, events
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.domain.appointments import SEEN
from inclusive_access.domain.states import REFERRAL_TRANSITIONS, ReferralState
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Appointment, BarrierCheck, BarrierContactAttempt, OutreachRecord, Referral

#: a referral still in triage waits to be judged: the senior's decisions at an attendance review (continue
#: engagement, discharge) apply only once it is accepted, and the next sweep after that judges it
IN_TRIAGE = frozenset({ReferralState.RECEIVED, ReferralState.AWAITING_CLARIFICATION, ReferralState.REJECTION_REVIEW})
#: where a lost contact puts the referral on the senior review list: where a senior can continue engagement
FLAGGED_FROM = frozenset(state for (state, action) in REFERRAL_TRANSITIONS if action == "continue_engagement")


def lost_contact_reason(follow_up_on: date) -> str:
    return f"Lost contact after outreach (follow-up due {follow_up_on:%-d %b %Y})"


def sweep(session: Session, now: datetime | None = None) -> list[OutreachRecord]:
    """Judge each linked record whose follow-up day is over and not yet judged; returns those that lost contact.

    Idempotent: a judged record is never read again, and a referral already on the senior review list keeps its
    first reason (dna.flag_for_senior_review). Reads ix_outreach_records_follow_up_due.
    """
    now = now or datetime.now(UTC)
    events.lock_log(session)
    lost = []
    for record in session.scalars(due(now.astimezone(LONDON).date())).all():
        record.follow_up_checked_at, record.contact_lost = now, not _contact_by(session, record)
        session.flush()
        referral = session.get(Referral, record.referral_id)
        events.record(session, SYSTEM, actions.OUTREACH_FOLLOW_UP_CHECKED, "outreach_record", record.id,
                      patient_id=record.patient_id, referral_id=record.referral_id, now=now,
                      data={"follow_up_on": record.follow_up_on, "contact_lost": record.contact_lost})
        if record.contact_lost:
            lost.append(record)
            if referral.state in FLAGGED_FROM:
                dna.flag_for_senior_review(session, SYSTEM, referral, lost_contact_reason(record.follow_up_on), now)
    return lost


def due(today: date) -> Select:
    """Linked records not yet judged whose follow-up day is over, but for referrals still in triage (their terms
    restate the index's condition, so both databases read it)."""
    return (select(OutreachRecord).join(Referral, Referral.id == OutreachRecord.referral_id)
            .where(OutreachRecord.referral_id.is_not(None), OutreachRecord.follow_up_checked_at.is_(None),
                   OutreachRecord.follow_up_on < today, Referral.state.not_in(sorted(IN_TRIAGE)))
            .order_by(OutreachRecord.follow_up_on, OutreachRecord.id))


def _contact_by(session: Session, record: OutreachRecord) -> bool:
    """Whether the patient was in contact from when the record saw them to the end of its follow-up day."""
    until = datetime.combine(record.follow_up_on + timedelta(days=1), time(), tzinfo=LONDON).astimezone(UTC)
    of_patient = Referral.patient_id == record.patient_id
    seen_again = exists().where(OutreachRecord.patient_id == record.patient_id, OutreachRecord.id != record.id,
                                OutreachRecord.seen_at > record.seen_at, OutreachRecord.seen_at < until)
    attended = (exists().where(Appointment.referral_id == Referral.id, of_patient, Appointment.status.in_(sorted(SEEN)),
                               Appointment.starts_at >= record.seen_at, Appointment.starts_at < until))
    reached = (exists().where(BarrierContactAttempt.barrier_check_id == BarrierCheck.id,
                              BarrierCheck.referral_id == Referral.id, of_patient,
                              BarrierContactAttempt.reached.is_(True),
                              BarrierContactAttempt.attempted_at >= record.seen_at,
                              BarrierContactAttempt.attempted_at < until))
    return bool(session.scalar(select(or_(seen_again, attended, reached))))
