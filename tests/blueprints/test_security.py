"""CSRF, security headers, safe redirects, cookie flags, revocable sessions and escaping of user data."""
import io
import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from config import Config, TestConfig
from inclusive_access import security
from inclusive_access.domain import (
    audit_sampling,
    engagement_plans,
    governance,
    import_jobs,
    outreach,
    outreach_reconciliation,
    outreach_registration,
    partnership_reviews,
    questionnaire_links,
    reviews,
    safeguarding,
)
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import (
    AdjustmentDelivery,
    Appointment,
    AuditFinding,
    AuditSample,
    BarrierCheck,
    BarrierContactAttempt,
    Clarification,
    ContactAttempt,
    ContactDetails,
    ContactTask,
    EngagementPlan,
    EngagementStep,
    GovernanceItem,
    ImportJob,
    ImportRow,
    OutboxMessage,
    OutreachSession,
    Partner,
    PartnershipReview,
    Patient,
    QuestionnaireLink,
    QuestionnaireResponse,
    ReasonableAdjustment,
    Referral,
    ReviewAction,
    SafeguardingAction,
    SafeguardingConcern,
    SeniorReview,
    TriageRecord,
    UrgentContact,
    User,
    UserSession,
    Venue,
)
from tests.blueprints.pages import sign_in
from tests.blueprints.records import SCRIPT_FORM, accept, count, events, one_of_each, propose_rejection
from tests.conftest import ON_BOTH_DATABASES, PASSWORD, make_app, post_form
from tests.factories import csv_text, intake_form, intake_row, make_referral, make_user, next_nhs_number, staff
from tests.outreach_factories import plan_form, planned_session, received
from tests.partnership_factories import HELD_ON, meeting_form, recorded_meeting
from tests.status_factories import open_contact_task

XSS = "<script>alert(1)</script>"
TODAY = datetime.now(LONDON).date()
NEXT_WEEK = (TODAY + timedelta(days=7)).isoformat()
TWENTY_MINUTES_AGO = (datetime.now(UTC) - timedelta(minutes=20)).astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def referral_ids(app, made_once):
    """A received referral (its patient with an adjustment); an accepted one with an appointment; one awaiting
    clarification; one in rejection review; one whose missed appointment opened a barrier check; an outreach session
    next week and an engagement plan; and three outreach records of a session naming "outreach.clinician": one to
    reconcile, one linked (for a senior's undo), and one registered as a new patient whose identity is not verified."""
    return made_once("referral_ids", lambda: _one_of_everything(app))


def _one_of_everything(app) -> dict:
    made = one_of_each(db.session)
    booking, clinician, referral, accepted = made.booking, made.clinician, made.referral, made.accepted
    appointment, item, review, check, adjustment = (made.appointment, made.clarification, made.review,
                                                    made.check, made.adjustment)
    plain_accepted = make_referral(db.session)
    accept(db.session, booking, plain_accepted)
    rejected = make_referral(db.session)
    propose_rejection(db.session, clinician, rejected)
    concern = safeguarding.raise_concern(db.session, clinician, referral,
                                         safeguarding.ConcernDetails("other", "Unexplained bruising"))
    unanswered = governance.open_item(db.session, "msk", "2026-01", 3.5, 1.8, 2.0, breach=True,
                                      special_cause=False)
    answered = governance.open_item(db.session, "msk", "2025-01", 4.0, 2.0, 2.0, breach=True,
                                    special_cause=False)
    governance.record_plan(db.session, staff(db.session, "manager", "planning.manager"), answered, 1,
                           governance.Plan("Clinic closed for a month", "Evening clinics in Chapeltown",
                                           "Ama Mensah", date(2025, 4, 1), "2025-06"),
                           now=datetime(2025, 3, 1, 12, tzinfo=UTC))
    this_month = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")
    sample = audit_sampling.draw_sample(db.session, staff(db.session, "auditor", "sampling.auditor"),
                                        audit_sampling.SampleRequest("rejected_referral", this_month, this_month,
                                                                     5, 1))
    manager = staff(db.session, "manager", "importing.manager")
    staged, importing = (import_jobs.stage_import(db.session, manager, "march.csv",
                                                  io.StringIO(csv_text([intake_row()])), 100) for _ in range(2))
    import_jobs.confirm_import(db.session, manager, importing, import_jobs.VALID_ROWS)
    link = questionnaire_links.issue_link(db.session, booking, referral, app.extensions["instruments"]["psfs"],
                                          "first_contact", False, questionnaire_links.LinkRules(),
                                          questionnaire_links.signer(TestConfig.SECRET_KEY))
    planned = planned_session(db.session, staff(db.session, "manager", "outreach.manager"), [clinician],
                              starts_at=datetime.now(UTC) + timedelta(days=7))
    plan = engagement_plans.record_plan(db.session, clinician, referral.patient, engagement_plans.parse_plan(
        db.session, plan_form(planned.venue.partner), TODAY))
    partner = outreach.add_partner(db.session, manager, outreach.parse_partner({
        "name": "Harbour Housing", "kind": "housing", "sharing_agreement": "Outreach ISA v2"}))
    meeting = recorded_meeting(db.session, manager, [partner.id])
    meeting_action = partnership_reviews.add_action(db.session, manager, meeting, {
        "description": "Find an indoor waiting space", "lead_name": "Priya Shah", "due_on": HELD_ON})
    named = staff(db.session, "clinician", OUTREACH_CLINICIAN)
    reconciling = planned_session(db.session, staff(db.session, "manager", "reconciling.manager"), [named])
    to_reconcile, linked, registered = (received(db.session, named, reconciling) for _ in range(3))
    outreach_reconciliation.link(db.session, named, linked, referral, linked.version)
    unverified = outreach_registration.register_and_link(db.session, named, registered, registered.version)
    ids = {"referral_id": referral.id, "patient_id": referral.patient_id,
           "nhs_number": referral.patient.nhs_number, "accepted_id": accepted.id,
           "appointment_id": appointment.id, "clarification_id": item.id, "review_id": review.id,
           "check_id": check.id, "adjustment_id": adjustment.id, "plain_accepted_id": plain_accepted.id,
           "senior_review_id": reviews.pending_review(db.session, review.id).id, "rejected_id": rejected.id,
           "concern_id": concern.id, "governance_id": unanswered.id, "answered_governance_id": answered.id,
           "sample_id": sample.id, "patient_version": referral.patient.version, "staged_job_id": staged.id,
           "importing_job_id": importing.id, "link_token": link.token, "partner_id": planned.venue.partner_id,
           "venue_id": planned.venue_id, "outreach_session_id": planned.id, "step_id": plan.steps[0].id,
           "outreach_clinician_id": clinician.user_id,
           "meeting_id": meeting.id, "meeting_action_id": meeting_action.id,
           "outreach_record_id": to_reconcile.id,
           "linked_record_id": linked.id, "unverified_patient_id": unverified.id,
           "closed_patient_id": rejected.patient_id,
           "contact_task_id": open_contact_task(db.session, referral).id}
    assert (plain_accepted.version, review.version, rejected.state) == (2, 2, "rejected")
    return ids


