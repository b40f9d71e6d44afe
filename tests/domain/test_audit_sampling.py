"""Audit samples: the same request draws the same records, a seed changes them, strata are allocated equally or
in proportion, segment filters, Europe/London month bounds, each record type's candidates, validation, roles, and
the sample and event recorded."""
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, adjustments, appointments, clarification, discharge, reviews, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.audit_sampling import (
    MAX_SIZE,
    PRIME,
    RECORD_TYPES,
    SEGMENTS,
    SampleRequest,
    allocate,
    draw_sample,
    samples,
)
from inclusive_access.domain.errors import InvalidInput, NotPermitted
from inclusive_access.models import AuditSample, AuditSampleRecord, BarrierCheck, Clarification, Event, Referral
from tests.event_log import count, head
from tests.factories import (
    APPROVE,
    ASKED,
    DECIDED,
    JUNE,
    RECEIVED,
    REQUESTED,
    SCRIPT,
    SECOND_SLOT,
    SLOT,
    TRIAGED,
    accepted,
    book,
    complete,
    make_referral,
    make_user,
    miss,
)

DRAWN = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)


# --- Helpers -------------------------------------------------------------------------------------

def ask_for(record_type: str = "clarification", first: str = JUNE, last: str | None = None, size: int = 50,
            seed: int = 12345, **options) -> SampleRequest:
    return SampleRequest(record_type, first, last or first, size, seed, **options)


def drawn_ids(sample: AuditSample) -> list[int]:
    return [r.record_id for r in sample.records]


def python_key(record_type: str, seed: int, record_id: int) -> int:
    """The sort key as the module docstring defines it, computed in Python: both databases must agree with it."""
    rng = random.Random(f"{record_type}:{seed}")  # noqa: S311 - a reproducible order, not a secret
    key = record_id
    for _round in range(2):
        key = (key * rng.randrange(2, PRIME - 1) + rng.randrange(PRIME)) % PRIME
        key = (key * key + rng.randrange(PRIME)) % PRIME
    return key


def lowest_keys(record_type: str, seed: int, ids, n: int) -> list[int]:
    return sorted(ids, key=lambda i: (python_key(record_type, seed, i), i))[:n]


def sample_events(session) -> list[dict]:
    return [json.loads(d) for d in session.scalars(select(Event.data).where(Event.action == actions.SAMPLE_DRAWN)
                                                   .order_by(Event.seq))]


def asked(session, booker, at: datetime = ASKED, received: str | None = None, **intake) -> Clarification:
    """A referral received an hour before `at` (UK time unless given), and a clarification asked of it at `at`."""
    referral = make_referral(session, received_at=received or RECEIVED, **intake)
    return clarification.request_clarification(session, booker, referral, referral.version, "Which knee?",
                                               "telephone", "Dr Example", now=at)


def population(session, booker, n: int, **intake) -> list[int]:
    """`n` clarifications asked in June: their ids."""
    return [asked(session, booker, ASKED + timedelta(minutes=i), **intake).id for i in range(n)]


def rejected(session, clinician, **intake):
    """A clinician rejects the referral: unflagged, it is rejected; flagged, it waits for a senior."""
    referral = make_referral(session, received_at=RECEIVED, **intake)
    triage.triage_referral(session, clinician, referral, referral.version, SCRIPT, [], "reject",
                           reason_code="wrong_service", reason_text="Refer to podiatry", now=TRIAGED)
    return referral


def missed_twice(session, clinician) -> tuple[Referral, BarrierCheck, BarrierCheck]:
    """An accepted referral whose appointments on SLOT and SECOND_SLOT were missed, each barrier check completed (the
    second missed appointment opens an attendance review)."""
    referral = accepted(session, clinician)
    first = miss(session, clinician, referral)
    complete(session, clinician, first)
    second = miss(session, clinician, referral, SECOND_SLOT, SLOT + timedelta(hours=4))
    complete(session, clinician, second)
    return referral, first, second


