"""referral_facts: maintained with every event, and rebuilt from the log alone with identical rows."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inclusive_access.domain import (
    actions,
    adjustments,
    appointments,
    discharge,
    dna,
    events,
    fact_counts,
    fact_projection,
    fact_rebuild,
    outcome_projection,
    triage,
)
from inclusive_access.domain.actors import actor_for
from inclusive_access.models import Event, OutcomeFact, ReferralFact, ReferralFactCount, UnrebookedDna
from tests.demo_snapshots import EVERY_PATH, same_demo
from tests.factories import SCRIPT, accept_and_attend, discharged, make_referral, make_user, staff


def snapshot(session) -> list[dict]:
    rows = session.scalars(select(ReferralFact).order_by(ReferralFact.referral_id)).all()
    return [{c: getattr(row, c) for c in fact_projection.COLUMNS} for row in rows]


def outcomes(session) -> list[dict]:
    rows = session.scalars(select(OutcomeFact).order_by(OutcomeFact.referral_id, OutcomeFact.instrument_id)).all()
    return [{c: getattr(row, c) for c in outcome_projection.COLUMNS} for row in rows]


def unrebooked(session) -> list[tuple]:
    table = UnrebookedDna.__table__
    return [tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))]


def counts(session) -> list[tuple]:
    table = ReferralFactCount.__table__
    return [tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))]


def assert_the_rebuild_agrees(session) -> None:
    """The facts, counts and outcome facts kept event by event are what a rebuild from the log alone makes."""
    incremental, counted, outcome_rows = snapshot(session), counts(session), outcomes(session)
    fact_rebuild.rebuild(session)
    session.commit()
    session.expire_all()
    assert (snapshot(session), counts(session), outcomes(session)) == (incremental, counted, outcome_rows)


@pytest.mark.parametrize("seed", [pytest.param(EVERY_PATH["seed"], marks=same_demo(**EVERY_PATH)), 20261201])
def test_the_rebuilt_projection_equals_the_incremental_one_row_for_row(db_session, load_demo, seed):
    """A random workflow history (the demo generator: triage, clarifications, DNAs, barrier checks, adjustments,
    discharges, safeguarding, questionnaires, urgent contacts) maintained event by event, then rebuilt from the log
    alone."""
    load_demo(**{**EVERY_PATH, "seed": seed})
    incremental = snapshot(db_session)
    total = len(incremental)  # 90, and the demo's few re-referrals
    assert total >= 90
    assert {row["state"] for row in incremental} >= {"received", "accepted", "in_treatment"}
    assert sum(row["dnas"] for row in incremental) > 0, "the history exercises missed appointments"
    assert 0 < sum(row["adjustment_in_place"] for row in incremental) < total, "and adjustments for some"
    counted, pending, outcome_rows = counts(db_session), unrebooked(db_session), outcomes(db_session)
    assert pending, "some DNAs no booking has followed"
    assert any(row["improved_at"] for row in outcome_rows), "and questionnaires answered, some improving"
    referrals = fact_counts.KEYS.index("value") + 1  # the first count
    assert sum(row[referrals] for row in counted) == total * (1 + len(fact_counts.SEGMENTS))  # "all" and each segment
    assert fact_rebuild.rebuild(db_session) == total
    db_session.commit()
    db_session.expire_all()
    assert snapshot(db_session) == incremental
    assert counts(db_session) == counted  # each event's change, and the rebuild's GROUP BY, counted alike
    assert unrebooked(db_session) == pending
    assert outcomes(db_session) == outcome_rows


def test_rebuild_replaces_a_damaged_projection(db_session):
    referral = make_referral(db_session)
    db_session.commit()
    row = db_session.get(ReferralFact, referral.id)
    row.pathway, row.dnas = "wrong", 99  # a stray edit outside the domain
    db_session.commit()
    fact_rebuild.rebuild(db_session)
    db_session.commit()
    db_session.expire_all()
    row = db_session.get(ReferralFact, referral.id)
    assert (row.pathway, row.dnas) == ("msk", 0)


def test_a_crafted_history_gives_the_facts_a_person_would_count(db_session):
    """Flagged (housing), received Monday 1 June 2026 09:00 BST, accepted at 11:00, a DNA on 8 June, rebooked
    10 days later (then moved a day), seen on 25 June (24 days after receipt), then discharged for
    non-attendance by a senior."""
    booker = actor_for(make_user(db_session, "booking"))
    clinician = actor_for(make_user(db_session, "clinician"))
    senior = actor_for(make_user(db_session, "senior"))
    referral = make_referral(db_session, received_at="2026-06-01 09:00", housing_status="temporary",
                             date_of_birth="1950-04-01", sex="female", ethnic_category="N", imd_decile="2")
    received = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    triage.triage_referral(db_session, booker, referral, referral.version, SCRIPT, [], "accept",
                           now=received + timedelta(hours=2))
    missed_slot = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
    missed = appointments.book_appointment(db_session, booker, referral, referral.version, missed_slot, "telephone",
                                           None, now=received + timedelta(hours=3))
    appointments.record_outcome(db_session, clinician, missed, missed.version, "dna",
                                now=missed_slot + timedelta(hours=1))
    assert db_session.get(ReferralFact, referral.id).dnas == 1, "the projection follows each event"
    open_check = dna.open_check_for(db_session, referral.id)
    dna.log_attempt(db_session, booker, open_check, "telephone", True, None, now=missed_slot + timedelta(days=1))
    dna.complete_barrier_check(db_session, clinician, open_check, open_check.version, "rebooked",
                               now=missed_slot + timedelta(days=1))
    seen_slot = datetime(2026, 6, 25, 8, 0, tzinfo=UTC)
    seen = appointments.book_appointment(db_session, booker, referral, referral.version, seen_slot - timedelta(days=1),
                                         "clinic", "Hub", now=missed_slot + timedelta(days=10))
    appointments.rebook_appointment(db_session, booker, seen, seen.version, seen_slot, "clinic", "Hub",
                                    now=missed_slot + timedelta(days=11))  # its "from"/"to" are not states
    assert db_session.get(ReferralFact, referral.id).state == "accepted"
    appointments.record_outcome(db_session, clinician, seen, seen.version, "attended",
                                now=seen_slot + timedelta(hours=1))
    review = discharge.request_discharge(db_session, clinician, referral, referral.version, "non_attendance",
                                         "Declined further appointments", now=seen_slot + timedelta(days=5))
    discharge.decide_review(db_session, senior, review, referral.version,
                            discharge.Decision("approved", "Agreed with the GP"), now=seen_slot + timedelta(days=6))
    db_session.commit()
    row = db_session.get(ReferralFact, referral.id)
    assert (row.pathway, row.received_month, row.imd_quintile, row.ethnic_group, row.sex, row.age_band) == (
        "msk", "2026-06", 1, "Black or Black British", "female", "75-84")
    assert (row.flagged, row.flag_housing, row.flag_deprivation, row.flag_language) == (True, True, True, False)
    assert (row.triaged_at, row.accepted_at) == (received + timedelta(hours=2), received + timedelta(hours=2))
    assert row.triage_due_at == datetime(2026, 6, 1, 16, 0, tzinfo=UTC), "same day, 17:00 BST"
    assert (row.attended, row.dnas, row.dnas_rebooked_in_14_days, row.unrebooked_dna_at) == (1, 1, 1, None)
    assert (row.barrier_checks, row.barrier_checks_completed) == (1, 1)
    assert (row.first_contact_at, row.first_contact_month) == (seen_slot, "2026-06")
    assert row.days_to_first_contact == pytest.approx(24.0)
    assert (row.state, row.discharge_reason, row.dna_linked_discharge) == ("discharged", "non_attendance", True)
    assert row.discharged_at == row.closed_at == seen_slot + timedelta(days=6)


def test_a_late_rebooking_is_not_counted_within_14_days(db_session):
    booker = actor_for(make_user(db_session, "booking"))
    clinician = actor_for(make_user(db_session, "clinician"))
    referral = make_referral(db_session, received_at="2026-06-01 09:00")
    triage.triage_referral(db_session, booker, referral, referral.version, SCRIPT, [], "accept",
                           now=datetime(2026, 6, 1, 10, tzinfo=UTC))
    slot = datetime(2026, 6, 8, 9, tzinfo=UTC)
    missed = appointments.book_appointment(db_session, booker, referral, referral.version, slot, "telephone", None,
                                           now=datetime(2026, 6, 2, tzinfo=UTC))
    appointments.record_outcome(db_session, clinician, missed, missed.version, "dna", now=slot + timedelta(hours=1))
    check = dna.open_check_for(db_session, referral.id)
    dna.log_attempt(db_session, booker, check, "telephone", True, None, now=slot + timedelta(days=1))
    dna.complete_barrier_check(db_session, clinician, check, check.version, "rebooked", now=slot + timedelta(days=1))
    appointments.book_appointment(db_session, booker, referral, referral.version, slot + timedelta(days=30), "video",
                                  None, now=slot + timedelta(days=14, minutes=1))
    row = db_session.get(ReferralFact, referral.id)
    assert (row.dnas, row.dnas_rebooked_in_14_days, row.unrebooked_dna_at) == (1, 0, None)


def test_a_return_to_the_pathway_within_90_days_of_discharge_is_a_re_referral(db_session):
    """Discharged from MSK on 2 March; referred again, unlinked, 89 and 90 days later (re-referrals), 91 days later
    (not), and to another pathway 30 days later (not). The intake event names the discharge; the rebuild agrees."""
    clinician, senior = staff(db_session, "clinician"), staff(db_session, "senior")
    first = discharged(db_session, clinician, senior, "2026-01-05 09:00", datetime(2026, 3, 2, 16, tzinfo=UTC))
    number = first.patient.nhs_number
    returns = {received: make_referral(db_session, nhs_number=number, received_at=received)
               for received in ("2026-05-30 10:00", "2026-05-31 23:30", "2026-06-01 09:00")}
    elsewhere = make_referral(db_session, nhs_number=number, pathway="frailty", received_at="2026-04-01 09:00")
    marked = {r.id: db_session.get(ReferralFact, r.id).re_referral_within_90_days
              for r in (first, elsewhere, *returns.values())}
    assert marked == {first.id: False, elsewhere.id: False, returns["2026-05-30 10:00"].id: True,
                      returns["2026-05-31 23:30"].id: True, returns["2026-06-01 09:00"].id: False}
    received = {e.referral_id: json.loads(e.data) for e in db_session.scalars(
        select(Event).where(Event.action == actions.REFERRAL_RECEIVED))}
    assert received[returns["2026-05-30 10:00"].id]["re_referral_after"] == first.id
    assert "re_referral_after" not in received[returns["2026-06-01 09:00"].id]
    assert "re_referral_after" not in received[elsewhere.id]
    assert_the_rebuild_agrees(db_session)


def test_a_return_entered_before_the_discharge_is_a_re_referral_once_it_is(db_session):
    """A referral received (backdated) after the first referral's discharge, but entered before it: the discharge
    marks it, live and rebuilt, in whichever order they came."""
    clinician, senior = staff(db_session, "clinician"), staff(db_session, "senior")
    first = make_referral(db_session, received_at="2026-01-05 09:00")
    accept_and_attend(db_session, clinician, first, 1)
    back = make_referral(db_session, nhs_number=first.patient.nhs_number, received_at="2026-03-20 09:00")
    assert db_session.get(ReferralFact, back.id).re_referral_within_90_days is False
    review = discharge.request_discharge(db_session, clinician, first, first.version, "treatment_complete",
                                         "Goals met", now=datetime(2026, 3, 2, 15, tzinfo=UTC))
    discharge.decide_review(db_session, senior, review, first.version,
                            discharge.Decision("approved", "Goals met"), now=datetime(2026, 3, 2, 16, tzinfo=UTC))
    assert db_session.get(ReferralFact, back.id).re_referral_within_90_days is True
    assert_the_rebuild_agrees(db_session)


def test_an_adjustment_is_in_place_for_the_referrals_open_while_the_patient_had_one(db_session):
    """In log order: active at receipt, recorded while open (each open referral of the patient), ended before
    receipt, recorded only after closure. The rebuild finds the same from the log alone."""
    clinician = actor_for(make_user(db_session, "clinician"))
    details = adjustments.AdjustmentDetails(category="timing", description="Afternoons", consent_basis="patient")

    def adjust(referral, day: int):
        return adjustments.record_adjustment(db_session, clinician, referral.patient, details, "patient_request",
                                             now=datetime(2026, 6, day, 9, tzinfo=UTC))

    ended_first = make_referral(db_session, received_at="2026-06-01 10:00")
    gone = adjust(ended_first, 2)
    adjustments.end_adjustment(db_session, clinician, gone, gone.version, "No longer needed",
                               now=datetime(2026, 6, 3, 9, tzinfo=UTC))
    after_it_ended = make_referral(db_session, nhs_number=ended_first.patient.nhs_number,
                                   received_at="2026-06-04 10:00")
    held = make_referral(db_session, received_at="2026-06-01 10:00")
    adjust(held, 2)
    with_one = make_referral(db_session, nhs_number=held.patient.nhs_number, pathway="frailty",
                             received_at="2026-06-05 10:00")
    rejected = make_referral(db_session, received_at="2026-06-01 10:00")
    triage.triage_referral(db_session, clinician, rejected, rejected.version, SCRIPT, [], "reject",
                           reason_code="wrong_service", reason_text="Falls service",
                           now=datetime(2026, 6, 1, 12, tzinfo=UTC))
    still_open = make_referral(db_session, nhs_number=rejected.patient.nhs_number, pathway="frailty",
                               received_at="2026-06-02 10:00")
    adjust(rejected, 6)
    db_session.commit()
    in_place = {r.id: db_session.get(ReferralFact, r.id).adjustment_in_place
                for r in (ended_first, after_it_ended, held, with_one, rejected, still_open)}
    assert in_place == {ended_first.id: True, after_it_ended.id: False, held.id: True, with_one.id: True,
                        rejected.id: False, still_open.id: True}
    assert_the_rebuild_agrees(db_session)


def test_events_without_a_referral_leave_the_projection_alone(db_session):
    make_user(db_session, "booking")  # user.created: no referral
    events.record(db_session, actor_for(make_user(db_session, "manager")), actions.ACCESS_DENIED, "route")
    assert db_session.scalar(select(func.count()).select_from(ReferralFact)) == 0
    assert db_session.scalar(select(func.count()).select_from(Event)) == 3


@pytest.mark.parametrize("year", [2026, 2027])
def test_a_months_first_and_last_instants_fall_in_the_right_london_month(year):
    """The month is looked up by UTC hour: check the first and the last microsecond of every hour of a year, GMT
    and BST and both changes of clock included, against the time-zone arithmetic itself."""
    hour = datetime(year, 1, 1, tzinfo=UTC)
    while hour.year == year:
        for moment in (hour, hour + timedelta(hours=1, microseconds=-1)):
            assert fact_projection._month(moment) == moment.astimezone(fact_projection.LONDON).strftime("%Y-%m"), moment
        hour += timedelta(hours=1)
