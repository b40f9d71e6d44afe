"""The app's one CSV writer, safe to open in a spreadsheet, and the equity tables and KPI as CSV and JSON."""
import csv
import io
import json
import re
from collections.abc import Iterable
from typing import TextIO

from sqlalchemy.orm import Session

from inclusive_access.domain.policy import Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.reporting import kpi, outcomes, outreach, reach, shared_view, stats, tables
from inclusive_access.reporting.queries import Period
from inclusive_access.reporting.tables import MEASURES, Column

#: what a spreadsheet may run as a formula (OWASP CSV injection): =, +, -, @ first, even "-2+3+cmd|' /C calc'!A0",
#: also after spaces (LibreOffice can trim them on opening), or a leading tab or CR
_FORMULA = re.compile(r"\s*[=+\-@]|[\t\r]")


def spreadsheet_safe(value) -> str:
    """The one rule for every CSV cell: text a spreadsheet could run gets a leading quote, so it shows as typed.

    Free text is stored as clinicians type it ("- patient reports pain", "+2 kg"), so the defence is here, on the
    way out, for every file a spreadsheet may open. JSON is not opened as a spreadsheet and needs none."""
    if isinstance(value, int | float):  # a number is data, even a negative one
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


def write_csv(handle: TextIO, header: Iterable, rows: Iterable[Iterable]) -> None:
    """Every CSV the app produces is written here, header included, each cell through spreadsheet_safe."""
    writer = csv.writer(handle)
    writer.writerow([spreadsheet_safe(v) for v in header])
    writer.writerows([spreadsheet_safe(v) for v in row] for row in rows)


def write_rejects(handle: TextIO, header: Iterable[str], rejected: Iterable[tuple[int, dict, str]]) -> None:
    """An import's refused rows as the file had them, each after its line number and reason, to fix and import again."""
    # Not "reason": the referral's own reason column would overwrite it.
    columns = [h for h in header if h not in ("line", "rejection_reason")]
    write_csv(handle, ["line", "rejection_reason", *columns],
              ([line, reason, *(row.get(h) for h in columns)] for line, row, reason in rejected))


def _rate(value: float | None) -> float | str:
    return "" if value is None else round(100 * value, 1)


def _tenths(days: float | None) -> float | str:
    return "" if days is None else round(days, 1)


def _rows(columns: list[Column]) -> list[list]:
    """One row per segment value and measure: group, measure, numerator, denominator, value, 95% interval.

    The value of a proportion is its rate in %, with its Wilson interval in %; of a wait, days."""
    rows = []
    for column in columns:
        rows.append([column.label, "Referrals received", column.referrals, "", "", "", ""])
        for key, label, _num, _den in MEASURES:
            cell = column.cells[key]
            rows.append([column.label, label, cell.x, cell.n, _rate(cell.rate), _rate(cell.lower), _rate(cell.upper)])
            if key == PENDING_AFTER:
                rows.append([column.label, PENDING_LABEL, column.dnas_pending, "", "", "", ""])
        n = column.wait_n if column.median_days is not None else ""
        rows.append([column.label, "Referral to first contact: median days", "", n, _tenths(column.median_days),
                     _tenths(column.median_lower), _tenths(column.median_upper)])
        rows.append([column.label, "Referral to first contact: 90th percentile days", "", n,
                     _tenths(column.p90_days), "", ""])
    return rows


#: the DNAs left out of the rebooking measure while their 14 days run, given after it
PENDING_AFTER, PENDING_LABEL = "rebooked_in_14_days", "DNAs pending rebooking (within 14 days, not yet rebooked)"
TABLE_HEADER = ["measure", "numerator", "denominator", "value", "lower_95", "upper_95"]


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    write_csv(out, header, rows)
    return out.getvalue()


def table_csv(columns: list[Column], segment_label: str) -> str:
    """One dashboard table: a row per segment value and measure: counts, rate %, and the Wilson 95% interval %."""
    return _csv([segment_label, *TABLE_HEADER], _rows(columns))


def outcomes_csv(found: list[outcomes.Table], segment_label: str) -> str:
    """The outcome page's tables: a row per questionnaire, segment value and measure. A share gives its counts,
    rate % and Wilson interval %; a mean its n, value and t interval; a median of days its n and value."""
    rows = []
    for table in found:
        for column in table.columns:
            for row in table.rows:
                f = column.figures[row.key]
                if row.kind == "share":
                    rows.append([column.label, table.title, row.label, f.x, f.n, _rate(f.rate), _rate(f.lower),
                                 _rate(f.upper)])
                else:
                    rows.append([column.label, table.title, row.label, "", f.n, _tenths(f.mean), _tenths(f.lower),
                                 _tenths(f.upper)])
    return _csv([segment_label, "questionnaire", *TABLE_HEADER], rows)


