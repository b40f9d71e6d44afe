"""Display filters whose answer depends on the calendar in UK time."""
from datetime import UTC, date, datetime

import pytest

from inclusive_access.template_filters import days_ago


@pytest.mark.parametrize(("when", "today", "expected"), [
    (datetime(2026, 11, 29, 10, 0, tzinfo=UTC), date(2026, 12, 2), "3 days ago"),
    # 23:30 on the 28th is a calendar day earlier than 10:00 on the 29th, though fewer hours have passed.
    (datetime(2026, 11, 28, 23, 30, tzinfo=UTC), date(2026, 11, 29), "yesterday"),
    (datetime(2026, 12, 2, 0, 5, tzinfo=UTC), date(2026, 12, 2), "today"),
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): the UK date counts, not the UTC one.
    (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1), "today"),
    (datetime(2026, 6, 30, 22, 30, tzinfo=UTC), date(2026, 7, 1), "yesterday"),
])
def test_days_ago_counts_calendar_days_in_uk_time(when, today, expected):
    assert days_ago(when, today) == expected


def test_days_ago_of_nothing_is_blank():
    assert days_ago(None) == ""


def test_days_ago_of_a_date_counts_from_that_date():
    assert days_ago(date(2025, 12, 2), date(2026, 12, 2)) == "365 days ago"
