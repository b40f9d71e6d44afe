"""SLA clocks as pure functions: same-day triage, 24-hour clarification, 14-day rebooking, countdown text."""
from datetime import UTC, date, datetime, time, timedelta

import pytest

from inclusive_access.domain.clocks import (
    LONDON,
    ClockSettings,
    clarification_due,
    describe,
    end_of_day,
    is_working_day,
    next_working_day,
    rebooking_due,
    time_left,
    triage_due,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def london(*args) -> datetime:
    """A Europe/London wall-clock time, as the aware UTC datetime the domain is given."""
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


def assert_utc(value: datetime, expected: datetime) -> None:
    assert value == expected
    assert value.utcoffset() == timedelta(0)


# --- Flagged: same day before the cut-off, otherwise 12:00 next working day ----------------------

FLAGGED = [
    # (why, received, due) -- January is GMT, so London wall clock = UTC
    ("morning, working day", utc(2026, 1, 14, 9, 0), utc(2026, 1, 14, 17, 0)),
    ("one minute before the cut-off", utc(2026, 1, 14, 14, 59), utc(2026, 1, 14, 17, 0)),
    ("one second before the cut-off", utc(2026, 1, 14, 14, 59, 59), utc(2026, 1, 14, 17, 0)),
    ("exactly at the 15:00 cut-off", utc(2026, 1, 14, 15, 0), utc(2026, 1, 15, 12, 0)),
    ("after the cut-off", utc(2026, 1, 14, 16, 30), utc(2026, 1, 15, 12, 0)),
    ("after the end of the working day", utc(2026, 1, 14, 18, 0), utc(2026, 1, 15, 12, 0)),
    ("23:30, just before midnight", utc(2026, 1, 14, 23, 30), utc(2026, 1, 15, 12, 0)),
    ("00:30, just after midnight", utc(2026, 1, 15, 0, 30), utc(2026, 1, 15, 17, 0)),
    ("early hours before the working day", utc(2026, 1, 15, 6, 0), utc(2026, 1, 15, 17, 0)),
    ("Friday afternoon -> Monday 12:00", utc(2026, 1, 16, 15, 30), utc(2026, 1, 19, 12, 0)),
    ("Friday 23:30 -> Monday 12:00", utc(2026, 1, 16, 23, 30), utc(2026, 1, 19, 12, 0)),
    ("Friday morning -> that Friday", utc(2026, 1, 16, 10, 0), utc(2026, 1, 16, 17, 0)),
    ("Saturday morning (before 15:00, not a working day)", utc(2026, 1, 17, 9, 0), utc(2026, 1, 19, 12, 0)),
    ("Saturday afternoon", utc(2026, 1, 17, 16, 0), utc(2026, 1, 19, 12, 0)),
    ("Sunday morning", utc(2026, 1, 18, 10, 0), utc(2026, 1, 19, 12, 0)),
    ("Sunday 23:30", utc(2026, 1, 18, 23, 30), utc(2026, 1, 19, 12, 0)),
    ("New Year's Day 2026 (Thursday)", utc(2026, 1, 1, 10, 0), utc(2026, 1, 2, 12, 0)),
    # Easter 2026 (BST): Good Friday 3 April and Easter Monday 6 April are bank holidays
    ("Maundy Thursday afternoon -> Tuesday after Easter", london(2026, 4, 2, 15, 30), london(2026, 4, 7, 12, 0)),
    ("Good Friday morning", london(2026, 4, 3, 9, 0), london(2026, 4, 7, 12, 0)),
    ("Easter Saturday", london(2026, 4, 4, 11, 0), london(2026, 4, 7, 12, 0)),
    ("Easter Monday morning", london(2026, 4, 6, 9, 0), london(2026, 4, 7, 12, 0)),
    ("Tuesday after Easter, morning", london(2026, 4, 7, 9, 0), london(2026, 4, 7, 17, 0)),
    # Christmas 2026: Friday 25 December and the substitute Monday 28 December
    ("Christmas Eve morning", utc(2026, 12, 24, 10, 0), utc(2026, 12, 24, 17, 0)),
    ("Christmas Eve afternoon -> Tuesday 29th", utc(2026, 12, 24, 15, 0), utc(2026, 12, 29, 12, 0)),
    ("Christmas Day morning", utc(2026, 12, 25, 10, 0), utc(2026, 12, 29, 12, 0)),
    ("substitute bank holiday Monday 28th", utc(2026, 12, 28, 9, 0), utc(2026, 12, 29, 12, 0)),
    ("31 December afternoon -> Monday 4 January (1st a holiday)", utc(2026, 12, 31, 16, 0), utc(2027, 1, 4, 12, 0)),
    # BST: the wall-clock rule holds; the UTC hour moves by one
    ("summer morning: 17:00 BST is 16:00 UTC", utc(2026, 6, 10, 8, 0), utc(2026, 6, 10, 16, 0)),
    ("14:30 UTC is 15:30 BST: after the cut-off", utc(2026, 6, 10, 14, 30), utc(2026, 6, 11, 11, 0)),
    ("13:59 UTC is 14:59 BST: still the same day", utc(2026, 6, 10, 13, 59), utc(2026, 6, 10, 16, 0)),
    ("23:30 UTC Wed is 00:30 BST Thu: before Thursday's cut-off", utc(2026, 6, 10, 23, 30), utc(2026, 6, 11, 16, 0)),
    ("22:30 UTC Wednesday is 23:30 BST Wednesday: next day 12:00", utc(2026, 6, 10, 22, 30), utc(2026, 6, 11, 11, 0)),
    # the clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026
    ("Friday 27 March morning, GMT", utc(2026, 3, 27, 10, 0), utc(2026, 3, 27, 17, 0)),
    ("Sunday 29 March 00:30 GMT -> Monday 12:00 BST", utc(2026, 3, 29, 0, 30), utc(2026, 3, 30, 11, 0)),
    ("Sunday 29 March 02:30 BST -> Monday 12:00 BST", utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 11, 0)),
    ("Friday 23 October 15:30 BST: after the cut-off -> Monday", utc(2026, 10, 23, 14, 30), utc(2026, 10, 26, 12, 0)),
    ("Friday 23 October 14:00 BST: due 17:00 BST that day", utc(2026, 10, 23, 13, 0), utc(2026, 10, 23, 16, 0)),
    ("Sunday 25 October 01:30 BST, the hour that repeats", utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 12, 0)),
    ("Sunday 25 October 01:30 GMT, the hour that repeats", utc(2026, 10, 25, 1, 30), utc(2026, 10, 26, 12, 0)),
]


