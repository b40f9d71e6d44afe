"""referral_facts follow clinical time, not the order of entry (issue 15): the first attendance by its start, an
adjustment in place while the referral was open, each DNA's own rebooking; and random histories entered in any
order give the same facts, live and rebuilt."""
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import adjustments, appointments, dna, events, fact_rebuild, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Event, ReferralFact
from tests.domain.test_facts import counts, snapshot
from tests.factories import SCRIPT, make_referral, make_user


def rebuilt_equals_live(session) -> None:
    session.commit()
    live, counted = snapshot(session), counts(session)
    fact_rebuild.rebuild(session)
    session.commit()
    session.expire_all()
    assert (snapshot(session), counts(session)) == (live, counted)


def accepted(session, booker, received_at: str):
    referral = make_referral(session, received_at=received_at)
    triage.triage_referral(session, booker, referral, referral.version, SCRIPT, [], "accept",
                           now=referral.received_at + timedelta(hours=1))
    return referral


def book(session, booker, referral, starts: datetime, booked: datetime):
    return appointments.book_appointment(session, booker, referral, referral.version, starts, "telephone", None,
                                         now=booked)


def test_first_contact_is_the_earliest_attendance_whichever_was_recorded_first(db_session):
    """Received 2 Nov; seen 5 Nov and 12 Nov; the 12 Nov attendance recorded first, 5 Nov's a day later: the wait
    is 3 days (it was 10)."""
    booker = actor_for(make_user(db_session, "booking"))
    clinician = actor_for(make_user(db_session, "clinician"))
    referral = accepted(db_session, booker, "2026-11-02 09:00")
    fifth, twelfth = datetime(2026, 11, 5, 9, tzinfo=UTC), datetime(2026, 11, 12, 9, tzinfo=UTC)
    early = book(db_session, booker, referral, fifth, datetime(2026, 11, 2, 11, tzinfo=UTC))
    late = book(db_session, booker, referral, twelfth, datetime(2026, 11, 2, 11, 5, tzinfo=UTC))
    appointments.record_outcome(db_session, clinician, late, late.version, "attended", now=twelfth + timedelta(hours=2))
    appointments.record_outcome(db_session, clinician, early, early.version, "attended",
                                now=twelfth + timedelta(days=1))
    row = db_session.get(ReferralFact, referral.id)
    assert (row.attended, row.first_contact_at, row.first_contact_month) == (2, fifth, "2026-11")
    assert row.days_to_first_contact == pytest.approx(3.0)
    rebuilt_equals_live(db_session)


def test_an_adjustment_active_at_receipt_counts_for_a_referral_entered_later(db_session):
    """An adjustment recorded 1 Oct and ended 10 Nov: a referral received on 5 Nov but entered today had it in
    place (it showed 0); one received on 11 Nov, entered today, did not."""
    clinician = actor_for(make_user(db_session, "clinician"))
    first = make_referral(db_session, received_at="2026-09-01 09:00")
    item = adjustments.record_adjustment(
        db_session, clinician, first.patient, adjustments.AdjustmentDetails(
            category="timing", description="Afternoons", consent_basis="patient"), "patient_request",
        now=datetime(2026, 10, 1, 9, tzinfo=UTC))
    adjustments.end_adjustment(db_session, clinician, item, item.version, "No longer needed",
                               now=datetime(2026, 11, 10, 9, tzinfo=UTC))
    number = first.patient.nhs_number
    during = make_referral(db_session, nhs_number=number, pathway="frailty", received_at="2026-11-05 09:00")
    after = make_referral(db_session, nhs_number=number, pathway="frailty", received_at="2026-11-11 09:00")
    in_place = {r.id: db_session.get(ReferralFact, r.id).adjustment_in_place for r in (first, during, after)}
    assert in_place == {first.id: True, during.id: True, after.id: False}
    rebuilt_equals_live(db_session)


def _complete_open_checks(session, booker, clinician, referral, at: datetime) -> int:
    done = 0
    while (check := dna.open_check_for(session, referral.id)) is not None:
        dna.log_attempt(session, booker, check, "telephone", True, None, now=at)
        dna.complete_barrier_check(session, clinician, check, check.version, "rebooked", now=at)
        done += 1
    return done


