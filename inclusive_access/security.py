"""Roles and the deny-by-default route policy, server-side sessions, and security headers."""
import secrets
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from inclusive_access.domain import accounts, actions, engagement_plans, later, outreach, questionnaires
from inclusive_access.domain.access import (
    AUDIT_WORK,
    BOOKING_WORK,
    CARE_TEAM,
    CLINICAL_JUDGEMENT,
    CLINICAL_READ,
    EVERYONE,
    MANAGEMENT,
    OVERSIGHT,
    PARTNERSHIP_LEADS,
    REPORT_READERS,
    ROLE_NAMES,
    SENIOR_JUDGEMENT,
)
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db, login_manager

#: endpoints anyone may reach, signed in or not; a patient answers a questionnaire link without an account
PUBLIC = frozenset({"static", "nhsuk_assets", "auth.login", "ops.health", "ops.ready",
                    # single sign-on: the way to the provider and back, before anyone is signed in
                    "auth.start_oidc_sign_in", "auth.finish_oidc_sign_in",
                    "patient_link.answer_questionnaire", "patient_link.show_thanks",
                    # a script with no data, which the browser re-checks for updates whether or not anyone is
                    # signed in: guarded, the outreach page's worker could not update once a sign-in had ended
                    "outreach_records.service_worker"})