@pytest.mark.parametrize(("received", "due"), [case[1:] for case in FLAGGED], ids=[case[0] for case in FLAGGED])
def test_flagged_triage_due(received, due):
    assert_utc(triage_due(received, flagged=True), due)


# --- The clocks change ------------------------------------------------------------------------------

#: change -> (a receipt in the old time due after the change, that due time: 12:00 London; the same receipt a week
#: earlier, with no change in between, due at 12:00 London too: an hour apart in UTC)
CLOCK_CHANGES = {
    "forward, 29 March 2026: Friday 16:00 GMT": (utc(2026, 3, 27, 16, 0), utc(2026, 3, 30, 11, 0),
                                                 utc(2026, 3, 23, 12, 0)),
    "back, 25 October 2026: Saturday 10:00 BST": (utc(2026, 10, 24, 9, 0), utc(2026, 10, 26, 12, 0),
                                                  utc(2026, 10, 19, 11, 0)),
}


@pytest.mark.parametrize("change", CLOCK_CHANGES)
def test_a_receipt_before_the_clocks_change_is_due_at_12_00_london_after_it(change):
    received, due, a_week_before = CLOCK_CHANGES[change]
    assert_utc(triage_due(received, True), due)
    assert due.astimezone(LONDON).time() == time(12, 0)
    assert_utc(triage_due(received - timedelta(days=7), True), a_week_before)
    assert a_week_before.astimezone(LONDON).time() == time(12, 0)


def test_a_non_utc_aware_input_gives_the_same_instant_in_utc():
    received = datetime(2026, 6, 10, 16, 0, tzinfo=LONDON)
    assert_utc(triage_due(received, True), utc(2026, 6, 11, 11, 0))


