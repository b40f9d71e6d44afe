"""The outreach pages: the manager adds partners and venues, plans and cancels sessions, each form shown again with
its problems beside its fields; a named clinician finds their sessions from the navigation; clinicians record
engagement plans on the patient's page and mark steps done, overdue steps standing out."""
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from inclusive_access.domain import actions, engagement_plans
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import EngagementStep, OutreachSession, Partner, Patient, User
from tests.blueprints.pages import conflict, open_page, redirected, shown_again, sign_in, version_in
from tests.blueprints.records import accepted_referral, events, stored_row
from tests.conftest import ON_BOTH_DATABASES, post_form
from tests.factories import make_user, staff
from tests.outreach_factories import plan_form, planned_session

#: the tag on a step not done by its due date
OVERDUE = re.compile(r"nhsuk-tag--red\"\s*>\s*Overdue\s*</strong>")
NEXT_WEEK = datetime.now(UTC) + timedelta(days=7)
TODAY = datetime.now(LONDON).date()


def _user(app, role: str, username: str) -> int:
    with app.app_context():
        user_id = make_user(db.session, role, username).id
        db.session.commit()
        return user_id


def _signed_in(app, username: str):
    """A second browser, signed in as `username`."""
    other = app.test_client()
    assert sign_in(other, username).status_code == 303
    return other


def _planned(app, clinician_ids: list[int]) -> dict:
    """A session next week with the given clinicians named on it, committed: its id and its partner's."""
    with app.app_context():
        planned = planned_session(db.session, staff(db.session, "manager"),
                                  [Actor(uid, "clinician") for uid in clinician_ids], starts_at=NEXT_WEEK)
        db.session.commit()
        return {"session_id": planned.id, "partner_id": planned.venue.partner_id, "venue_id": planned.venue_id}


@ON_BOTH_DATABASES
def test_the_manager_adds_a_partner_with_its_contact_and_agreement(app, client, login_as):
    login_as("manager")
    open_page(client, "/outreach/partners/new", "Add an outreach partner")
    response = post_form(client, "/outreach/partners/new", {
        "name": "Riverside Day Centre", "kind": "voluntary", "contact_name": "Pat Example",
        "contact_email": "pat@example.org", "sharing_agreement": "Day centre ISA 2026",
        "sharing_agreement_review_on": "2027-03-31"})
    body = redirected(client, response, "/outreach/partners")
    assert "Riverside Day Centre added as a partner." in body
    assert "Day centre ISA 2026" in body
    assert "Review by 31 Mar 2027" in body
    assert [e.action for e in events(app, actions.PARTNER_ADDED)] == [actions.PARTNER_ADDED]


@pytest.mark.parametrize(("url", "data", "field", "message"), [
    ("/outreach/partners/new", {"kind": "housing", "sharing_agreement": "ISA"}, "name", "Enter the partner's name"),
    ("/outreach/partners/new", {"name": "A", "kind": "housing"}, "sharing_agreement",
     "Enter the information-sharing agreement"),
    ("/outreach/partners/new", {"name": "A", "kind": "housing", "sharing_agreement": "ISA",
                                "sharing_agreement_review_on": "2027-02-30"}, "sharing_agreement_review_on",
     "The agreement's review date must be a real date"),
    ("/outreach/venues/new", {"name": "Hall", "kind": "community", "postcode": "NOT A CODE"}, "postcode",
     "Enter a full UK postcode, like LS1 4AP"),
    ("/outreach/venues/new", {"name": "Hall"}, "kind", "Select the kind of venue"),
    ("/outreach/sessions/new", {"starts_at": "2026-12-20T10:00", "ends_at": "2026-12-20T09:00"}, "ends_at",
     "The end must be after the start"),
    ("/outreach/sessions/new", {}, "clinician_ids", "Select at least one clinician"),
    ("/outreach/sessions/new", {}, "venue_id", "Select the venue"),
])
@ON_BOTH_DATABASES
def test_a_managers_form_with_a_problem_is_shown_again_naming_it(app, client, login_as, url, data, field, message):
    _planned(app, [_user(app, "clinician", "named.clinician")])  # a venue, so the session form is offered
    login_as("manager")
    shown_again(post_form(client, url, data), field, message)


def test_the_manager_plans_a_session_naming_a_clinician_who_then_finds_it(app, client, login_as):
    clinician_id = _user(app, "clinician", "outreach.nurse")
    venue = _planned(app, [clinician_id])["venue_id"]
    login_as("manager")
    starts = (datetime.now(LONDON) + timedelta(days=3)).replace(hour=13, minute=0, second=0, microsecond=0)
    response = post_form(client, "/outreach/sessions/new", {
        "venue_id": str(venue), "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": starts.replace(hour=16).strftime("%Y-%m-%dT%H:%M"), "clinician_ids": [str(clinician_id)],
        "partner_staff": "Two key workers"})
    body = redirected(client, response, "/outreach/sessions")
    assert starts.strftime("%a %-d %b %Y, 13:00") in body
    nurse = _signed_in(app, "outreach.nurse")
    home = open_page(nurse, "/referrals/list")
    assert 'href="/outreach/my-sessions"' in home, "the navigation offers the named clinician their sessions"
    mine = open_page(nurse, "/outreach/my-sessions", "My outreach sessions")
    assert starts.strftime("%a %-d %b %Y, 13:00") in mine
    assert "Two key workers" in mine


