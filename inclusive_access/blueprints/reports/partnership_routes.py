"""Partnership review meetings with outreach partners: the list, recording one with the figures it reviewed, its
page with the minutes and actions, and the printable minutes."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, Repeat, elsewhere, saved, submit
from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.blueprints.reports import bp
from inclusive_access.blueprints.reports.partnership_forms import EditForm, NewRecordForm
from inclusive_access.domain import partnership_reviews
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import PartnershipReview, ReviewAction
from inclusive_access.reporting.partnership_figures import FIGURES, figures_for


@bp.route("/partnership-reviews")
def list_partnership_reviews():
    found = partnership_reviews.reviews_page(db.session, request.args.get("page", 1, type=int))
    return render_template("reports/partnership_reviews.html", found=found)


@bp.route("/partnership-reviews/new", methods=["GET", "POST"])
def record_partnership_review():
    form = NewRecordForm()
    if request.method == "GET":
        form.submission_token.data = new_token()
        return _new_page(form, {})
    return submit(form, lambda: partnership_reviews.record_review(
        db.session, actor_for(current_user), partnership_reviews.parse_review(
            db.session, request.form, request.form.getlist("partner_ids")), figures_for,
        submission_token=form.submission_token.data or None),
        Page(url_for("reports.record_partnership_review"), lambda errors: _new_page(form, errors), "meeting"),
        lambda review: saved("Meeting recorded.", _url(review.id)),
        repeat=Repeat("This meeting was already recorded.", _url))


def _new_page(form: NewRecordForm, errors: dict):
    return render_template("reports/partnership_review_new.html", form=form, errors=errors,
                           values=request.form, chosen=request.form.getlist("partner_ids"),
                           partners={str(pid): name for pid, name in
                                     partnership_reviews.active_partners(db.session).items()}), 400 if errors else 200


def _url(review_id: int) -> str:
    return url_for("reports.show_partnership_review", review_id=review_id)


def _review(review_id: int) -> PartnershipReview:
    return db.session.get(PartnershipReview, review_id) or abort(404)


def _show(review_id: int, errors: dict | None = None, template: str = "reports/partnership_review.html"):
    review, action_form = _review(review_id), NewRecordForm(formdata=None)
    action_form.submission_token.data = new_token()
    return render_template(template, review=review, figures=FIGURES, errors=errors or {},
                           values=request.form if errors else {}, overdue=partnership_reviews.overdue(review),
                           action_form=action_form, today=datetime.now(UTC).astimezone(LONDON).date()
                           ), 400 if errors else 200


@bp.route("/partnership-reviews/<int:review_id>")
def show_partnership_review(review_id: int):
    return _show(review_id)


@bp.route("/partnership-reviews/<int:review_id>/print")
def print_partnership_review(review_id: int):
    return _show(review_id, template="reports/partnership_review_print.html")


@bp.route("/partnership-reviews/<int:review_id>/minutes", methods=["POST"])
def edit_partnership_minutes(review_id: int):
    review, form = _review(review_id), EditForm()
    return submit(form, lambda: partnership_reviews.edit_minutes(
        db.session, actor_for(current_user), review, form.version.data, request.form),
        Page(_url(review_id), lambda errors: _show(review_id, errors), "meeting"),
        lambda _: saved("Minutes saved.", _url(review_id)))


@bp.route("/partnership-reviews/<int:review_id>/actions", methods=["POST"])
def add_partnership_action(review_id: int):
    review, form = _review(review_id), NewRecordForm()
    return submit(form, lambda: partnership_reviews.add_action(
        db.session, actor_for(current_user), review, request.form, form.submission_token.data or None),
        Page(_url(review_id), lambda errors: _show(review_id, errors), "meeting"),
        lambda _: saved("Action added.", _url(review_id) + "#actions"),
        repeat=Repeat("This action was already added.", lambda _existing: _url(review_id) + "#actions"))


@bp.route("/partnership-reviews/actions/<int:action_id>/done", methods=["POST"])
def complete_partnership_action(action_id: int):
    action, form = db.session.get(ReviewAction, action_id) or abort(404), EditForm()
    url = _url(action.review_id) + "#actions"
    return submit(form, lambda: partnership_reviews.complete_action(
        db.session, actor_for(current_user), action, form.version.data, request.form),
        elsewhere(url, "action"), lambda _: saved("Action marked done.", url))