# --- Unflagged: 17:00 on the third working day after receipt ------------------------------------

UNFLAGGED = [
    ("Monday -> Thursday", utc(2026, 1, 12, 10, 0), utc(2026, 1, 15, 17, 0)),
    ("Monday 23:30 counts as Monday", utc(2026, 1, 12, 23, 30), utc(2026, 1, 15, 17, 0)),
    ("Tuesday 00:30 counts as Tuesday", utc(2026, 1, 13, 0, 30), utc(2026, 1, 16, 17, 0)),
    ("Monday before the cut-off and after it alike", utc(2026, 1, 12, 16, 0), utc(2026, 1, 15, 17, 0)),
    ("Wednesday -> Monday over the weekend", utc(2026, 1, 14, 9, 0), utc(2026, 1, 19, 17, 0)),
    ("Friday -> Wednesday", utc(2026, 1, 16, 15, 30), utc(2026, 1, 21, 17, 0)),
    ("Saturday -> Wednesday", utc(2026, 1, 17, 10, 0), utc(2026, 1, 21, 17, 0)),
    ("Sunday -> Wednesday", utc(2026, 1, 18, 10, 0), utc(2026, 1, 21, 17, 0)),
    # Easter: Thursday 2 April -> Tue 7, Wed 8, Thu 9 (Good Friday and Easter Monday skipped), BST
    ("Maundy Thursday -> Thursday after Easter", london(2026, 4, 2, 10, 0), london(2026, 4, 9, 17, 0)),
    ("Good Friday -> Thursday after Easter", london(2026, 4, 3, 10, 0), london(2026, 4, 9, 17, 0)),
    # Christmas: Wed 23 -> Thu 24, Tue 29, Wed 30 (25th, weekend and substitute 28th skipped)
    ("23 December -> 30 December", utc(2026, 12, 23, 10, 0), utc(2026, 12, 30, 17, 0)),
    ("Christmas Eve -> 31 December", utc(2026, 12, 24, 10, 0), utc(2026, 12, 31, 17, 0)),
    ("New Year's Eve -> 6 January", utc(2026, 12, 31, 10, 0), utc(2027, 1, 6, 17, 0)),
    # Across the BST changes the due time stays 17:00 London
    ("Thursday 26 March GMT -> Tuesday 31 March BST", utc(2026, 3, 26, 10, 0), utc(2026, 3, 31, 16, 0)),
    ("Thursday 22 October BST -> Tuesday 27 October GMT", utc(2026, 10, 22, 9, 0), utc(2026, 10, 27, 17, 0)),
]


@pytest.mark.parametrize(("received", "due"), [case[1:] for case in UNFLAGGED],
                         ids=[case[0] for case in UNFLAGGED])
def test_unflagged_triage_due(received, due):
    assert_utc(triage_due(received, flagged=False), due)


def test_flagged_is_never_later_than_unflagged():
    received = utc(2026, 1, 14, 9, 0)
    assert triage_due(received, True) < triage_due(received, False)


# --- Working days --------------------------------------------------------------------------------

def test_working_days_skip_weekends_and_bank_holidays():
    settings = ClockSettings()
    assert is_working_day(date(2026, 1, 14), settings)
    assert not is_working_day(date(2026, 1, 17), settings)  # Saturday
    assert not is_working_day(date(2026, 1, 18), settings)  # Sunday
    for holiday in ("2026-04-03", "2026-04-06", "2026-12-25", "2026-12-28"):
        assert not is_working_day(date.fromisoformat(holiday), settings)
    assert next_working_day(date(2026, 4, 2), settings) == date(2026, 4, 7)
    assert next_working_day(date(2026, 12, 24), settings) == date(2026, 12, 29)


