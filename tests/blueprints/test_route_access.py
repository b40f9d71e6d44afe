"""The route x role matrix from one table: every endpoint answers each role as security.ACCESS says."""
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed

from inclusive_access import security
from inclusive_access.domain import (
    audit_sampling,
    engagement_plans,
    governance,
    import_jobs,
    outreach,
    partnership_reviews,
    reviews,
    safeguarding,
)
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import (
    ROLES,
    Appointment,
    AuditSample,
    AuditSampleRecord,
    BarrierCheck,
    Clarification,
    ContactTask,
    EngagementPlan,
    EngagementStep,
    OutreachSession,
    Partner,
    PartnershipReview,
    QuestionnaireResponse,
    ReasonableAdjustment,
    Referral,
    ReviewAction,
    SafeguardingConcern,
    SeniorReview,
    UrgentContact,
)
from tests.blueprints.records import events, one_of_each, propose_rejection
from tests.conftest import make_app, post_form
from tests.factories import csv_text, intake_row, make_referral, make_user, staff
from tests.outreach_factories import plan_form, planned_session, received
from tests.partnership_factories import HELD_ON, recorded_meeting
from tests.status_factories import open_contact_task


def get(url: str, status: int = 200) -> tuple[str, str, None, int]:
    """A GET of `url`, answered `status` when allowed."""
    return "GET", url, None, status


