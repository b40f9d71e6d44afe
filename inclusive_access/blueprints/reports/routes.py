"""The equity dashboard (htmx selectors) and the CSV export of its table, always suppressed for sharing."""
from datetime import UTC, datetime

from flask import request

from inclusive_access.blueprints.reports import bp
from inclusive_access.blueprints.reports.forms import DashboardForm
from inclusive_access.domain import intake
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.htmx import render
from inclusive_access.reporting import exports, periods, tables


def _view(shared_always: bool = False) -> dict:
    """The selectors as given (or the latest month), and the table they choose."""
    today = datetime.now(UTC).astimezone(LONDON).date()
    presets = periods.choices(today)
    form = DashboardForm(request.args)
    form.set_options(presets, intake.active_pathway_codes(db.session))
    error = None
    if not form.validate():  # a hand-edited URL: show the default view rather than an error
        form = DashboardForm(formdata=None)
        form.set_options(presets, intake.active_pathway_codes(db.session))
    form.period.data = form.period.data or next(iter(presets))
    try:
        period = periods.resolve(form.period.data, form.first.data, form.last.data, form.pathway.data or None)
    except ValueError as exc:
        error, period = str(exc), periods.resolve(next(iter(presets)), None, None, form.pathway.data or None)
    segment = form.segment.data or "imd_quintile"
    shared = shared_always or form.shared.data == "yes"
    return {"form": form, "period": period, "error": error, "segment": segment, "shared": shared,
            "segment_label": tables.SEGMENT_LABELS[segment], "measures": tables.MEASURES,
            "columns": tables.segment_table(db.session, period, segment, shared),
            "completeness": tables.completeness(db.session, period), "query": request.args.to_dict()}


@bp.route("/equity")
def equity_dashboard():
    return render("reports/equity.html", "reports/_equity.html", **_view())


@bp.route("/equity/export")
def export_equity():
    view = _view(shared_always=True)
    body = exports.table_csv(view["columns"], view["segment_label"])
    name = f"equity-{view['segment']}-{view['period'].first}-to-{view['period'].last}.csv"
    return body, 200, {"Content-Type": "text/csv; charset=utf-8",
                       "Content-Disposition": f'attachment; filename="{name}"'}
