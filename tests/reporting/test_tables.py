"""Equity tables: every segment with its unknown row, Wilson intervals from the counts, suppression when shared."""
from datetime import timedelta

import pytest

from inclusive_access.domain import appointments, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.reporting import exports, stats, tables
from inclusive_access.reporting.queries import Period
from tests.factories import make_referral, make_user

JUNE = Period("2026-06", "2026-06")
SCRIPT = triage.BookingScript(contact_method="telephone", contact_times="", safe_to_leave_message=True,
                              interpreter_needed=False, language="", communication_needs="", mobility="none",
                              caring_or_work="", digital_access="phone_only")


def _received(session, n: int, **patient) -> list:
    return [make_referral(session, received_at=f"2026-06-{day + 1:02d} 10:00", **patient) for day in range(n)]


def _accept_and_attend(session, actor, referral, days_to_contact: int) -> None:
    triage.triage_referral(session, actor, referral, referral.version, SCRIPT, [], "accept",
                           now=referral.received_at + timedelta(hours=1))
    slot = referral.received_at + timedelta(days=days_to_contact)
    appointment = appointments.book_appointment(session, actor, referral, referral.version, slot, "telephone", None,
                                                now=referral.received_at + timedelta(hours=2))
    appointments.record_outcome(session, actor, appointment, appointment.version, "attended",
                                now=slot + timedelta(hours=1))


def test_every_imd_row_is_listed_with_the_unknown_row_even_when_empty(db_session):
    _received(db_session, 3, imd_decile="1")  # quintile 1
    _received(db_session, 2, imd_decile="")  # not known
    columns = tables.segment_table(db_session, JUNE, "imd_quintile")
    assert [c.label for c in columns] == ["1 (most deprived)", "2", "3", "4", "5 (least deprived)", "Not known"]
    assert [c.referrals for c in columns] == [3, 0, 0, 0, 0, 2]
    empty = columns[1].cells["accepted"]
    assert (empty.x, empty.n, empty.rate, empty.lower) == (0, 0, None, None)


def test_rates_and_intervals_come_from_the_counts(db_session):
    booker = actor_for(make_user(db_session, "booking"))
    referrals = _received(db_session, 9, imd_decile="9")  # quintile 5
    for referral, days in zip(referrals[:4], (2, 4, 6, 30), strict=True):
        _accept_and_attend(db_session, booker, referral, days)
    column = tables.segment_table(db_session, JUNE, "imd_quintile")[4]
    accepted = column.cells["accepted"]
    assert (accepted.x, accepted.n) == (4, 9)
    assert accepted.rate == pytest.approx(4 / 9)
    assert (accepted.lower, accepted.upper) == pytest.approx(stats.wilson_ci(4, 9))
    assert column.wait_n == 4
    assert column.median_days == pytest.approx(5.0)  # between 4 and 6
    assert column.p90_days == pytest.approx(6 + 0.7 * 24)  # h = 3 * 0.9 + 1 = 3.7: x3 + 0.7 (x4 - x3)
    dna = column.cells["dna_rate"]
    assert (dna.x, dna.n, dna.rate) == (0, 4, 0.0)


def test_a_shared_view_hides_small_counts_and_any_cell_a_total_would_reveal(db_session):
    _received(db_session, 20, imd_decile="1")
    _received(db_session, 3, imd_decile="5")
    internal = tables.segment_table(db_session, JUNE, "imd_quintile")
    shared = tables.segment_table(db_session, JUNE, "imd_quintile", shared=True)
    assert [c.referrals for c in internal] == [20, 0, 3, 0, 0, 0]
    published = [c.referrals for c in shared]
    assert published[2] == "*", "3 is a small count"
    assert published.count("*") >= 2, "a lone * is recovered from the total: a second cell is hidden too"
    assert shared[2].cells["accepted"].rate is None, "no rate is shown for a hidden count"


def test_the_csv_export_defuses_formulas_and_keeps_the_suppression(db_session):
    _received(db_session, 2, imd_decile="1")
    columns = tables.segment_table(db_session, JUNE, "imd_quintile", shared=True)
    columns[0].label = "=HYPERLINK(\"http://example.invalid\")"  # as if a label carried a formula
    text = exports.table_csv(columns, "IMD quintile")
    lines = text.splitlines()
    assert lines[0] == "IMD quintile,measure,numerator,denominator,value,lower_95,upper_95"
    assert lines[1].startswith("\"'=HYPERLINK"), lines[1]
    assert ",Referrals received,*," in lines[1]


def test_completeness_counts_stated_ethnicity_and_known_imd(db_session):
    _received(db_session, 3, ethnic_category="A", imd_decile="4")
    _received(db_session, 1, ethnic_category="Z", imd_decile="")
    _received(db_session, 1, ethnic_category="99", imd_decile="2")
    [june] = tables.completeness(db_session, JUNE)
    assert (june["month"], june["referrals"], june["ethnicity"], june["imd"]) == ("2026-06", 5, 3, 4)
    assert (june["ethnicity_pct"], june["imd_pct"]) == (60.0, 80.0)


def test_every_segment_lists_every_stored_value(db_session):
    _received(db_session, 2, sex="not_stated", date_of_birth="2015-01-01", housing_status="rough_sleeping")
    for segment in tables.SEGMENT_LABELS:
        columns = tables.segment_table(db_session, JUNE, segment)
        assert sum(c.referrals for c in columns) == 2, segment


def test_a_period_outside_the_history_is_empty(db_session):
    _received(db_session, 2)
    columns = tables.segment_table(db_session, Period("2025-01", "2025-03"), "ethnic_group")
    assert all(c.referrals == 0 for c in columns)
    assert tables.completeness(db_session, Period("2025-01", "2025-03")) == []


def test_received_month_follows_the_london_calendar(db_session):
    """00:30 BST on 1 July 2026 is 23:30 UTC on 30 June: it belongs to July."""
    make_referral(db_session, received_at="2026-07-01 00:30")
    assert tables.segment_table(db_session, Period("2026-07", "2026-07"), "sex")[0].referrals == 1
