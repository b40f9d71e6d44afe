"""Every figure traceable: the internal dashboard's links from each count to the referrals behind it, and the list
they open (each referral shown logged as viewed)."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_login import current_user

from inclusive_access import replica
from inclusive_access.blueprints.reports import bp
from inclusive_access.blueprints.reports.forms import ReferralsBehindForm
from inclusive_access.domain import intake, records
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.reporting import behind, outcome_queries, periods, tables
from inclusive_access.reporting.queries import Period

#: what url_for leaves unescaped in a query string (werkzeug.urls._urlencode), so the links read as they did
URL_SAFE = "!$'()*,/:;?@"
#: "value not given" for a link (None is a value: "not known")
_ANY = object()
#: the dashboard's selectors a link carries, so the list's filters and its way back are the dashboard's own
DASHBOARD_ARGS = ("period", "first", "last", "pathway", "segment", "cross", "measure")


def presets() -> dict[str, str]:
    """The dashboard's period presets as of today (London)."""
    return periods.choices(datetime.now(UTC).astimezone(LONDON).date())


@dataclass(frozen=True)
class Tracer:
    """Links from the internal dashboard's figures to the referrals behind them. `query` is the dashboard's view
    (its selectors as shown); a link adds the figure and its cell. The shared view, the report and the exports have
    none."""

    query: dict[str, str]
    #: the list's address, looked up once: a dashboard links a few hundred figures to it
    base: str

    def __call__(self, figure: str, *, value=_ANY, cross_value=_ANY, quintile=_ANY, month: str | None = None,
                 contacted: str | None = None, pathway: str | None = None, instrument: str | None = None) -> str:
        """The list behind `figure` in a cell: a value of the breakdown, of the intersectional table's columns,
        an IMD quintile; a month received (`month`) or of first contact (`contacted`); another pathway; the
        questionnaire of an outcome figure."""
        args = dict(self.query, figure=figure)
        if instrument:
            args["instrument"] = instrument
        for name, given in (("value", value), ("cross_value", cross_value), ("quintile", quintile)):
            if given is not _ANY:
                args[name] = behind.value_key(given)
        if month:
            args.update(period="custom", first=month, last=month)
        if contacted:
            args["contacted"] = contacted
        if pathway:
            args["pathway"] = pathway
        return f"{self.base}?{urlencode({name: v for name, v in args.items() if v is not None}, safe=URL_SAFE)}"

    def monthly(self, figure: str, contacted: bool = False, **cell) -> Callable[[str], str]:
        """Links for a chart's months: received, or (`contacted`) of first contact."""
        return lambda month: self(figure, **cell, **{"contacted" if contacted else "month": month})

    @staticmethod
    def label(figure: str) -> str:
        return behind.FIGURES[figure]


def tracer(form, period_code: str) -> Tracer:
    """The links of a dashboard showing `form`'s selectors for the period `period_code` (what it fell back to)."""
    query = {name: getattr(form, name).data for name in DASHBOARD_ARGS}
    query["period"] = period_code
    if period_code != "custom":
        query.pop("first"), query.pop("last")
    return Tracer({name: value for name, value in query.items() if value}, url_for("reports.equity_referrals"))


def _period_asked(form: ReferralsBehindForm, pathways) -> Period:
    """The period a list's arguments name; ValueError saying what is wrong with them."""
    form.set_options(presets(), pathways)
    if not form.validate():
        raise ValueError("; ".join(m for messages in form.errors.values() for m in messages))
    return periods.resolve(form.period.data or next(iter(presets())), form.first.data, form.last.data,
                           form.pathway.data or None)


def _back(figure: str) -> str:
    """The page a list's figure was on."""
    return "reports.equity_outcomes" if figure in outcome_queries.FIGURES else "reports.equity_dashboard"


@bp.route("/equity/referrals")
def equity_referrals():
    """The referrals behind one figure of the internal dashboard, a page at a time; each one shown is logged as
    viewed. The list is read where the figure was (the replica), the views are logged on the primary. Arguments no
    dashboard link makes are refused with what is wrong (400)."""
    form, pathways = ReferralsBehindForm(request.args), intake.active_pathway_codes(db.session)
    try:
        period = _period_asked(form, pathways)
    except ValueError as exc:
        return render_template("reports/referrals.html", error=str(exc), query={}), 400
    cell = form.cell(period)
    found = behind.referrals_behind(replica.session(), form.figure.data, cell, form.page.data or 1)
    records.view_listed(db.session, actor_for(current_user), [(r.patient_id, r.referral_id) for r in found.page.rows])
    db.session.commit()
    return render_template("reports/referrals.html", found=found, where=cell, pathway_names=pathways,
                           figure_label=behind.FIGURES[found.figure],
                           back=_back(found.figure),
                           query={k: v for k, v in request.args.items() if k != "page"},
                           dashboard={k: v for k, v in request.args.items() if k in DASHBOARD_ARGS},
                           shown_values=[(tables.SEGMENT_LABELS[key], behind.value_label(key, value))
                                         for key, value in cell.values])
