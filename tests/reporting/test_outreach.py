"""The outreach cohort's evidence, worked by hand on a crafted June 2026 of two partners' venues, made through the
domain: minimum records received from sessions, some linked to patients' referrals, an attended appointment, urgent
contacts and safeguarding concerns."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import DateTime, column, insert, select, table, text

from inclusive_access.domain import outreach_reconciliation, safeguarding
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutreachRecord
from inclusive_access.reporting import outreach as evidence
from inclusive_access.reporting import stats
from inclusive_access.reporting.outreach_queries import BREAKDOWNS, NOT_LINKED_GROUP, Scope
from inclusive_access.reporting.uk_days import days_after, uk_date
from tests.conftest import ON_SQLITE
from tests.factories import accept_and_attend, staff
from tests.reporting.outcome_history import urgent
from tests.reporting.outreach_history import Outreach, uk_time
from tests.reporting.test_wait_quantiles import _plans

JUNE = Scope(date(2026, 6, 1), date(2026, 6, 30))
#: every June window (the first day and the 90 after) is over
NOW = datetime(2026, 10, 15, 12, tzinfo=UTC)
QUINTILE_1, QUINTILE_5, NOT_KNOWN = "1", "9", ""


@pytest.fixture
def history(db_session):
    """Partner A runs venues A1 and A2, partner B venue B1. In June 2026:
    - p1 (quintile 1) first seen at A1 on 2 June, follow-up planned for 9 June, seen again at A1 on 9 June: met on
      the last day;
    - p2 (quintile 1) first seen at A1 on 2 June, follow-up 9 June, seen again on 10 June: missed by a day, but
      seen again within 90 days;
    - p3 (quintile 5) first seen at A2 on 3 June, follow-up 20 June, attended an appointment on 15 June; an urgent
      contact on 1 July;
    - p4 (quintile 5) first seen at B1 on 4 June, screened positive for exploitation, a safeguarding concern raised
      the next day; follow-up 18 June, no contact; an urgent contact before outreach (30 May) does not count;
    - an unlinked record at B1 on 4 June, follow-up 11 June (not judged), no flags;
    - p5 (IMD not known) first seen at A1 on 20 May (follow-up 5 June), seen again at A1 on 5 June: not new in June,
      but their follow-up falls in June and was met that day;
    - p6 (IMD not known) first seen at B1 on 30 June, seen again on 29 September (day 91: too late); an urgent
      contact on 28 September (day 90) counts.
    p4 has flags housing and language; everyone else linked, housing."""
    o = Outreach(db_session)
    a1 = o.venue()
    a2, b1 = o.venue(partner_of=a1), o.venue()
    p = {name: o.patient(decile) for name, decile in (("p1", QUINTILE_1), ("p2", QUINTILE_1), ("p3", QUINTILE_5),
                                                      ("p4", QUINTILE_5), ("p5", NOT_KNOWN), ("p6", NOT_KNOWN))}
    o.seen(a1, uk_time(6, 2), "2026-06-09", p["p1"])
    o.seen(a1, uk_time(6, 9, 16), referral=p["p1"])
    o.seen(a1, uk_time(6, 2), "2026-06-09", p["p2"])
    o.seen(a1, uk_time(6, 10, 9), referral=p["p2"])
    o.seen(a2, uk_time(6, 3), "2026-06-20", p["p3"])
    accept_and_attend(db_session, o.clinician, p["p3"], 45)  # 1 May + 45 days: 15 June
    urgent(db_session, o.clinician, p["p3"], date(2026, 7, 1))
    o.seen(b1, uk_time(6, 4), "2026-06-18", p["p4"], exploitation_risk="yes", flags=["housing", "language"],
           safeguarding_detail="Older men collecting him from the hostel")
    safeguarding.raise_concern(db_session, o.clinician, p["p4"], safeguarding.ConcernDetails(
        "exploitation_risk", "Raised from the outreach screen"), now=uk_time(6, 5))
    urgent(db_session, o.clinician, p["p4"], date(2026, 5, 30))
    o.seen(b1, uk_time(6, 4, 14), "2026-06-11", flags=[])
    o.seen(a1, uk_time(5, 20), "2026-06-05", p["p5"])
    o.seen(a1, uk_time(6, 5), referral=p["p5"])
    o.seen(b1, uk_time(6, 30), referral=p["p6"])
    o.seen(b1, uk_time(9, 29), referral=p["p6"])
    urgent(db_session, o.clinician, p["p6"], date(2026, 9, 28))
    return {"A1": a1, "A2": a2, "B1": b1}


def _counts(group: evidence.Group, *names: str) -> tuple:
    return tuple(group.counts[name] for name in names)


def test_the_whole_cohort_worked_by_hand(db_session, history):
    overall = evidence.report(db_session, JUNE, "partner", now=NOW).overall
    # nine June records; five people new to outreach linked (p5 was first seen in May) and one unlinked record
    assert _counts(overall, "records", "people_linked", "people_unlinked") == (9, 5, 1)
    # seen again within 90 days: p1, p2 (outreach) and p3 (appointment); not p4, nor p6 (on day 91)
    assert (overall.cells["engaged"].x, overall.cells["engaged"].n) == (3, 5)
    assert overall.cells["engaged"].rate == pytest.approx(0.6)
    assert overall.cells["engaged"].lower == pytest.approx(stats.wilson_ci(3, 5)[0])
    # follow-ups due in June: p1 (met on the day), p2 (a day late), p3 (appointment), p4 (none), p5 (May's record,
    # met on the day); the unlinked record's is not judged
    assert _counts(overall, "follow_ups_met", "follow_ups_due", "follow_ups_unlinked") == (3, 5, 1)
    # urgent care within 90 days: p3 (1 July) and p6 (day 90); p4's was before
    assert _counts(overall, "urgent", "concerns", "screened_positive") == (2, 1, 1)


def test_by_partner_and_venue_each_person_at_the_venue_of_their_first_record(db_session, history):
    by_partner = {g.label: g for g in evidence.report(db_session, JUNE, "partner", now=NOW).groups}
    a, b = (by_partner[history[v].partner.name] for v in ("A1", "B1"))
    assert _counts(a, "records", "people_linked", "engaged", "follow_ups_met", "follow_ups_due") == (6, 3, 3, 3, 4)
    assert _counts(b, "records", "people_linked", "people_unlinked", "engaged", "urgent", "concerns") == (
        3, 2, 1, 0, 1, 1)
    by_venue = {g.value: g for g in evidence.report(db_session, JUNE, "venue", now=NOW).groups}
    assert _counts(by_venue[history["A2"].id], "records", "people_linked", "engaged", "urgent") == (1, 1, 1, 1)
    assert _counts(by_venue[history["A1"].id], "records", "people_linked", "engaged") == (5, 2, 2)


def test_by_patient_segment_the_unlinked_in_a_row_of_their_own(db_session, history):
    by_quintile = {g.value: g for g in evidence.report(db_session, JUNE, "imd_quintile", now=NOW).groups}
    assert _counts(by_quintile[1], "records", "people_linked", "engaged", "follow_ups_met", "follow_ups_due") == (
        4, 2, 2, 1, 2)
    assert _counts(by_quintile[5], "people_linked", "engaged", "urgent", "concerns", "screened_positive") == (
        2, 1, 1, 1, 1)
    assert _counts(by_quintile[None], "records", "people_linked", "urgent", "follow_ups_met") == (2, 1, 1, 1)
    assert _counts(by_quintile[0], "records", "people_unlinked", "follow_ups_unlinked") == (1, 1, 1)
    assert by_quintile[0].label == NOT_LINKED_GROUP
    assert by_quintile[0].cells["engaged"].rate is None, "nobody to follow: no rate, not 0%"
    by_group = {g.value: g for g in evidence.report(db_session, JUNE, "ethnic_group", now=NOW).groups}
    assert _counts(by_group["White"], "records", "people_linked") == (8, 5)


def test_by_flag_recorded_at_the_venue(db_session, history):
    by_flag = {g.value: g for g in evidence.report(db_session, JUNE, "flags", now=NOW).groups}
    assert _counts(by_flag["housing"], "records", "people_linked", "engaged") == (8, 5, 3)
    assert _counts(by_flag["language"], "records", "screened_positive", "concerns") == (1, 1, 1)
    assert _counts(by_flag["none"], "records", "people_unlinked") == (1, 1)
    assert _counts(by_flag["carer"], "records") == (0,)


def test_a_partners_figures_for_a_meeting(db_session, history):
    a = evidence.figures(db_session, JUNE.start, JUNE.end, history["A1"].partner_id, now=NOW)
    assert _counts(a, "records", "people_linked", "engaged") == (6, 3, 3)
    everyone = evidence.figures(db_session, JUNE.start, JUNE.end, now=NOW)
    assert everyone.counts["records"] == 9
    july = evidence.figures(db_session, date(2026, 7, 1), date(2026, 7, 31), history["A1"].partner_id, now=NOW)
    assert (july.label, july.counts["records"], july.cells["engaged"].rate) == (history["A1"].partner.name, 0, None)


def test_shared_small_counts_are_hidden_and_no_share_is_shown_from_them(db_session, history):
    shared = evidence.report(db_session, JUNE, "venue", shared=True, now=NOW)
    assert shared.overall.counts["records"] == 9, "nine is shown"
    a2 = next(g for g in shared.groups if g.value == history["A2"].id)
    assert a2.counts["records"] == stats.SUPPRESSED
    assert a2.cells["engaged"].rate is None


def test_a_large_count_beside_a_small_one_is_hidden_too_as_the_total_would_give_it_away(db_session):
    o = Outreach(db_session)
    big, small = o.venue(), o.venue()
    for hour in range(8):
        o.seen(big, uk_time(6, 2, 9) + timedelta(minutes=10 * hour))
    o.seen(small, uk_time(6, 3))
    shared = evidence.report(db_session, JUNE, "partner", shared=True, now=NOW)
    assert shared.overall.counts["records"] == 9
    assert [g.counts["records"] for g in shared.groups] == [stats.SUPPRESSED, stats.SUPPRESSED]
    internal = evidence.report(db_session, JUNE, "partner", now=NOW)
    assert sorted(g.counts["records"] for g in internal.groups) == [1, 8]


def test_a_record_whose_link_is_undone_counts_as_unlinked_again(db_session, history):
    senior = staff(db_session, "senior")
    record = db_session.scalars(select(OutreachRecord).where(OutreachRecord.exploitation_risk == "yes")).one()
    outreach_reconciliation.undo_link(db_session, senior, record, record.version, "Wrong person")
    overall = evidence.report(db_session, JUNE, "partner", now=NOW).overall
    assert _counts(overall, "people_linked", "people_unlinked", "concerns") == (4, 2, 0)


#: the tables whose history grows: read only along an index, by the period or by a person
GROWING = ("outreach_records", "patients", "referrals", "appointments", "urgent_contacts", "safeguarding_concerns")


@ON_SQLITE
@pytest.mark.parametrize("breakdown", sorted(BREAKDOWNS))
def test_the_period_and_each_persons_history_are_read_by_index(db_session, history, breakdown):
    found, plans = _plans(db_session, lambda: evidence.report(db_session, JUNE, breakdown, shared=True, now=NOW))
    assert found.overall.counts["records"] == 9
    steps = [step for _statement, plan in plans for step in plan]
    # a table's alias (another record of the same patient) is named with a number after it
    assert not [step for step in steps if step.startswith("SCAN") and step.split()[1].rstrip("_0123456789") in GROWING]
    assert {step.split("INDEX ")[1].split()[0] for step in steps if "SEARCH outreach_records USING" in step} == {
        "ix_outreach_records_seen_at", "ix_outreach_records_follow_up_on"}


UK_TIMES = [datetime(year, month, day, hour, minute, tzinfo=UTC)
            for year in (2025, 2026, 2027) for month, day in ((3, 1), (3, 29), (3, 30), (3, 28), (3, 31), (10, 25),
                                                              (10, 26), (10, 31), (12, 31), (6, 30))
            for hour, minute in ((0, 0), (0, 59), (1, 0), (22, 59), (23, 0), (23, 30))]


def test_uk_days_in_the_database_agree_with_the_time_zone_rules(db_session):
    """Either side of each change of the clocks, and late in the evening when the UK day is already tomorrow."""
    times = table("uk_times", column("at", DateTime()))
    db_session.execute(text("CREATE TEMPORARY TABLE uk_times (at TIMESTAMP)"))
    db_session.execute(insert(times), [{"at": at.replace(tzinfo=None)} for at in UK_TIMES])
    found = db_session.execute(select(times.c.at, uk_date(times.c.at), days_after(uk_date(times.c.at), 90))).all()
    assert sorted((at.replace(tzinfo=UTC), day) for at, day, _later in found) == sorted(
        (at, at.astimezone(LONDON).date()) for at in UK_TIMES)
    assert {later - day for _at, day, later in found} == {timedelta(days=90)}


def test_the_not_linked_rows_records_are_its_people_so_neither_gives_a_hidden_count_away(db_session):
    """20 records of people in quintile 1, 3 in quintile 2 and 8 not linked: the not-linked row's 8 people are its 8
    records, so hiding its records alone would leave 31 - 20 - 8 = 3 to be worked out."""
    o = Outreach(db_session)
    venue = o.venue()
    for day, decile in [*((2 + i % 20, "1") for i in range(20)), *((10 + i, "3") for i in range(3))]:
        o.seen(venue, uk_time(6, day), "", o.patient(decile))
    for i in range(8):
        o.seen(venue, uk_time(6, 15 + i), "", flags=[])
    shared = evidence.report(db_session, JUNE, "imd_quintile", shared=True, now=NOW)
    by_value, overall = {g.value: g.counts for g in shared.groups}, shared.overall.counts
    assert by_value[2]["records"] == stats.SUPPRESSED
    unlinked = {by_value[0]["records"], by_value[0]["people_unlinked"], overall["people_unlinked"]}  # all 8
    assert stats.SUPPRESSED in (by_value[1]["records"], overall["records"]) or unlinked == {stats.SUPPRESSED}