def discharged_for_non_attendance(session, clinician, senior):
    """Missed twice; the senior approves discharge on 22 June."""
    referral, _first, _second = missed_twice(session, clinician)
    review = reviews.pending_review(session, referral.id)
    discharge.decide_review(session, senior, review, referral.version, APPROVE, now=DECIDED)
    return referral


def discharged_as_complete(session, booker, clinician, senior):
    """Seen once, then discharged on 22 June because treatment is complete."""
    referral = accepted(session, booker)
    appointment = book(session, booker, referral, SLOT, now=TRIAGED)
    appointments.record_outcome(session, clinician, appointment, appointment.version, "attended",
                                now=SLOT + timedelta(hours=1))
    review = discharge.request_discharge(session, clinician, referral, referral.version, "treatment_complete",
                                         "Goals met", now=REQUESTED)
    discharge.decide_review(session, senior, review, referral.version, APPROVE, now=DECIDED)
    return referral


@pytest.fixture
def auditor(db_session):
    return actor_for(make_user(db_session, role="auditor", username="auditor"))


# --- Reproducibility -----------------------------------------------------------------------------

def test_the_same_request_draws_the_same_records_in_the_same_order(db_session, auditor, booker):
    population(db_session, booker, 40)
    first = draw_sample(db_session, auditor, ask_for(size=10, seed=12345), now=DRAWN)
    again = draw_sample(db_session, auditor, ask_for(size=10, seed=12345), now=DRAWN + timedelta(days=1))
    assert first.id != again.id
    assert len(drawn_ids(first)) == 10
    assert drawn_ids(again) == drawn_ids(first)
    assert [r.position for r in again.records] == list(range(1, 11))


def test_a_different_seed_draws_a_different_sample(db_session, auditor, booker):
    population(db_session, booker, 40)
    one = drawn_ids(draw_sample(db_session, auditor, ask_for(size=10, seed=12345), now=DRAWN))
    other = drawn_ids(draw_sample(db_session, auditor, ask_for(size=10, seed=54321), now=DRAWN))
    assert len(one) == len(other) == 10
    assert set(one) != set(other), "ten of forty: the same set for another seed is a one-in-a-billion chance"


def test_the_draw_is_the_lowest_keys_computed_exactly_on_both_databases(db_session, auditor, booker):
    """The order is integer arithmetic mod 2^31 - 1 that SQLite and PostgreSQL must compute exactly as Python does;
    the record type seeds it too."""
    ids = population(db_session, booker, 40)
    for seed in (0, 12345, PRIME - 1):
        sample = draw_sample(db_session, auditor, ask_for(size=12, seed=seed), now=DRAWN)
        assert drawn_ids(sample) == lowest_keys("clarification", seed, ids, 12), seed
    assert lowest_keys("clarification", 7, ids, 12) != lowest_keys("barrier_check", 7, ids, 12)


def test_the_order_is_not_the_order_of_the_ids(db_session, auditor, booker):
    ids = population(db_session, booker, 40)
    whole = drawn_ids(draw_sample(db_session, auditor, ask_for(size=40, seed=12345), now=DRAWN))
    assert sorted(whole) == sorted(ids)
    assert whole != sorted(ids)
    assert whole[:10] != sorted(ids)[:10]


# --- Allocation across strata --------------------------------------------------------------------

@pytest.mark.parametrize(("counts", "size", "expected"), [
    # 9 over three: 3 each, but c holds 1 and b 3, so a takes the 2 left over
    ({"a": 10, "b": 3, "c": 1}, 9, {"a": 5, "b": 3, "c": 1}),
    # 10 over three: 3 each and the one left to the first in sort order
    ({"a": 4, "b": 4, "c": 4}, 10, {"a": 4, "b": 3, "c": 3}),
    # a fills at 2; the 1 left over the two still open goes to the first of them
    ({"a": 2, "b": 6, "c": 6}, 9, {"a": 2, "b": 4, "c": 3}),
    # the order counts is given in does not matter, only the strata's names
    ({"c": 6, "b": 6, "a": 2}, 9, {"a": 2, "b": 4, "c": 3}),
    # more asked than there are: all of them
    ({"a": 2, "b": 1}, 10, {"a": 2, "b": 1}),
    ({"a": 3, "b": 3}, 0, {"a": 0, "b": 0}),
])
def test_equal_allocation(counts, size, expected):
    assert allocate(counts, size, "equal") == expected