#: endpoint -> the requests that exercise it: (method, url with {sample ids}, form data, status when allowed).
#: Every method of every rule must appear here. Dict order is request order, so logout comes last.
ROUTES: dict[str, list[tuple[str, str, dict | None, int]]] = {
    "home.index": [get("/", 302)],
    "referrals.index": [get("/referrals/", 302)],
    "referrals.list_referrals": [get("/referrals/list?flagged=no")],
    "referrals.show_referral": [get("/referrals/{referral_id}")],
    "patients.show_patient": [get("/patients/{patient_id}")],
    "patients.search_patients": [get("/patients/search?nhs_number={nhs_number}")],
    "patients.edit_patient": [
        get("/patients/{patient_id}/edit"),
        ("POST", "/patients/{patient_id}/edit", {"version": "1"}, 200),  # incomplete: errors re-shown
    ],
    "patients.verify_identity": [
        get("/patients/{patient_id}/verify-identity"),
        ("POST", "/patients/{patient_id}/verify-identity", {"version": "1"}, 303),  # verified already: told so
    ],
    "patients.show_contact_details": [get("/patients/{patient_id}/contact-details")],
    "patients.edit_contact_details": [
        get("/patients/{patient_id}/contact-details/edit"),
        ("POST", "/patients/{patient_id}/contact-details/edit", {"version": "0", "mobile": "12"}, 400),  # refused
    ],
    "intake.new_referral": [
        get("/intake/new"),
        ("POST", "/intake/new", {}, 400),  # empty: errors re-shown, nothing saved
    ],
    "intake.lookup_patient": [get("/intake/patient-lookup?nhs_number={nhs_number}")],
    "intake.find_organisations": [get("/intake/organisations?organisation_search=surgery")],
    "intake.refer_patient": [
        get("/intake/patients/{patient_id}/refer"),
        ("POST", "/intake/patients/{patient_id}/refer", {}, 400),  # empty: errors re-shown, nothing saved
    ],
    "triage.worklist": [get("/triage/?pathway=msk&overdue=yes")],
    "triage.triage_referral": [
        get("/triage/referrals/{referral_id}"),
        ("POST", "/triage/referrals/{referral_id}", {"version": "1"}, 400),  # incomplete: errors re-shown
    ],
    "triage.preview_suggestions": [
        get("/triage/referrals/{referral_id}/suggestions?interpreter_needed=yes&mobility=housebound")],
    "triage.correct_flags": [
        get("/triage/referrals/{referral_id}/flags"),
        ("POST", "/triage/referrals/{referral_id}/flags", {"version": "1"}, 400),  # no reason: errors re-shown
    ],
    "clarification.worklist": [get("/clarifications/")],
    "clarification.show_clarification": [get("/clarifications/{clarification_id}")],
    "clarification.log_attempt": [("POST", "/clarifications/{clarification_id}/attempts", {}, 400)],
    "clarification.close_clarification": [
        ("POST", "/clarifications/{clarification_id}/close", {"version": "1"}, 400)],  # no answer, no reason
    "appointments.book_appointment": [
        get("/appointments/referrals/{accepted_id}"),
        ("POST", "/appointments/referrals/{accepted_id}", {"version": "3"}, 400),  # incomplete: errors re-shown
    ],
    "appointments.rebook_appointment": [
        get("/appointments/{appointment_id}/rebook"),
        ("POST", "/appointments/{appointment_id}/rebook", {"version": "1"}, 400),
    ],
    # no outcome chosen: the booking page again, the message beside the outcome
    "appointments.record_outcome": [("POST", "/appointments/{appointment_id}/outcome", {"version": "1"}, 400)],
    "appointments.record_past_contact": [
        get("/appointments/referrals/{accepted_id}/past-contact"),
        ("POST", "/appointments/referrals/{accepted_id}/past-contact", {"version": "3"}, 400),  # no reason
    ],
    "dna.worklist": [get("/barrier-checks/")],
    "dna.show_check": [get("/barrier-checks/{check_id}")],
    # invalid: errors re-shown, nothing saved (the check stays open for the next role)
    "dna.save_barriers": [("POST", "/barrier-checks/{check_id}/barriers", {"version": "1", "barriers": "luck"}, 400)],
    "dna.log_attempt": [("POST", "/barrier-checks/{check_id}/attempts", {}, 400)],
    "dna.complete_check": [("POST", "/barrier-checks/{check_id}/complete", {"version": "1"}, 400)],
    "adjustments.patient_register": [get("/adjustments/patients/{patient_id}")],
    "adjustments.record_adjustment": [("POST", "/adjustments/patients/{patient_id}/new", {}, 400)],
    "adjustments.edit_adjustment": [
        get("/adjustments/{adjustment_id}/edit"),
        ("POST", "/adjustments/{adjustment_id}/edit", {"version": "1"}, 400),  # incomplete: errors re-shown
    ],
    # no reason: the error is flashed on the edit page, the adjustment stays active
    "adjustments.end_adjustment": [("POST", "/adjustments/{adjustment_id}/end", {"version": "1"}, 303)],
    "adjustments.overdue_reviews": [get("/adjustments/overdue-reviews")],
    "discharge.request_discharge": [
        get("/discharge/referrals/{accepted_id}/request"),
        ("POST", "/discharge/referrals/{accepted_id}/request", {"version": "3"}, 400),  # no reason: errors re-shown
    ],
    "discharge.review_queue": [get("/discharge/reviews")],
    "discharge.show_review": [get("/discharge/reviews/{senior_review_id}")],
    "discharge.decide_review": [("POST", "/discharge/reviews/{senior_review_id}/decision", {"version": "2"}, 400)],
    "outreach_reconciliation.list_records": [get("/outreach/reconciliation/")],
    # the sample record's session names another clinician: before reconciliation it is theirs alone (404 to others)
    "outreach_reconciliation.show_record": [get("/outreach/reconciliation/{outreach_record_id}", 404)],
    "outreach_reconciliation.link_record": [("POST", "/outreach/reconciliation/{outreach_record_id}/link", {}, 404)],
    "outreach_reconciliation.refer_and_link": [
        ("POST", "/outreach/reconciliation/{outreach_record_id}/refer", {}, 404)],
    "outreach_reconciliation.register_patient": [
        ("POST", "/outreach/reconciliation/{outreach_record_id}/new-patient", {}, 404)],
    "outreach_reconciliation.undo_link": [("POST", "/outreach/reconciliation/{outreach_record_id}/undo", {}, 404)],
    "safeguarding.list_concerns": [get("/safeguarding/")],
    "safeguarding.raise_concern": [
        get("/safeguarding/referrals/{referral_id}/new"),
        ("POST", "/safeguarding/referrals/{referral_id}/new", {}, 400),
    ],
    "safeguarding.show_concern": [get("/safeguarding/{concern_id}")],
    "safeguarding.route_concern": [("POST", "/safeguarding/{concern_id}/route", {"version": "1"}, 400)],
    "safeguarding.record_action": [("POST", "/safeguarding/{concern_id}/actions", {}, 400)],
    "safeguarding.close_concern": [("POST", "/safeguarding/{concern_id}/close", {"version": "1"}, 400)],
    "urgent_contacts.record_urgent_contact": [
        get("/urgent-contacts/referrals/{referral_id}/new"),
        ("POST", "/urgent-contacts/referrals/{referral_id}/new", {}, 400),  # empty: errors re-shown, nothing saved
    ],
    "questionnaire_links.issue_link": [
        get("/questionnaire-links/referrals/{referral_id}/new"),
        ("POST", "/questionnaire-links/referrals/{referral_id}/new", {}, 400),  # empty: errors re-shown, no link
    ],
    "questionnaires.record_answers": [
        get("/questionnaires/referrals/{referral_id}/psfs/new"),
        ("POST", "/questionnaires/referrals/{referral_id}/psfs/new", {}, 400),  # empty: errors re-shown, nothing saved
    ],
    "questionnaires.worklist": [get("/questionnaires/due")],
    "intake.re_refer": [
        get("/intake/referrals/{rejected_id}/re-refer"),
        ("POST", "/intake/referrals/{rejected_id}/re-refer", {}, 400),  # empty: errors re-shown, nothing saved
    ],
    "reports.equity_dashboard": [get("/reports/equity?segment=ethnic_group&shared=yes")],
    "reports.export_equity": [get("/reports/equity/export?segment=flag_language")],
    "reports.equity_report": [get("/reports/equity/report?period=q:2026-Q1")],
    "reports.equity_referrals": [get("/reports/equity/referrals?figure=dnas&value=1")],
    "reports.governance_items": [get("/reports/governance")],
    "reports.governance_item": [get("/reports/governance/{governance_id}")],
    "reports.quarterly_review": [get("/reports/governance/quarterly-review")],
    "reports.equity_outcomes": [get("/reports/equity/outcomes?segment=imd_quintile")],
    "reports.export_outcomes": [get("/reports/equity/outcomes/export?segment=imd_quintile")],
    "reports.equity_outreach": [get("/reports/equity/outreach?breakdown=venue&shared=yes")],
    "reports.export_outreach": [get("/reports/equity/outreach/export?breakdown=imd_quintile")],
    "reports.equity_reach": [get("/reports/equity/reach?segment=ethnic_group&shared=yes")],
    "reports.print_reach": [get("/reports/equity/reach/print?segment=flag_language")],
    "reports.export_reach": [get("/reports/equity/reach/export?segment=imd_quintile")],
    "reports.record_governance_plan": [("POST", "/reports/governance/{governance_id}/plan", {"version": "1"}, 400)],
    # no response recorded yet: refused with the reason, nothing saved
    "reports.close_governance_item": [("POST", "/reports/governance/{governance_id}/close", {"version": "1"}, 303)],
    "reports.list_partnership_reviews": [get("/reports/partnership-reviews?page=1")],
    "reports.show_partnership_review": [get("/reports/partnership-reviews/{meeting_id}")],
    "reports.print_partnership_review": [get("/reports/partnership-reviews/{meeting_id}/print")],
    "reports.record_partnership_review": [
        get("/reports/partnership-reviews/new"),
        ("POST", "/reports/partnership-reviews/new", {}, 400),  # empty: errors re-shown, nothing saved
    ],
    "reports.edit_partnership_minutes": [
        ("POST", "/reports/partnership-reviews/{meeting_id}/minutes", {"version": "1"}, 400)],  # no minutes
    "reports.add_partnership_action": [("POST", "/reports/partnership-reviews/{meeting_id}/actions", {}, 400)],
    # no date: refused with the reason, the action still open
    "reports.complete_partnership_action": [
        ("POST", "/reports/partnership-reviews/actions/{meeting_action_id}/done", {"version": "1"}, 303)],
    "audit.list_samples": [get("/audit/samples")],
    "audit.new_sample": [get("/audit/samples/new"), ("POST", "/audit/samples/new", {}, 400)],
    "audit.show_sample": [get("/audit/samples/{sample_id}")],
    "audit.sample_record": [get("/audit/samples/{sample_id}/records/1"),
                            ("POST", "/audit/samples/{sample_id}/records/1", {}, 400)],
    "audit.sample_summary": [get("/audit/samples/{sample_id}/summary")],
    "audit.export_summary": [get("/audit/samples/{sample_id}/summary/export")],
    "audit.patient_timeline": [get("/audit/patients/{patient_id}/timeline?action=record.viewed")],
    "audit.referral_timeline": [get("/audit/referrals/{referral_id}/timeline")],
    "audit.patient_access": [get("/audit/patients/{patient_id}/access")],
    "audit.user_access": [get("/audit/users/{role_target}/access?first=2026-01-01")],
    "audit.event_log": [get("/audit/log")],
    "audit.verify_log": [("POST", "/audit/log/verify", {}, 400)],  # no signed state: refused
    "admin.list_users": [get("/admin/users")],
    "admin.new_user": [
        get("/admin/users/new"),
        ("POST", "/admin/users/new", {}, 200),
    ],
    "admin.change_role": [("POST", "/admin/users/{role_target}/role", {"role": "clinician", "version": "1"}, 303)],
    "admin.deactivate_user": [("POST", "/admin/users/{deactivate_target}/deactivate", {"version": "1"}, 303)],
    "admin.reset_password": [
        get("/admin/users/{role_target}/reset-password"),
        ("POST", "/admin/users/{role_target}/reset-password", {}, 200),  # no password: errors re-shown
    ],
    "imports.new_import": [get("/imports/"), ("POST", "/imports/", {}, 400)],  # no file
    "imports.show_import": [get("/imports/{import_id}")],
    "imports.confirm_import": [("POST", "/imports/{import_id}/confirm", {}, 400)],  # no mode: nothing imported
    "imports.import_next_rows": [("POST", "/imports/{import_id}/next-rows", {}, 303)],  # not confirmed: no rows
    "imports.download_rejects": [get("/imports/{import_id}/rejects")],
    "outreach.list_partners": [get("/outreach/partners")],
    "outreach.add_partner": [get("/outreach/partners/new"), ("POST", "/outreach/partners/new", {}, 400)],
    "outreach.edit_partner": [get("/outreach/partners/{partner_id}/edit"),
                              ("POST", "/outreach/partners/{partner_id}/edit", {"version": "1"}, 400)],
    "outreach.list_venues": [get("/outreach/venues")],
    "outreach.add_venue": [get("/outreach/venues/new"), ("POST", "/outreach/venues/new", {}, 400)],
    "outreach.edit_venue": [get("/outreach/venues/{venue_id}/edit"),
                            ("POST", "/outreach/venues/{venue_id}/edit", {"version": "1"}, 400)],
    "outreach.list_sessions": [get("/outreach/sessions?page=2")],
    "outreach.plan_session": [get("/outreach/sessions/new"), ("POST", "/outreach/sessions/new", {}, 400)],
    # no reason: refused, the session stays planned
    "outreach.cancel_session": [get("/outreach/sessions/{outreach_session_id}/cancel"),
                                ("POST", "/outreach/sessions/{outreach_session_id}/cancel", {"version": "1"}, 400)],
    "outreach.my_sessions": [get("/outreach/my-sessions")],
    "outreach.record_plan": [get("/outreach/patients/{patient_id}/plans/new"),
                             ("POST", "/outreach/patients/{patient_id}/plans/new", {}, 400)],
    "outreach.mark_step_done": [get("/outreach/plan-steps/{step_id}/done"),
                                ("POST", "/outreach/plan-steps/{step_id}/done", {"version": "1"}, 400)],
    "auth.change_password": [
        get("/auth/change-password"),
        ("POST", "/auth/change-password", {}, 200),  # empty: errors re-shown, the password as it was
    ],
    # the sample session names other clinicians: the role may come this far, and the domain refuses the rest
    # (a named clinician's page and sends: tests/blueprints/test_outreach_records.py)
    "outreach_records.record_page": [get("/outreach/sessions/{outreach_session_id}/record", 403)],
    "outreach_records.receive_record": [("POST", "/outreach/sessions/{outreach_session_id}/records", {}, 403)],
    "outreach_records.csrf_token": [get("/outreach/csrf-token")],
    "contact_tasks.worklist": [get("/contact-problems/?page=2")],
    "contact_tasks.show_task": [get("/contact-problems/{contact_task_id}")],
    # no note: errors re-shown, the problem stays open
    "contact_tasks.close_task": [("POST", "/contact-problems/{contact_task_id}/close", {"version": "1"}, 400)],
    "auth.logout": [("POST", "/auth/logout", {}, 303)],
}
#: sample ids the URLs above use, for the coverage test (the matrix tests make real ones)
SAMPLE_IDS = {"referral_id": 1, "patient_id": 1, "nhs_number": "9434765919", "role_target": 2,
              "deactivate_target": 3, "accepted_id": 2, "appointment_id": 1, "clarification_id": 1, "review_id": 4,
              "check_id": 1, "adjustment_id": 1, "senior_review_id": 1, "concern_id": 1, "rejected_id": 6,
              "governance_id": 1, "sample_id": 1, "import_id": 1, "partner_id": 1, "venue_id": 1,
              "outreach_session_id": 1, "step_id": 1, "meeting_id": 1, "meeting_action_id": 1, "outreach_record_id": 1,
              "contact_task_id": 1}


