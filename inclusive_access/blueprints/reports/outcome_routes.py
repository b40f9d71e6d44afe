"""The outcome equity page: each outcome questionnaire's completion, change and improvement, experience scores and
urgent contacts by the dashboard's breakdowns, with the dashboard's selectors, traced links and shared view."""
from flask import current_app, render_template, request

from inclusive_access.blueprints.reports import behind_routes, bp
from inclusive_access.blueprints.reports.routes import selectors
from inclusive_access.domain import intake, segments
from inclusive_access.extensions import db
from inclusive_access.reporting import outcome_charts, outcomes, tables


@bp.route("/equity/outcomes")
def equity_outcomes():
    form, period, error, period_code = selectors()
    segment = form.segment.data or segments.IMD_QUINTILE.key
    shared = form.shared.data == "yes"
    found = outcomes.tables(db.session, period, segment, current_app.extensions["instruments"], shared)
    measures = [t for t in found if t.instrument is not None and t.instrument.kind == "prom"]
    by_quintile = segment == segments.IMD_QUINTILE.key
    return render_template(
        "reports/outcomes.html", form=form, period=period, error=error, segment=segment, shared=shared,
        segment_label=tables.SEGMENT_LABELS[segment], tables=found, query=dict(request.args),
        pathway_names=intake.active_pathway_codes(db.session), gradient_reps=tables.GRADIENT_REPS,
        gradients={t.key: outcome_charts.gradients(t) for t in measures} if by_quintile else {},
        charts={t.key: outcome_charts.instrument_charts(db.session, period, t.instrument, shared) for t in measures},
        trace=None if shared else behind_routes.tracer(form, period_code))
