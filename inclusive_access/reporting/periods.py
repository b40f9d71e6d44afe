"""Reporting periods: a month, a quarter or a custom range of months ('YYYY-MM', Europe/London)."""
from datetime import date

from inclusive_access.reporting.queries import Period


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` inclusive, as 'YYYY-MM'."""
    months, (year, month) = [], (int(first[:4]), int(first[5:]))
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = _shift(year, month, 1)
    return months


def months_back(last: str, count: int) -> str:
    """The month `count - 1` months before `last`: the first of a window of `count` months ending at `last`."""
    year, month = _shift(int(last[:4]), int(last[5:]), 1 - count)
    return f"{year:04d}-{month:02d}"


def quarter_of(month: str) -> str:
    """The calendar quarter of a month, as 'YYYY-Qn'."""
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"


def quarter_months(quarter: str) -> list[str]:
    """The three months of a quarter 'YYYY-Qn'."""
    start = 3 * (int(quarter[-1]) - 1) + 1
    return month_range(f"{quarter[:4]}-{start:02d}", f"{quarter[:4]}-{start + 2:02d}")


def quarters_to(last: str, count: int) -> list[str]:
    """The `count` quarters ending at quarter `last`, oldest first."""
    first_month = months_back(quarter_months(last)[-1], 3 * count)
    return [quarter_of(month) for month in month_range(first_month, quarter_months(last)[-1])[2::3]]


def choices(today: date, months: int = 12, quarters: int = 4) -> dict[str, str]:
    """The presets offered: the last `months` months and `quarters` calendar quarters, newest first, and custom."""
    options = {}
    for back in range(months):
        year, month = _shift(today.year, today.month, -back)
        options[f"m:{year:04d}-{month:02d}"] = date(year, month, 1).strftime("%B %Y")
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _ in range(quarters):
        options[f"q:{year:04d}-Q{quarter}"] = f"Quarter {quarter} ({year})"
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    options["custom"] = "Custom range of months"
    return options


def resolve(code: str, first: str | None, last: str | None, pathway: str | None) -> Period:
    """The months a preset code covers, or the custom range (first <= last; ValueError otherwise)."""
    if code.startswith("m:"):
        return Period(code[2:], code[2:], pathway)
    if code.startswith("q:"):
        year, quarter = int(code[2:6]), int(code[-1])
        start = 3 * (quarter - 1) + 1
        return Period(f"{year:04d}-{start:02d}", f"{year:04d}-{start + 2:02d}", pathway)
    if code == "custom" and first and last:
        if first > last:
            raise ValueError("The first month must not be after the last")
        return Period(first, last, pathway)
    raise ValueError("Choose a period")