@pytest.fixture(scope="module")
def url_map():
    return make_app("sqlite://").url_map


@pytest.fixture
def sample_ids(app):
    """Committed before any request: a received referral (so a patient) with a reasonable adjustment, an accepted
    one with a booked appointment, one awaiting clarification, a flagged one awaiting a senior's sign-off of its
    rejection, one whose missed appointment opened a barrier check, a rejected one, a safeguarding concern, an
    equity governance item, two users for the admin routes to act on, an outreach session next week and an engagement
    plan on the first patient, a partnership review meeting with an open action, and an outreach record from a
    session naming another clinician."""
    with app.app_context():
        made = one_of_each(db.session)
        clinician, referral, accepted = made.clinician, made.referral, made.accepted
        appointment, item, review, check, adjustment = (made.appointment, made.clarification, made.review,
                                                        made.check, made.adjustment)
        rejected = make_referral(db.session)
        propose_rejection(db.session, clinician, rejected)  # not flagged: rejected at once
        concern = safeguarding.raise_concern(db.session, clinician, referral,
                                             safeguarding.ConcernDetails("self_neglect", "Home very cold"))
        governance_item = governance.open_item(db.session, "msk", "2026-01", 3.5, 1.8, 2.0, breach=True,
                                               special_cause=False)
        this_month = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")
        sample = audit_sampling.draw_sample(db.session, staff(db.session, "auditor", "sample.auditor"),
                                            audit_sampling.SampleRequest("rejected_referral", this_month, this_month,
                                                                         5, 1))
        assert sample.taken == 1
        named = staff(db.session, "clinician", "named.outreach")
        outreach_record = received(db.session, named, planned_session(
            db.session, staff(db.session, "manager", "reconciling.manager"), [named]))
        upload = csv_text([intake_row(nhs_number="1234567890")])  # one row with an error, for the rejects
        staged = import_jobs.stage_import(db.session, staff(db.session, "manager", "sample.manager"), "sample.csv",
                                          io.StringIO(upload, newline=""), len(upload))
        manager = staff(db.session, "manager", "outreach.manager")
        planned = planned_session(db.session, manager, [clinician], starts_at=datetime.now(UTC) + timedelta(days=7))
        plan = engagement_plans.record_plan(db.session, clinician, referral.patient, engagement_plans.parse_plan(
            db.session, plan_form(planned.venue.partner), datetime.now(UTC).astimezone(LONDON).date()))
        partner = outreach.add_partner(db.session, manager, outreach.parse_partner({
            "name": "Harbour Housing", "kind": "housing", "sharing_agreement": "Outreach ISA v2"}))
        meeting = recorded_meeting(db.session, manager, [partner.id])
        meeting_action = partnership_reviews.add_action(db.session, manager, meeting, {
            "description": "Find an indoor waiting space", "lead_name": "Priya Shah", "due_on": HELD_ON})
        ids = {"referral_id": referral.id, "patient_id": referral.patient_id,
               "nhs_number": referral.patient.nhs_number,
               "role_target": make_user(db.session, "booking", "target.role").id,
               "deactivate_target": make_user(db.session, "booking", "target.off").id,
               "accepted_id": accepted.id, "appointment_id": appointment.id, "clarification_id": item.id,
               "review_id": review.id, "check_id": check.id, "adjustment_id": adjustment.id,
               "senior_review_id": reviews.pending_review(db.session, review.id).id, "concern_id": concern.id,
               "rejected_id": rejected.id, "governance_id": governance_item.id,
               "sample_id": sample.id, "import_id": staged.id, "partner_id": planned.venue.partner_id,
               "venue_id": planned.venue_id, "outreach_session_id": planned.id, "step_id": plan.steps[0].id,
               "meeting_id": meeting.id, "meeting_action_id": meeting_action.id,
               "outreach_record_id": outreach_record.id,
               "contact_task_id": open_contact_task(db.session, referral).id}
        assert (accepted.state, accepted.version, appointment.version, item.version, review.state) == (
            "accepted", 3, 1, 1, "rejection_review")
        assert (check.completed_at, check.version, adjustment.status, adjustment.version) == (None, 1, "active", 1)
        assert (rejected.state, concern.status, review.version) == ("rejected", "open", 2)
        db.session.commit()
    return ids


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _send(client, method: str, url: str, data: dict | None):
    return post_form(client, url, data or {}) if method == "POST" else client.get(url)