def _other_user(app, role: str, username: str) -> int:
    with app.app_context():
        user_id = make_user(db.session, role=role, username=username).id
        db.session.commit()
    return user_id


# -- CSRF ------------------------------------------------------------------------------------------------------

#: the clinician named on the outreach session of the records above: before reconciliation they are theirs alone
OUTREACH_CLINICIAN = "outreach.clinician"
#: every unsafe route, with a role allowed to use it (or an existing user of that role, as (role, username)) and
#: data that would succeed with a token
UNSAFE = {
    "auth.login": (None, "/auth/login", {"username": "target.user", "password": "correct horse battery"}),
    "auth.logout": ("booking", "/auth/logout", {}),
    "auth.change_password": ("booking", "/auth/change-password",
                             {"current_password": "correct horse battery", "new_password": "plum orbit lantern 42",
                              "confirm_password": "plum orbit lantern 42"}),
    "intake.new_referral": ("booking", "/intake/new", "intake"),
    "patients.edit_patient": ("clinician", "/patients/{patient_id}/edit", "patient"),
    "admin.new_user": ("manager", "/admin/users/new",
                       {"username": "new.user", "display_name": "New User", "role": "booking",
                        "password": "a long enough password"}),
    "admin.change_role": ("manager", "/admin/users/{target}/role", {"role": "senior", "version": "1"}),
    "admin.deactivate_user": ("manager", "/admin/users/{target}/deactivate", {"version": "1"}),
    "admin.reset_password": ("manager", "/admin/users/{target}/reset-password",
                             {"password": "a temporary passphrase", "version": "1"}),
    "triage.triage_referral": ("booking", "/triage/referrals/{referral_id}",
                               {**SCRIPT_FORM, "outcome": "accept", "version": "1"}),
    "triage.correct_flags": ("booking", "/triage/referrals/{referral_id}/flags",
                             {"flags": ["carer"], "reason": "Cares for her mother", "version": "1"}),
    "discharge.request_discharge": ("clinician", "/discharge/referrals/{plain_accepted_id}/request",
                                    {"reason": "patient_choice", "reason_text": "Prefers the GP practice nurse",
                                     "submission_token": "csrf-discharge", "version": "2"}),
    "discharge.decide_review": ("senior", "/discharge/reviews/{senior_review_id}/decision",
                                {"decision": "continue", "rationale": "Falls service has a waiting list",
                                 "plan": "Triage again with the falls notes", "version": "2"}),
    "safeguarding.raise_concern": ("clinician", "/safeguarding/referrals/{referral_id}/new",
                                   {"category": "self_neglect", "concern": "No heating, little food",
                                    "followed_delay": "not_known", "submission_token": "csrf-concern"}),
    "safeguarding.route_concern": ("clinician", "/safeguarding/{concern_id}/route",
                                   {"routed_to": "Adult safeguarding hub", "routed_on": TODAY.isoformat(),
                                    "reference": "ASH-1", "version": "1"}),
    "safeguarding.record_action": ("clinician", "/safeguarding/{concern_id}/actions",
                                   {"action": "Spoke to the GP"}),
    "safeguarding.close_concern": ("senior", "/safeguarding/{concern_id}/close",
                                   {"outcome": "Care package in place", "summary": "No further concern",
                                    "version": "1"}),
    "urgent_contacts.record_urgent_contact": ("clinician", "/urgent-contacts/referrals/{referral_id}/new",
                                              {"kind": "crisis_team", "occurred_on": TODAY.isoformat(),
                                               "source": "carer", "followed_delay": "no",
                                               "submission_token": "csrf-urgent"}),
    "questionnaires.record_answers": ("clinician", "/questionnaires/referrals/{referral_id}/psfs/new",
                                      {"time_point": "first_contact", "mode": "telephone", "item_activity_1": "2",
                                       "answered_day": str(TODAY.day), "answered_month": str(TODAY.month),
                                       "answered_year": str(TODAY.year), "submission_token": "csrf-answers"}),
    "intake.refer_patient": ("booking", "/intake/patients/{patient_id}/refer", "patient on file"),
    "questionnaire_links.issue_link": ("booking", "/questionnaire-links/referrals/{referral_id}/new",
                                       {"instrument": "psfs", "time_point": "first_contact", "wording": "plain",
                                        "submission_token": "csrf-link"}),
    # a patient, signed in nowhere, answering through the link
    "patient_link.answer_questionnaire": (None, "/q/{link_token}", {"activity_1": "5"}),
    "imports.new_import": ("manager", "/imports/", "upload"),
    "imports.confirm_import": ("manager", "/imports/{staged_job_id}/confirm", {"mode": "valid_rows"}),
    "imports.import_next_rows": ("manager", "/imports/{importing_job_id}/next-rows", {}),
    "intake.re_refer": ("booking", "/intake/referrals/{rejected_id}/re-refer", "re-referral"),
    "reports.record_governance_plan": ("manager", "/reports/governance/{governance_id}/plan",
                                       {"variance_explanation": "Staff sickness", "corrective_action": "Locum cover",
                                        "lead_name": "Ama Mensah", "due_date": NEXT_WEEK,
                                        "remeasure_month": "2026-06", "version": "1"}),
    "audit.new_sample": ("auditor", "/audit/samples/new",
                         {"record_type": "adjustment", "first_month": "2026-01", "last_month": "2026-06",
                          "size": "10", "seed": "7"}),
    "audit.sample_record": ("auditor", "/audit/samples/{sample_id}/records/1",
                            {"item_reason": "compliant", "item_clarification": "not_applicable",
                             "item_senior_review": "not_applicable", "item_referrer_informed": "partly"}),
    "audit.verify_log": ("auditor", "/audit/log/verify", "verification"),
    "reports.record_partnership_review": ("senior", "/reports/partnership-reviews/new", "meeting"),
    "reports.edit_partnership_minutes": ("manager", "/reports/partnership-reviews/{meeting_id}/minutes",
                                         {"minutes": "Corrected minutes", "version": "1"}),
    "reports.add_partnership_action": ("senior", "/reports/partnership-reviews/{meeting_id}/actions",
                                       {"description": "Share the rota", "lead_name": "Dr Ola Ade",
                                        "due_on": NEXT_WEEK}),
    "reports.complete_partnership_action": ("manager", "/reports/partnership-reviews/actions/{meeting_action_id}/done",
                                            {"done_on": HELD_ON, "version": "1"}),
    "reports.close_governance_item": ("manager", "/reports/governance/{answered_governance_id}/close",
                                      {"closure_note": "Gap closed in June", "version": "2"}),
    "clarification.log_attempt": ("booking", "/clarifications/{clarification_id}/attempts",
                                  {"method": "telephone", "reached": "no", "note": "Voicemail"}),
    "clarification.close_clarification": ("clinician", "/clarifications/{clarification_id}/close",
                                          {"response": "The left knee", "close_reason": "", "version": "1"}),
    "appointments.book_appointment": ("booking", "/appointments/referrals/{accepted_id}",
                                      {"starts_at": NEXT_WEEK + "T10:00", "format": "telephone", "place": "",
                                       "duration_minutes": "30", "notes": "", "submission_token": "csrf-case",
                                       "version": "3"}),
    "appointments.rebook_appointment": ("clinician", "/appointments/{appointment_id}/rebook",
                                        {"starts_at": NEXT_WEEK + "T18:00", "format": "video", "place": "",
                                         "duration_minutes": "30", "notes": "", "version": "1"}),
    "appointments.record_past_contact": ("clinician", "/appointments/referrals/{accepted_id}/past-contact",
                                         {"starts_at": TWENTY_MINUTES_AGO, "format": "clinic", "place": "Drop-in",
                                          "duration_minutes": "20", "outcome": "attended",
                                          "reason": "Seen at the drop-in clinic", "submission_token": "csrf-case",
                                          "version": "3"}),
    "appointments.record_outcome": ("senior", "/appointments/{appointment_id}/outcome",
                                    {"outcome": "cancelled_service", "reason": "Clinician ill", "version": "1"}),
    "dna.save_barriers": ("booking", "/barrier-checks/{check_id}/barriers",
                          {"barriers": ["childcare", "work"], "other_barrier": "", "version": "1"}),
    "dna.log_attempt": ("clinician", "/barrier-checks/{check_id}/attempts",
                        {"method": "telephone", "reached": "yes", "note": "Spoke to the patient"}),
    "dna.complete_check": ("senior", "/barrier-checks/{check_id}/complete",
                           {"outcome": "rebooked", "alternative_format": "evening", "adjustment_category": "",
                            "adjustment_description": "", "consent_basis": "patient", "version": "1"}),
    "adjustments.record_adjustment": ("clinician", "/adjustments/patients/{patient_id}/new",
                                      {"category": "communication_support", "description": "BSL interpreter",
                                       "impairment": "", "consent_basis": "patient", "source": "patient_request",
                                       "applies_to_appointments": "y", "review_date": ""}),
    "adjustments.edit_adjustment": ("clinician", "/adjustments/{adjustment_id}/edit",
                                    {"category": "timing", "description": "Morning appointments only",
                                     "impairment": "", "consent_basis": "patient", "applies_to_appointments": "y",
                                     "review_date": "", "version": "1"}),
    "adjustments.end_adjustment": ("senior", "/adjustments/{adjustment_id}/end",
                                   {"end_reason": "No longer needed", "version": "1"}),
    "outreach.add_partner": ("manager", "/outreach/partners/new",
                             {"name": "Riverside Day Centre", "kind": "voluntary", "sharing_agreement": "ISA 2026"}),
    "outreach.edit_partner": ("manager", "/outreach/partners/{partner_id}/edit",
                              {"name": "Renamed Trust", "kind": "housing", "sharing_agreement": "ISA v3",
                               "version": "1"}),
    "outreach.add_venue": ("manager", "/outreach/venues/new", {"name": "Chapel Hall", "kind": "community"}),
    "outreach.edit_venue": ("manager", "/outreach/venues/{venue_id}/edit",
                            {"name": "Renamed Hostel", "kind": "hostel", "version": "1"}),
    "outreach.plan_session": ("manager", "/outreach/sessions/new", "session plan"),
    "outreach.cancel_session": ("manager", "/outreach/sessions/{outreach_session_id}/cancel",
                                {"cancel_reason": "Hostel closed for repairs", "version": "1"}),
    "outreach.record_plan": ("clinician", "/outreach/patients/{patient_id}/plans/new", "engagement plan"),
    "outreach.mark_step_done": ("clinician", "/outreach/plan-steps/{step_id}/done",
                                {"done_on": TODAY.isoformat(), "done_by": "Nurse Demo", "version": "1"}),
    "outreach_reconciliation.link_record": (("clinician", OUTREACH_CLINICIAN),
                                            "/outreach/reconciliation/{outreach_record_id}/link", "outreach link"),
    "outreach_reconciliation.refer_and_link": (("clinician", OUTREACH_CLINICIAN),
                                               "/outreach/reconciliation/{outreach_record_id}/refer", "outreach refer"),
    "outreach_reconciliation.register_patient": (("clinician", OUTREACH_CLINICIAN),
                                                 "/outreach/reconciliation/{outreach_record_id}/new-patient",
                                                 {"version": "1"}),
    "outreach_reconciliation.undo_link": ("senior", "/outreach/reconciliation/{linked_record_id}/undo",
                                          {"reason": "Different person: another date of birth", "version": "2"}),
    "patients.verify_identity": ("clinician", "/patients/{unverified_patient_id}/verify-identity",
                                 "identity check"),
    "contact_tasks.close_task": ("booking", "/contact-problems/{contact_task_id}/close",
                                 {"note": "Called: new mobile recorded", "version": "1"}),
    "patients.edit_contact_details": ("booking", "/patients/{patient_id}/contact-details/edit",
                                      {"mobile": "07700 900123", "version": "1"}),  # as the contact problem left them
}
#: what the requests above may create or change besides events, users and sessions
WORK = (Referral, TriageRecord, Clarification, ContactAttempt, Appointment, BarrierCheck, BarrierContactAttempt,
        ReasonableAdjustment, AdjustmentDelivery, SeniorReview, SafeguardingConcern, SafeguardingAction,
        GovernanceItem, AuditSample, AuditFinding, ImportJob, ImportRow, UrgentContact, QuestionnaireLink,
        QuestionnaireResponse, Partner, Venue, OutreachSession, EngagementPlan, EngagementStep,
        PartnershipReview, ReviewAction, ContactDetails, OutboxMessage)


