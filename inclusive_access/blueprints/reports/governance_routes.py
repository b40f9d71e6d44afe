"""Equity KPI governance items: the list, one item with its re-measured gap, the manager's plan and closure; each
item is about one of the KPIs (domain/kpis.py), whose name and unit its pages give."""
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, saved, submit
from inclusive_access.blueprints.reports import bp
from inclusive_access.blueprints.reports.forms import CloseItemForm, PlanForm
from inclusive_access.blueprints.shared import current_policy
from inclusive_access.domain import governance, intake, kpis
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import GovernanceItem
from inclusive_access.reporting import kpi, periods


@bp.route("/governance")
def governance_items():
    return render_template("reports/governance_list.html", items=governance.items(db.session), kpis=kpis.KPIS,
                           pathway_names=intake.active_pathway_codes(db.session))


def _item(item_id: int) -> GovernanceItem:
    return db.session.get(GovernanceItem, item_id) or abort(404)


def _show(item: GovernanceItem, errors: dict | None = None, forms: dict | None = None, status: int = 200):
    remeasure, about = None, kpis.of(item.kpi)
    if governance.remeasured(item):
        remeasure = kpi.gap_for(db.session, item.pathway, item.remeasure_month, current_policy(), about)
    forms = {"plan": PlanForm(formdata=None, obj=item, version=item.version),
             "close": CloseItemForm(formdata=None, version=item.version), **(forms or {})}
    return render_template("reports/governance_item.html", item=item, kpi=about, remeasure=remeasure, forms=forms,
                           quarter=periods.quarter_of(item.month),
                           errors=errors or {}, pathway_names=intake.active_pathway_codes(db.session),
                           closable=governance.close_refusal(item) is None), status


@bp.route("/governance/<int:item_id>")
def governance_item(item_id: int):
    return _show(_item(item_id))


def _save(item_id: int, form, name: str, verb: Callable[[GovernanceItem], object], message: str, refusal):
    """One item's forms: errors re-show the item with the form. An item that cannot take the request (closed
    meanwhile, say) says why rather than show errors for a form it no longer has."""
    item, url = _item(item_id), url_for("reports.governance_item", item_id=item_id)
    if why := refusal(item):
        flash(why, "error")
        return redirect(url, 303)
    return submit(form, lambda: verb(item),
                  Page(url, lambda errors: _show(_item(item_id), errors, {name: form}, 400), "governance item"),
                  lambda _: saved(message, url))


@bp.route("/governance/<int:item_id>/plan", methods=["POST"])
def record_governance_plan(item_id: int):
    form = PlanForm()
    return _save(item_id, form, "plan", lambda item: governance.record_plan(
        db.session, actor_for(current_user), item, form.version.data, form.plan()),
        "Explanation and corrective action recorded.", governance.plan_refusal)


@bp.route("/governance/<int:item_id>/close", methods=["POST"])
def close_governance_item(item_id: int):
    form = CloseItemForm()

    def close(item: GovernanceItem) -> None:
        gap = kpi.gap_for(db.session, item.pathway, item.remeasure_month, current_policy(), kpis.of(item.kpi)).gap
        governance.close_item(db.session, actor_for(current_user), item, form.version.data, form.closure_note.data,
                              gap)

    return _save(item_id, form, "close", close, "Governance item closed.", governance.close_refusal)
