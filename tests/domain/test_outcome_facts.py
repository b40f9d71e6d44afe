"""outcome_facts and the urgent contact facts, worked by hand: the baseline, follow-up and improvement on a scale
where lower is better (PHQ-9) and one where higher is (PSFS, a mean), by when each was answered whatever the order
of entry, and urgent contacts within 30 UK days of receipt and of discharge. Each is also rebuilt from the log."""
from datetime import UTC, date, datetime, timedelta

import pytest

from inclusive_access.domain import discharge, fact_rebuild, instrument_files, questionnaires, urgent_contacts
from inclusive_access.domain.outcome_projection import Answer, outcome
from inclusive_access.domain.pathway_delays import DelayLink
from inclusive_access.domain.urgent_contacts import ContactDetails
from inclusive_access.models import OutcomeFact, ReferralFact
from tests.domain.test_facts import assert_the_rebuild_agrees
from tests.factories import APPROVE, accept_and_attend, discharged, make_referral, staff

SHIPPED = instrument_files.load(instrument_files.SHIPPED_DIR)
PHQ9, PSFS, EXPERIENCE = SHIPPED["phq9"], SHIPPED["psfs"], SHIPPED["experience"]
#: the referrals are received on Monday 1 June 2026 at 09:00 UK time (08:00 UTC)
RECEIVED = "2026-06-01 09:00"


