"""The outcome equity page: each outcome questionnaire's completion, change and improvement, experience scores and
urgent contacts by the dashboard's breakdowns, with the dashboard's selectors, traced links and shared view."""
from flask import current_app, render_template, request

from inclusive_access import replica
from inclusive_access.blueprints.reports import behind_routes, bp
from inclusive_access.blueprints.reports.routes import selectors
from inclusive_access.blueprints.shared import csv_download
from inclusive_access.domain import intake, segments
from inclusive_access.extensions import db
from inclusive_access.reporting import exports, outcome_charts, outcomes, tables


def _view(shared_always: bool = False) -> dict:
    """The selectors as given (or the latest month), and the outcome tables they choose."""
    form, period, error, period_code = selectors()
    segment = form.segment.data or segments.IMD_QUINTILE.key
    shared = shared_always or form.shared.data == "yes"
    reads, instruments = replica.session(), current_app.extensions["instruments"]
    hidden = outcomes.shared_hidden_for(reads, period, instruments) if shared else None
    found = outcomes.tables(reads, period, segment, instruments, hidden)
    return {"form": form, "period": period, "error": error, "segment": segment, "shared": shared, "hidden": hidden,
            "segment_label": tables.SEGMENT_LABELS[segment], "tables": found, "query": dict(request.args),
            "trace": None if shared else behind_routes.tracer(form, period_code)}


@bp.route("/equity/outcomes")
def equity_outcomes():
    view = _view()
    measures = [t for t in view["tables"] if t.instrument is not None and t.instrument.kind == "prom"]
    by_quintile = view["segment"] == segments.IMD_QUINTILE.key
    return render_template(
        "reports/outcomes.html", **view, pathway_names=intake.active_pathway_codes(db.session),
        gradient_reps=tables.GRADIENT_REPS,
        gradients={t.key: outcome_charts.gradients(t) for t in measures} if by_quintile else {},
        charts={t.key: outcome_charts.instrument_charts(replica.session(), view["period"], t.instrument, view["hidden"])
                for t in measures})


@bp.route("/equity/outcomes/export")
def export_outcomes():
    """The outcome tables of the breakdown as CSV, always suppressed for sharing."""
    view = _view(shared_always=True)
    name = f"outcomes-{view['segment']}-{view['period'].first}-to-{view['period'].last}.csv"
    return csv_download(exports.outcomes_csv(view["tables"], view["segment_label"]), name)