def test_every_route_has_a_policy_and_a_sample_request(url_map):
    """A new route fails here until it is in security.ACCESS and in ROUTES, with every method it accepts."""
    adapter = url_map.bind("localhost")
    for rule in url_map.iter_rules():
        if rule.endpoint in security.PUBLIC or security.token_authenticated(rule.endpoint):
            continue
        assert rule.endpoint in security.ACCESS, f"{rule.endpoint} missing from security.ACCESS"
        assert rule.endpoint in ROUTES, f"{rule.endpoint} missing from ROUTES in this test"
        tested = {method for method, *_ in ROUTES[rule.endpoint]}
        assert rule.methods - {"HEAD", "OPTIONS"} <= tested, f"{rule.endpoint}: untested methods"
    for endpoint, requests in ROUTES.items():
        for method, url, _data, _status in requests:
            path, _, query = url.format(**SAMPLE_IDS).partition("?")
            matched, _args = adapter.match(path, method=method, query_args=query)
            assert matched == endpoint, f"{method} {url} reaches {matched}, not {endpoint}"


#: what an auditor may write: their own samples and findings, which change nothing clinical
AUDIT_WRITES = frozenset({"audit.new_sample", "audit.sample_record", "audit.verify_log"})
#: what every role may write: signing out and their own password
OWN_ACCOUNT = frozenset({"auth.logout", "auth.change_password"})