def on(day: int, month: int = 6, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def phq9(total: int) -> dict[str, str]:
    """PHQ-9 answers adding up to `total`: the first items at 3 ("nearly every day"), the rest below."""
    return {item.id: str(min(3, max(0, total - 3 * i))) for i, item in enumerate(PHQ9.items)}


def psfs(*ratings: int) -> dict[str, str]:
    """PSFS answers rating one to three activities (the score is their mean)."""
    return {f"activity_{i}": str(rating) for i, rating in enumerate(ratings, start=1)}


def answered(session, actor, referral, instrument, time_point: str, answers: dict, completed_at: datetime,
             entered: datetime | None = None):
    """A clinician enters answers the patient gave at `completed_at`, on `entered` (by default then)."""
    return questionnaires.record_answers(session, actor, referral, instrument, time_point, answers,
                                         "telephone_interpreter", completed_at, now=entered or completed_at)


def outcome_of(session, referral, instrument) -> OutcomeFact:
    return session.get(OutcomeFact, (referral.id, instrument.id))


@pytest.fixture
def clinician(db_session):
    return staff(db_session, "clinician")


@pytest.fixture
def mental_health(db_session):
    return make_referral(db_session, pathway="mental_health", received_at=RECEIVED)


@pytest.mark.parametrize(("follow_up", "improved"), [(12, True), (13, False)])
def test_phq9_improves_on_a_fall_of_at_least_6(db_session, clinician, mental_health, follow_up, improved):
    """PHQ-9 18 at first contact (3 June) and 12 at discharge (29 July): a fall of exactly 6, the minimal important
    change, improves; 13, a fall of 5, does not."""
    answered(db_session, clinician, mental_health, PHQ9, "first_contact", phq9(18), on(3))
    answered(db_session, clinician, mental_health, PHQ9, "discharge", phq9(follow_up), on(29, 7))
    row = outcome_of(db_session, mental_health, PHQ9)
    assert (row.kind, row.better, row.responses) == ("prom", "lower", 2)
    assert (row.baseline_at, row.baseline_score, row.followup_at, row.followup_score) == (
        on(3), 18, on(29, 7), follow_up)
    assert row.improved is improved
    assert (row.improved_at, row.days_to_improvement) == ((on(29, 7), 56.0) if improved else (None, None))
    db_session.commit()
    assert_the_rebuild_agrees(db_session)


@pytest.mark.parametrize(("follow_up", "score", "improved"), [((5, 4), 4.5, False), ((5, 5), 5.0, True)])
def test_psfs_improves_on_a_rise_of_at_least_1_3_in_the_mean(db_session, clinician, follow_up, score, improved):
    """PSFS on MSK, two activities rated 3 and 4 at first contact (mean 3.5): at discharge 5 and 4 (up 1) is not
    an improvement; 5 and 5 (up 1.5) is."""
    referral = make_referral(db_session, received_at=RECEIVED)
    answered(db_session, clinician, referral, PSFS, "first_contact", psfs(3, 4), on(3))
    answered(db_session, clinician, referral, PSFS, "discharge", psfs(*follow_up), on(29, 7))
    row = outcome_of(db_session, referral, PSFS)
    assert (row.better, row.baseline_score, row.followup_score, row.improved) == ("higher", 3.5, score, improved)
    db_session.commit()
    assert_the_rebuild_agrees(db_session)


def test_a_paper_baseline_entered_late_replaces_the_baseline_and_the_improvement(db_session, clinician,
                                                                                 mental_health):
    """Answered 10 June (PHQ-9 15) and at discharge on 20 July (10): a fall of 5, not improved. A paper form
    answered on 8 June (16), entered on 25 July, is the earliest at first contact: the baseline is now 16, the fall
    6, improved on 20 July, 42 days after it."""
    answered(db_session, clinician, mental_health, PHQ9, "first_contact", phq9(15), on(10))
    answered(db_session, clinician, mental_health, PHQ9, "discharge", phq9(10), on(20, 7))
    row = outcome_of(db_session, mental_health, PHQ9)
    assert (row.baseline_score, row.improved, row.improved_at) == (15, False, None)
    answered(db_session, clinician, mental_health, PHQ9, "first_contact", phq9(16), on(8), entered=on(25, 7))
    row = outcome_of(db_session, mental_health, PHQ9)
    assert (row.responses, row.baseline_at, row.baseline_score, row.followup_score) == (3, on(8), 16, 10)
    assert (row.improved, row.improved_at, row.days_to_improvement) == (True, on(20, 7), 42.0)
    db_session.commit()
    assert_the_rebuild_agrees(db_session)


def test_without_a_follow_up_improvement_is_not_known(db_session, clinician, mental_health):
    answered(db_session, clinician, mental_health, PHQ9, "first_contact", phq9(20), on(3))
    row = outcome_of(db_session, mental_health, PHQ9)
    assert (row.responses, row.baseline_score, row.followup_at, row.followup_score) == (1, 20, None, None)
    assert (row.improved, row.improved_at, row.days_to_improvement) == (None, None, None)


def test_time_to_improvement_is_to_the_first_later_answer_reaching_the_mic(db_session, clinician, mental_health):
    """PHQ-9 20 on 3 June; at reviews 17 on 10 June and 14 on 17 June (entered first), 12 at discharge on 29 July:
    improved first on 17 June, 14 days after the baseline, though the follow-up is the discharge's."""
    answered(db_session, clinician, mental_health, PHQ9, "first_contact", phq9(20), on(3))
    answered(db_session, clinician, mental_health, PHQ9, "review", phq9(14), on(17))
    answered(db_session, clinician, mental_health, PHQ9, "review", phq9(17), on(10), entered=on(18))
    answered(db_session, clinician, mental_health, PHQ9, "discharge", phq9(12), on(29, 7))
    row = outcome_of(db_session, mental_health, PHQ9)
    assert (row.responses, row.followup_at, row.followup_score, row.improved) == (4, on(29, 7), 12, True)
    assert (row.improved_at, row.days_to_improvement) == (on(17), 14.0)
    db_session.commit()
    assert_the_rebuild_agrees(db_session)


def test_answers_completed_at_the_same_moment_are_taken_in_the_order_entered(db_session, clinician,
                                                                             mental_health):
    """Two first-contact answers and two discharge answers, each pair completed at the same moment: the baseline
    is the first entered (20, not 21), the follow-up the last entered (14, not 13): a fall of 6."""
    for score in (20, 21):
        answered(db_session, clinician, mental_health, PHQ9, "first_contact", phq9(score), on(3))
    for score in (13, 14):
        answered(db_session, clinician, mental_health, PHQ9, "discharge", phq9(score), on(29, 7))
    row = outcome_of(db_session, mental_health, PHQ9)
    assert (row.responses, row.baseline_score, row.followup_score, row.improved) == (4, 20, 14, True)
    db_session.commit()
    assert_the_rebuild_agrees(db_session)


def test_the_experience_measure_keeps_its_latest_answer_with_no_baseline(db_session, clinician):
    referral = make_referral(db_session, received_at=RECEIVED)
    good = {"friends_and_family": "good", "needs_asked": "yes", "understood": "all", "support_given": "not_needed"}
    answered(db_session, clinician, referral, EXPERIENCE, "discharge", {**good, "understood": "some"}, on(29, 7))
    answered(db_session, clinician, referral, EXPERIENCE, "discharge", good, on(30, 7))
    row = outcome_of(db_session, referral, EXPERIENCE)
    assert (row.kind, row.responses, row.followup_at, row.followup_score) == ("prem", 2, on(30, 7),
                                                                             pytest.approx(275 / 3))
    assert (row.baseline_at, row.baseline_score, row.improved, row.improved_at) == (None, None, None, None)


def test_an_answer_with_no_score_counts_as_not_answered():
    """A mean of "Don't know"s has no score: the baseline is the next answer at first contact, the follow-up the
    last scored one at discharge; both are still counted as responses."""
    def given(day: int, point: str, score: float | None) -> Answer:
        return Answer(on(day), point, score, "prom", "higher", 2.0)

    row = outcome(7, "crafted", [given(1, "first_contact", None), given(2, "first_contact", 3.0),
                                 given(20, "discharge", 6.0), given(21, "discharge", None)])
    assert (row["responses"], row["baseline_at"], row["followup_at"], row["improved"]) == (4, on(2), on(20), True)


# Urgent contacts: the referral is received on 1 June at 00:30 UK time (BST), which is 31 May in UTC.
def contact(session, clinician, referral, day: date, now: datetime | None = None) -> None:
    details = ContactDetails("ed_attendance", day, "ed_discharge_summary", DelayLink("no"))
    urgent_contacts.record_urgent_contact(session, clinician, referral, details, now=now or on(30, 11))


def urgent(session, referral) -> tuple[bool, bool]:
    row = session.get(ReferralFact, referral.id)
    return row.urgent_contact_after_referral, row.urgent_contact_after_discharge


@pytest.mark.parametrize(("day", "counts"), [(date(2026, 5, 31), False), (date(2026, 6, 1), True),
                                             (date(2026, 7, 1), True), (date(2026, 7, 2), False)])
def test_an_urgent_contact_counts_from_the_uk_day_of_receipt_to_30_days_after(db_session, clinician, day,
                                                                            counts):
    """Received 00:30 BST on 1 June: 31 May (its UTC day) is before it, 1 July is 30 days after it, 2 July 31."""
    referral = make_referral(db_session, received_at="2026-06-01 00:30")
    assert urgent(db_session, referral) == (False, False)
    contact(db_session, clinician, referral, day)
    assert urgent(db_session, referral) == (counts, False)
    db_session.commit()
    assert_the_rebuild_agrees(db_session)


@pytest.mark.parametrize(("day", "counts"), [(date(2026, 10, 9), False), (date(2026, 10, 10), True),
                                             (date(2026, 11, 9), True), (date(2026, 11, 10), False)])
def test_an_urgent_contact_counts_from_the_uk_day_of_discharge_to_30_days_after(db_session, clinician, day,
                                                                              counts):
    """Discharged 00:30 BST on 10 October (9 October in UTC): counted to 9 November, 30 days on, after the clocks
    went back to GMT."""
    senior = staff(db_session, "senior")
    referral = discharged(db_session, clinician, senior, RECEIVED, datetime(2026, 10, 9, 23, 30, tzinfo=UTC))
    contact(db_session, clinician, referral, day)
    assert urgent(db_session, referral) == (False, counts)
    db_session.commit()
    assert_the_rebuild_agrees(db_session)


def test_an_urgent_contact_recorded_before_the_discharge_counts_once_it_lands(db_session, clinician):
    """An emergency department attendance on the morning of 20 July, recorded at 11:00; the discharge approved at
    16:00 that day: the attendance was on the day of discharge."""
    senior = staff(db_session, "senior")
    referral = make_referral(db_session, received_at="2026-07-01 09:00")
    contact(db_session, clinician, referral, date(2026, 7, 20), now=on(20, 7, hour=10))
    assert urgent(db_session, referral) == (True, False)
    discharged_at = on(20, 7, hour=15)
    accept_and_attend(db_session, clinician, referral, 1)
    review = discharge.request_discharge(db_session, clinician, referral, referral.version, "treatment_complete",
                                         "Goals met", now=discharged_at - timedelta(minutes=1))
    discharge.decide_review(db_session, senior, review, referral.version, APPROVE, now=discharged_at)
    assert urgent(db_session, referral) == (True, True)
    db_session.commit()
    assert_the_rebuild_agrees(db_session)


def test_an_urgent_contact_logged_before_the_referral_counts_when_replayed():
    """An import can put a referral's receipt in the log after its urgent contact: the replay still counts it."""
    received = {"received_at": "2026-06-01T08:00:00+00:00", "pathway_code": "msk"}
    rows = [("urgent_contact.recorded", on(3), 1, 1, {"occurred_on": "2026-06-02"}),
            ("referral.received", on(4), 1, 1, received)]
    fact = fact_rebuild.replay(rows)[1]
    assert (fact["urgent_contact_after_referral"], fact["urgent_contact_after_discharge"]) == (True, False)
