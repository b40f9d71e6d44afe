"""The "Contact problems" worklist, one problem's page (the message that failed, the routes recorded) and closing it."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, saved, submit
from inclusive_access.blueprints.contact_tasks import bp
from inclusive_access.blueprints.contact_tasks.forms import CloseForm
from inclusive_access.blueprints.shared import log_view
from inclusive_access.domain import contact_tasks, message_routes, outbox
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.htmx import render_worklist
from inclusive_access.models import ContactTask, OutboxMessage, Patient, Referral, User


@bp.route("/")
def worklist():
    now = datetime.now(UTC)
    worklist = contact_tasks.worklist(db.session, now, page=request.args.get("page", 1, type=int))
    return render_worklist("contact_tasks/worklist.html", "contact_tasks/_worklist.html", worklist, now,
                           messages=contact_tasks.failed_messages(db.session, worklist.rows), labels=_labels())


def _labels() -> dict:
    return {"kinds": outbox.MESSAGE_NAMES, "sent_by": outbox.SENT_BY, "addressees": outbox.ADDRESSEE_LABELS,
            "reasons": contact_tasks.REASON_LABELS}


def _page(task: ContactTask, form: CloseForm, errors: dict, status: int = 200):
    patient = db.session.get(Patient, task.patient_id)
    referral = db.session.get(Referral, task.referral_id) if task.referral_id else None
    details = message_routes.contact_details_for(db.session, task.patient_id)
    closed_by = db.session.get(User, task.closed_by) if task.closed_by else None
    return render_template("contact_tasks/show.html", task=task, patient=patient, referral=referral, details=details,
                           message=db.session.get(OutboxMessage, task.message_id), closed_by=closed_by, form=form,
                           errors=errors, labels=_labels(), due=task.opened_at + contact_tasks.DUE_WITHIN), status


def _load(task_id: int) -> ContactTask:
    return db.session.get(ContactTask, task_id) or abort(404)


@bp.route("/<int:task_id>")
def show_task(task_id: int):
    task = _load(task_id)
    log_view(db.session.get(Patient, task.patient_id),
             db.session.get(Referral, task.referral_id) if task.referral_id else None)
    return _page(task, CloseForm(formdata=None, version=task.version), {})


@bp.route("/<int:task_id>/close", methods=["POST"])
def close_task(task_id: int):
    task, form = _load(task_id), CloseForm()
    url = url_for("contact_tasks.show_task", task_id=task_id)
    page = Page(url, lambda errors: _page(_load(task_id), form, errors, 400), "contact problem",
                lambda: db.session.get(Patient, _load(task_id).patient_id))
    return submit(form, lambda: contact_tasks.close_task(db.session, actor_for(current_user), task,
                                                         form.version.data, form.note.data),
                  page, lambda _: saved("Contact problem closed.", url_for("contact_tasks.worklist")))