@pytest.mark.parametrize(("counts", "size", "expected"), [
    # exact shares 6.43, 1.93, 0.64: floors 6, 1, 0 leave 2, to the largest remainders b (.93) then c (.64)
    ({"a": 10, "b": 3, "c": 1}, 9, {"a": 6, "b": 2, "c": 1}),
    # exact shares, no remainder
    ({"a": 20, "b": 10}, 6, {"a": 4, "b": 2}),
    # 2/3 each: a three-way tie for 2 records goes to the first two names
    ({"a": 1, "b": 1, "c": 1}, 2, {"a": 1, "b": 1, "c": 0}),
    # 1.5 each: the tie for the last record goes to x
    ({"y": 5, "x": 5}, 3, {"x": 2, "y": 1}),
    # 3, 1.5, 0.5: b and c tie on .5 for the one left; b is named first
    ({"a": 6, "b": 3, "c": 1}, 5, {"a": 3, "b": 2, "c": 0}),
    # 5 of 7 (1.43, 1.43, 2.14): floors 1, 1, 2 leave 1, to a (.43 ties with b, named first)
    ({"a": 2, "b": 2, "c": 3}, 5, {"a": 2, "b": 1, "c": 2}),
    # more asked than there are: all of them
    ({"a": 2, "b": 1}, 10, {"a": 2, "b": 1}),
])
def test_proportional_allocation_by_largest_remainders(counts, size, expected):
    assert allocate(counts, size, "proportional") == expected


@pytest.mark.parametrize("how", ["equal", "proportional"])
def test_an_allocation_sums_to_the_size_and_never_exceeds_a_stratum(how):
    shapes = [{"a": 10, "b": 3, "c": 1}, {"a": 1}, {"a": 7, "b": 7}, {"a": 1, "b": 2, "c": 3, "d": 50},
              {"p": 13, "q": 1, "r": 1, "s": 9}, {"Not known": 4, "1": 2, "5": 11}]
    for counts in shapes:
        for size in range(1, sum(counts.values()) + 3):
            taken = allocate(counts, size, how)
            assert set(taken) == set(counts)
            assert sum(taken.values()) == min(size, sum(counts.values())), (counts, size)
            assert all(0 <= taken[s] <= counts[s] for s in counts), (counts, size, taken)


@pytest.mark.parametrize(("allocation", "expected"), [("equal", {"1": 5, "3": 3, "Not known": 1}),
                                                      ("proportional", {"1": 6, "3": 2, "Not known": 1})])
def test_a_stratified_sample_takes_each_strata_allocation(db_session, auditor, booker, allocation, expected):
    """Quintile 1 holds 10 records, quintile 3 holds 3, and 1 has no IMD decile (the "Not known" stratum)."""
    strata = {"1": population(db_session, booker, 10, imd_decile="1"),
              "3": population(db_session, booker, 3, imd_decile="5"),
              "Not known": population(db_session, booker, 1, imd_decile="")}
    sample = draw_sample(db_session, auditor, ask_for(size=9, stratify_by="imd_quintile", allocation=allocation),
                         now=DRAWN)
    assert (sample.population, sample.taken, sample.size) == (14, 9, 9)
    assert Counter(r.stratum for r in sample.records) == expected
    # strata in name order, each its records with the lowest keys
    assert [r.stratum for r in sample.records] == sorted(r.stratum for r in sample.records)
    for stratum, ids in strata.items():
        assert [r.record_id for r in sample.records if r.stratum == stratum] == lowest_keys(
            "clarification", 12345, ids, expected[stratum])


def test_a_size_larger_than_the_population_takes_them_all_and_says_so(db_session, auditor, booker):
    ids = population(db_session, booker, 3)
    sample = draw_sample(db_session, auditor, ask_for(size=10), now=DRAWN)
    assert (sample.size, sample.population, sample.taken) == (10, 3, 3)
    assert sorted(drawn_ids(sample)) == ids


