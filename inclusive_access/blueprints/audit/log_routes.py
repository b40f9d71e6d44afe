"""The event log for auditors: a record's timeline, the access log, and whole-log verification in chunks."""
from datetime import UTC, date, datetime, timedelta

from flask import abort, current_app, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from inclusive_access.blueprints.audit import bp
from inclusive_access.blueprints.commands import Page, submit
from inclusive_access.blueprints.shared import log_view
from inclusive_access.domain import accounts, audit_log, event_chain, events, keyset
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.htmx import is_fragment_request
from inclusive_access.models import Patient, Referral, User
from inclusive_access.security import release_transaction


def _timeline(patient: Patient, referral: Referral | None):
    action = request.args.get("action") or None
    found = audit_log.record_timeline(db.session, actor_for(current_user), patient_id=patient.id,
                                      referral_id=referral.id if referral else None, action=action)
    log_view(patient, referral)  # after the read: the page shows the log as it stood when opened
    return render_template("audit/timeline.html", patient=patient, referral=referral, timeline=found,
                           action=action if action in found.actions else None)


@bp.route("/patients/<int:patient_id>/timeline")
def patient_timeline(patient_id: int):
    return _timeline(db.session.get(Patient, patient_id) or abort(404), None)


@bp.route("/referrals/<int:referral_id>/timeline")
def referral_timeline(referral_id: int):
    referral = db.session.get(Referral, referral_id) or abort(404)
    return _timeline(referral.patient, referral)


@bp.route("/patients/<int:patient_id>/access")
def patient_access(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    views = audit_log.patient_views(db.session, patient.id)
    log_view(patient)  # after the read, as for the timeline
    return render_template("audit/patient_access.html", patient=patient, views=views)


def _day(name: str, default):
    """The day in ?name=, or `default` when there is none; the last day a date can hold has no next day to end the
    range with, and no URL of ours names it: a bad request."""
    try:
        day = datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return default
    if day == date.max:
        abort(400)
    return day


@bp.route("/users/<int:user_id>/access")
def user_access(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    today = datetime.now(UTC).astimezone(LONDON).date()
    first, last = _day("first", today - timedelta(days=30)), _day("last", today)
    error = "The first day must not be after the last" if first > last else None
    start, end = (datetime.combine(d, datetime.min.time(), LONDON).astimezone(UTC)
                  for d in (first, last + timedelta(days=1)))
    views = None if error else audit_log.user_views(
        db.session, user.id, start, end, after=keyset.parse(request.args.get("after")),
        before=keyset.parse(request.args.get("before")), per_page=audit_log.VIEWS_PER_PAGE)
    return render_template("audit/user_access.html", user=user, first=first, last=last, error=error,
                           users=accounts.all_users(db.session), views=views,
                           query={"user_id": user.id, "first": first.isoformat(), "last": last.isoformat()})


def _signer() -> URLSafeSerializer:
    """Signs the verification's place in the chain, so a page cannot skip events and still report success."""
    return URLSafeSerializer(current_app.secret_key, salt="audit-log-verification")


def _checkpoint_status() -> event_chain.CheckpointStatus:
    max_age = timedelta(days=current_app.config["AUDIT_CHECKPOINT_MAX_AGE_DAYS"])
    return event_chain.checkpoint_status(db.session, max_age)


@bp.route("/log")
def event_log():
    total = event_chain.head_seq(db.session)  # read once: the walk's chunks carry it in their signed state
    return render_template("audit/log.html", total=total, start=_signer().dumps([0, events.GENESIS_HASH, total]),
                           checkpoint=_checkpoint_status())


@bp.route("/log/verify", methods=["POST"])
def verify_log():
    """One chunk of the whole-log verification (htmx asks for the next until the end); without JavaScript, all."""
    try:
        after, prev_hash, total = _signer().loads(request.form.get("state", ""))
    except (BadSignature, ValueError):
        abort(400)
    return submit(None, lambda: _verify(after, prev_hash, total),
                  Page(url_for("audit.event_log"), lambda errors: abort(400), "event log"),
                  lambda verified: render_template(
                      "audit/_verification.html" if is_fragment_request() else "audit/log.html", result=verified[0],
                      done=verified[1], total=total,
                      state=_signer().dumps([verified[0].count, verified[0].head_hash, total]),
                      start=None, checkpoint=_checkpoint_status()))


def _verify(after: int, prev_hash: str, total: int) -> tuple[event_chain.Verification, bool]:
    """Verify from `after` up to `total`, the head when the run began: one chunk for htmx, every chunk otherwise,
    each in a short read transaction of its own. The end of the chain (or a break) is recorded, so the log shows
    who verified it and what they found."""
    release_transaction()
    result, done = event_chain.walk(db.engine, after, prev_hash, total, chunks=1 if is_fragment_request() else None)
    if done:
        audit_log.record_verification(db.session, actor_for(current_user), result)
    return result, done
