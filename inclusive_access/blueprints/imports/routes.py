"""Upload a referrals CSV, preview its row errors, import it with a progress bar, download the rejected rows."""
import io

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from inclusive_access.blueprints.commands import Page, Repeat, onto_fields, submit
from inclusive_access.blueprints.imports import bp
from inclusive_access.blueprints.imports.forms import MODES, ConfirmForm, UploadForm
from inclusive_access.blueprints.shared import csv_download, current_policy
from inclusive_access.domain import bulk_import, import_jobs
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.htmx import is_fragment_request
from inclusive_access.models import ImportJob
from inclusive_access.reporting import exports


def _job_or_404(job_id: int) -> ImportJob:
    return db.session.get(ImportJob, job_id) or abort(404)


def _opened(upload: FileStorage) -> tuple[io.TextIOWrapper, int]:
    """The upload as text (a byte-order mark, as spreadsheets write, is dropped) and its size in bytes."""
    size = upload.stream.seek(0, io.SEEK_END)
    upload.stream.seek(0)
    return io.TextIOWrapper(upload.stream, encoding="utf-8-sig", newline=""), size


@bp.route("/", methods=["GET", "POST"])
def new_import():
    form = UploadForm()
    if not form.is_submitted():
        return _upload_page(form, {})
    return submit(form, lambda: import_jobs.stage_import(
        db.session, actor_for(current_user), secure_filename(form.file.data.filename) or "upload.csv",
        *_opened(form.file.data)),
        Page(url_for("imports.new_import"), lambda errors: _upload_page(form, errors)),
        lambda job: redirect(url_for("imports.show_import", job_id=job.id), 303))


def _upload_page(form: UploadForm, errors: dict):
    onto_fields(form, errors)
    return render_template("imports/new.html", form=form, jobs=import_jobs.recent_jobs(db.session),
                           columns=bulk_import.COLUMNS, max_rows=import_jobs.MAX_ROWS), 400 if form.errors else 200


@bp.route("/<int:job_id>")
def show_import(job_id: int):
    job = _job_or_404(job_id)
    return _show(job, ConfirmForm())


def _show(job: ImportJob, form: ConfirmForm) -> str:
    return render_template("imports/show.html", job=job, form=form, modes=MODES, preview_rows=import_jobs.PREVIEW_ROWS,
                           errors=import_jobs.row_errors(db.session, job))


@bp.route("/<int:job_id>/confirm", methods=["POST"])
def confirm_import(job_id: int):
    job, form = _job_or_404(job_id), ConfirmForm()
    url = url_for("imports.show_import", job_id=job_id)
    return submit(form, lambda: import_jobs.confirm_import(db.session, actor_for(current_user), job, form.mode.data),
                  Page(url, lambda errors: (_show(_job_or_404(job_id), form), 400), "import"),
                  lambda _: _confirmed(job, url),
                  # confirmed already, in this tab or another: its page shows the progress
                  repeat=Repeat(None))


def _confirmed(job: ImportJob, url: str):
    if job.state == "previewed":
        flash(f"Nothing was imported: {job.invalid_rows} rows have errors. Fix them and upload the file again, "
              "or import the valid rows.", "error")
    return redirect(url, 303)


@bp.route("/<int:job_id>/next-rows", methods=["POST"])
def import_next_rows(job_id: int):
    """One step of the import, polled by the progress bar; each step commits its rows with the progress."""
    job = _job_or_404(job_id)
    before = _tenths(job)
    return submit(None, lambda: import_jobs.import_next_rows(
        db.session, actor_for(current_user), job, current_app.config["IMPORT_CHUNK_ROWS"], current_policy()),
        Page(url_for("imports.show_import", job_id=job_id), lambda errors: abort(400), "import"),
        lambda _: render_template("imports/_progress.html", job=job, announce=_tenths(job) != before)
        if is_fragment_request() else redirect(url_for("imports.show_import", job_id=job_id), 303))


def _tenths(job: ImportJob) -> int:
    """How many tenths of the import are done: the live region speaks once a tenth, not at every step."""
    return 10 if job.state == "imported" else 10 * job.processed_rows // max(job.valid_rows, 1)


@bp.route("/<int:job_id>/rejects")
def download_rejects(job_id: int):
    job = _job_or_404(job_id)
    header, rejected = import_jobs.rejects(db.session, actor_for(current_user), job)
    db.session.commit()
    out = io.StringIO()
    exports.write_rejects(out, header, rejected)
    name = f"{job.file_name.removesuffix('.csv')}.rejects.csv"
    return csv_download(out.getvalue(), name)