def outreach_csv(report: outreach.Report) -> str:
    """The outreach figures: a row per group (everyone first) and measure, a share with its counts, rate % and
    Wilson interval %, a count on its own as the numerator."""
    rows = []
    for group in (report.overall, *report.groups):
        rows += [[group.label, label, group.counts[name], "", "", "", ""] for name, label in outreach.PLAIN_COUNTS]
        rows += [[group.label, m.label, cell.x, cell.n, _rate(cell.rate), _rate(cell.lower), _rate(cell.upper)]
                 for m in outreach.MEASURES for cell in [group.cells[m.key]]]
    return _csv([report.breakdown.label, *TABLE_HEADER], rows)


def reach_csv(report: reach.Report) -> str:
    """Equity of reach: a row per table, group and figure: each message count on its own (as the numerator), each
    share of all messages, and each DNA rate with its counts, rate % and Wilson interval %."""
    rows = []
    tables_ = (("Messages", [report.overall]), (f"Messages by {report.segment_label}", report.by_segment),
               ("Messages by format", report.by_format), ("Messages by addressee", report.by_addressee))
    for table, groups in tables_:
        for group in groups:
            rows += [[table, group.label, label, group.counts[name], "", "", "", ""]
                     for name, label in reach.COUNT_LABELS.items()]
            rows += [[table, group.label, f"{reach.COUNT_LABELS[name]}, of all messages", cell.x, cell.n,
                      _rate(cell.rate), _rate(cell.lower), _rate(cell.upper)]
                     for name in reach.SHARES for cell in [group.cells[name]]]
    for table, groups in (("DNA rates", [report.dna_overall]), (f"DNA rates by {report.segment_label}",
                                                                  report.dna_by_segment)):
        rows += [[table, group.label, label, cell.x, cell.n, _rate(cell.rate), _rate(cell.lower), _rate(cell.upper)]
                 for group in groups for label, cell in (("DNA rate, reminded", group.reminded),
                                                         ("DNA rate, not reminded", group.unreminded))]
    return _csv(["table", "group", *TABLE_HEADER], rows)


def cross_csv(table: tables.CrossTable, measure_label: str) -> str:
    """An intersectional table: a row per IMD quintile and column value."""
    rows = [[row_label, column_label, measure_label, cell.x, cell.n, _rate(cell.rate), _rate(cell.lower),
             _rate(cell.upper)]
            for row_label, cells in table.rows for column_label, cell in zip(table.columns, cells, strict=True)]
    return _csv(["IMD quintile", table.column_label, *TABLE_HEADER], rows)


def kpi_csv(series: list[kpi.GapSeries]) -> str:
    """The wait gap by pathway and month, with each end's median and count and the gap's 95% interval, as given
    (GapSeries.shared() for anything shared)."""
    rows = [[s.pathway, m.month, _days(m.q1_value), m.q1_n, _days(m.q5_value), m.q5_n, _days(m.gap),
             _days(m.gap_lower), _days(m.gap_upper), _days(m.ratio), s.threshold, s.min_n, m.judged, m.breach,
             m.special_cause, m.restated, *_first_report(m)] for s in series for m in s.months]
    return _csv(["pathway", "month", "q1_median_days", "q1_n", "q5_median_days", "q5_n", "gap_days", "gap_lower_95",
                 "gap_upper_95", "ratio", "threshold_days", "min_n_each_end", "judged", "above_threshold",
                 "special_cause_concern", "restated", "first_reported_gap_days", "first_reported_on"], rows)


def _first_report(month: kpi.GapMonth) -> tuple:
    """A restated month's first reported gap and the day it was reported (UK); None for any other month."""
    if not month.restated:
        return None, None
    return _days(month.reported.gap), month.reported.reported_at.astimezone(LONDON).date().isoformat()


def _hundredths(value: float | None) -> float | str:
    return "" if value is None else round(value, 2)


def gradients_csv(gradients: list[tables.Gradient]) -> str:
    """The gradients as the page shows them: which way is better, the SII in percentage points (one decimal), the
    RII to two decimals; an RII that is not defined has no interval either."""
    rows = [[g.label, tables.BETTER[g.improvement], round(g.sii, 1), round(g.sii_lower, 1), round(g.sii_upper, 1),
             *((_hundredths(g.rii), _hundredths(g.rii_lower), _hundredths(g.rii_upper)) if g.rii is not None
               else ("", "", ""))] for g in gradients]
    return _csv(["measure", "better", "sii_percentage_points", "sii_lower_95", "sii_upper_95", "rii",
                 "rii_lower_95", "rii_upper_95"], rows)