def _form_data(data, ids: dict) -> dict:
    if data == "intake":
        return intake_form()
    if data == "re-referral":
        form = intake_form(submission_token="csrf-re-referral")
        return {name: form[name] for name in ("pathway", "referrer_name", "referrer_organisation", "referrer_contact",
                                              "received_at", "reason", "urgency", "submission_token")}
    if data == "verification":  # the signed starting point the verification page hands out (to a head of 0)
        from itsdangerous import URLSafeSerializer

        from inclusive_access.domain.events import GENESIS_HASH
        return {"state": URLSafeSerializer(TestConfig.SECRET_KEY, salt="audit-log-verification")
                .dumps([0, GENESIS_HASH, 0])}
    if data == "patient on file":  # a second referral, on the pathway it is open on, with the reason asked for
        return {**intake_form(nhs_number=ids["nhs_number"]), "patient_version": str(ids["patient_version"]),
                "duplicate_reason": "A second problem"}
    if data == "session plan":
        return {"venue_id": str(ids["venue_id"]), "starts_at": NEXT_WEEK + "T13:00", "ends_at": NEXT_WEEK + "T16:00",
                "clinician_ids": [str(ids["outreach_clinician_id"])]}
    if data == "engagement plan":
        return plan_form(SimpleNamespace(id=ids["partner_id"]))
    if data == "meeting":
        return {**meeting_form(), "partner_ids": [str(ids["partner_id"])]}
    if data == "upload":  # a fresh stream each time: a posted file is read once
        return {"file": (io.BytesIO(csv_text([intake_row()]).encode()), "march.csv")}
    if data == "outreach link":
        return {"referral_id": str(ids["referral_id"]), "version": "1"}
    if data == "outreach refer":  # a patient whose only referral is closed
        return {"patient_id": str(ids["closed_patient_id"]), "version": "1"}
    if data == "identity check":
        return {"nhs_number": next_nhs_number(), "how": "Traced on the Spine", "version": "1"}
    if data == "patient":  # the NHS number is not editable: the form posts the patient's own
        return {**intake_form(given_name="Changed", nhs_number=ids["nhs_number"]), "version": "1"}
    return data