def test_policy_keeps_auditors_read_only_and_admin_to_managers(url_map):
    for rule in url_map.iter_rules():
        allowed = security.ACCESS.get(rule.endpoint, frozenset())
        if rule.methods - {"GET", "HEAD", "OPTIONS"} and rule.endpoint not in {*OWN_ACCOUNT, *AUDIT_WRITES}:
            assert "auditor" not in allowed, f"auditors may change data through {rule.endpoint}"
        if rule.endpoint in AUDIT_WRITES:
            assert rule.endpoint.startswith("audit."), "auditors write to the audit workspace only"
        if rule.endpoint.startswith("admin."):
            assert allowed == {"manager"}, f"{rule.endpoint} is open to {set(allowed)}"
    assert set(ROLES) == {"booking", "clinician", "senior", "auditor", "manager"}
    for endpoint in ("discharge.review_queue", "discharge.show_review", "discharge.decide_review",
                     "safeguarding.close_concern"):
        assert security.ACCESS[endpoint] == {"senior"}, f"only a senior may reach {endpoint}"
    for endpoint in ("discharge.request_discharge", "safeguarding.raise_concern", "safeguarding.route_concern",
                     "safeguarding.record_action", "urgent_contacts.record_urgent_contact",
                     "questionnaires.record_answers", "questionnaires.worklist"):
        assert security.ACCESS[endpoint] == {"clinician", "senior"}, f"{endpoint}: {security.ACCESS[endpoint]}"
    for endpoint in ("adjustments.patient_register", "adjustments.overdue_reviews"):
        assert security.ACCESS[endpoint] == set(ROLES), f"every role may read {endpoint}"
    for endpoint, allowed in security.ACCESS.items():
        assert allowed == DECIDED.get(endpoint, allowed), f"{endpoint} is open to {set(allowed)}"