def test_a_stratified_size_larger_than_the_population_takes_them_all(db_session, auditor, booker):
    population(db_session, booker, 2, imd_decile="1")
    population(db_session, booker, 1, imd_decile="10")
    for allocation in ("equal", "proportional"):
        sample = draw_sample(db_session, auditor, ask_for(size=8, stratify_by="imd_quintile",
                                                          allocation=allocation), now=DRAWN)
        assert (sample.population, sample.taken) == (3, 3)
        assert Counter(r.stratum for r in sample.records) == {"1": 2, "5": 1}


def test_an_empty_population_draws_an_empty_sample(db_session, auditor):
    sample = draw_sample(db_session, auditor, ask_for(size=5), now=DRAWN)
    assert (sample.population, sample.taken, sample.records) == (0, 0, [])


# --- Segment filters and the pathway -------------------------------------------------------------

#: who is asked a clarification in June: name -> intake overrides
PEOPLE = {
    "core20": {"imd_decile": "1"},
    "core20_rough_sleeping": {"imd_decile": "2", "housing_status": "rough_sleeping"},
    "no_decile": {"imd_decile": ""},
    "least_deprived": {"imd_decile": "10"},
    "indian": {"ethnic_category": "H"},
    "not_asked_ethnicity": {"ethnic_category": "99"},
}


@pytest.mark.parametrize(("segment", "value", "kept"), [
    ("imd_quintile", "1", {"core20", "core20_rough_sleeping"}),
    ("imd_quintile", "5", {"least_deprived"}),
    ("imd_quintile", "Not known", {"no_decile"}),
    ("flag_housing", "true", {"core20_rough_sleeping"}),
    ("flag_housing", "false", set(PEOPLE) - {"core20_rough_sleeping"}),
    ("flag_deprivation", "true", {"core20", "core20_rough_sleeping"}),
    ("ethnic_group", "Asian or Asian British", {"indian"}),
    ("ethnic_group", "White", set(PEOPLE) - {"indian", "not_asked_ethnicity"}),
])
def test_a_segment_filter_keeps_only_matching_records(db_session, auditor, booker, segment, value, kept):
    ids = {name: asked(db_session, booker, **intake).id for name, intake in PEOPLE.items()}
    sample = draw_sample(db_session, auditor, ask_for(segment=segment, segment_value=value), now=DRAWN)
    assert set(drawn_ids(sample)) == {ids[name] for name in kept}
    assert sample.population == sample.taken == len(kept)
    assert (sample.segment, sample.segment_value) == (segment, value)


def test_the_ethnic_group_not_known_filter_keeps_the_not_known_group(db_session, auditor, booker):
    ids = {name: asked(db_session, booker, **intake).id for name, intake in PEOPLE.items()}
    sample = draw_sample(db_session, auditor, ask_for(segment="ethnic_group", segment_value="Not known"), now=DRAWN)
    assert drawn_ids(sample) == [ids["not_asked_ethnicity"]]


@pytest.mark.parametrize(("segment", "value"), [("flag_housing", "True"), ("flag_housing", "yes"),
                                                ("imd_quintile", "abc"), ("imd_quintile", "7")])
def test_a_segment_value_the_segment_cannot_hold_is_refused(segment, value):
    assert "segment_value" in SampleRequest(**VALID, segment=segment, segment_value=value).errors()


def test_stratifying_by_ethnic_group_puts_category_99_in_not_known(db_session, auditor, booker):
    for intake in PEOPLE.values():
        asked(db_session, booker, **intake)
    sample = draw_sample(db_session, auditor, ask_for(stratify_by="ethnic_group", allocation="proportional"),
                         now=DRAWN)
    assert Counter(r.stratum for r in sample.records) == {"White": 4, "Asian or Asian British": 1, "Not known": 1}


def test_stratum_labels_of_a_flag_are_the_same_on_both_databases(db_session, auditor, booker):
    for intake in PEOPLE.values():
        asked(db_session, booker, **intake)
    sample = draw_sample(db_session, auditor, ask_for(stratify_by="flag_housing", allocation="equal"), now=DRAWN)
    assert Counter(r.stratum for r in sample.records) == {"false": 5, "true": 1}


