"""Samples: draw one, see its records, judge each against its checklist, and read the summary."""
from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.audit import bp
from inclusive_access.blueprints.audit.forms import SampleForm, finding_form
from inclusive_access.blueprints.commands import Page, Repeat, saved, submit
from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.blueprints.shared import csv_download, log_view
from inclusive_access.domain import audit_findings, audit_log, audit_sampling, intake
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import (
    AuditSample,
    AuditSampleRecord,
    BarrierCheck,
    Clarification,
    Patient,
    ReasonableAdjustment,
    Referral,
)
from inclusive_access.reporting import audit as audit_report
from inclusive_access.reporting import exports

#: record type -> the model whose row a sampled record_id names
RECORD_MODELS = {"adjustment": ReasonableAdjustment, "barrier_check": BarrierCheck, "clarification": Clarification,
                 "dna_discharge": Referral, "rejected_referral": Referral, "flagged_triage": Referral}


@bp.route("/samples")
def list_samples():
    return render_template("audit/samples.html", samples=audit_sampling.samples(db.session))


@bp.route("/samples/new", methods=["GET", "POST"])
def new_sample():
    form = SampleForm()
    form.set_pathways(intake.active_pathway_codes(db.session))
    if request.method == "GET":
        form.seed.data, form.submission_token.data = audit_sampling.offered_seed(), new_token()
        return _new_sample_page(form, {})
    return submit(form, lambda: audit_sampling.draw_sample(
        db.session, actor_for(current_user), form.request(), form.submission_token.data or None),
        Page(url_for("audit.new_sample"), lambda errors: _new_sample_page(form, errors)), _drawn,
        repeat=Repeat("This sample was already drawn; here it is.",
                      lambda existing: url_for("audit.show_sample", sample_id=existing)))


def _new_sample_page(form: SampleForm, errors: dict):
    return render_template("audit/new_sample.html", form=form, errors=errors), 400 if errors else 200


def _drawn(sample: AuditSample):
    return saved(f"Sample drawn: {sample.taken} of {sample.population} records."
                 + (" Fewer records matched than the size asked for, so all of them were taken."
                    if sample.taken < sample.size else ""), url_for("audit.show_sample", sample_id=sample.id))


def _sample(sample_id: int) -> AuditSample:
    return db.session.get(AuditSample, sample_id) or abort(404)


@bp.route("/samples/<int:sample_id>")
def show_sample(sample_id: int):
    sample = _sample(sample_id)
    return render_template("audit/sample.html", sample=sample,
                           judged=set(audit_findings.current_findings(db.session, sample.id)))


def _record(sample: AuditSample, position: int) -> AuditSampleRecord:
    if not 1 <= position <= len(sample.records):
        abort(404)
    return sample.records[position - 1]


def _show_record(sample: AuditSample, record: AuditSampleRecord, form=None, errors=None, status: int = 200):
    patient = db.session.get(Patient, record.patient_id)
    referral = db.session.get(Referral, record.referral_id) if record.referral_id else None
    viewer = actor_for(current_user)
    log_view(patient, referral)
    entity = db.session.get(RECORD_MODELS[sample.record_type], record.record_id)
    current = audit_findings.current_finding(db.session, record.id)
    if form is None:
        form = finding_form(sample.record_type)(formdata=None, version=current.version if current else None,
                                                **({f"item_{a.item}": a.answer for a in current.answers}
                                                   if current else {}), note=current.note if current else "")
    timeline = (audit_log.record_timeline(db.session, viewer, patient_id=record.patient_id)
                if sample.record_type == "adjustment"
                else audit_log.record_timeline(db.session, viewer, referral_id=record.referral_id))
    return render_template("audit/record.html", sample=sample, record=record, patient=patient, entity=entity,
                           referral=referral,
                           checklist=audit_findings.CHECKLISTS[sample.record_type], form=form, errors=errors or {},
                           current=current, versions=audit_findings.versions(db.session, record.id),
                           timeline=timeline), status


@bp.route("/samples/<int:sample_id>/records/<int:position>", methods=["GET", "POST"])
def sample_record(sample_id: int, position: int):
    sample = _sample(sample_id)
    record = _record(sample, position)
    if request.method == "GET":
        return _show_record(sample, record)
    form = finding_form(sample.record_type)()
    return submit(form, lambda: audit_findings.record_finding(
        db.session, actor_for(current_user), record, form.details(), form.version.data),
        Page(url_for("audit.sample_record", sample_id=sample_id, position=position),
             lambda errors: _show_record(sample, record, form, errors, 400), "finding"),
        lambda _: saved("Finding recorded.", url_for("audit.sample_record", sample_id=sample_id, position=position + 1)
                        if position < len(sample.records) else url_for("audit.sample_summary", sample_id=sample_id)))


def _summary(sample: AuditSample):
    """Compliance per item overall, and per stratum when the sample was stratified."""
    items = list(audit_findings.CHECKLISTS[sample.record_type])
    overall, by_stratum = audit_report.summary(db.session, sample.id, items)
    return overall, by_stratum if sample.stratify_by else []


@bp.route("/samples/<int:sample_id>/summary")
def sample_summary(sample_id: int):
    sample = _sample(sample_id)
    overall, by_stratum = _summary(sample)
    findings = audit_findings.current_findings(db.session, sample.id)
    return render_template("audit/summary.html", sample=sample, overall=overall, by_stratum=by_stratum,
                           findings=findings, judged=len(findings),
                           checklist=audit_findings.CHECKLISTS[sample.record_type])


@bp.route("/samples/<int:sample_id>/summary/export")
def export_summary(sample_id: int):
    sample = _sample(sample_id)
    overall, by_stratum = _summary(sample)
    body = exports.audit_csv(overall + by_stratum, audit_findings.CHECKLISTS[sample.record_type])
    return csv_download(body, f"audit-sample-{sample.id}-summary.csv")
