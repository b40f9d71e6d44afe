"""The minimum record page a session's clinician completes at the venue, the JSON endpoint its device queue sends
each record to (once, however often it is sent), a CSRF token for a page opened from the device's cache, and the
service worker that keeps the page for use without signal."""
from flask import abort, current_app, render_template, request, send_from_directory
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from inclusive_access.blueprints import commands
from inclusive_access.blueprints.outreach_records import bp
from inclusive_access.domain import outreach_records
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import InvalidInput, NotPermitted
from inclusive_access.domain.segments import FLAG_LABELS
from inclusive_access.extensions import db
from inclusive_access.models import OutreachSession


@bp.get("/sessions/<int:session_id>/record")
def record_page(session_id: int):
    planned = db.session.get(OutreachSession, session_id) or abort(404)
    if not outreach_records.may_record(db.session, actor_for(current_user), planned):
        abort(403)
    return render_template("outreach_records/record.html", planned=planned, risks=outreach_records.RISKS,
                           partners=outreach_records.partners_to_share_with(db.session), flags=FLAG_LABELS,
                           device_hours=current_app.config["OUTREACH_DEVICE_HOURS"])


@bp.post("/sessions/<int:session_id>/records")
def receive_record(session_id: int):
    """201 stored now, 200 stored by an earlier send of the same key (its answer lost): either way the device may
    forget the record. 422 names what to correct (a body that is no record lacks everything); the device keeps the
    record until it is corrected."""
    planned = db.session.get(OutreachSession, session_id) or abort(404)
    raw = request.get_json(silent=True)
    raw = raw if isinstance(raw, dict) else {}
    try:
        record, created = commands.committed(lambda: outreach_records.receive_record(
            db.session, actor_for(current_user), planned, raw))
    except InvalidInput as refused:
        return {"errors": refused.errors}, 422
    except NotPermitted as refused:
        return {"errors": {"session": str(refused)}}, 403
    return {"id": record.id}, 201 if created else 200


@bp.get("/csrf-token")
def csrf_token():
    """The signed-in user's token, fetched just before a send: the page may have been opened hours ago from the
    device's cache, before a sign-in that changed the token."""
    return {"token": generate_csrf(), "user": current_user.id}


@bp.get("/service-worker")
def service_worker():
    return send_from_directory(current_app.static_folder, "outreach/service-worker.js", mimetype="text/javascript")