def test_bank_holidays_are_known_beyond_the_years_a_hand_kept_list_covered():
    """The old list ended in 2027; the maintained calendar knows later years' substitute days and one-offs."""
    settings = ClockSettings()
    assert next_working_day(date(2032, 12, 24), settings) == date(2032, 12, 29)  # Christmas on Saturday: two days off
    assert not is_working_day(date(2040, 3, 30), settings)  # Good Friday
    assert not is_working_day(date(2023, 5, 8), settings)  # the coronation's one-off bank holiday
    assert_utc(triage_due(london(2035, 8, 24, 16, 0), True, settings), london(2035, 8, 28, 12, 0))


# --- Settings ------------------------------------------------------------------------------------

def test_from_mapping_with_nothing_set_gives_the_defaults():
    assert ClockSettings.from_mapping({}) == ClockSettings()
    defaults = ClockSettings()
    assert defaults.same_day_cutoff == time(15, 0)
    assert defaults.end_of_day == time(17, 0)
    assert defaults.next_day_by == time(12, 0)
    assert defaults.closures == frozenset()


def test_from_mapping_cut_off_override():
    settings = ClockSettings.from_mapping({"TRIAGE_CUTOFF": "14:00"})
    assert settings.same_day_cutoff == time(14, 0)
    assert_utc(triage_due(utc(2026, 1, 14, 14, 30), True, settings), utc(2026, 1, 15, 12, 0))
    assert_utc(triage_due(utc(2026, 1, 14, 13, 59), True, settings), utc(2026, 1, 14, 17, 0))
    # the default still makes 14:30 same-day
    assert_utc(triage_due(utc(2026, 1, 14, 14, 30), True), utc(2026, 1, 14, 17, 0))


def test_from_mapping_end_of_day_and_next_day_overrides():
    settings = ClockSettings.from_mapping({"TRIAGE_END_OF_DAY": "16:30", "TRIAGE_NEXT_DAY_BY": "10:00"})
    assert_utc(triage_due(utc(2026, 1, 14, 9, 0), True, settings), utc(2026, 1, 14, 16, 30))
    assert_utc(triage_due(utc(2026, 1, 14, 15, 30), True, settings), utc(2026, 1, 15, 10, 0))
    assert_utc(triage_due(utc(2026, 1, 12, 9, 0), False, settings), utc(2026, 1, 15, 16, 30))


def test_service_closures_add_to_the_bank_holidays():
    settings = ClockSettings.from_mapping({"SERVICE_CLOSURES": ["2026-01-14", date(2026, 1, 15)]})
    assert settings.closures == frozenset({date(2026, 1, 14), date(2026, 1, 15)})
    # Closed on Wednesday and Thursday: Wednesday morning -> Friday 12:00.
    assert_utc(triage_due(utc(2026, 1, 14, 9, 0), True, settings), utc(2026, 1, 16, 12, 0))
    # Tuesday unflagged -> Fri 16, Mon 19, Tue 20.
    assert_utc(triage_due(utc(2026, 1, 13, 9, 0), False, settings), utc(2026, 1, 20, 17, 0))
    # Good Friday is still a bank holiday: Thursday 15:30 -> Tuesday 12:00.
    assert_utc(triage_due(london(2026, 4, 2, 15, 30), True, settings), london(2026, 4, 7, 12, 0))


def test_a_closure_that_is_not_a_date_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="SERVICE_CLOSURES: '2027-13-01' is not a date"):
        ClockSettings.from_mapping({"SERVICE_CLOSURES": ["2027-13-01"]})


def test_from_mapping_other_numbers():
    settings = ClockSettings.from_mapping({"UNFLAGGED_TRIAGE_WORKING_DAYS": "5", "CLARIFICATION_HOURS": "48",
                                           "REBOOKING_DAYS": 7})
    assert_utc(triage_due(utc(2026, 1, 12, 9, 0), False, settings), utc(2026, 1, 19, 17, 0))
    assert_utc(clarification_due(utc(2026, 1, 12, 9, 0), settings), utc(2026, 1, 14, 9, 0))
    assert_utc(rebooking_due(utc(2026, 1, 12, 9, 0), settings), utc(2026, 1, 19, 9, 0))


# --- Clarification and rebooking ------------------------------------------------------------------