def _work(app) -> tuple:
    """Row counts, and each referral's and appointment's (state, version)."""
    with app.app_context():
        referrals = db.session.execute(select(Referral.id, Referral.state, Referral.version)).all()
        booked = db.session.execute(select(Appointment.id, Appointment.status, Appointment.version)).all()
        closed = (db.session.scalars(select(Clarification.closed_at)).all()
                  + db.session.scalars(select(ContactTask.closed_at)).all())
        checks = db.session.execute(select(BarrierCheck.id, BarrierCheck.version, BarrierCheck.completed_at)).all()
        adjusted = db.session.execute(select(ReasonableAdjustment.id, ReasonableAdjustment.status,
                                             ReasonableAdjustment.version)).all()
        concerns = db.session.execute(select(SafeguardingConcern.id, SafeguardingConcern.status,
                                             SafeguardingConcern.version)).all()
        decided = db.session.scalars(select(SeniorReview.decided_at)).all()
        governed = db.session.execute(select(GovernanceItem.id, GovernanceItem.status, GovernanceItem.version)).all()
        imported = db.session.execute(select(ImportJob.id, ImportJob.state, ImportJob.processed_rows)).all()
        minuted = db.session.execute(select(PartnershipReview.id, PartnershipReview.version)).all()
        done = db.session.execute(select(ReviewAction.id, ReviewAction.version, ReviewAction.done_on)).all()
    return tuple(count(app, model) for model in WORK) + (sorted(referrals), sorted(booked), closed, sorted(checks),
                                                         sorted(adjusted), sorted(concerns), decided, sorted(governed),
                                                         sorted(imported), sorted(minuted), sorted(done))


