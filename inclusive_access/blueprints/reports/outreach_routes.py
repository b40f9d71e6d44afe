"""The outreach cohort's evidence page: seen again after first contact, planned follow-up completed on time, urgent
care and safeguarding, for everyone and by partner, venue, flag and the patient's segments, with the dashboard's
period and shared view, and its CSV (always shared)."""
from flask import render_template, request

from inclusive_access import replica
from inclusive_access.blueprints.reports import bp
from inclusive_access.blueprints.reports.forms import OutreachForm
from inclusive_access.blueprints.reports.routes import selectors
from inclusive_access.blueprints.shared import csv_download
from inclusive_access.reporting import exports, outreach
from inclusive_access.reporting.outreach_queries import WINDOW_DAYS


def _view(shared_always: bool = False) -> dict:
    """The selectors as given (or the latest month), and the figures they choose."""
    form, period, error, _code = selectors(OutreachForm)
    breakdown = form.breakdown.data or "partner"
    shared = shared_always or form.shared.data == "yes"
    found = outreach.report(replica.session(), outreach.scope_of(period.first, period.last), breakdown, shared)
    return {"form": form, "period": period, "error": error, "shared": shared, "report": found,
            "measures": outreach.MEASURES, "plain_counts": outreach.PLAIN_COUNTS, "window_days": WINDOW_DAYS,
            "query": {k: v for k, v in request.args.items() if k in form._fields}}


@bp.route("/equity/outreach")
def equity_outreach():
    return render_template("reports/outreach.html", **_view())


@bp.route("/equity/outreach/export")
def export_outreach():
    """The figures of the breakdown as CSV, always suppressed for sharing."""
    view = _view(shared_always=True)
    name = f"outreach-{view['report'].breakdown.key}-{view['period'].first}-to-{view['period'].last}.csv"
    return csv_download(exports.outreach_csv(view["report"]), name)