def test_the_pathway_filter_keeps_that_pathway_only(db_session, auditor, booker):
    from inclusive_access.domain import intake

    other = next(code for code in intake.active_pathway_codes(db_session) if code != "msk")
    msk = population(db_session, booker, 2, pathway="msk")
    elsewhere = population(db_session, booker, 2, pathway=other)
    assert sorted(drawn_ids(draw_sample(db_session, auditor, ask_for(pathway="msk"), now=DRAWN))) == msk
    assert sorted(drawn_ids(draw_sample(db_session, auditor, ask_for(pathway=other), now=DRAWN))) == elsewhere
    assert sorted(drawn_ids(draw_sample(db_session, auditor, ask_for(), now=DRAWN))) == msk + elsewhere


def test_a_segment_filter_and_strata_together(db_session, auditor, booker):
    kept = population(db_session, booker, 3, imd_decile="1", housing_status="rough_sleeping")
    kept += population(db_session, booker, 2, imd_decile="9", housing_status="temporary")
    population(db_session, booker, 4, imd_decile="1")
    sample = draw_sample(db_session, auditor, ask_for(segment="flag_housing", segment_value="true", size=4,
                                                      stratify_by="imd_quintile", allocation="equal"), now=DRAWN)
    assert sample.population == 5
    assert set(drawn_ids(sample)) <= set(kept)
    assert Counter(r.stratum for r in sample.records) == {"1": 2, "5": 2}


# --- Month bounds in Europe/London ---------------------------------------------------------------

@pytest.mark.parametrize(("asked_at", "received", "month", "not_month"), [
    # 23:30 UTC on 31 March 2026 is 00:30 BST on 1 April
    (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "2026-03-31 09:00", "2026-04", "2026-03"),
    # 22:30 UTC on 31 March 2026 is 23:30 BST, still March
    (datetime(2026, 3, 31, 22, 30, tzinfo=UTC), "2026-03-31 09:00", "2026-03", "2026-04"),
    # 23:30 UTC on 30 September 2026 is 00:30 BST on 1 October
    (datetime(2026, 9, 30, 23, 30, tzinfo=UTC), "2026-09-30 09:00", "2026-10", "2026-09"),
    # in winter London is on UTC: 23:30 on 31 December 2025 is December, and the bound rolls over the year
    (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "2025-12-31 09:00", "2025-12", "2026-01"),
    (datetime(2026, 1, 1, 0, 30, tzinfo=UTC), "2026-01-01 00:10", "2026-01", "2025-12"),
])
def test_months_are_bounded_in_uk_time(db_session, auditor, booker, asked_at, received, month, not_month):
    item = asked(db_session, booker, asked_at, received=received)
    assert drawn_ids(draw_sample(db_session, auditor, ask_for(first=month), now=DRAWN)) == [item.id]
    assert drawn_ids(draw_sample(db_session, auditor, ask_for(first=not_month), now=DRAWN)) == []
    first, last = sorted((month, not_month))
    assert drawn_ids(draw_sample(db_session, auditor, ask_for(first=first, last=last), now=DRAWN)) == [item.id]


def test_a_range_of_months_includes_both_ends(db_session, auditor, booker):
    march = asked(db_session, booker, datetime(2026, 3, 1, 0, 30, tzinfo=UTC), received="2026-03-01 00:10")
    may = asked(db_session, booker, datetime(2026, 5, 31, 22, 30, tzinfo=UTC), received="2026-05-31 09:00")
    june = asked(db_session, booker, datetime(2026, 5, 31, 23, 30, tzinfo=UTC), received="2026-05-31 09:00")
    sample = draw_sample(db_session, auditor, ask_for(first="2026-03", last="2026-05"), now=DRAWN)
    assert sorted(drawn_ids(sample)) == [march.id, may.id]
    assert drawn_ids(draw_sample(db_session, auditor, ask_for(first=JUNE), now=DRAWN)) == [june.id]


# --- Each record type's candidates ---------------------------------------------------------------