def test_two_dnas_followed_by_one_booking_are_both_rebooked(db_session):
    """DNAs on 8 and 10 June, one booking on 12 June: each DNA was rebooked within 14 days, 2 of 2 (it was 1)."""
    booker = actor_for(make_user(db_session, "booking"))
    clinician = actor_for(make_user(db_session, "clinician"))
    referral = accepted(db_session, booker, "2026-06-01 09:00")
    slots = [datetime(2026, 6, 8, 9, tzinfo=UTC), datetime(2026, 6, 10, 9, tzinfo=UTC)]
    missed = [book(db_session, booker, referral, slot, datetime(2026, 6, 2, 9, minute, tzinfo=UTC))
              for minute, slot in enumerate(slots)]
    for appointment, slot in zip(missed, slots, strict=True):
        appointments.record_outcome(db_session, clinician, appointment, appointment.version, "dna",
                                    now=slot + timedelta(hours=1))
    assert _complete_open_checks(db_session, booker, clinician, referral, datetime(2026, 6, 11, 9, tzinfo=UTC))
    book(db_session, booker, referral, datetime(2026, 6, 19, 9, tzinfo=UTC), datetime(2026, 6, 12, 9, tzinfo=UTC))
    row = db_session.get(ReferralFact, referral.id)
    assert (row.dnas, row.dnas_rebooked_in_14_days, row.unrebooked_dna_at) == (2, 2, None)
    rebuilt_equals_live(db_session)


def test_a_dna_recorded_after_the_next_booking_is_rebooked_by_it(db_session):
    """Missed on 8 June, the next appointment booked on 12 June, and the DNA recorded only on 13 June: rebooked
    4 days after the missed one (in entry order nothing followed the DNA)."""
    booker = actor_for(make_user(db_session, "booking"))
    clinician = actor_for(make_user(db_session, "clinician"))
    referral = accepted(db_session, booker, "2026-06-01 09:00")
    slot = datetime(2026, 6, 8, 9, tzinfo=UTC)
    missed = book(db_session, booker, referral, slot, datetime(2026, 6, 2, 9, tzinfo=UTC))
    book(db_session, booker, referral, datetime(2026, 6, 20, 9, tzinfo=UTC), datetime(2026, 6, 12, 9, tzinfo=UTC))
    appointments.record_outcome(db_session, clinician, missed, missed.version, "dna",
                                now=datetime(2026, 6, 13, 9, tzinfo=UTC))
    row = db_session.get(ReferralFact, referral.id)
    assert (row.dnas, row.dnas_rebooked_in_14_days, row.unrebooked_dna_at) == (1, 1, None)
    rebuilt_equals_live(db_session)


