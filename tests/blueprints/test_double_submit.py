"""Every form that adds a record adds it once: a second submit, or 20 identical submits at the same moment through
a real threaded server, finds one row and one event, and each extra submit is sent to what the first one made."""
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from inclusive_access.domain import actions, adjustments, safeguarding
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import (
    Appointment,
    AuditSample,
    BarrierContactAttempt,
    ContactAttempt,
    Event,
    QuestionnaireResponse,
    ReasonableAdjustment,
    Referral,
    SafeguardingAction,
    SafeguardingConcern,
    SeniorReview,
    UrgentContact,
)
from tests.blueprints.records import accept, ask, miss
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import intake_form, make_referral, make_user, staff
from tests.live_server import Browser, at_once
from tests.serving import serve

pytestmark = ON_BOTH_DATABASES

CONCURRENT = 20


def _referral(session) -> dict:
    referral = make_referral(session)
    return {"referral_id": referral.id, "patient_id": referral.patient_id}


def _accepted(session) -> dict:
    referral = make_referral(session)
    accept(session, staff(session, "booking", "given.booking"), referral)
    return {"referral_id": referral.id, "patient_id": referral.patient_id}


def _missed(session) -> dict:
    check = miss(session, staff(session, "clinician", "given.clinician"), make_referral(session))
    return {"check_id": check.id}


def _asked(session) -> dict:
    return {"clarification_id": ask(session, staff(session, "booking", "given.booking"), make_referral(session)).id}


def _concern(session) -> dict:
    ids = _accepted(session)
    concern = safeguarding.raise_concern(session, staff(session, "clinician", "given.clinician"),
                                         session.get(Referral, ids["referral_id"]),
                                         safeguarding.ConcernDetails("self_neglect", "Home very cold, no food"))
    return {"concern_id": concern.id}


def _adjustment_to_sample(session) -> dict:
    adjustments.record_adjustment(session, staff(session, "clinician", "given.clinician"),
                                  make_referral(session).patient,
                                  adjustments.AdjustmentDetails("timing", "Longer appointment", "patient"),
                                  "patient_request")
    return {}


IN_A_WEEK = (datetime.now(UTC) + timedelta(days=7)).astimezone(LONDON).strftime("%Y-%m-%dT10:00")
THIS_MONTH = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m")


@dataclass(frozen=True)
class CreatingForm:
    """A form that adds a record: who fills it in, what it needs to exist, its page, where it posts, what it
    sends besides the page's hidden fields, and the rows and event one submit adds."""

    role: str
    given: Callable
    page: str
    action: str
    fields: dict
    model: type
    event: str


