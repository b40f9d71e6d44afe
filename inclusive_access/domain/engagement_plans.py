"""Engagement plans: what a person agreed with a partner and the service about what happens next, step by step
(who, what, by when), recorded by a clinician on the patient's record and each step marked done as it is. The care
team reads them; partners have no account, so they read nothing here."""
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, locking
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import CARE_TEAM, CLINICAL_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.models import EngagementPlan, EngagementStep, Partner, Patient

#: agreeing a plan and judging a step done are a clinician's; the care team reads them
RECORD_ROLES = CLINICAL_JUDGEMENT
READ_ROLES = CARE_TEAM
OWNERS = {"service": "The service", "partner": "The partner"}
#: the rows of steps the plan form offers; a plan needs at least one
STEP_ROWS = 4
STEP_FIELDS = ("owner", "owner_name", "action", "due_on")


def may_read(actor: Actor) -> bool:
    return actor.role in READ_ROLES


@dataclass(frozen=True)
class StepDetails:
    owner: str
    owner_name: str
    action: str
    due_on: date


@dataclass(frozen=True)
class PlanDetails:
    partner_id: int
    agreed_on: date
    agreed_by: str
    steps: tuple[StepDetails, ...]


def step_field(row: int, name: str) -> str:
    """The form's name for a field of the `row`th step (from 1)."""
    return f"step_{row}_{name}"


def parse_plan(session: Session, raw: dict, today: date) -> PlanDetails:
    """A plan with a current partner, agreed today or before, and its steps: a row left blank is no step, a row
    begun needs each of its fields, and each step is due on or after the day the plan was agreed."""
    errors = v.FieldErrors()
    partners = {str(pid) for pid in session.scalars(select(Partner.id).where(Partner.active))}
    partner_id = v.choice(errors, raw, "partner_id", "the partner", partners)
    agreed_on = v.past_date(errors, raw, "agreed_on", "the date the plan was agreed", today)
    agreed_by = v.text(errors, raw, "agreed_by", "who agreed the plan", 1000, multiline=True)
    steps = []
    for row in range(1, STEP_ROWS + 1):
        if not any((raw.get(step_field(row, name)) or "").strip() for name in STEP_FIELDS):
            continue
        step = _step(errors, raw, row, agreed_on)
        if step is not None:
            steps.append(step)
    if not steps and step_field(1, "action") not in errors:
        errors.add(step_field(1, "action"), "Enter at least one step: who does what, by when")
    if errors:
        raise InvalidInput(errors)
    return PlanDetails(int(partner_id), agreed_on, agreed_by, tuple(steps))


def _step(errors: v.FieldErrors, raw: dict, row: int, agreed_on: date | None) -> StepDetails | None:
    def name(field: str) -> str:
        return step_field(row, field)

    owner = v.choice(errors, raw, name("owner"), f"who takes step {row}", OWNERS)
    owner_name = v.text(errors, raw, name("owner_name"), f"the name of the person who takes step {row}", 120)
    action = v.text(errors, raw, name("action"), f"what step {row} is", 1000, multiline=True)
    due_on = v.a_date(errors, raw, name("due_on"), f"the date step {row} is due")
    if due_on and agreed_on and due_on < agreed_on:
        errors.add(name("due_on"), f"Step {row} must be due on or after the day the plan was agreed")
    if None in (owner, owner_name, action, due_on):
        return None
    return StepDetails(owner, owner_name, action, due_on)


def record_plan(session: Session, actor: Actor, patient: Patient, details: PlanDetails,
                now: datetime | None = None) -> EngagementPlan:
    require_role(actor, RECORD_ROLES)
    now = now or datetime.now(UTC)
    plan = EngagementPlan(patient_id=patient.id, partner_id=details.partner_id, agreed_on=details.agreed_on,
                          agreed_by=details.agreed_by, recorded_by=actor.user_id, recorded_at=now,
                          steps=[EngagementStep(position=n, **vars(step)) for n, step in enumerate(details.steps, 1)])
    session.add(plan)
    session.flush()
    events.record(session, actor, actions.ENGAGEMENT_PLAN_AGREED, "engagement_plan", plan.id, patient_id=patient.id,
                  now=now, data={"partner_id": details.partner_id, "partner": plan.partner.name,
                                 "agreed_on": details.agreed_on, "agreed_by": details.agreed_by,
                                 "steps": [vars(step) for step in details.steps]})
    return plan


@dataclass(frozen=True)
class StepDone:
    done_on: date
    done_by: str


def parse_step_done(raw: dict, today: date) -> StepDone:
    errors = v.FieldErrors()
    done_on = v.past_date(errors, raw, "done_on", "the date the step was done", today)
    done_by = v.text(errors, raw, "done_by", "who did it", 120)
    if errors:
        raise InvalidInput(errors)
    return StepDone(done_on, done_by)


def mark_step_done(session: Session, actor: Actor, step: EngagementStep, seen_version: int, done: StepDone,
                   now: datetime | None = None) -> None:
    """Mark a step done: when, and by whom. A step is marked done once."""
    require_role(actor, RECORD_ROLES)
    now = now or datetime.now(UTC)
    if step.done_on is not None:
        raise TransitionNotAllowed("This step is already marked done.")
    if seen_version != step.version:
        raise StaleRecord("This step changed since you opened it.")
    if done.done_on < step.plan.agreed_on:
        raise InvalidInput({"done_on": "The date the step was done must be on or after the day the plan was "
                                       "agreed"})
    step.done_on, step.done_by, step.marked_by, step.marked_at = done.done_on, done.done_by, actor.user_id, now
    locking.flush(session, "engagement plan step")
    events.record(session, actor, actions.ENGAGEMENT_STEP_DONE, "engagement_plan", step.plan_id,
                  patient_id=step.plan.patient_id, now=now,
                  data={"step": step.position, "owner": step.owner, "action": step.action, "due_on": step.due_on,
                        "done_on": done.done_on, "done_by": done.done_by, "on_time": done.done_on <= step.due_on})


def plans_for(session: Session, patient: Patient) -> list[EngagementPlan]:
    """The patient's plans, latest agreed first, each with its steps (reads ix_engagement_plans_patient_id)."""
    return list(session.scalars(select(EngagementPlan).where(EngagementPlan.patient_id == patient.id)
                                .order_by(EngagementPlan.agreed_on.desc(), EngagementPlan.id.desc())))


def overdue_steps(plans: list[EngagementPlan], today: date) -> set[int]:
    """The ids of the steps not done by their due date."""
    return {step.id for plan in plans for step in plan.steps if step.done_on is None and step.due_on < today}
