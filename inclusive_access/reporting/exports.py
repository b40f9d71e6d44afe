"""CSV renderings of the equity tables: suppressed for sharing, and safe to open in a spreadsheet."""
import csv
import io

from inclusive_access.reporting.tables import MEASURES, Column

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _rate(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def table_csv(columns: list[Column], segment_label: str) -> str:
    """One row per segment value and measure: counts, rate %, and the Wilson 95% interval %."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([segment_label, "measure", "numerator", "denominator", "rate_pct", "lower_95_pct",
                     "upper_95_pct"])
    for column in columns:
        writer.writerow([_safe(column.label), "Referrals received", _safe(column.referrals), "", "", "", ""])
        for key, label, _num, _den in MEASURES:
            cell = column.cells[key]
            writer.writerow([_safe(column.label), label, _safe(cell.x), _safe(cell.n), _rate(cell.rate),
                             _rate(cell.lower), _rate(cell.upper)])
        median = "" if column.median_days is None else f"{column.median_days:.1f}"
        p90 = "" if column.p90_days is None else f"{column.p90_days:.1f}"
        writer.writerow([_safe(column.label), "Referral to first contact: median days", median,
                         _safe(column.wait_n if column.median_days is not None else ""), "", "", ""])
        writer.writerow([_safe(column.label), "Referral to first contact: 90th percentile days", p90, "", "", "",
                         ""])
    return out.getvalue()