def test_rejected_referral_samples_only_rejected_referrals(db_session, auditor, booker, clinician, senior):
    plain = rejected(db_session, clinician)
    flagged = rejected(db_session, clinician, housing_status="temporary")  # waits in rejection_review
    upheld = rejected(db_session, clinician, housing_status="temporary")
    discharge.decide_review(db_session, senior, reviews.pending_review(db_session, upheld.id), upheld.version,
                            APPROVE, now=DECIDED)
    accepted(db_session, booker)
    make_referral(db_session, received_at=RECEIVED)
    assert flagged.state == "rejection_review"
    sample = draw_sample(db_session, auditor, ask_for("rejected_referral"), now=DRAWN)
    assert sorted(drawn_ids(sample)) == [plain.id, upheld.id]
    assert all(r.referral_id == r.record_id for r in sample.records)
    assert {r.patient_id for r in sample.records} == {plain.patient_id, upheld.patient_id}


def test_flagged_triage_samples_only_flagged_referrals_that_were_triaged(db_session, auditor, booker, clinician):
    flagged = accepted(db_session, booker, housing_status="temporary")
    proposed = rejected(db_session, clinician, imd_decile="1")  # a proposed rejection is a triage decision too
    accepted(db_session, booker)  # not flagged
    make_referral(db_session, received_at=RECEIVED, housing_status="temporary")  # flagged, not yet triaged
    sample = draw_sample(db_session, auditor, ask_for("flagged_triage"), now=DRAWN)
    assert sorted(drawn_ids(sample)) == [flagged.id, proposed.id]
    assert all(r.referral_id == r.record_id for r in sample.records)


def test_dna_discharge_samples_only_discharges_linked_to_non_attendance(db_session, auditor, booker, clinician,
                                                                        senior):
    linked = discharged_for_non_attendance(db_session, clinician, senior)
    discharged_as_complete(db_session, booker, clinician, senior)
    missed_once = accepted(db_session, booker)
    miss(db_session, clinician, missed_once)  # a DNA, but not discharged
    assert linked.state == "discharged"
    sample = draw_sample(db_session, auditor, ask_for("dna_discharge"), now=DRAWN)
    assert drawn_ids(sample) == [linked.id]
    assert (sample.records[0].referral_id, sample.records[0].patient_id) == (linked.id, linked.patient_id)


def test_barrier_check_samples_checks_opened_in_the_months(db_session, auditor, clinician):
    referral, first, second = missed_twice(db_session, clinician)
    july = accepted(db_session, clinician)
    miss(db_session, clinician, july, datetime(2026, 7, 6, 9, 0, tzinfo=UTC))
    accepted(db_session, clinician)  # no missed appointment, no check
    sample = draw_sample(db_session, auditor, ask_for("barrier_check"), now=DRAWN)
    assert sorted(drawn_ids(sample)) == [first.id, second.id]
    assert {(r.referral_id, r.patient_id) for r in sample.records} == {(referral.id, referral.patient_id)}


def test_clarification_samples_requests_made_in_the_months(db_session, auditor, booker):
    one, two = asked(db_session, booker), asked(db_session, booker, ASKED + timedelta(days=3))
    asked(db_session, booker, datetime(2026, 7, 1, 10, 0, tzinfo=UTC), received="2026-07-01 09:00")
    make_referral(db_session, received_at=RECEIVED)
    sample = draw_sample(db_session, auditor, ask_for("clarification"), now=DRAWN)
    assert sorted(drawn_ids(sample)) == [one.id, two.id]
    assert {(r.record_id, r.referral_id, r.patient_id) for r in sample.records} == {
        (c.id, c.referral_id, c.referral.patient_id) for c in (one, two)}