@pytest.mark.parametrize(("requested", "due"), [
    (utc(2026, 1, 14, 10, 0), utc(2026, 1, 15, 10, 0)),
    (utc(2026, 1, 16, 16, 45), utc(2026, 1, 17, 16, 45)),  # Friday -> Saturday: clock hours, not working hours
    (utc(2026, 12, 24, 15, 0), utc(2026, 12, 25, 15, 0)),  # into Christmas Day
    # Across the BST changes: 24 elapsed hours, so the London wall clock moves by an hour
    (utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)),
    (utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)),
], ids=["weekday", "friday-to-saturday", "christmas", "bst-starts", "bst-ends"])
def test_clarification_due_24_clock_hours(requested, due):
    assert_utc(clarification_due(requested), due)
    assert clarification_due(requested) - requested == timedelta(hours=24)


def test_clarification_due_across_bst_is_not_the_same_wall_clock_time():
    requested = london(2026, 3, 28, 12, 0)  # 12:00 GMT Saturday
    due = clarification_due(requested)
    assert due.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 3, 29, 13, 0)
    requested = london(2026, 10, 24, 12, 0)  # 12:00 BST Saturday
    due = clarification_due(requested)
    assert due.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 25, 11, 0)


def test_clarification_due_converts_an_aware_london_time_to_utc():
    assert_utc(clarification_due(datetime(2026, 6, 1, 9, 0, tzinfo=LONDON)), utc(2026, 6, 2, 8, 0))


@pytest.mark.parametrize(("missed", "due"), [
    (utc(2026, 1, 5, 10, 0), utc(2026, 1, 19, 10, 0)),
    (utc(2026, 3, 20, 10, 0), utc(2026, 4, 3, 10, 0)),
    (utc(2026, 12, 20, 9, 30), utc(2027, 1, 3, 9, 30)),
])
def test_rebooking_due_14_days(missed, due):
    assert_utc(rebooking_due(missed), due)
    assert rebooking_due(missed) - missed == timedelta(days=14)


# --- Countdown text ------------------------------------------------------------------------------

@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(hours=3, minutes=20), "3 h 20 min left"),
    (timedelta(minutes=45), "45 min left"),
    (timedelta(0), "0 min left"),
    (timedelta(days=1), "1 day left"),
    (timedelta(days=2, hours=5, minutes=10), "2 days 5 h left"),
    (-timedelta(days=1, hours=2), "1 day 2 h overdue"),
    (-timedelta(minutes=5), "5 min overdue"),
    (-timedelta(hours=4, minutes=1), "4 h 1 min overdue"),
    (-timedelta(days=3), "3 days overdue"),
    # due this minute (a referral back from an answered clarification is due from the answer): not "0 min overdue"
    (-timedelta(seconds=59), "due now"),
])
def test_describe(delta, text):
    assert describe(delta) == text


def test_time_left_is_negative_once_overdue():
    due = utc(2026, 1, 14, 17, 0)
    assert time_left(due, utc(2026, 1, 14, 15, 0)) == timedelta(hours=2)
    assert describe(time_left(due, utc(2026, 1, 14, 15, 0))) == "2 h 0 min left"
    assert describe(time_left(due, utc(2026, 1, 15, 18, 30))) == "1 day 1 h overdue"


@pytest.mark.parametrize(("now", "midnight"), [
    (datetime(2026, 1, 14, 9, 0, tzinfo=UTC), datetime(2026, 1, 15, 0, 0, tzinfo=UTC)),
    # 23:30 UTC in summer is 00:30 the next day in London: today there ends at 23:00 UTC that next day
    (datetime(2026, 6, 24, 23, 30, tzinfo=UTC), datetime(2026, 6, 25, 23, 0, tzinfo=UTC)),
    # the day the clocks go forward has 23 hours
    (datetime(2026, 3, 29, 12, 0, tzinfo=UTC), datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),
])
def test_work_is_due_today_until_midnight_in_london(now, midnight):
    assert end_of_day(now) == midnight


def test_the_senior_review_clock_is_48_hours_unless_the_service_sets_otherwise():
    assert ClockSettings().senior_review_hours == 48
    assert ClockSettings.from_mapping({"SENIOR_REVIEW_HOURS": "24"}).senior_review_hours == 24
