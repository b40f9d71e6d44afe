"""Who may do each piece of work, checked by the domain itself: every role against each capability that moved
between roles (clinical and safeguarding judgements to clinicians, audit findings to auditors) and the booking
work that stayed with booking."""
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inclusive_access.domain import (
    adjustments,
    appointments,
    audit_findings,
    audit_log,
    audit_sampling,
    dna,
    event_chain,
    intake,
    records,
    triage,
)
from inclusive_access.domain.errors import NotPermitted
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import ROLES, Event
from tests.blueprints.records import accept, ask, miss, record_adjustment, script
from tests.factories import book, make_referral, staff
from tests.sqlite_alone import sqlite_database  # noqa: F401 - SQLite alone: who may act is decided before any SQL runs

BOOKING_WORK = {"booking", "clinician", "senior"}
CLINICAL = {"clinician", "senior"}


def open_check(session, clinician, was_not_brought: bool = False):
    """A barrier check opened by a missed appointment: a child's check asks whether they were not brought."""
    referral = make_referral(session, date_of_birth="2015-01-01" if was_not_brought else "1950-04-01")
    return miss(session, clinician, referral)


def accepted(session, clinician):
    referral = make_referral(session)
    accept(session, clinician, referral)
    return referral


def past_appointment(session, clinician):
    referral = accepted(session, clinician)
    return book(session, clinician, referral, datetime.now(UTC) - timedelta(minutes=30))


def adjustment(session, clinician):
    return record_adjustment(session, clinician, make_referral(session).patient)


def sampled_record(session, clinician):
    """One clarification asked this month, drawn into an auditor's sample."""
    ask(session, clinician, make_referral(session))
    month = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")
    sample = audit_sampling.draw_sample(session, staff(session, "auditor", "sampling.auditor"),
                                        audit_sampling.SampleRequest("clarification", month, month, 5, 1))
    return sample.records[0]


def corrected(patient) -> intake.PatientDetails:
    details = intake.PatientDetails(**{f.name: getattr(patient, f.name) for f in fields(intake.PatientDetails)})
    return replace(details, given_name="Corrected")


CHANGED = adjustments.AdjustmentDetails("timing", "Evening appointments only", "patient")
ALL_COMPLIANT = dict.fromkeys(audit_findings.CHECKLISTS["clarification"], "compliant")

#: capability -> (make what it acts on, as a clinician; do it as `actor`; the roles that may)
CAPABILITIES = {
    "log a barrier-check contact attempt": (
        open_check, lambda s, actor, check: dna.log_attempt(s, actor, check, "telephone", False, None),
        BOOKING_WORK),
    "save the barriers found": (
        open_check, lambda s, actor, check: dna.save_barriers(s, actor, check, check.version, ["work"], None, None),
        BOOKING_WORK),
    "answer the was-not-brought safeguarding question": (
        lambda s, clinician: open_check(s, clinician, was_not_brought=True),
        lambda s, actor, check: dna.save_barriers(s, actor, check, check.version, ["work"], None, "no_concern"),
        CLINICAL),
    "complete a barrier check": (
        open_check, lambda s, actor, check: dna.complete_barrier_check(s, actor, check, check.version, "rebooked"),
        CLINICAL),
    "record the adjustments the booking script found, at triage": (
        lambda s, _clinician: make_referral(s),
        lambda s, actor, referral: triage.triage_referral(
            s, actor, referral, referral.version, script(interpreter_needed=True, language="Polish"),
            triage.suggest_adjustments(script(interpreter_needed=True, language="Polish")), "accept"),
        BOOKING_WORK),
    "record a reasonable adjustment": (
        lambda s, _clinician: make_referral(s).patient,
        lambda s, actor, patient: adjustments.record_adjustment(s, actor, patient, CHANGED, "patient_request"),
        CLINICAL),
    "edit a reasonable adjustment": (
        adjustment, lambda s, actor, item: adjustments.update_adjustment(s, actor, item, item.version, CHANGED),
        CLINICAL),
    "end a reasonable adjustment": (
        adjustment, lambda s, actor, item: adjustments.end_adjustment(s, actor, item, item.version, "Not needed"),
        CLINICAL),
    "record an appointment outcome": (
        past_appointment,
        lambda s, actor, appt: appointments.record_outcome(s, actor, appt, appt.version, "attended"),
        CLINICAL),
    "record a past contact": (
        accepted,
        lambda s, actor, referral: appointments.record_past_contact(
            s, actor, referral, referral.version, datetime.now(UTC) - timedelta(minutes=30), "telephone", None,
            "attended", "Seen at the drop-in clinic"),
        CLINICAL),
    "edit a patient's details": (
        lambda s, _clinician: make_referral(s).patient,
        lambda s, actor, patient: records.update_patient(s, actor, patient, corrected(patient), patient.version),
        CLINICAL),
    "draw an audit sample": (
        lambda s, clinician: ask(s, clinician, make_referral(s)),
        lambda s, actor, _item: audit_sampling.draw_sample(s, actor, audit_sampling.SampleRequest(
            "clarification", *[datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")] * 2, 5, 1)),
        {"auditor"}),
    "record an audit finding": (
        sampled_record,
        lambda s, actor, record: audit_findings.record_finding(
            s, actor, record, audit_findings.FindingDetails(ALL_COMPLIANT), None),
        {"auditor"}),
    "verify the event log": (
        lambda s, _clinician: event_chain.verify(s),
        lambda s, actor, result: audit_log.record_verification(s, actor, result),
        {"auditor", "manager"}),
}


def last_seq(session) -> int:
    return session.scalar(select(func.max(Event.seq))) or 0


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("capability", CAPABILITIES)
def test_only_the_roles_whose_work_it_is_may_do_it(db_session, capability, role):
    prepare, act, allowed = CAPABILITIES[capability]
    target = prepare(db_session, staff(db_session, "clinician", "preparing.clinician"))
    actor = staff(db_session, role, f"acting.{role}")
    db_session.commit()
    before = last_seq(db_session)
    if role in allowed:
        act(db_session, actor, target)
        assert role in db_session.scalars(select(Event.actor_role).where(Event.seq > before)).all()
    else:
        with pytest.raises(NotPermitted):
            act(db_session, actor, target)
        db_session.rollback()  # as every route does on a refusal
        assert last_seq(db_session) == before, "a refused actor's work was kept"