#: blueprints that authenticate each request themselves, with a bearer token rather than the staff session (the
#: FHIR API for system clients, GOV.UK Notify's delivery-status callback): the guard lets them through, and they refuse
#: a request without a valid token
TOKEN_AUTHENTICATED = frozenset({"fhir", "notify"})
#: all a user whose password was set by someone else may reach until they replace it
PASSWORD_CHANGE = frozenset({"auth.change_password", "auth.logout"})
#: endpoint -> roles allowed. An endpoint missing here is refused to everyone (and fails a test).
ACCESS: dict[str, frozenset[str]] = {
    "auth.logout": EVERYONE,
    "auth.change_password": EVERYONE,
    "home.index": EVERYONE,
    "referrals.index": EVERYONE,
    "referrals.list_referrals": EVERYONE,
    "referrals.show_referral": EVERYONE,
    "patients.show_patient": EVERYONE,
    "patients.edit_patient": CLINICAL_JUDGEMENT,
    "patients.verify_identity": CLINICAL_JUDGEMENT,
    # where messages and letters go: personal, so the care team alone; the auditor reads, the booking team keeps them
    "patients.show_contact_details": CARE_TEAM,
    "patients.edit_contact_details": BOOKING_WORK,
    # finding a patient to work with; auditors reach records through samples, managers work on aggregates
    "patients.search_patients": BOOKING_WORK,
    "intake.new_referral": BOOKING_WORK,
    "intake.lookup_patient": BOOKING_WORK,
    "intake.find_organisations": BOOKING_WORK,
    "intake.refer_patient": BOOKING_WORK,
    "triage.worklist": BOOKING_WORK,
    "triage.triage_referral": BOOKING_WORK,
    "triage.correct_flags": BOOKING_WORK,
    "triage.preview_suggestions": BOOKING_WORK,
    "clarification.worklist": BOOKING_WORK,
    "clarification.show_clarification": BOOKING_WORK,
    "clarification.log_attempt": BOOKING_WORK,
    "clarification.close_clarification": BOOKING_WORK,
    "appointments.book_appointment": BOOKING_WORK,
    "appointments.rebook_appointment": BOOKING_WORK,
    "appointments.record_outcome": CLINICAL_JUDGEMENT,
    "appointments.record_past_contact": CLINICAL_JUDGEMENT,
    "dna.worklist": BOOKING_WORK,
    "dna.show_check": BOOKING_WORK,
    "dna.save_barriers": BOOKING_WORK,
    "dna.log_attempt": BOOKING_WORK,
    "dna.complete_check": CLINICAL_JUDGEMENT,
    "adjustments.patient_register": EVERYONE,
    "adjustments.record_adjustment": CLINICAL_JUDGEMENT,
    "adjustments.edit_adjustment": CLINICAL_JUDGEMENT,
    "adjustments.end_adjustment": CLINICAL_JUDGEMENT,
    "adjustments.overdue_reviews": EVERYONE,
    "discharge.request_discharge": CLINICAL_JUDGEMENT,
    "discharge.review_queue": SENIOR_JUDGEMENT,
    "discharge.show_review": SENIOR_JUDGEMENT,
    "discharge.decide_review": SENIOR_JUDGEMENT,
    # outreach records: which records a user sees is decided per record (the session's named clinicians before
    # reconciliation; a senior too once linked, to undo a wrong link), so the routes let clinical roles through
    "outreach_reconciliation.list_records": outreach.OUTREACH_CLINICIANS,
    "outreach_reconciliation.show_record": outreach.OUTREACH_CLINICIANS,
    "outreach_reconciliation.link_record": outreach.OUTREACH_CLINICIANS,
    "outreach_reconciliation.refer_and_link": outreach.OUTREACH_CLINICIANS,
    "outreach_reconciliation.register_patient": outreach.OUTREACH_CLINICIANS,
    "outreach_reconciliation.undo_link": SENIOR_JUDGEMENT,
    "safeguarding.list_concerns": CLINICAL_READ,
    "safeguarding.show_concern": CLINICAL_READ,
    "safeguarding.raise_concern": CLINICAL_JUDGEMENT,
    "safeguarding.route_concern": CLINICAL_JUDGEMENT,
    "safeguarding.record_action": CLINICAL_JUDGEMENT,
    "safeguarding.close_concern": SENIOR_JUDGEMENT,
    # whether an urgent contact followed a delay on the pathway is a clinical judgement
    "urgent_contacts.record_urgent_contact": CLINICAL_JUDGEMENT,
    # sending a questionnaire reaches the patient; it judges nothing
    "questionnaire_links.issue_link": BOOKING_WORK,
    # asking a questionnaire's questions is part of the clinical contact; the worklist is of that work
    "questionnaires.record_answers": questionnaires.RECORD_ROLES,
    "questionnaires.worklist": questionnaires.RECORD_ROLES,
    "intake.re_refer": BOOKING_WORK,
    "reports.equity_dashboard": REPORT_READERS,
    "reports.export_equity": REPORT_READERS,
    "reports.equity_report": REPORT_READERS,
    "reports.equity_referrals": REPORT_READERS,
    "reports.equity_outcomes": REPORT_READERS,
    "reports.export_outcomes": REPORT_READERS,
    "reports.equity_outreach": REPORT_READERS,
    "reports.export_outreach": REPORT_READERS,
    # equity of reach (issue 20): aggregates, read as the other equity reports are
    "reports.equity_reach": REPORT_READERS,
    "reports.print_reach": REPORT_READERS,
    "reports.export_reach": REPORT_READERS,
    "reports.governance_items": REPORT_READERS,
    "reports.governance_item": REPORT_READERS,
    "reports.quarterly_review": REPORT_READERS,
    "reports.record_governance_plan": MANAGEMENT,
    "reports.close_governance_item": MANAGEMENT,
    "reports.list_partnership_reviews": REPORT_READERS,
    "reports.show_partnership_review": REPORT_READERS,
    "reports.print_partnership_review": REPORT_READERS,
    "reports.record_partnership_review": PARTNERSHIP_LEADS,
    "reports.edit_partnership_minutes": PARTNERSHIP_LEADS,
    "reports.add_partnership_action": PARTNERSHIP_LEADS,
    "reports.complete_partnership_action": PARTNERSHIP_LEADS,
    "audit.list_samples": AUDIT_WORK,
    "audit.new_sample": AUDIT_WORK,
    "audit.show_sample": AUDIT_WORK,
    "audit.sample_record": AUDIT_WORK,
    "audit.sample_summary": AUDIT_WORK,
    "audit.export_summary": AUDIT_WORK,
    "audit.patient_timeline": OVERSIGHT,
    "audit.referral_timeline": OVERSIGHT,
    "audit.patient_access": OVERSIGHT,
    "audit.user_access": OVERSIGHT,
    "audit.event_log": OVERSIGHT,
    "audit.verify_log": OVERSIGHT,
    "admin.list_users": MANAGEMENT,
    "admin.new_user": MANAGEMENT,
    "admin.change_role": MANAGEMENT,
    "admin.deactivate_user": MANAGEMENT,
    "admin.reset_password": MANAGEMENT,
    "imports.new_import": MANAGEMENT,
    "imports.show_import": MANAGEMENT,
    "imports.confirm_import": MANAGEMENT,
    "imports.import_next_rows": MANAGEMENT,
    "imports.download_rejects": MANAGEMENT,
    # an outreach session's minimum record is its named clinicians' (the domain checks the naming); the token
    # lets a page opened from the device's cache hours ago send with the current sign-in
    "outreach_records.record_page": CLINICAL_JUDGEMENT,
    "outreach_records.receive_record": CLINICAL_JUDGEMENT,
    "outreach_records.csrf_token": CLINICAL_JUDGEMENT,
    # outreach planning is the service manager's (outreach.PLAN_ROLES); partners have no account, so no access
    **{f"outreach.{name}": outreach.PLAN_ROLES for name in (
        "list_partners", "add_partner", "edit_partner", "list_venues", "add_venue", "edit_venue", "list_sessions",
        "plan_session", "cancel_session")},
    # the sessions a clinician or senior is named on
    "outreach.my_sessions": outreach.OUTREACH_CLINICIANS,
    # engagement plans are agreed and judged done by clinicians; the care team reads them on the patient's page
    "outreach.record_plan": engagement_plans.RECORD_ROLES,
    "outreach.mark_step_done": engagement_plans.RECORD_ROLES,
    # contact problems (a message failed on the only route recorded) are booking's to put right, as clarifications
    # are; managers and auditors see the messages' outcomes on the timeline, not the work queue that names patients
    "contact_tasks.worklist": BOOKING_WORK,
    "contact_tasks.show_task": BOOKING_WORK,
    "contact_tasks.close_task": BOOKING_WORK,
}


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # our server-side session row is the protection
    login_manager.request_loader(load_user_from_session)
    app.before_request(guard_route)
    app.after_request(set_security_headers)
    app.after_request(commit_session_upkeep)
    for name in ("after_commit", "after_rollback"):
        if not event.contains(db.session, name, _upkeep_settled):
            event.listen(db.session, name, _upkeep_settled)
    app.context_processor(lambda: {"csp_nonce": csp_nonce()})
    app.add_template_global(may, "may")
    app.add_template_global(ROLE_NAMES, "role_names")