def completeness_csv(months: list[dict]) -> str:
    """The completeness table as tables.completeness publishes it: a hidden count or share is "*"."""
    rows = [[m["month"], m["referrals"], *(stats.SUPPRESSED if pct is None else round(pct, 1)
                                           for pct in (m["ethnicity_pct"], m["imd_pct"]))] for m in months]
    return _csv(["month_received", "referrals", "ethnicity_stated_pct", "imd_recorded_pct"], rows)


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _shared_kpi(session: Session, pathways: list[str], period: Period, policy: Policy) -> list[kpi.GapSeries]:
    return [s.shared() for s in kpi.gap_series(session, pathways, period.last, policy)]


def report(session: Session, period: Period, policy: Policy, pathways: list[str]) -> dict:
    """Every dashboard table for the period (suppressed for sharing) and each pathway's monthly KPI."""
    hidden = shared_view.shared_hidden(session, period)
    return {
        "period": {"from": period.first, "to": period.last, "pathway": period.pathway},
        "tables": {segment: [{"group": c.label, "referrals": c.referrals,
                              "measures": {key: {"numerator": c.cells[key].x, "denominator": c.cells[key].n,
                                                 "rate": c.cells[key].rate, "lower_95": c.cells[key].lower,
                                                 "upper_95": c.cells[key].upper} for key, *_ in MEASURES},
                              "dnas_pending_rebooking": c.dnas_pending,
                              "wait_n": c.wait_n, "median_days": _days(c.median_days),
                              "median_lower_95": _days(c.median_lower), "median_upper_95": _days(c.median_upper),
                              "p90_days": _days(c.p90_days)}
                             for c in tables.segment_table(session, period, segment, hidden)]
                   for segment in tables.SEGMENT_LABELS},
        "equity_kpi": [{"pathway": s.pathway, "threshold_days": s.threshold, "min_n_each_end": s.min_n,
                        "months": [{"month": m.month, "q1_n": m.q1_n, "q1_median_days": _days(m.q1_value),
                                    "q5_n": m.q5_n, "q5_median_days": _days(m.q5_value), "gap_days": _days(m.gap),
                                    "gap_lower_95": _days(m.gap_lower), "gap_upper_95": _days(m.gap_upper),
                                    "ratio": _days(m.ratio), "judged": m.judged, "breach": m.breach,
                                    "special_cause": m.special_cause, "restated": m.restated,
                                    **dict(zip(("first_reported_gap_days", "first_reported_on"),
                                               _first_report(m), strict=True))}
                                   for m in s.months if period.first <= m.month <= period.last]}
                       for s in _shared_kpi(session, pathways, period, policy)],
    }


def report_json(session: Session, period: Period, policy: Policy, pathways: list[str]) -> str:
    return json.dumps(report(session, period, policy, pathways), indent=2)


def report_csv(session: Session, period: Period, policy: Policy, pathways: list[str]) -> str:
    """The report as one long CSV: every table's rows with their breakdown, then the KPI months per pathway."""
    rows, hidden = [], shared_view.shared_hidden(session, period)
    for segment, label in tables.SEGMENT_LABELS.items():
        rows += [[label, *row, ""] for row in _rows(tables.segment_table(session, period, segment, hidden))]
    for s in _shared_kpi(session, pathways, period, policy):
        for m in s.months:
            if period.first <= m.month <= period.last:
                was, on = _first_report(m)
                was = "no gap" if was is None else f"a gap of {was:.1f} days"
                findings = [w for w, shown in (("too few to judge", not m.judged), ("above threshold", m.breach),
                                               ("special cause concern", m.special_cause),
                                               (f"restated: first reported {was} on {on}", m.restated)) if shown]
                rows.append([f"Equity KPI: {s.pathway}", m.month, "Wait gap, quintile 1 minus 5 (days)", "", "",
                             _tenths(m.gap), _tenths(m.gap_lower), _tenths(m.gap_upper),
                             "; ".join([f"threshold {s.threshold:g} days", f"n quintile 1 {m.q1_n}, quintile 5 "
                                        f"{m.q5_n}; judged from {s.min_n} at each end", *findings])])
    return _csv(["breakdown", "group", *TABLE_HEADER, "note"], rows)


def audit_csv(rows: list, checklist: dict[str, str]) -> str:
    """An audit sample's compliance: a row per checklist item, overall (stratum blank) then per stratum."""
    answers = ("compliant", "partly", "not_compliant", "not_applicable")
    return _csv(["item", "question", "stratum", *answers, "judged", "compliant_pct", "lower_95", "upper_95"],
                [[r.item, checklist.get(r.item, r.item), r.stratum or "", *(r.counts.get(a, 0) for a in answers),
                  r.judged, _rate(r.rate), _rate(r.lower), _rate(r.upper)] for r in rows])
