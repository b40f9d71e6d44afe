"""The equity dashboard (htmx selectors), the CSV export of its table (always suppressed for sharing), and the
printable monthly report for commissioners."""
from datetime import UTC, datetime

from flask import render_template, request

from inclusive_access import replica
from inclusive_access.blueprints.reports import behind_routes, bp
from inclusive_access.blueprints.reports.forms import DashboardForm
from inclusive_access.blueprints.shared import csv_download, current_policy
from inclusive_access.domain import governance, intake, kpis
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.htmx import render
from inclusive_access.reporting import exports, kpi, periods, shared_view, tables


def selectors(form_class: type[DashboardForm] = DashboardForm) -> tuple[DashboardForm, periods.Period, str | None,
                                                                       str]:
    """The dashboard's selectors (or a page's own, `form_class`) as given (or the latest month): the form, the
    period it chooses, what is wrong with a custom range (None if nothing) and the period code the view shows (its
    traced links carry it)."""
    presets = periods.choices(datetime.now(UTC).astimezone(LONDON).date())
    form = form_class(request.args)
    form.set_options(presets, intake.active_pathway_codes(db.session))
    error = None
    if not form.validate():  # a hand-edited URL: show the default view rather than an error
        form = form_class(formdata=None)
        form.set_options(presets, intake.active_pathway_codes(db.session))
    form.period.data = form.period.data or next(iter(presets))
    try:
        period = periods.resolve(form.period.data, form.first.data, form.last.data, form.pathway.data or None)
    except ValueError as exc:
        error, period = str(exc), periods.resolve(next(iter(presets)), None, None, form.pathway.data or None)
    return form, period, error, next(iter(presets)) if error else form.period.data


def _view(shared_always: bool = False) -> dict:
    """The selectors as given (or the latest month), and the table they choose."""
    today = datetime.now(UTC).astimezone(LONDON).date()
    form, period, error, period_code = selectors()
    segment, cross = form.segment.data or "imd_quintile", form.cross.data or "ethnic_group"
    shared = shared_always or form.shared.data == "yes"
    reads = replica.session()
    hidden = shared_view.shared_hidden(reads, period) if shared else None
    columns = tables.segment_table(reads, period, segment, hidden)
    return {"form": form, "period": period, "error": error, "segment": segment, "shared": shared,
            "segment_label": tables.SEGMENT_LABELS[segment], "measures": tables.MEASURES, "columns": columns,
            "gradients": tables.gradients(columns) if segment == "imd_quintile" else [],
            "gradient_reps": tables.GRADIENT_REPS, "better": tables.BETTER,
            "cross": tables.cross_table(reads, period, cross, form.measure.data or "accepted", hidden),
            "cross_values": [[value for value, _label in tables.segment_values(s)] for s in ("imd_quintile", cross)],
            "cross_label": tables.MEASURE_LABELS[form.measure.data or "accepted"],
            "this_month": today.strftime("%Y-%m"),
            "completeness": tables.completeness(reads, period, hidden),
            "completeness_charts": tables.completeness_charts(reads, period, hidden),
            "rate_charts": tables.rate_charts(reads, period, hidden),
            "query": {k: v for k, v in request.args.items() if k != "table"},
            "trace": None if shared else behind_routes.tracer(form, period_code),
            **_kpi(period, shared)}


def _kpi(period: periods.Period, shared: bool) -> dict:
    """The equity KPI for each pathway in view (as published, when shared), its governance items by point, and
    everyone's and each quintile's waits. The figures are the replica's; the governance items, which people act on,
    the primary's."""
    pathways = intake.active_pathway_codes(db.session)
    codes = [period.pathway] if period.pathway else list(pathways)
    reads = replica.session()
    series = kpi.gap_series(reads, codes, period.last, current_policy())
    first = min((s.months[0].month for s in series if s.months), default=period.last)
    return {"kpi": [s.shared() for s in series] if shared else series, "pathway_names": pathways,
            "quintile_charts": kpi.quintile_charts(reads, period.pathway, period.last, shared),
            "median_wait_chart": kpi.median_wait_chart(reads, period.pathway, period.last, shared),
            "items_by_point": governance.items_by_point(db.session, codes, first, period.last)}


@bp.route("/equity")
def equity_dashboard():
    return render("reports/equity.html", "reports/_equity.html", **_view())


#: ?table= -> how the dashboard's view becomes that table's CSV, and the file name's stem
EXPORTS = {
    "measures": (lambda v: exports.table_csv(v["columns"], v["segment_label"]), lambda v: v["segment"]),
    "cross": (lambda v: exports.cross_csv(v["cross"], v["cross_label"]),
              lambda v: f"imd-by-{v['form'].cross.data or 'ethnic_group'}"),
    "kpi": (lambda v: exports.kpi_csv(v["kpi"]), lambda v: "wait-gap"),
    "gradients": (lambda v: exports.gradients_csv(v["gradients"]), lambda v: "gradients"),
    "completeness": (lambda v: exports.completeness_csv(v["completeness"]), lambda v: "completeness"),
}


@bp.route("/equity/export")
def export_equity():
    """Any table of the dashboard as CSV (?table=, default the measures), always suppressed for sharing."""
    render_csv, stem = EXPORTS.get(request.args.get("table", ""), EXPORTS["measures"])
    view = _view(shared_always=True)
    name = f"equity-{stem(view)}-{view['period'].first}-to-{view['period'].last}.csv"
    return csv_download(render_csv(view), name)


@bp.route("/equity/report")
def equity_report():
    """The monthly report for commissioners, laid out for print: always suppressed for sharing."""
    view = _view(shared_always=True)
    return render_template("reports/report.html", **view, items=governance.items(db.session), kpis=kpis.KPIS,
                           today=datetime.now(UTC).astimezone(LONDON).date())