def test_with_no_active_clinician_the_manager_is_told_to_add_one_not_given_a_form_that_cannot_pass(app, client,
                                                                                                    login_as):
    clinician_id = _user(app, "clinician", "left.the.service")
    _planned(app, [clinician_id])
    with app.app_context():
        db.session.get(User, clinician_id).active = False
        db.session.commit()
    login_as("manager")
    page = open_page(client, "/outreach/sessions/new", "Plan an outreach session")
    assert "no clinician or senior clinician has an active account" in page
    assert "Plan session" not in page


def test_a_clinician_named_on_no_session_is_not_offered_the_page(client, login_as):
    login_as("clinician")
    assert "/outreach/my-sessions" not in open_page(client, "/referrals/list")
    assert "You are not named on any session" in open_page(client, "/outreach/my-sessions")


def test_a_partner_saved_from_an_older_version_shows_the_conflict_page(app, client, login_as):
    planned = _planned(app, [_user(app, "clinician", "any.nurse")])
    login_as("manager")
    url = f"/outreach/partners/{planned['partner_id']}/edit"
    form = {"name": "Renamed Trust", "kind": "housing", "sharing_agreement": "ISA v3",
            "version": version_in(open_page(client, url))}
    assert post_form(client, url, form).status_code == 303
    conflict(post_form(client, url, {**form, "name": "Another Name"}), "partner")
    assert stored_row(app, Partner, planned["partner_id"]).name == "Renamed Trust"


@ON_BOTH_DATABASES
def test_a_cancelled_session_needs_a_reason_and_its_clinician_reads_it(app, client, login_as):
    planned = _planned(app, [_user(app, "clinician", "cancelled.nurse")])
    login_as("manager")
    url = f"/outreach/sessions/{planned['session_id']}/cancel"
    version = version_in(open_page(client, url, "Cancel an outreach session"))
    shown_again(post_form(client, url, {"version": version}), "cancel_reason", "Enter why the session is cancelled")
    redirected(client, post_form(client, url, {"version": version, "cancel_reason": "Hostel closed for repairs"}),
               "/outreach/sessions")
    assert stored_row(app, OutreachSession, planned["session_id"]).status == "cancelled"
    assert "Hostel closed for repairs" in open_page(_signed_in(app, "cancelled.nurse"), "/outreach/my-sessions")


@pytest.fixture
def patient_with_partner(app) -> dict:
    """A patient on the core record and a partner to agree a plan with."""
    referral = accepted_referral(app, given_name="Engaged")
    return {**referral, **_planned(app, [_user(app, "clinician", "plan.nurse")])}


def test_a_plan_with_a_problem_is_shown_again_beside_the_field(client, login_as, patient_with_partner):
    login_as("clinician")
    url = f"/outreach/patients/{patient_with_partner['patient_id']}/plans/new"
    open_page(client, url, "Record an engagement plan")
    with_partner = {"partner_id": str(patient_with_partner["partner_id"])}
    shown_again(post_form(client, url, {**with_partner, "step_1_action": "Register with a GP"}), "step_1_due_on",
                "Enter the date step 1 is due")
    shown_again(post_form(client, url, with_partner), "step_1_action",
                "Enter at least one step: who does what, by when")


@ON_BOTH_DATABASES
def test_a_clinician_records_a_plan_and_an_overdue_step_stands_out_until_done(app, client, login_as,
                                                                               patient_with_partner):
    login_as("clinician")
    patient_url = f"/patients/{patient_with_partner['patient_id']}"
    with app.app_context():
        partner = db.session.get(Partner, patient_with_partner["partner_id"])
        form = plan_form(partner)  # agreed in June 2026, its steps due that month: overdue now
    response = post_form(client, f"/outreach/patients/{patient_with_partner['patient_id']}/plans/new", form)
    body = redirected(client, response, f"{patient_url}#engagement-plans")
    assert f"Agreed with {partner.name} on 2 Jun 2026" in body
    assert len(OVERDUE.findall(body)) == 2
    with app.app_context():
        step_id = db.session.scalars(db.select(EngagementStep.id).order_by(EngagementStep.id)).first()
    step_url = f"/outreach/plan-steps/{step_id}/done"
    assert f'href="{step_url}"' in body
    version = version_in(open_page(client, step_url, "Mark a step done"))
    shown_again(post_form(client, step_url, {"version": version, "done_on": TODAY.isoformat()}), "done_by",
                "Enter who did it")
    body = redirected(client, post_form(client, step_url, {"version": version, "done_on": "2026-06-08",
                                                           "done_by": "Nurse Demo"}),
                      f"{patient_url}#engagement-plans")
    assert "8 Jun 2026 by Nurse Demo" in body
    assert len(OVERDUE.findall(body)) == 1
    assert stored_row(app, EngagementStep, step_id).done_on == date(2026, 6, 8)


@pytest.mark.parametrize(("role", "reads"), [("booking", True), ("auditor", True), ("manager", False)])
def test_the_care_team_reads_plans_and_only_clinicians_record_them(app, client, login_as, patient_with_partner,
                                                                    role, reads):
    with app.app_context():
        patient = db.session.get(Patient, patient_with_partner["patient_id"])
        partner = db.session.get(Partner, patient_with_partner["partner_id"])
        engagement_plans.record_plan(db.session, staff(db.session, "clinician"), patient,
                                     engagement_plans.parse_plan(db.session, plan_form(partner), TODAY))
        db.session.commit()
    login_as(role)
    body = open_page(client, f"/patients/{patient_with_partner['patient_id']}")
    assert ("Keep the bed open" in body) is reads
    assert "Record an engagement plan" not in body
    assert "/plan-steps/" not in body