FORMS = {
    "adjustment": CreatingForm(
        "clinician", _referral, "/adjustments/patients/{patient_id}", "/adjustments/patients/{patient_id}/new",
        {"category": "timing", "description": "Longer appointment", "consent_basis": "patient",
         "source": "patient_request", "applies_to_appointments": "y"}, ReasonableAdjustment, "adjustment.recorded"),
    "barrier-check contact attempt": CreatingForm(
        "booking", _missed, "/barrier-checks/{check_id}", "/barrier-checks/{check_id}/attempts",
        {"method": "telephone", "reached": "yes", "note": "Spoke to her daughter"}, BarrierContactAttempt,
        "barrier_check.contact_attempted"),
    "clarification contact attempt": CreatingForm(
        "booking", _asked, "/clarifications/{clarification_id}", "/clarifications/{clarification_id}/attempts",
        {"method": "telephone", "reached": "no", "note": "Voicemail"}, ContactAttempt,
        "clarification.contact_attempted"),
    "safeguarding action": CreatingForm(
        "clinician", _concern, "/safeguarding/{concern_id}", "/safeguarding/{concern_id}/actions",
        {"action": "Called the GP"}, SafeguardingAction, "safeguarding.action_recorded"),
    "safeguarding concern": CreatingForm(
        "clinician", _accepted, "/safeguarding/referrals/{referral_id}/new",
        "/safeguarding/referrals/{referral_id}/new",
        {"category": "exploitation_risk", "concern": "Older man collects her benefits", "followed_delay": "no"},
        SafeguardingConcern, "safeguarding.raised"),
    "urgent contact": CreatingForm(
        "clinician", _accepted, "/urgent-contacts/referrals/{referral_id}/new",
        "/urgent-contacts/referrals/{referral_id}/new",
        {"kind": "ed_attendance", "occurred_on": datetime.now(UTC).astimezone(LONDON).date().isoformat(),
         "source": "patient", "followed_delay": "yes", "delay_detail": "Eight weeks waiting for triage"},
        UrgentContact, "urgent_contact.recorded"),
    "questionnaire answers": CreatingForm(
        "clinician", _accepted, "/questionnaires/referrals/{referral_id}/psfs/new",
        "/questionnaires/referrals/{referral_id}/psfs/new",
        {"time_point": "first_contact", "mode": "in_person", "item_activity_1": "4",
         **dict(zip(("answered_day", "answered_month", "answered_year"),
                    datetime.now(UTC).astimezone(LONDON).strftime("%d %m %Y").split(), strict=True))},
        QuestionnaireResponse, "questionnaire.completed"),
    "referral": CreatingForm(
        "booking", lambda _session: {}, "/intake/new", "/intake/new", intake_form(), Referral, "referral.received"),
    "appointment": CreatingForm(
        "booking", _accepted, "/appointments/referrals/{referral_id}", "/appointments/referrals/{referral_id}",
        {"starts_at": IN_A_WEEK, "format": "telephone", "place": "", "duration_minutes": "30", "notes": ""},
        Appointment, "appointment.booked"),
    "discharge request": CreatingForm(
        "clinician", _accepted, "/discharge/referrals/{referral_id}/request",
        "/discharge/referrals/{referral_id}/request",
        {"reason": "patient_choice", "reason_text": "She has moved to her daughter's"}, SeniorReview,
        "discharge.requested"),
    "audit sample": CreatingForm(
        "auditor", _adjustment_to_sample, "/audit/samples/new", "/audit/samples/new",
        {"record_type": "adjustment", "first_month": THIS_MONTH, "last_month": THIS_MONTH, "pathway": "",
         "segment": "", "segment_value": "", "stratify_by": "", "allocation": "", "size": "5", "seed": "42"},
        AuditSample, actions.SAMPLE_DRAWN),
}


def _made(app, form: CreatingForm) -> tuple[int, int]:
    """How many rows of the form's kind, and how many of its events, are stored."""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(form.model)),
                db.session.scalar(select(func.count()).select_from(Event).where(Event.action == form.event)))


@pytest.fixture(params=FORMS)
def creating_form(request, app) -> tuple[CreatingForm, str, str]:
    """A creating form, with the record it needs, a signed-in user of its role: (form, its page, its action)."""
    form = FORMS[request.param]
    with app.app_context():
        ids = form.given(db.session)
        make_user(db.session, role=form.role, username=f"double.{form.role}")
        db.session.commit()
    return form, form.page.format(**ids), form.action.format(**ids)


@contextmanager
def _filled_in(app, form: CreatingForm, page: str):
    """A live server, and a browser signed in as the form's role that has filled in the form's page: (browser,
    the data it would post)."""
    with serve(app) as url:
        browser = Browser(url).sign_in(f"double.{form.role}")
        yield browser, {**browser.form(page), **form.fields}


def test_a_second_submit_of_a_creating_form_adds_nothing(app, creating_form):
    form, page, action = creating_form
    before = _made(app, form)
    with _filled_in(app, form, page) as (browser, data):
        first, _body, first_headers = browser.request(action, data)
        again, _body, again_headers = browser.request(action, data)
    assert (first, again) == (303, 303)
    assert again_headers["Location"] == first_headers["Location"]
    assert [n - b for n, b in zip(_made(app, form), before, strict=True)] == [1, 1]


def test_identical_submits_at_the_same_moment_add_one_record(app, creating_form):
    form, page, action = creating_form
    before = _made(app, form)
    with _filled_in(app, form, page) as (browser, data):
        statuses = at_once(CONCURRENT, lambda: browser.request(action, data)[0])
    assert Counter(statuses) == {303: CONCURRENT}
    assert [n - b for n, b in zip(_made(app, form), before, strict=True)] == [1, 1]