#: booking contacts and books; clinical and safeguarding judgements are clinicians' and seniors'; audit samples and
#: findings are the auditor's alone; managers read the event log but do not audit
BOOKING_WORK, CLINICAL_JUDGEMENT, AUDIT_LOG = ({"booking", "clinician", "senior"}, {"clinician", "senior"},
                                               {"auditor", "manager"})
DECIDED = {
    **{e: BOOKING_WORK for e in ("intake.new_referral", "intake.lookup_patient", "intake.re_refer", "triage.worklist",
                                 "intake.refer_patient", "intake.find_organisations",
                                 "triage.triage_referral", "triage.preview_suggestions", "triage.correct_flags",
                                 "clarification.worklist",
                                 "clarification.show_clarification", "clarification.log_attempt",
                                 "clarification.close_clarification", "appointments.book_appointment",
                                 "appointments.rebook_appointment", "dna.worklist", "dna.show_check",
                                 "dna.save_barriers", "dna.log_attempt", "patients.search_patients",
                                 "questionnaire_links.issue_link")},
    **{e: CLINICAL_JUDGEMENT for e in ("dna.complete_check", "appointments.record_outcome",
                                       "appointments.record_past_contact", "patients.edit_patient",
                                       "patients.verify_identity",
                                       "adjustments.record_adjustment", "adjustments.edit_adjustment",
                                       "adjustments.end_adjustment")},
    **{e: CLINICAL_JUDGEMENT for e in ("outreach_reconciliation.list_records", "outreach_reconciliation.show_record",
                                       "outreach_reconciliation.link_record", "outreach_reconciliation.refer_and_link",
                                       "outreach_reconciliation.register_patient")},
    "outreach_reconciliation.undo_link": {"senior"},
    **{e: {"auditor"} for e in ("audit.list_samples", "audit.new_sample", "audit.show_sample", "audit.sample_record",
                                "audit.sample_summary", "audit.export_summary")},
    **{e: CLINICAL_JUDGEMENT for e in ("outreach_records.record_page", "outreach_records.receive_record",
                                       "outreach_records.csrf_token")},
    **{f"outreach.{e}": {"manager"} for e in ("list_partners", "add_partner", "edit_partner", "list_venues",
                                               "add_venue", "edit_venue", "list_sessions", "plan_session",
                                               "cancel_session")},
    **{f"outreach.{e}": CLINICAL_JUDGEMENT for e in ("my_sessions", "record_plan", "mark_step_done")},
    **{e: {"senior", "manager"} for e in ("reports.record_partnership_review", "reports.edit_partnership_minutes",
                                         "reports.add_partnership_action", "reports.complete_partnership_action")},
    **{e: {"senior", "auditor", "manager"} for e in ("reports.list_partnership_reviews",
                                                     "reports.show_partnership_review",
                                                     "reports.print_partnership_review")},
    # the equity reports: aggregates, and the referrals behind a count, for those who govern the service
    **{e: {"senior", "auditor", "manager"} for e in ("reports.equity_dashboard", "reports.export_equity",
                                                     "reports.equity_report", "reports.equity_referrals",
                                                     "reports.equity_outcomes", "reports.export_outcomes",
                                                     "reports.equity_outreach", "reports.export_outreach")},
    # contact problems are booking's work, as clarifications are; no manager or auditor works the list
    **{e: BOOKING_WORK for e in ("contact_tasks.worklist", "contact_tasks.show_task", "contact_tasks.close_task")},
    **{e: {"senior", "auditor", "manager"} for e in ("reports.equity_reach", "reports.print_reach",
                                                      "reports.export_reach")},
    # contact details are personal: the care team reads them, the booking team (clinicians too) keeps them
    "patients.show_contact_details": {"booking", "clinician", "senior", "auditor"},
    "patients.edit_contact_details": BOOKING_WORK,
    **{e: AUDIT_LOG for e in ("audit.patient_timeline", "audit.referral_timeline", "audit.patient_access",
                              "audit.user_access", "audit.event_log", "audit.verify_log")},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_allows(app, client, login_as, sample_ids, role):
    user_id = login_as(role)
    denied_before = len(events(app, "access.denied"))
    wrong, denials = [], 0
    for endpoint, requests in ROUTES.items():
        allowed = role in security.ACCESS[endpoint]
        for method, url, data, ok_status in requests:
            response = _send(client, method, url.format(**sample_ids), data)
            expected = ok_status if allowed else 403
            denials += not allowed
            if response.status_code != expected:
                wrong.append(f"{method} {url} ({endpoint}): {response.status_code}, expected {expected}")
    assert not wrong, f"{role}: " + "; ".join(wrong)
    with app.app_context():  # the table's posts are refused or incomplete: the sample records are as they were
        check = db.session.get(BarrierCheck, sample_ids["check_id"])
        adjustment = db.session.get(ReasonableAdjustment, sample_ids["adjustment_id"])
        assert (check.completed_at, check.version, check.attempts) == (None, 1, [])
        assert (adjustment.status, adjustment.version, rows(ReasonableAdjustment)) == ("active", 1, 1)
        concern = db.session.get(SafeguardingConcern, sample_ids["concern_id"])
        assert (concern.status, concern.version, concern.actions) == ("open", 1, [])
        review = db.session.get(SeniorReview, sample_ids["senior_review_id"])
        assert (review.decided_at, review.referral.state) == (None, "rejection_review")
        assert (rows(Referral), rows(SafeguardingConcern), rows(UrgentContact), rows(QuestionnaireResponse)) == (
            6, 1, 0, 0)
        planned = db.session.get(OutreachSession, sample_ids["outreach_session_id"])
        step = db.session.get(EngagementStep, sample_ids["step_id"])
        assert (planned.status, planned.version, step.done_on, rows(Partner), rows(EngagementPlan)) == (
            "planned", 1, None, 3, 1)
        meeting_action = db.session.get(ReviewAction, sample_ids["meeting_action_id"])
        assert (rows(PartnershipReview), rows(ReviewAction), meeting_action.done_on) == (1, 1, None)
        assert (meeting_action.review.version, meeting_action.version) == (1, 1)
        assert db.session.get(ContactTask, sample_ids["contact_task_id"]).closed_at is None
    denied = events(app, "access.denied")[denied_before:]
    assert len(denied) == denials, "every refusal is written to the event log"
    assert all(event.actor_id == user_id and event.actor_role == role for event in denied)


#: where a page leads: links, form actions and htmx requests (query strings and fragments left off)
OFFERED = re.compile(r'\b(?:href|action|hx-get|hx-post)="(/[^"?#]*)')


@pytest.mark.parametrize("role", ROLES)
def test_pages_offer_only_what_the_role_may_do(client, login_as, url_map, sample_ids, role):
    """Every link, form and htmx request on every page a role may open leads where that role may go."""
    login_as(role)
    adapter = url_map.bind("localhost")
    wrong = set()
    for page, requests in ROUTES.items():
        for method, url, _data, status in requests:
            if method != "GET" or status != 200 or role not in security.ACCESS[page]:
                continue
            for path in OFFERED.findall(client.get(url.format(**sample_ids)).get_data(as_text=True)):
                try:
                    target, _args = adapter.match(path, method="GET")
                except MethodNotAllowed:
                    target, _args = adapter.match(path, method="POST")
                if target not in security.PUBLIC and role not in security.ACCESS[target]:
                    wrong.add(f"{page} offers {target}")
    assert not wrong, f"{role}: {sorted(wrong)}"


def test_anonymous_requests_go_to_sign_in_with_next(app, client, sample_ids):
    wrong = []
    for endpoint, requests in ROUTES.items():
        for method, url, data, _status in requests:
            target = url.format(**sample_ids)
            response = _send(client, method, target, data)
            location = urlsplit(response.headers.get("Location", ""))
            next_url = parse_qs(location.query).get("next", [None])[0]
            if (response.status_code, location.path, next_url) != (302, "/auth/login", target):
                wrong.append(f"{method} {target} ({endpoint}): {response.status_code} {location.geturl()}")
    assert not wrong, wrong
    assert not events(app, "record.viewed"), "nothing was shown to an anonymous visitor"


def test_unknown_ids_are_404_for_allowed_roles_and_403_for_others(app, client, login_as):
    login_as("auditor")
    assert client.get("/referrals/999999").status_code == 404
    assert client.get("/patients/999999").status_code == 404
    assert client.get("/patients/999999/edit").status_code == 403  # the role check comes before the lookup


#: a sample id in a URL -> (patient_id, referral_id) of the record the page shows; the first that the URL names wins
SHOWN = {
    "{sample_id}/records/": lambda ids: _sampled(db.session.get(AuditSample, ids["sample_id"]).records[0]),
    "{referral_id}": lambda ids: _referral(Referral, ids["referral_id"]),
    "{accepted_id}": lambda ids: _referral(Referral, ids["accepted_id"]),
    "{rejected_id}": lambda ids: _referral(Referral, ids["rejected_id"]),
    "{appointment_id}": lambda ids: _referral(Appointment, ids["appointment_id"]),
    "{clarification_id}": lambda ids: _referral(Clarification, ids["clarification_id"]),
    "{check_id}": lambda ids: _referral(BarrierCheck, ids["check_id"]),
    "{senior_review_id}": lambda ids: _referral(SeniorReview, ids["senior_review_id"]),
    "{concern_id}": lambda ids: _referral(SafeguardingConcern, ids["concern_id"]),
    "{adjustment_id}": lambda ids: (db.session.get(ReasonableAdjustment, ids["adjustment_id"]).patient_id, None),
    "{contact_task_id}": lambda ids: _task(db.session.get(ContactTask, ids["contact_task_id"])),
    "{patient_id}": lambda ids: (ids["patient_id"], None),
    "{nhs_number}": lambda ids: (ids["patient_id"], None),
}
#: htmx fragments that re-render part of a page whose full load was logged already
FRAGMENTS = frozenset({"triage.preview_suggestions"})


def _referral(model, row_id: int) -> tuple[int, int]:
    """The referral a row belongs to (or is): its patient and itself."""
    row = db.session.get(model, row_id)
    referral = row if model is Referral else db.session.get(Referral, row.referral_id)
    return referral.patient_id, referral.id


def _task(task: ContactTask) -> tuple[int, int | None]:
    return task.patient_id, task.referral_id


def _sampled(record: AuditSampleRecord) -> tuple[int, int | None]:
    return record.patient_id, record.referral_id


#: (endpoint, url, what it shows) for every page ROUTES opens on one patient's record: a new one is crawled below
PATIENT_PAGES = [(endpoint, url, next(key for key in SHOWN if key in url))
                 for endpoint, requests in ROUTES.items() if endpoint not in FRAGMENTS
                 for method, url, _data, status in requests
                 if method == "GET" and status == 200 and any(key in url for key in SHOWN)]


def test_the_crawl_finds_the_pages_that_show_a_patient():
    crawled = {endpoint for endpoint, *_ in PATIENT_PAGES}
    assert {"triage.triage_referral", "clarification.show_clarification", "appointments.book_appointment",
            "appointments.rebook_appointment", "dna.show_check", "adjustments.patient_register",
            "adjustments.edit_adjustment", "discharge.show_review", "safeguarding.show_concern", "intake.re_refer",
            "intake.refer_patient",
            "patients.edit_patient", "audit.sample_record", "audit.patient_timeline",
            "contact_tasks.show_task"} <= crawled


@pytest.mark.parametrize("role", ROLES)
def test_every_page_that_shows_a_patient_logs_one_view(app, client, login_as, sample_ids, role):
    """Who saw this patient: each page a role may open on a record logs exactly one view naming it."""
    user_id = login_as(role)
    with app.app_context():
        shown = {key: load(sample_ids) for key, load in SHOWN.items()}
    missing = []
    for endpoint, url, key in PATIENT_PAGES:
        if role not in security.ACCESS[endpoint]:
            continue
        before = len(events(app, "record.viewed"))
        assert client.get(url.format(**sample_ids)).status_code == 200, url
        viewed = [(event.actor_id, event.patient_id, event.referral_id)
                  for event in events(app, "record.viewed")[before:]]
        if viewed != [(user_id, *shown[key])]:
            missing.append(f"{endpoint}: {viewed}")
    assert not missing, f"{role}: " + "; ".join(missing)
