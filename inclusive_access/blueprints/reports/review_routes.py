"""The quarterly equity review for a board paper: each equity KPI's gaps, their trend and the governance items,
laid out for print and always as published (suppressed for sharing)."""
from datetime import UTC, datetime

from flask import render_template, request

from inclusive_access import replica
from inclusive_access.blueprints.forms_common import choices
from inclusive_access.blueprints.reports import bp
from inclusive_access.blueprints.reports.forms import QuarterForm
from inclusive_access.blueprints.shared import current_policy
from inclusive_access.domain import intake
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import periods
from inclusive_access.reporting.quarterly_review import review

#: quarters offered, newest first: this one (still open) and the seven before it
OFFERED = 8


def _quarters(this_month: str) -> dict[str, str]:
    quarters = periods.quarters_to(periods.quarter_of(this_month), OFFERED)[::-1]
    return {q: f"Quarter {q[-1]} {q[:4]}" + (" (so far)" if q == quarters[0] else "") for q in quarters}


@bp.route("/governance/quarterly-review")
def quarterly_review():
    """?quarter=YYYY-Qn, by default the last quarter to have closed; one not offered shows the default."""
    today = datetime.now(UTC).astimezone(LONDON).date()
    offered = _quarters(today.strftime("%Y-%m"))
    form = QuarterForm(request.args)
    form.quarter.choices = choices(offered)
    if form.quarter.data not in offered:
        form.quarter.data = list(offered)[1]
    pathways = intake.active_pathway_codes(db.session)
    return render_template("reports/quarterly_review.html", form=form, quarter_name=offered[form.quarter.data],
                           review=review(replica.session(), list(pathways), form.quarter.data, current_policy()),
                           pathway_names=pathways, this_month=today.strftime("%Y-%m"), today=today)
