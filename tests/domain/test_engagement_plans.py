"""Engagement plans: agreed with a partner on the patient's record, each step marked done once, evented on the
patient's timeline; overdue steps are those not done by their due date."""
from datetime import UTC, date, datetime

import pytest

from inclusive_access.domain import actions, engagement_plans, event_kinds, outreach
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from inclusive_access.models import EngagementPlan, Event
from tests.event_log import count, data_of, head
from tests.factories import staff
from tests.outreach_factories import PLAN_AGREED as AGREED
from tests.outreach_factories import plan_form

NOW = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)


@pytest.fixture
def partner(db_session):
    return outreach.add_partner(db_session, staff(db_session, "manager"), outreach.parse_partner({
        "name": "Harbour Housing Trust", "kind": "housing", "sharing_agreement": "Outreach ISA v2"}))


def agreed(db_session, clinician, patient, partner, **overrides) -> EngagementPlan:
    return engagement_plans.record_plan(db_session, clinician, patient, engagement_plans.parse_plan(
        db_session, plan_form(partner, **overrides), AGREED), now=NOW)


def test_a_clinician_records_a_plan_on_the_patients_timeline(db_session, clinician, referral, partner):
    seq = head(db_session)
    plan = agreed(db_session, clinician, referral.patient, partner)
    assert [(s.position, s.owner, s.owner_name, s.due_on) for s in plan.steps] == [
        (1, "service", "Nurse Demo", date(2026, 6, 9)), (2, "partner", "Sam Example", date(2026, 6, 16))]
    [event] = data_of(db_session, actions.ENGAGEMENT_PLAN_AGREED, since=seq)
    assert (event["partner"], event["agreed_on"], [s["action"] for s in event["steps"]]) == (
        "Harbour Housing Trust", "2026-06-02", ["Register with a GP", "Keep the bed open"])
    assert db_session.query(Event).filter_by(action=actions.ENGAGEMENT_PLAN_AGREED).one().patient_id == (
        referral.patient_id)
    assert event_kinds.KIND_OF[actions.ENGAGEMENT_PLAN_AGREED] == "outreach"
    assert engagement_plans.plans_for(db_session, referral.patient) == [plan]


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"step_1_action": ""}, "step_1_action", "Enter what step 1 is"),
    ({"step_2_due_on": "2026-05-30"}, "step_2_due_on", "Step 2 must be due on or after the day the plan was agreed"),
    ({"step_2_due_on": "2026-06-31"}, "step_2_due_on", "The date step 2 is due must be a real date"),
    ({"agreed_on": "2026-06-03"}, "agreed_on", "The date the plan was agreed must be today or in the past"),
    ({"agreed_by": ""}, "agreed_by", "Enter who agreed the plan"),
    ({"partner_id": ""}, "partner_id", "Select the partner"),
    ({f"step_{n}_{f}": "" for n in (1, 2) for f in engagement_plans.STEP_FIELDS}, "step_1_action",
     "Enter at least one step: who does what, by when"),
])
def test_a_plan_with_a_problem_is_refused_naming_it(db_session, clinician, partner, overrides, field, message):
    with pytest.raises(InvalidInput) as refused:
        engagement_plans.parse_plan(db_session, plan_form(partner, **overrides), AGREED)
    assert refused.value.errors[field] == message


def test_a_step_marked_done_says_when_by_whom_and_whether_on_time(db_session, clinician, referral, partner):
    plan = agreed(db_session, clinician, referral.patient, partner)
    step, seq = plan.steps[1], head(db_session)
    assert engagement_plans.overdue_steps([plan], date(2026, 6, 17)) == {plan.steps[0].id, step.id}
    engagement_plans.mark_step_done(db_session, clinician, step, step.version,
                                    engagement_plans.parse_step_done({"done_on": "2026-06-15",
                                                                      "done_by": "Sam Example"}, date(2026, 6, 17)))
    assert (step.done_on, step.done_by, step.marked_by) == (date(2026, 6, 15), "Sam Example", clinician.user_id)
    assert data_of(db_session, actions.ENGAGEMENT_STEP_DONE, since=seq) == [
        {"step": 2, "owner": "partner", "action": "Keep the bed open", "due_on": "2026-06-16",
         "done_on": "2026-06-15", "done_by": "Sam Example", "on_time": True}]
    assert engagement_plans.overdue_steps([plan], date(2026, 6, 17)) == {plan.steps[0].id}


def test_a_step_is_marked_done_once_and_never_from_an_older_version(db_session, clinician, senior, referral,
                                                                     partner):
    step = agreed(db_session, clinician, referral.patient, partner).steps[0]
    done = engagement_plans.StepDone(date(2026, 6, 5), "Nurse Demo")
    with pytest.raises(StaleRecord):
        engagement_plans.mark_step_done(db_session, clinician, step, step.version + 1, done)
    engagement_plans.mark_step_done(db_session, clinician, step, step.version, done)
    with pytest.raises(TransitionNotAllowed, match="already marked done"):
        engagement_plans.mark_step_done(db_session, senior, step, step.version, done)


def test_a_step_cannot_be_done_before_the_plan_was_agreed(db_session, clinician, referral, partner):
    step = agreed(db_session, clinician, referral.patient, partner).steps[0]
    with pytest.raises(InvalidInput) as refused:
        engagement_plans.mark_step_done(db_session, clinician, step, step.version,
                                        engagement_plans.StepDone(date(2026, 6, 1), "Nurse Demo"))
    assert refused.value.errors == {
        "done_on": "The date the step was done must be on or after the day the plan was agreed"}


@pytest.mark.parametrize("role", ["booking", "auditor", "manager"])
def test_only_clinicians_and_seniors_record_plans(db_session, actor, role, referral, partner):
    with pytest.raises(NotPermitted):
        agreed(db_session, actor, referral.patient, partner)
    assert count(db_session, EngagementPlan) == 0
    assert engagement_plans.may_read(actor) is (role != "manager")
