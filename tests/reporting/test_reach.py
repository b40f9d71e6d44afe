"""Equity of reach, worked by hand on a crafted June 2026: messages in every status and format, to patients, a carer
and a referrer, and appointments reminded or not, in IMD quintiles 1 and 5."""
from datetime import UTC, datetime, timedelta

import pytest

from inclusive_access.domain.outbox import TEMPLATES
from inclusive_access.models.messages import ADDRESSEES
from inclusive_access.reporting import reach, stats
from inclusive_access.reporting.queries import Period
from tests import reach_factories as rf
from tests.factories import staff

JUNE = Period("2026-06", "2026-06")
QUINTILE_1, QUINTILE_5 = "1", "9"  # IMD deciles
Q1, Q5 = "1 (most deprived)", "5 (least deprived)"


def _june(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=UTC)


@pytest.fixture
def june(db_session):
    """Quintile 1: six appointments that took place. Reminded (a reminder Notify accepted before the start): one
    attended (text delivered), one DNA (text sent, no outcome yet), one attended (email delivered). Not reminded: a
    DNA whose reminder was withheld (no safe route), one attended whose text failed permanently, and a DNA whose
    reminder went only after it started. The referrer of the first got a clarification request by email.
    Quintile 5: reminded, one attended (large print letter) and one arrived late and not seen (easy read letter, to
    their carer); not reminded, one DNA; a cancelled appointment with a reminder and a July one do not count; a
    confirmation text is still waiting to be sent. A rebooking letter about no referral failed."""
    session, clinician = db_session, staff(db_session, "clinician")
    q1 = [rf.referral(session, clinician, QUINTILE_1) for _ in range(6)]
    q5 = [rf.referral(session, clinician, QUINTILE_5) for _ in range(5)]
    a = [rf.appointment(session, clinician, r, _june(8 + i), outcome)
         for i, (r, outcome) in enumerate(zip(q1, ("attended", "dna", "attended", "dna", "attended", "dna"),
                                              strict=True))]
    rf.reminder(session, a[0])
    rf.reminder(session, a[1], status="sent")
    rf.reminder(session, a[2], template="email")
    rf.reminder(session, a[3], status="withheld")
    rf.reminder(session, a[4], status="permanent_failure")
    rf.reminder(session, a[5], sent_at=a[5].starts_at + timedelta(hours=1))
    rf.message(session, "clarification_request", q1[0], _june(2), template="email", addressed_to="referrer")
    b = [rf.appointment(session, clinician, r, _june(15 + i), outcome)
         for i, (r, outcome) in enumerate(zip(q5[:4], ("attended", "late_not_seen", "dna", "cancelled_patient"),
                                              strict=True))]
    rf.reminder(session, b[0], template="letter_large_print", days_before=3)
    message = rf.reminder(session, b[1], template="letter_easy_read", days_before=3)
    message.addressed_to = "carer"
    rf.reminder(session, b[3])
    july = rf.appointment(session, clinician, q5[4], datetime(2026, 7, 6, 9, tzinfo=UTC), "attended")
    rf.reminder(session, july)
    rf.message(session, "appointment_confirmation", q5[4], _june(30, 12), status="queued")
    rf.message(session, "rebooking_offer", None, _june(20), status="failed", template="letter",
               patient_id=q5[0].patient_id)
    session.flush()
    return session


def _by_label(groups) -> dict[str, reach.Group]:
    return {group.label: group for group in groups}


def _counts(group: reach.Group) -> tuple:
    return tuple(group.counts[name] for name in ("messages", "queued", "sent", "delivered", "failed", "withheld"))


def test_messages_are_counted_by_status_for_everyone_and_by_the_referrals_quintile(june):
    found = reach.report(june, JUNE, "imd_quintile")
    assert _counts(found.overall) == (12, 1, 1, 7, 2, 1), "the July reminder is not June's"
    groups = _by_label(found.by_segment)
    assert _counts(groups[Q1]) == (7, 0, 1, 4, 1, 1), "reminders through their appointments, and the referrer's"
    assert _counts(groups[Q5]) == (4, 1, 0, 3, 0, 0)
    assert _counts(groups[reach.NO_REFERRAL_LABEL]) == (1, 0, 0, 0, 1, 0)
    assert _counts(groups["2"]) == (0,) * 6, "every quintile is listed, even with no messages"
    delivered = groups[Q1].cells["delivered"]
    assert (delivered.x, delivered.n, delivered.rate) == (4, 7, 4 / 7)
    assert (delivered.lower, delivered.upper) == pytest.approx(stats.wilson_ci(4, 7))


