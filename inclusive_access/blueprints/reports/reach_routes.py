"""The equity of reach page: messages per status by segment, format and addressee, and DNA rates of appointments
reminded and not, with the dashboard's period, pathway, breakdown and shared view; its CSV and its printable
version (both always shared)."""
from datetime import UTC, datetime

from flask import render_template, request

from inclusive_access import replica
from inclusive_access.blueprints.reports import bp
from inclusive_access.blueprints.reports.routes import selectors
from inclusive_access.blueprints.shared import csv_download
from inclusive_access.domain import intake, segments
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import exports, reach


def _view(shared_always: bool = False) -> dict:
    """The selectors as given (or the latest month), and the figures they choose."""
    form, period, error, _code = selectors()
    shared = shared_always or form.shared.data == "yes"
    found = reach.report(replica.session(), period, form.segment.data or segments.IMD_QUINTILE.key, shared)
    return {"form": form, "period": period, "error": error, "shared": shared, "report": found,
            "count_labels": reach.COUNT_LABELS, "shares": reach.SHARES,
            "pathway_names": intake.active_pathway_codes(db.session),
            "query": {k: v for k, v in request.args.items() if k in ("period", "first", "last", "pathway",
                                                                       "segment", "shared")}}


@bp.route("/equity/reach")
def equity_reach():
    return render_template("reports/reach.html", **_view())


@bp.route("/equity/reach/print")
def print_reach():
    """The figures laid out for print, always suppressed for sharing."""
    return render_template("reports/reach_print.html", **_view(shared_always=True),
                           today=datetime.now(UTC).astimezone(LONDON).date())


@bp.route("/equity/reach/export")
def export_reach():
    """The figures of the breakdown as CSV, always suppressed for sharing."""
    view = _view(shared_always=True)
    name = f"reach-{view['report'].segment}-{view['period'].first}-to-{view['period'].last}.csv"
    return csv_download(exports.reach_csv(view["report"]), name)