#: unsafe routes that take JSON from a page's script, not a form, each with its own CSRF case in the file named
JSON_POSTS = {"outreach_records.receive_record": "tests/blueprints/test_outreach_records.py"}


def test_every_unsafe_route_has_a_csrf_case():
    url_map = make_app("sqlite://").url_map
    unsafe = {rule.endpoint for rule in url_map.iter_rules() if rule.methods - {"GET", "HEAD", "OPTIONS"}
              and not security.token_authenticated(rule.endpoint)}  # no cookie authenticates those
    assert unsafe == set(UNSAFE) | set(JSON_POSTS)


def _signed_in_for(app, client, login_as, referral_ids: dict, endpoint: str) -> tuple[str, dict]:
    """Sign in as the endpoint's role or user (none: stay signed out): its address and data that would succeed."""
    role, url, data = UNSAFE[endpoint]
    if isinstance(role, tuple):
        assert sign_in(client, role[1]).status_code == 303
    elif role:
        login_as(role)
    target = _other_user(app, "booking", "target.user")
    return url.format(target=target, **referral_ids), _form_data(data, referral_ids)


@pytest.mark.parametrize("endpoint", sorted(UNSAFE))
def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, login_as, referral_ids, endpoint):
    url, data = _signed_in_for(app, client, login_as, referral_ids, endpoint)
    before = (len(events(app)), count(app, User), count(app, UserSession), _work(app))
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "The page had expired or the form was incomplete" in response.get_data(as_text=True)
    assert (len(events(app)), count(app, User), count(app, UserSession), _work(app)) == before
    signed_in = UNSAFE[endpoint][0] is not None
    assert client.get("/referrals/list").status_code == (200 if signed_in else 302), "signed in as before"


@pytest.mark.parametrize("endpoint", sorted(UNSAFE))
def test_the_same_post_with_the_token_succeeds(app, client, login_as, referral_ids, endpoint):
    """The control for the test above: its data is valid, so only the missing token refused it."""
    url, data = _signed_in_for(app, client, login_as, referral_ids, endpoint)
    before = len(events(app))
    response = post_form(client, url, data)
    # the log verification answers with its result (re-running it on refresh is harmless), a questionnaire link is
    # shown the one time it is made; the rest redirect
    assert response.status_code == (200 if endpoint in ("audit.verify_log", "questionnaire_links.issue_link")
                                    else 303), \
        response.get_data(as_text=True)[:2000]
    assert len(events(app)) > before


def test_a_token_from_another_session_is_refused(app, client, login_as):
    login_as("booking")
    stranger = app.test_client()
    foreign = stranger.csrf_token()
    response = client.post("/intake/new", data={**intake_form(), "csrf_token": foreign})
    assert response.status_code == 400
    assert count(app, Referral) == 0