def test_messages_are_counted_by_format_and_by_whom_they_are_addressed_to(june):
    found = reach.report(june, JUNE, "imd_quintile")
    formats = _by_label(found.by_format)
    assert _counts(formats["Text message"]) == (6, 1, 1, 3, 1, 0)
    assert _counts(formats["Email"]) == (2, 0, 0, 2, 0, 0)
    assert _counts(formats["Letter"]) == (1, 0, 0, 0, 1, 0)
    assert _counts(formats["Large-print letter"])[:4] == (1, 0, 0, 1)
    assert _counts(formats["Easy read letter"])[:4] == (1, 0, 0, 1)
    assert _counts(formats["No format (withheld)"]) == (1, 0, 0, 0, 0, 1)
    addressees = _by_label(found.by_addressee)
    assert [addressees[label].counts["messages"] for label in reach.ADDRESSEE_LABELS.values()] == [10, 1, 1]


def test_every_format_and_addressee_the_outbox_allows_is_listed():
    assert set(reach.FORMAT_LABELS) == {*TEMPLATES, None}
    assert set(reach.ADDRESSEE_LABELS) == set(ADDRESSEES)


def test_dna_rates_compare_appointments_reminded_before_they_started_with_the_rest(june):
    found = reach.report(june, JUNE, "imd_quintile")
    q1 = _by_label(found.dna_by_segment)[Q1]
    assert (q1.reminded.x, q1.reminded.n) == (1, 3), "a reminder sent (no outcome yet) counts"
    assert (q1.unreminded.x, q1.unreminded.n) == (2, 3), "withheld, failed and late reminders do not"
    assert q1.unreminded.rate == pytest.approx(2 / 3)
    assert (q1.unreminded.lower, q1.unreminded.upper) == pytest.approx(stats.wilson_ci(2, 3))
    q5 = _by_label(found.dna_by_segment)[Q5]
    assert (q5.reminded.x, q5.reminded.n, q5.reminded.rate) == (0, 2, 0.0), "arrived late and not seen took place"
    assert (q5.unreminded.x, q5.unreminded.n) == (1, 1), "cancelled and July appointments are not counted"
    overall = found.dna_overall
    assert (overall.reminded.x, overall.reminded.n, overall.unreminded.x, overall.unreminded.n) == (1, 5, 3, 4)
    empty = _by_label(found.dna_by_segment)["3"]
    assert (empty.reminded.n, empty.reminded.rate) == (0, None), "no appointments: no rate, not 0%"


def test_a_flag_breaks_messages_and_appointments_down_into_flagged_and_not(june):
    found = reach.report(june, JUNE, "flag_deprivation")
    groups = _by_label(found.by_segment)
    assert groups["Flagged"].counts["messages"] == 7, "quintile 1 is the deprivation flag"
    assert groups["Not flagged"].counts["messages"] == 4
    assert _by_label(found.dna_by_segment)["Flagged"].unreminded.n == 3


def test_a_pathway_chooses_the_messages_and_appointments_of_its_referrals(june):
    found = reach.report(june, Period("2026-06", "2026-06", "mental_health"), "imd_quintile")
    assert found.overall.counts["messages"] == 0, "the test referrals are all MSK; the unlinked letter has no pathway"
    assert found.dna_overall.reminded.n == 0
    assert reach.report(june, Period("2026-06", "2026-06", "msk"), "imd_quintile").overall.counts["messages"] == 11


def test_shared_the_small_counts_are_hidden_with_no_share_worked_out_from_them(june):
    found = reach.report(june, JUNE, "imd_quintile", shared=True)
    q1 = _by_label(found.by_segment)[Q1]
    assert (q1.counts["delivered"], q1.cells["delivered"].rate) == (stats.SUPPRESSED, None)
    assert _by_label(found.by_segment)["2"].counts["messages"] == 0, "a zero is shown"
    dna = _by_label(found.dna_by_segment)[Q1]
    assert (dna.reminded.x, dna.reminded.n, dna.reminded.rate) == (stats.SUPPRESSED, stats.SUPPRESSED, None)


def test_shared_a_large_count_is_hidden_too_when_a_total_would_reveal_a_small_one(june):
    referral = rf.referral(june, staff(june, "booking", "booking2"), QUINTILE_5)
    for hour in range(10):
        rf.message(june, "clarification_request", referral, _june(3, hour), template="email",
                   addressed_to="referrer")
    internal = _by_label(reach.report(june, JUNE, "imd_quintile").by_segment)
    assert (internal[Q1].counts["delivered"], internal[Q5].counts["delivered"]) == (4, 13)
    found = reach.report(june, JUNE, "imd_quintile", shared=True)
    groups = _by_label(found.by_segment)
    delivered = [found.overall.counts["delivered"]] + [g.counts["delivered"] for g in found.by_segment]
    assert groups[Q1].counts["delivered"] == stats.SUPPRESSED
    assert delivered.count(stats.SUPPRESSED) >= 2, "17 delivered in all, 13 in quintile 5: 4 in quintile 1"