def test_adjustment_samples_adjustments_recorded_in_the_months_with_the_latest_referral(db_session, auditor,
                                                                                         clinician):
    first = make_referral(db_session, received_at="2026-05-01 09:00")
    latest = make_referral(db_session, received_at=RECEIVED, nhs_number=first.patient.nhs_number)
    assert latest.patient_id == first.patient_id
    details = adjustments.AdjustmentDetails(category="timing", description="Afternoons only",
                                            consent_basis="patient")
    june = adjustments.record_adjustment(db_session, clinician, first.patient, details, "patient_request",
                                         now=datetime(2026, 6, 3, 10, 0, tzinfo=UTC))
    adjustments.record_adjustment(db_session, clinician, first.patient, details, "patient_request",
                                  now=datetime(2026, 7, 3, 10, 0, tzinfo=UTC))
    sample = draw_sample(db_session, auditor, ask_for("adjustment"), now=DRAWN)
    assert [(r.record_id, r.patient_id, r.referral_id) for r in sample.records] == [
        (june.id, first.patient_id, latest.id)]


# --- Validation ----------------------------------------------------------------------------------

VALID = {"record_type": "clarification", "first_month": "2026-04", "last_month": "2026-06", "size": 20,
         "seed": 99}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"record_type": "referral"}, "record_type", "Select the kind of record to sample"),
    ({"record_type": None}, "record_type", "Select the kind of record to sample"),
    ({"first_month": "2026-13"}, "first_month", "Enter the month as YYYY-MM"),
    ({"first_month": None}, "first_month", "Enter the month as YYYY-MM"),
    ({"last_month": "June 2026"}, "last_month", "Enter the month as YYYY-MM"),
    ({"last_month": "2026-6"}, "last_month", "Enter the month as YYYY-MM"),
    ({"first_month": "2026-07"}, "last_month", "The last month must not be before the first"),
    ({"size": None}, "size", f"Enter a sample size from 1 to {MAX_SIZE}"),
    ({"size": 0}, "size", "Enter a sample size from 1 to 500"),
    ({"size": MAX_SIZE + 1}, "size", "Enter a sample size from 1 to 500"),
    ({"seed": None}, "seed", "Enter a seed from 0 to 2,147,483,646"),
    ({"seed": -1}, "seed", "Enter a seed from 0 to 2,147,483,646"),
    ({"seed": PRIME}, "seed", "Enter a seed from 0 to 2,147,483,646"),
    ({"segment": "postcode", "segment_value": "LS1"}, "segment", "Select a segment from the list"),
    ({"segment": "imd_quintile"}, "segment_value", "Enter the value of the segment to keep"),
    ({"stratify_by": "postcode", "allocation": "equal"}, "stratify_by", "Select a segment from the list"),
    ({"stratify_by": "imd_quintile"}, "allocation",
     "Choose both what to stratify by and how to allocate, or neither"),
    ({"allocation": "equal"}, "stratify_by", "Choose both what to stratify by and how to allocate, or neither"),
    ({"stratify_by": "imd_quintile", "allocation": "random"}, "allocation",
     "Select equal or proportional allocation"),
])
def test_each_request_error_has_its_field(changes, field, message):
    assert SampleRequest(**{**VALID, **changes}).errors() == {field: message}


@pytest.mark.parametrize("changes", [
    {}, {"size": 1, "seed": 0}, {"size": MAX_SIZE, "seed": PRIME - 1}, {"first_month": "2026-06"},
    {"segment": "flag_language", "segment_value": "true", "stratify_by": "pathway", "allocation": "proportional"},
    *({"record_type": kind} for kind in RECORD_TYPES), *({"stratify_by": s, "allocation": "equal"} for s in SEGMENTS),
])
def test_a_valid_request_has_no_errors(changes):
    assert SampleRequest(**{**VALID, **changes}).errors() == {}


def test_an_invalid_request_raises_and_saves_nothing(db_session, auditor, booker):
    population(db_session, booker, 3)
    db_session.commit()
    bad = SampleRequest("clarification", "2026-07", "2026-06", 0, -1, segment="imd_quintile")
    with pytest.raises(InvalidInput) as raised:
        draw_sample(db_session, auditor, bad, now=DRAWN)
    assert raised.value.errors == {"last_month": "The last month must not be before the first",
                                   "size": "Enter a sample size from 1 to 500",
                                   "seed": "Enter a seed from 0 to 2,147,483,646",
                                   "segment_value": "Enter the value of the segment to keep"}
    assert count(db_session, AuditSample) == count(db_session, AuditSampleRecord) == 0
    assert sample_events(db_session) == []