def may(endpoint: str) -> bool:
    """Whether the signed-in user's role may reach `endpoint`: templates link only where the policy allows."""
    return current_user.is_authenticated and current_user.role in ACCESS.get(endpoint, ())


def load_user_from_session(_request):
    """The user behind this browser's server-side session, if it is still live. The signed cookie carries the time
    of this request, so the idle clock runs from the last request without a database write on every one.

    The row's upkeep (its touch, at most once a minute, or the removal of an expired session) is flushed, not
    committed: it rides the request's one commit, and `commit_session_upkeep` commits it for a request whose route
    commits nothing. A commit here would make two in any request that saves something."""
    cfg, now = current_app.config, datetime.now(UTC)
    seen = session.get("seen")
    with _flushes(db.session()) as flushed:
        user = accounts.resume_session(
            db.session, session.get("sid"), idle=timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]),
            absolute=timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]), now=now,
            seen_at=datetime.fromtimestamp(seen, UTC) if isinstance(seen, float) else None)
    if flushed:
        db.session.info[UPKEEP] = True
    if user is None and "sid" in session:
        session.clear()
    elif user is not None:
        session["seen"] = now.timestamp()
    return user


#: session.info key: the session row's upkeep is flushed and waits for a commit
UPKEEP = "session_upkeep"


@contextmanager
def _flushes(db_session: Session):
    """Whether `db_session` flushed (wrote) inside the block: the list is non-empty if it did."""
    flushed: list[bool] = []

    def note(*_args) -> None:
        flushed.append(True)

    event.listen(db_session, "after_flush", note)
    try:
        yield flushed
    finally:
        event.remove(db_session, "after_flush", note)


def _upkeep_settled(db_session: Session, *_args) -> None:
    """Committed with the route's commit, or rolled back with its refusal: nothing is left to commit."""
    if not db_session.in_nested_transaction():  # a savepoint's end is not the transaction's
        db_session.info.pop(UPKEEP, None)


def commit_session_upkeep(response):
    """The session row's upkeep, for a request whose route committed nothing (a worklist, a refusal)."""
    if db.session.info.pop(UPKEEP, False):
        db.session.commit()
    return response


def release_transaction() -> None:
    """End the request's transaction before a long job that reads in short transactions of its own (the log's
    verification), so that no lock taken with it is held meanwhile: the session row's upkeep is committed, if due
    (once a minute at most), otherwise the sign-in's read is rolled back."""
    if db.session.info.pop(UPKEEP, False):
        db.session.commit()
    else:
        db.session.rollback()


def token_authenticated(endpoint: str) -> bool:
    """Whether the endpoint checks a bearer token itself (its blueprint is in TOKEN_AUTHENTICATED)."""
    return endpoint.partition(".")[0] in TOKEN_AUTHENTICATED


def guard_route():
    """Deny by default: public and token-authenticated endpoints pass, everything else needs a role listed in
    ACCESS."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC or token_authenticated(endpoint):
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if (current_user.must_change_password and endpoint not in PASSWORD_CHANGE
            and current_app.config["LOCAL_PASSWORDS_ENABLED"]):  # switched off, there is no password to replace
        return redirect(url_for("auth.change_password"))
    if current_user.role not in ACCESS.get(endpoint, ()):
        later.event(db.session, actor_for(current_user), actions.ACCESS_DENIED, "route", None,
                    data={"endpoint": endpoint, "method": request.method})
        db.session.commit()
        abort(403)
    return None


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative //, no backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _form_action() -> str:
    """Forms post here only; with a provider configured, the sign-out form's redirect may also go to the provider's
    host (its end-session endpoint), which browsers check against form-action too."""
    cfg = current_app.config
    issuer = urlsplit(cfg.get("OIDC_ISSUER") or "") if cfg.get("OIDC_CLIENT_ID") else None
    return f"'self' {issuer.scheme}://{issuer.netloc}" if issuer and issuer.netloc else "'self'"


def set_security_headers(response):
    """Strict CSP (no unsafe-inline), no framing, no sniffing, no caching of patient data."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{csp_nonce()}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self' https://assets.nhs.uk; "
        f"connect-src 'self'; worker-src 'self'; manifest-src 'self'; form-action {_form_action()}; "
        "frame-ancestors 'none'; "
        "base-uri 'self'; "
        "object-src 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint not in ("static", "nhsuk_assets"):
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response