# Random histories. Acts (a triage decision, a booking, a discharge, an adjustment recorded or ended) are entered
# as they happen, so each referral's acts, and each patient's, keep their order; a referral may be entered any time
# after it was received, and an attendance or a DNA recorded any time after the appointment. Entry orders differ
# in everything else: between referrals and patients, and where each late entry falls.
BASE = datetime(2026, 3, 2, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Step:
    action: str
    #: when it was entered (an act's own time; kept whatever the entry order)
    at: datetime
    #: when it happened: the order of the history entered as it happened
    effective: datetime
    referral: int | None
    patient: int
    data: dict
    #: the acts it keeps its place among: ("referral", k) or ("patient", p); None: late, after its referral's receipt
    chain: tuple | None


def _minutes(rng: random.Random, low_days: float, high_days: float) -> timedelta:
    return timedelta(minutes=rng.randint(int(low_days * 1440), int(high_days * 1440)))


def _referral(rng: random.Random, k: int, patient: int) -> list[Step]:
    received = BASE + _minutes(rng, 0, 60)
    chain = ("referral", k)
    steps = [Step("referral.received", received + _minutes(rng, 0, 20), received, k, patient,
                  {"received_at": received, "pathway_code": "msk"}, chain)]
    at = received + _minutes(rng, 0.01, 2)
    steps.append(Step("triage.accepted", at, at, k, patient, {"from": "received", "to": "accepted"}, chain))
    last = at
    for _ in range(rng.randint(0, 4)):
        booked = at + _minutes(rng, 0.01, 30)
        starts = booked + _minutes(rng, 0.5, 16)
        if rng.random() < 0.1:  # a past contact, recorded after it happened
            booked, retrospective = starts + _minutes(rng, 0.5, 10), {"retrospective": True}
        else:
            retrospective = {}
        steps.append(Step("appointment.booked", booked, booked, k, patient, {"starts_at": starts, **retrospective},
                          chain))
        outcome = rng.choice(["appointment.attended", "appointment.dna", "appointment.dna", None])
        if outcome:
            recorded = max(starts, booked) + _minutes(rng, 0, 20)
            steps.append(Step(outcome, recorded, starts, k, patient, {"starts_at": starts}, None))
        last = max(last, booked, starts)
    if rng.random() < 0.4:
        closed = last + _minutes(rng, 0.1, 20)
        steps.append(Step("referral.discharged", closed, closed, k, patient,
                          {"from": "accepted", "to": "discharged", "reason": rng.choice(["treatment_complete",
                                                                                         "non_attendance"])},
                          chain))
    steps[1:] = sorted(steps[1:], key=lambda s: s.effective)  # an act's time is its entry: the chain in time order
    return steps


def history(rng: random.Random) -> list[Step]:
    """A few patients, their adjustments (recorded, some ended) and referrals, in the order they happened."""
    patients = rng.randint(1, 3)
    steps = []
    for p in range(patients):
        for _ in range(rng.randint(0, 2)):
            recorded = BASE + _minutes(rng, -20, 80)
            steps.append(Step("adjustment.recorded", recorded, recorded, None, p, {}, ("patient", p)))
            if rng.random() < 0.6:
                ended = recorded + _minutes(rng, 0.1, 40)
                steps.append(Step("adjustment.ended", ended, ended, None, p, {}, ("patient", p)))
    for k in range(rng.randint(1, 5)):
        steps += _referral(rng, k, rng.randrange(patients))
    return sorted(steps, key=lambda s: (s.effective, s.chain is None))


def entered(rng: random.Random, steps: list[Step]) -> list[Step]:
    """The same history in a random order of entry: acts in their chain's order, late entries after their
    referral's receipt, anything else in any order."""
    chains: dict[tuple, list[Step]] = {}
    late: list[Step] = []
    for step in steps:
        (chains.setdefault(step.chain, []) if step.chain else late).append(step)
    received: set[int] = set()
    order = []
    while len(order) < len(steps):
        ready = [("chain", key) for key, chain in chains.items() if chain]
        ready += [("late", i) for i, step in enumerate(late) if step.referral in received]
        kind, key = rng.choice(ready)
        step = chains[key].pop(0) if kind == "chain" else late.pop(key)
        if step.action == "referral.received":
            received.add(step.referral)
        order.append(step)
    return order


def rows(steps: list[Step]) -> list[tuple]:
    return [(s.action, s.at, None if s.referral is None else 100 + s.referral, 10 + s.patient, s.data)
            for s in steps]


@pytest.mark.parametrize("seed", range(300))
def test_a_history_entered_in_any_order_has_the_same_facts(seed):
    rng = random.Random(seed)
    steps = history(rng)
    unrebooked = {}
    as_it_happened = fact_rebuild.replay(rows(steps), unrebooked)
    for _ in range(3):
        found = {}
        assert fact_rebuild.replay(rows(entered(rng, steps)), found) == as_it_happened
        assert found == unrebooked


def _record(session, actor, step: Step, referral_ids: dict[int, int], patients: dict[int, tuple[str, int]]) -> None:
    number, patient_id = patients[step.patient]
    if step.action == "referral.received":  # through intake, as staff enter it: today, received on its day
        received = step.data["received_at"].astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
        referral_ids[step.referral] = make_referral(session, nhs_number=number, received_at=received).id
        return
    events.record(session, actor, step.action, "test", None, patient_id=patient_id,
                  referral_id=None if step.referral is None else referral_ids[step.referral], data=step.data,
                  now=step.at)


def _log(session) -> list[tuple]:
    query = (select(Event.action, Event.occurred_at, Event.referral_id, Event.patient_id, Event.data)
             .order_by(Event.seq))
    return [tuple(row) for row in session.execute(query)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_history_entered_in_a_random_order_gives_the_same_facts_live_and_rebuilt(db_session, seed):
    """Live (each event as entered), rebuilt from the log, and replayed in the order it all happened: the same."""
    rng = random.Random(seed)
    steps = history(rng)
    while len({s.referral for s in steps if s.referral is not None}) < 3:  # enough to interleave
        steps = history(rng)
    actor = actor_for(make_user(db_session, "clinician"))
    patients = {}
    for p in {s.patient for s in steps}:  # each patient's first referral, entered first, long before the rest
        anchor = make_referral(db_session, received_at=(BASE - timedelta(days=90)).strftime("%Y-%m-%d %H:%M"))
        patients[p] = anchor.patient.nhs_number, anchor.patient_id
    referral_ids: dict[int, int] = {}
    for step in entered(rng, steps):
        _record(db_session, actor, step, referral_ids, patients)
    db_session.commit()
    live = snapshot(db_session)
    fact_rebuild.rebuild(db_session)
    db_session.commit()
    db_session.expire_all()
    assert snapshot(db_session) == live
    as_it_happened = fact_rebuild.replay(sorted(_log(db_session), key=_effective))
    assert [as_it_happened[row["referral_id"]] for row in live] == live


def _effective(row: tuple) -> datetime:
    """When a logged event happened: a referral's receipt, an appointment's start, or else its entry."""
    action, at, _rid, _pid, data = row
    data = json.loads(data)
    if action == "referral.received":
        return datetime.fromisoformat(data["received_at"])
    if action in ("appointment.attended", "appointment.dna"):
        return datetime.fromisoformat(data["starts_at"])
    return at if at.tzinfo else at.replace(tzinfo=UTC)