def test_htmx_post_with_the_token_only_in_the_header_is_accepted(app, client, login_as):
    login_as("booking")
    page = client.get("/intake/new").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)  # as htmx sends it: from the page's hx-headers
    response = client.post("/intake/new", data=intake_form(), headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303
    assert count(app, Referral) == 1
    response = client.post("/auth/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login"


# -- headers ---------------------------------------------------------------------------------------------------
# The suite's client (tests/client.py) checks the security headers of every response; these tests name the kinds of
# response that must carry them, and show the check can fail.

#: page -> (role or None for anonymous, request, expected status, shows patient data)
PAGES = {
    "login page": (None, ("GET", "/auth/login", {}), 200, False),
    "redirect to sign in": (None, ("GET", "/referrals/list", {}), 302, False),
    "referral list": ("booking", ("GET", "/referrals/list", {}), 200, True),
    "list fragment": ("booking", ("GET", "/referrals/list", {"HX-Request": "true"}), 200, True),
    "referral page": ("booking", ("GET", "/referrals/{referral_id}", {}), 200, True),
    "patient page": ("auditor", ("GET", "/patients/{patient_id}", {}), 200, True),
    "patient lookup fragment": ("booking", ("GET", "/intake/patient-lookup?nhs_number={nhs_number}", {}), 200, True),
    "edit form": ("senior", ("GET", "/patients/{patient_id}/edit", {}), 200, True),
    "forbidden": ("auditor", ("GET", "/intake/new", {}), 403, False),
    "not found": ("booking", ("GET", "/referrals/999999", {}), 404, False),
    "bad request": ("booking", ("POST", "/intake/new", {}), 400, False),
}


@pytest.mark.parametrize("page", PAGES)
def test_every_kind_of_response_carries_the_security_headers(app, client, login_as, page):
    role, (method, url, headers), status, patient_data = PAGES[page]
    with app.app_context():
        referral = make_referral(db.session, given_name="Headerson")
        manager = staff(db.session, "manager", "importing.manager")
        staged, importing = (import_jobs.stage_import(db.session, manager, "march.csv",
                                                      io.StringIO(csv_text([intake_row()])), 100) for _ in range(2))
        import_jobs.confirm_import(db.session, manager, importing, import_jobs.VALID_ROWS)
        ids = {"referral_id": referral.id, "patient_id": referral.patient_id,
               "nhs_number": referral.patient.nhs_number}
        db.session.commit()
    if role:
        login_as(role)
    response = client.open(url.format(**ids), method=method, headers=headers)
    assert response.status_code == status
    if patient_data:
        assert "Headerson" in response.get_data(as_text=True), "the page shows the patient"
    if page == "list fragment":
        assert "<html" not in response.get_data(as_text=True)


def test_static_files_carry_headers_but_may_be_cached(client):
    response = client.get("/static/app.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_the_client_refuses_a_response_without_the_security_headers():
    app = make_app("sqlite://")
    served = app.wsgi_app

    def without_csp(environ, start_response):
        def start(status, headers, *args):
            return start_response(status, [h for h in headers if h[0] != "Content-Security-Policy"], *args)
        return served(environ, start)

    app.wsgi_app = without_csp
    with pytest.raises(AssertionError, match="no Content-Security-Policy"):
        app.test_client().get("/health")


# -- next= after sign-in ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "\\\\evil.example",
    "https:/evil.example", "", "referrals/list",
])
def test_next_only_goes_to_local_paths(app, client, target):
    _other_user(app, "booking", "nextuser")
    response = post_form(client, f"/auth/login?next={_quote(target)}", {"username": "nextuser",
                                                                        "password": "correct horse battery"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/referrals/"


@ON_BOTH_DATABASES
def test_next_to_a_local_path_is_honoured(app, client, referral_ids):
    _other_user(app, "booking", "nextuser")
    path = f"/patients/{referral_ids['patient_id']}"
    response = post_form(client, f"/auth/login?next={_quote(path)}",
                         {"username": "nextuser", "password": "correct horse battery"})
    assert response.status_code == 303
    assert response.headers["Location"] == path
    assert client.get(path).status_code == 200


def test_the_next_check_itself():
    assert security.is_safe_next("/patients/1")
    assert security.is_safe_next("/referrals/list?state=received")
    for bad in ("//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", None, "",
                "/\t/evil.example", "/\n/evil.example"):
        assert not security.is_safe_next(bad), bad


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


# -- cookies and sessions --------------------------------------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite_lax(app, client):
    _other_user(app, "booking", "cookieuser")
    response = sign_in(client, "cookieuser")
    assert response.status_code == 303
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert cookies, response.headers
    attributes = {part.strip().lower() for part in cookies[-1].split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert Config.SESSION_COOKIE_SECURE is True, "outside development the cookie is Secure"
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie")), "no remember-me"


def _cookie(app, client) -> str:
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def _with_cookie(app, value: str):
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return replay


def test_a_cookie_replayed_after_logout_gets_the_login_page(app, client, login_as):
    login_as("booking")
    saved = _cookie(app, client)
    assert _with_cookie(app, saved).get("/referrals/list").status_code == 200, "the copy works while signed in"
    assert post_form(client, "/auth/logout", {}).status_code == 303
    response = _with_cookie(app, saved).get("/referrals/list")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    # and through the raw header, as an attacker's script would send it
    raw = app.test_client().get("/referrals/list", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={saved}"})
    assert raw.status_code == 302
    assert raw.headers["Location"].startswith("/auth/login")
    assert count(app, UserSession) == 0
    assert len(events(app, "session.ended")) == 1


def test_a_cookie_from_before_sign_in_does_not_become_signed_in(app, client):
    """No session fixation: the cookie a visitor had before signing in is not the signed-in session."""
    _other_user(app, "booking", "fixated")
    client.get("/auth/login")
    planted = _cookie(app, client)
    assert sign_in(client, "fixated").status_code == 303
    assert _cookie(app, client) != planted
    response = _with_cookie(app, planted).get("/referrals/list")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("action", ["deactivate", "change role"])
def test_a_managers_change_ends_the_users_sessions(app, client, login_as, action):
    victim_id = _other_user(app, "booking", "victim")
    victim = app.test_client()
    assert sign_in(victim, "victim").status_code == 303
    assert victim.get("/referrals/list").status_code == 200
    login_as("manager")
    if action == "deactivate":
        response = post_form(client, f"/admin/users/{victim_id}/deactivate", {"version": "1"})
    else:
        response = post_form(client, f"/admin/users/{victim_id}/role", {"role": "auditor", "version": "1"})
    assert response.status_code == 303
    response = victim.get("/referrals/list")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert count(app, UserSession, UserSession.user_id == victim_id) == 0
    assert client.get("/admin/users").status_code == 200, "the manager's own session goes on"


# -- escaping --------------------------------------------------------------------------------------------------

def test_user_data_is_escaped_on_every_page(app, client, login_as):
    with app.app_context():
        referral = make_referral(db.session, given_name=XSS, family_name='"><img src=x onerror=alert(2)>',
                                 reason=XSS, referrer_name="<b>Dr Bold</b>")
        ids = (referral.id, referral.patient_id, referral.patient.nhs_number)
        db.session.commit()
    login_as("clinician")
    pages = [f"/referrals/{ids[0]}", "/referrals/list", f"/patients/{ids[1]}", f"/patients/{ids[1]}/edit",
             f"/intake/patient-lookup?nhs_number={ids[2]}"]
    for url in pages:
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
        assert XSS not in body, url
        assert "<img" not in body.lower(), url
        assert "<b>Dr Bold" not in body, url
    fragment = client.get("/referrals/list", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "&lt;script&gt;" in fragment
    assert XSS not in fragment
    assert count(app, Patient) == 1


# -- sign-in floods and lockout --------------------------------------------------------------------------------

def _sign_in_from(client, address: str, username: str, password: str = PASSWORD):
    return post_form(client, "/auth/login", {"username": username, "password": password},
                     environ_base={"REMOTE_ADDR": address})


def _verified() -> int:
    from inclusive_access.domain import accounts

    return accounts.password_hasher.verified


def test_a_flood_from_one_address_is_refused_with_429_before_any_password_is_hashed(app, client):
    limit = app.config["LOGIN_SOURCE_LIMIT"] = 20
    for i in range(limit):
        assert _sign_in_from(client, "198.51.100.9", f"guess{i}", "a wrong password").status_code == 200
    before = _verified()
    response = _sign_in_from(client, "198.51.100.9", "guess-next", "a wrong password")
    assert (response.status_code, _verified() - before) == (429, 0)
    assert 0 < int(response.headers["Retry-After"]) <= 5 * 60
    assert "Too many sign-in attempts" in response.get_data(as_text=True)
    for _ in range(5):
        assert _sign_in_from(client, "198.51.100.9", "guess-again", "a wrong password").status_code == 429
    assert _verified() == before, "no refused attempt computed a hash"
    assert len(events(app, "login.throttled")) == 1, "one event for the burst, not one per attempt"
    assert len(events(app, "login.failed")) == limit
    _other_user(app, "booking", "elsewhere")
    assert _sign_in_from(app.test_client(), "198.51.100.10", "elsewhere").status_code == 303, "other addresses go on"


def test_successful_sign_ins_do_not_use_up_an_addresss_allowance(app, client):
    """A ward behind one address signs in all morning: only failures count towards the throttle."""
    app.config["LOGIN_SOURCE_LIMIT"] = 3
    _other_user(app, "booking", "ward.nurse")
    for _ in range(10):
        assert _sign_in_from(app.test_client(), "192.0.2.50", "ward.nurse").status_code == 303


def test_a_flood_on_one_account_from_many_addresses_is_refused_but_not_where_the_user_signs_in(app, client):
    app.config["LOGIN_ACCOUNT_LIMIT"] = 10
    _other_user(app, "booking", "popular")
    usual = app.test_client()
    assert _sign_in_from(usual, "192.0.2.7", "popular").status_code == 303
    for i in range(10):
        assert _sign_in_from(client, f"203.0.113.{i}", "popular", "a wrong password").status_code == 200
    before = _verified()
    refused = _sign_in_from(client, "203.0.113.200", "popular", "a wrong password")
    assert (refused.status_code, _verified() - before) == (429, 0)
    assert int(refused.headers["Retry-After"]) > 0
    stranger = _sign_in_from(app.test_client(), "203.0.113.201", "nobody.at.all", "a wrong password")
    assert stranger.status_code == 200, "the throttle is per account name"
    assert _sign_in_from(app.test_client(), "192.0.2.7", "popular").status_code == 303, \
        "the user still signs in from the address they used before"


def _normalised(response, username: str) -> str:
    """The page without what differs between any two requests: the username typed, the CSRF token, the nonce."""
    body = response.get_data(as_text=True).replace(username, "USERNAME")
    body = re.sub(r'(name="csrf_token"[^>]*? value=|"X-CSRFToken": )"[^"]+"', r"\1TOKEN", body)
    return re.sub(r'nonce="[^"]+"', "NONCE", body)


def test_unknown_deactivated_locked_and_wrong_password_answer_alike_and_each_costs_one_hash(app, client):
    from inclusive_access.domain import accounts
    from inclusive_access.domain.actors import actor_for

    _other_user(app, "booking", "present")
    _other_user(app, "booking", "lockedout")
    with app.app_context():
        manager = make_user(db.session, role="manager", username="the.manager")
        leaver = make_user(db.session, role="booking", username="departed")
        accounts.deactivate_user(db.session, actor_for(manager), leaver)
        db.session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _sign_in_from(client, "192.0.2.1", "lockedout", "a wrong password")
    cases = {"unknown": ("nobody.here", "correct horse battery"),
             "deactivated": ("departed", "correct horse battery"),
             "locked": ("lockedout", "correct horse battery"),
             "wrong password": ("present", "a wrong password")}
    answers, hashes = {}, {}
    for case, (username, password) in cases.items():
        before = _verified()
        response = _sign_in_from(client, "192.0.2.1", username, password)
        hashes[case] = _verified() - before
        answers[case] = (response.status_code, _normalised(response, username))
    assert hashes == dict.fromkeys(cases, 1), "one argon2 check whatever the case"
    assert len(set(answers.values())) == 1, {case: answer[0] for case, answer in answers.items()}
    assert answers["unknown"][0] == 200
    assert "The username or password is not correct" in answers["unknown"][1]


def test_a_stranger_cannot_lock_a_user_out_from_another_address(app, client):
    _other_user(app, "booking", "target.nurse")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _sign_in_from(client, "203.0.113.66", "target.nurse", "a wrong password")
    assert _sign_in_from(client, "203.0.113.66", "target.nurse").status_code == 200, "the stranger's address is locked"
    assert _sign_in_from(app.test_client(), "192.0.2.20", "target.nurse").status_code == 303, \
        "the user at their own address signs in"


# -- idle timeout ----------------------------------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """Server time under the test's control, for the session clock (sign-in, resume and the security hooks)."""
    from inclusive_access.domain import accounts

    class Clock(datetime):
        at = datetime.now(UTC)

        @classmethod
        def now(cls, tz=None):
            return cls.at

    for module in (accounts, security):
        monkeypatch.setattr(module, "datetime", Clock, raising=False)
    return Clock


@ON_BOTH_DATABASES
def test_the_idle_timeout_counts_from_the_last_request_to_the_second(app, client, login_as, clock):
    login_as("booking")
    clock.at += timedelta(seconds=50)  # a request too soon after sign-in to touch the stored session
    assert client.get("/referrals/list").status_code == 200
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    clock.at += idle - timedelta(seconds=1)
    assert client.get("/referrals/list").status_code == 200, "idle one second less than the limit"
    clock.at += idle + timedelta(seconds=1)
    response = client.get("/referrals/list")
    assert response.status_code == 302, "idle one second more than the limit"
    assert response.headers["Location"].startswith("/auth/login")
    assert count(app, UserSession) == 0


# -- changing a password ---------------------------------------------------------------------------------------

NEW_PASSWORD = "plum orbit lantern 42"


def _change(client, current: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    return post_form(client, "/auth/change-password", {"current_password": current, "new_password": new,
                                                       "confirm_password": new if confirm is None else confirm})


def test_a_user_changes_their_password_and_their_other_sessions_end(app, client, login_as):
    user_id = login_as("booking")
    elsewhere = app.test_client()
    assert sign_in(elsewhere, "test.booking").status_code == 303
    page = client.get("/auth/change-password").get_data(as_text=True)
    assert 'autocomplete="current-password"' in page
    assert page.count('autocomplete="new-password"') == 2
    response = _change(client, "correct horse battery")
    assert response.status_code == 303
    assert "Your password has been changed" in client.get(response.headers["Location"],
                                                          follow_redirects=True).get_data(as_text=True)
    assert client.get("/referrals/list").status_code == 200, "this browser stays signed in"
    assert elsewhere.get("/referrals/list").status_code == 302, "the other browser is signed out"
    assert count(app, UserSession, UserSession.user_id == user_id) == 1
    changed = events(app, "user.password_changed")
    assert [(e.actor_id, e.entity_id) for e in changed] == [(user_id, user_id)]
    assert NEW_PASSWORD not in changed[0].data
    assert sign_in(app.test_client(), "test.booking").status_code == 200, "the old password no longer works"
    assert sign_in(app.test_client(), "test.booking", NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(("current", "new", "confirm", "field", "message"), [
    ("not my password", NEW_PASSWORD, None, "current_password", "Your current password is not correct"),
    ("correct horse battery", "short one", None, "new_password", "at least 12 characters"),
    ("correct horse battery", "password1234", None, "new_password", "too common"),
    ("correct horse battery", "Q1W2E3R4T5Y6", None, "new_password", "too common"),
    ("correct horse battery", NEW_PASSWORD, "plum orbit lantern 43", "confirm_password", "do not match"),
    ("correct horse battery", "correct horse battery", None, "new_password", "different from your current"),
    ("", NEW_PASSWORD, None, "current_password", "Enter your current password"),
])
def test_a_refused_password_change_shows_why_and_changes_nothing(app, client, login_as, current, new, confirm,
                                                                 field, message):
    login_as("clinician")
    response = _change(client, current, new, confirm)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "There is a problem" in body
    assert f'href="#{field}"' in body
    error = body.index(f'id="{field}-error"')
    assert message in body[error:error + 300]
    assert 'value="' + new not in body, "no password is echoed"
    assert not events(app, "user.password_changed")
    assert sign_in(app.test_client(), "test.clinician").status_code == 303, "the password is as it was"
