"""The manager's outreach pages (partners, venues, sessions: list, add, correct, cancel) and a clinician's own
sessions. The forms post plain fields the domain parses (outreach.parse_*), with the app-wide CSRF check."""
from dataclasses import fields
from datetime import UTC, datetime

from flask import abort, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from inclusive_access.blueprints.commands import Page, saved, submit
from inclusive_access.domain import outreach
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import OutreachSession, Partner, Venue
from inclusive_access.security import may

from . import bp

#: a session's own page for recording what was seen there, once a route serves it
RECORD_PATH = "/outreach/sessions/{}/record"


def _form() -> dict:
    return request.form.to_dict()


def _version() -> int:
    return request.form.get("version", type=int) or 0


# Partners


@bp.route("/partners")
def list_partners():
    return render_template("outreach/partners.html", partners=outreach.partners(db.session),
                           kinds=outreach.PARTNER_KINDS)


def _details_page(kind: str, model, typed: dict, record_id: int | None, version: int | None, choices) -> Page:
    """The form that adds a partner or a venue (`kind`) or corrects one, shown again with its errors; `choices`
    gives the lists its fields choose from."""
    def show(errors: dict):
        record = db.session.get(model, record_id) if record_id else None
        return render_template(f"outreach/{kind}_form.html", typed=typed, errors=errors, version=version,
                               **{kind: record}, **choices()), 400 if errors else 200
    url = (url_for(f"outreach.edit_{kind}", **{f"{kind}_id": record_id}) if record_id
           else url_for(f"outreach.add_{kind}"))
    return Page(url, show, kind)


def _add(kind: str, page, add):
    """The blank form, or a new partner or venue saved through the seam and the list shown."""
    if request.method == "GET":
        return page({}).show({})
    return submit(None, lambda: add(db.session, actor_for(current_user)), page(_form()),
                  lambda record: saved(f"{record.name} added as a {kind}.", url_for(f"outreach.list_{kind}s")))


def _edit(kind: str, page, record, typed: dict, update):
    """The form filled from the record (`typed`), or its correction saved as of the version the user saw."""
    if request.method == "GET":
        return page(typed, record.id, record.version).show({})
    return submit(None, lambda: update(db.session, actor_for(current_user), record, _version()),
                  page(_form(), record.id, _version()),
                  lambda _changes: saved(f"{kind.capitalize()} details saved.", url_for(f"outreach.list_{kind}s")))


def _partner_page(typed: dict, partner_id: int | None = None, version: int | None = None) -> Page:
    return _details_page("partner", Partner, typed, partner_id, version, lambda: {"kinds": outreach.PARTNER_KINDS})


@bp.route("/partners/new", methods=["GET", "POST"])
def add_partner():
    return _add("partner", _partner_page,
                lambda session, actor: outreach.add_partner(session, actor, outreach.parse_partner(_form())))


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
def edit_partner(partner_id: int):
    partner = db.session.get(Partner, partner_id) or abort(404)
    typed = {field.name: getattr(partner, field.name) or "" for field in fields(outreach.PartnerDetails)}
    return _edit("partner", _partner_page, partner, typed, lambda session, actor, record, version: (
        outreach.update_partner(session, actor, record, version, outreach.parse_partner(_form()))))


# Venues


@bp.route("/venues")
def list_venues():
    return render_template("outreach/venues.html", venues=outreach.venues(db.session), kinds=outreach.VENUE_KINDS)


def _venue_page(typed: dict, venue_id: int | None = None, version: int | None = None) -> Page:
    return _details_page("venue", Venue, typed, venue_id, version, lambda: {
        "kinds": outreach.VENUE_KINDS, "partners": outreach.active_partners(db.session)})


@bp.route("/venues/new", methods=["GET", "POST"])
def add_venue():
    return _add("venue", _venue_page,
                lambda session, actor: outreach.add_venue(session, actor, outreach.parse_venue(session, _form())))


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
def edit_venue(venue_id: int):
    venue = db.session.get(Venue, venue_id) or abort(404)
    typed = {"name": venue.name, "kind": venue.kind, "postcode": venue.postcode or "",
             "partner_id": str(venue.partner_id or "")}
    return _edit("venue", _venue_page, venue, typed, lambda session, actor, record, version: (
        outreach.update_venue(session, actor, record, version, outreach.parse_venue(session, _form()))))


# Sessions


@bp.route("/sessions")
def list_sessions():
    now = datetime.now(UTC)
    return render_template("outreach/sessions.html",
                           upcoming=outreach.upcoming_sessions(db.session, now, request.args.get("page", 1, type=int)),
                           recent=outreach.recent_sessions(db.session, now), recent_days=outreach.RECENT.days)


def _plan_page(typed: dict, chosen: list[str]) -> Page:
    def show(errors: dict):
        return render_template("outreach/plan_session.html", typed=typed, chosen=chosen, errors=errors,
                               venues=outreach.active_venues(db.session),
                               clinicians=outreach.outreach_clinicians(db.session)), 400 if errors else 200
    return Page(url_for("outreach.plan_session"), show, "outreach session")


@bp.route("/sessions/new", methods=["GET", "POST"])
def plan_session():
    if request.method == "GET":
        return _plan_page({}, []).show({})
    chosen = request.form.getlist("clinician_ids")
    return submit(None, lambda: outreach.plan_session(db.session, actor_for(current_user),
                                                      outreach.parse_session_plan(db.session, _form(), chosen)),
                  _plan_page(_form(), chosen),
                  lambda planned: saved(f"Session planned at {planned.venue.name}.", url_for("outreach.list_sessions")))


def _cancel_page(session_id: int, typed: dict, version: int) -> Page:
    def show(errors: dict):
        return render_template("outreach/cancel_session.html", planned=db.session.get(OutreachSession, session_id),
                               typed=typed, errors=errors, version=version), 400 if errors else 200
    return Page(url_for("outreach.cancel_session", session_id=session_id), show, "outreach session")


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
def cancel_session(session_id: int):
    planned = db.session.get(OutreachSession, session_id) or abort(404)
    if request.method == "GET":
        return _cancel_page(session_id, {}, planned.version).show({})
    return submit(None, lambda: outreach.cancel_session(db.session, actor_for(current_user), planned, _version(),
                                                        request.form.get("cancel_reason", "")),
                  _cancel_page(session_id, _form(), _version()),
                  lambda _: saved("Session cancelled. Its clinicians see why on their sessions page.",
                                  url_for("outreach.list_sessions")))


# A clinician's own sessions


@bp.route("/my-sessions")
def my_sessions():
    mine = outreach.clinician_sessions(db.session, current_user.id, datetime.now(UTC))
    return render_template("outreach/my_sessions.html", mine=mine, record_url=_record_url)


def _record_url(session_id: int) -> str | None:
    """The session's record page, when a route serves it and the user may reach it; otherwise no link."""
    path = RECORD_PATH.format(session_id)
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return path if may(endpoint) else None
