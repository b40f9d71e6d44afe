"""Reporting periods: presets for months and quarters, and custom ranges."""
from datetime import date

import pytest

from inclusive_access.reporting import periods
from inclusive_access.reporting.queries import Period


def test_presets_run_back_over_the_year_boundary():
    options = periods.choices(date(2026, 2, 14), months=3, quarters=3)
    assert list(options) == ["m:2026-02", "m:2026-01", "m:2025-12", "q:2026-Q1", "q:2025-Q4", "q:2025-Q3", "custom"]
    assert options["m:2025-12"] == "December 2025"
    assert options["q:2025-Q4"] == "Quarter 4 (2025)"


@pytest.mark.parametrize(("code", "first", "last"), [
    ("m:2026-11", "2026-11", "2026-11"), ("q:2026-Q1", "2026-01", "2026-03"), ("q:2025-Q4", "2025-10", "2025-12"),
])
def test_presets_resolve_to_their_months(code, first, last):
    assert periods.resolve(code, None, None, "msk") == Period(first, last, "msk")


def test_a_custom_range_needs_both_ends_in_order():
    assert periods.resolve("custom", "2026-01", "2026-06", None) == Period("2026-01", "2026-06")
    with pytest.raises(ValueError, match="must not be after"):
        periods.resolve("custom", "2026-06", "2026-01", None)
    with pytest.raises(ValueError, match="Choose a period"):
        periods.resolve("custom", "2026-06", None, None)