def test_the_role_is_checked_before_the_request(db_session, booker):
    with pytest.raises(NotPermitted):
        draw_sample(db_session, actor_for(make_user(db_session, role="manager")), ask_for(size=0), now=DRAWN)
    assert count(db_session, AuditSample) == 0


# --- What is recorded ----------------------------------------------------------------------------

def test_the_sample_records_its_parameters_and_one_event(db_session, auditor, booker):
    population(db_session, booker, 5, imd_decile="1")
    population(db_session, booker, 2, imd_decile="10")
    before = head(db_session)
    request = ask_for(size=4, seed=777, first="2026-05", last=JUNE, pathway="msk", segment="flag_housing",
                      segment_value="false", stratify_by="imd_quintile", allocation="equal")
    sample = draw_sample(db_session, auditor, request, now=DRAWN)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(AuditSample, sample.id)
    assert (stored.record_type, stored.first_month, stored.last_month, stored.pathway, stored.segment,
            stored.segment_value, stored.stratify_by, stored.allocation, stored.size, stored.seed,
            stored.population, stored.taken, stored.drawn_by, stored.drawn_at) == (
        "clarification", "2026-05", JUNE, "msk", "flag_housing", "false", "imd_quintile", "equal", 4, 777, 7, 4,
        auditor.user_id, DRAWN)
    assert [(r.position, r.stratum) for r in stored.records] == [(1, "1"), (2, "1"), (3, "5"), (4, "5")]
    assert list(db_session.scalars(select(Event.action).where(Event.seq > before))) == [actions.SAMPLE_DRAWN]
    event = db_session.scalars(select(Event).where(Event.action == actions.SAMPLE_DRAWN)).one()
    assert (event.entity_type, event.entity_id, event.actor_id, event.occurred_at) == (
        "audit_sample", sample.id, auditor.user_id, DRAWN)
    assert json.loads(event.data) == {
        "record_type": "clarification", "first_month": "2026-05", "last_month": JUNE, "pathway": "msk",
        "segment": "flag_housing", "segment_value": "false", "stratify_by": "imd_quintile", "allocation": "equal",
        "size": 4, "seed": 777, "population": 7, "taken": 4}


def test_a_segment_value_without_a_segment_is_not_kept(db_session, auditor, booker):
    population(db_session, booker, 2)
    sample = draw_sample(db_session, auditor, ask_for(segment_value="1"), now=DRAWN)
    assert (sample.segment, sample.segment_value, sample.taken) == (None, None, 2)
    assert sample_events(db_session)[0]["segment_value"] is None


def test_samples_lists_the_newest_first(db_session, auditor, booker):
    population(db_session, booker, 2)
    older = draw_sample(db_session, auditor, ask_for(), now=DRAWN)
    newer = draw_sample(db_session, auditor, ask_for(seed=1), now=DRAWN + timedelta(hours=1))
    same_time = draw_sample(db_session, auditor, ask_for(seed=2), now=DRAWN + timedelta(hours=1))
    assert [s.id for s in samples(db_session)] == [same_time.id, newer.id, older.id]
    assert [s.id for s in samples(db_session, limit=1)] == [same_time.id]


def test_any_flag_filters_flagged_referrals_and_strata_are_true_or_false(db_session, auditor, booker):
    ids = {name: asked(db_session, booker, **intake).id for name, intake in PEOPLE.items()}
    flagged = {cid for cid in ids.values()
               if db_session.get(Referral, db_session.get(Clarification, cid).referral_id).flagged}
    assert flagged, "the crafted people include a flagged referral"
    sample = draw_sample(db_session, auditor, ask_for(segment="flagged", segment_value="true"), now=DRAWN)
    assert set(drawn_ids(sample)) == flagged
    stratified = draw_sample(db_session, auditor, ask_for(stratify_by="flagged", allocation="proportional"),
                             now=DRAWN)
    assert {r.stratum for r in stratified.records} == {"true", "false"}
    assert "segment_value" in SampleRequest(**VALID, segment="flagged", segment_value="yes").errors()
