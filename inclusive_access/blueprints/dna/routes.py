"""Barrier checks: the worklist, and one check saved section by section (htmx, or plain posts)."""
from datetime import UTC, datetime

from flask import abort, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import FORBIDDEN, Page, Repeat, saved, submit
from inclusive_access.blueprints.dna import bp
from inclusive_access.blueprints.dna.forms import AttemptForm, BarriersForm, OutcomeForm
from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.blueprints.shared import current_policy, log_view
from inclusive_access.domain import dna
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.htmx import is_fragment_request, render, render_worklist
from inclusive_access.models import Appointment, BarrierCheck, ReasonableAdjustment


@bp.route("/")
def worklist():
    now = datetime.now(UTC)
    worklist = dna.barrier_worklist(db.session, now, page=request.args.get("page", 1, type=int),
                                    policy=current_policy())
    return render_worklist("dna/worklist.html", "dna/_worklist.html", worklist, now)


def _check(check_id: int) -> BarrierCheck:
    return db.session.get(BarrierCheck, check_id) or abort(404)


def _show(check: BarrierCheck, errors: dict | None = None, forms: dict | None = None, status: int = 200):
    """The whole check, or just its sections for htmx: one fragment, so every save refreshes what is left."""
    missed = db.session.get(Appointment, check.appointment_id)
    rebooked = dna.rebooking_of(db.session, check)
    forms = {"barriers": BarriersForm(formdata=None, obj=check),
             "attempt": AttemptForm(formdata=None, submission_token=new_token()),
             "outcome": OutcomeForm(formdata=None, version=check.version), **(forms or {})}
    forms["barriers"].version.data = check.version
    adjustment = db.session.get(ReasonableAdjustment, check.adjustment_id) if check.adjustment_id else None
    context = dict(check=check, referral=check.referral, patient=check.referral.patient, missed=missed,
                   adjustment=adjustment, answers_safeguarding=dna.answers_safeguarding(current_user.role),
                   concern=dna.concern_for(db.session, check), left=dna.remaining(db.session, check),
                   errors=errors or {}, forms=forms,
                   rebooking=dna.rebooking_status(check, rebooked, datetime.now(UTC), current_policy()))
    body, _status, headers = render("dna/check.html", "dna/_check.html", **context)
    # htmx 2 swaps only 2xx: a section with errors comes back as 200 so the user sees the messages.
    return body, 200 if is_fragment_request() else status, headers


@bp.route("/<int:check_id>")
def show_check(check_id: int):
    check = _check(check_id)
    log_view(check.referral.patient, check.referral)
    return _show(check)


def _page(check_id: int, name: str, form) -> Page:
    """The check's page for one of its sections: errors re-show the whole check (or, for htmx, its sections)."""
    return Page(url_for("dna.show_check", check_id=check_id),
                lambda errors: _show(_check(check_id), errors, {name: form}, 400), "barrier check",
                lambda: _check(check_id).referral.patient)


def _saved(check_id: int, message: str):
    """htmx swaps the refreshed sections in; a plain post goes back to the check's page."""
    return saved(message, url_for("dna.show_check", check_id=check_id), swap=lambda: _show(_check(check_id)))


@bp.route("/<int:check_id>/barriers", methods=["POST"])
def save_barriers(check_id: int):
    check, form = _check(check_id), BarriersForm()
    return submit(form, lambda: dna.save_barriers(
        db.session, actor_for(current_user), check, form.version.data, form.barriers.data or [],
        form.other_barrier.data or None, form.safeguarding.data or None, form.concern()),
        _page(check_id, "barriers", form), lambda _: _saved(check_id, "Barriers saved."),
        not_permitted=FORBIDDEN)  # a safeguarding answer from booking: their page never offers it


@bp.route("/<int:check_id>/attempts", methods=["POST"])
def log_attempt(check_id: int):
    check, form = _check(check_id), AttemptForm()
    return submit(form, lambda: dna.log_attempt(
        db.session, actor_for(current_user), check, form.method.data, form.reached.data == "yes",
        form.note.data or None, form.submission_token.data or None),
        _page(check_id, "attempt", form), lambda _: _saved(check_id, "Contact attempt logged."),
        repeat=Repeat("This contact attempt was already logged."))


#: the adjustment rules name their own fields; on this page those fields carry an "adjustment_" prefix
_ADJUSTMENT_FIELDS = {"category": "adjustment_category", "description": "adjustment_description"}


@bp.route("/<int:check_id>/complete", methods=["POST"])
def complete_check(check_id: int):
    check, form = _check(check_id), OutcomeForm()
    return submit(form, lambda: dna.complete_barrier_check(
        db.session, actor_for(current_user), check, form.version.data, form.outcome.data,
        form.alternative_format.data or None, form.adjustment()),
        _page(check_id, "outcome", form),
        # the booking page is the next step: for htmx a whole page, not a swap
        lambda _: saved("Barrier check complete. You can now book the next appointment.",
                        url_for("appointments.book_appointment", referral_id=check.referral_id), leave=True),
        fields=_ADJUSTMENT_FIELDS)
