"""Every page that shows events shows each role only what domain/event_view.py lets it read: a patient with one of
every kind of event, whose free text is all marked secret, read by each role on each of those pages."""
import html
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import (
    actions,
    adjustments,
    appointments,
    audit_findings,
    audit_sampling,
    clarification,
    contact_details,
    contact_tasks,
    discharge,
    dna,
    engagement_plans,
    event_kinds,
    event_view,
    instrument_files,
    intake,
    message_statuses,
    notify_sending,
    outreach,
    outreach_follow_up,
    outreach_reconciliation,
    outreach_registration,
    patient_identity,
    questionnaire_links,
    records,
    reviews,
    safeguarding,
    triage,
    triage_flags,
    urgent_contacts,
)
from inclusive_access.domain.pathway_delays import DelayLink
from inclusive_access.domain.validation import LONDON
from inclusive_access.event_sentences import sentence
from inclusive_access.extensions import db
from inclusive_access.models import Event, Referral
from inclusive_access.security import ACCESS
from tests.blueprints.records import script
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import intake_row, make_referral, next_nhs_number, staff
from tests.message_factories import AcceptingNotify, queued
from tests.outreach_factories import plan_form, planned_session, received
from tests.status_factories import open_contact_task, sent_message

ROLES = ("booking", "clinician", "senior", "auditor", "manager")
#: the audit sample's first record is the patient's one adjustment: its page shows the patient's whole timeline
PAGES = {"referrals.show_referral": "/referrals/{referral}", "patients.show_patient": "/patients/{patient}",
         "audit.referral_timeline": "/audit/referrals/{referral}/timeline",
         "audit.patient_timeline": "/audit/patients/{patient}/timeline",
         "audit.sample_record": "/audit/samples/{sample}/records/1"}
#: pages that show one referral's events; the others show all of the patient's
REFERRAL_PAGES = ("referrals.show_referral", "audit.referral_timeline")
SHIPPED = instrument_files.load(instrument_files.SHIPPED_DIR)
#: actions about accounts, the log, governance and web imports: their events name no patient, so no timeline shows
#: them (an imported referral's own events are referral.received, by the system)
UNLINKED = ("user.", "login.", "session.", "access.", "audit.log_", "audit.sample_", "audit.checkpoint_",
            "governance.", "import.", "ods.", "api_client.", "fhir.", "partner.", "venue.", "outreach_session.",
            "outreach_record.received", "partnership_review.")
#: views belong to the access log, so the clinical pages leave them out
VIEWS_SHOWN = ("audit.referral_timeline", "audit.patient_timeline", "audit.sample_record")


def _secret(key: str) -> str:
    return f"Secret {key.replace('_', ' ')} text"


def _history(session) -> dict:
    """One patient, six referrals between them holding every action a patient's record can have, each free-text
    field a marked secret. Clinical work is a clinician's, decisions a senior's, findings the auditor's. The patient
    was first seen at an outreach session, registered from its record and their identity verified later."""
    clinician, senior, auditor = (staff(session, role) for role in ("clinician", "senior", "auditor"))
    now = datetime.now(UTC).replace(microsecond=0)
    local = (now - timedelta(days=5)).astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
    nhs_number = next_nhs_number()
    manager = staff(session, "manager")
    seen_first = received(session, clinician, planned_session(session, manager, [clinician]), nhs_number=nhs_number,
                          flags=[])
    patient = outreach_registration.register_and_link(session, clinician, seen_first, seen_first.version)
    patient_identity.verify_identity(session, clinician, patient, patient.version, {"how": _secret("how verified")})
    contact_details.record_contact_details(session, clinician, patient, 0, contact_details.ContactInfo(
        mobile="07700 900123", address_lines=(_secret("address line"),), carer_name=_secret("carer name")))
    fields = {name: getattr(patient, name) for name in intake.PATIENT_FIELDS}
    records.update_patient(session, clinician, patient, replace(intake.PatientDetails(**fields), imd_decile=1,
                                                                imd_index="IoD2025"), patient.version)
    first = make_referral(session, clinician, nhs_number=nhs_number, received_at=local)

    triage.triage_referral(session, clinician, first, first.version, script(), [], "clarify",
                           clarify={"question": _secret("question"), "channel": "telephone",
                                    "contact_name": _secret("contact")}, now=now - timedelta(days=4))
    asked = clarification.clarification_worklist(session, now).rows[0]
    clarification.log_attempt(session, clinician, asked, "telephone", False, _secret("clarification note"))
    clarification.escalate_overdue(session, now)
    clarification.close_clarification(session, clinician, asked, asked.version, _secret("response"), None)
    triage_flags.correct_flags(session, clinician, first, first.version, ["carer"], _secret("flags reason"))
    triage.triage_referral(session, clinician, first, first.version, script(), [], "escalate",
                           reason_text=_secret("escalation reason"))
    triage.triage_referral(session, senior, first, first.version, script(), [], "accept")

    adjustment = adjustments.record_adjustment(session, clinician, patient, adjustments.AdjustmentDetails(
        category="timing", description="Afternoon appointments only", consent_basis="patient"), "patient_request")
    details = adjustments.AdjustmentDetails(category="timing", description="Afternoons after 2pm",
                                            consent_basis="patient")
    adjustments.update_adjustment(session, clinician, adjustment, adjustment.version, details)
    met = {adjustment.id: (False, _secret("delivery reason"))}

    booked = appointments.book_appointment(session, clinician, first, first.version, now + timedelta(days=2),
                                           "clinic", _secret("place"), _secret("notes"))
    appointments.rebook_appointment(session, clinician, booked, booked.version, now + timedelta(days=3), "clinic",
                                    _secret("new place"))
    appointments.record_outcome(session, clinician, booked, booked.version, "cancelled_patient",
                                _secret("cancellation reason"))
    for days in (3, 2):  # two missed: a barrier check each, and the senior review list
        missed = appointments.book_appointment(session, clinician, first, first.version, now - timedelta(days=days),
                                               "telephone", None, now=now - timedelta(days=4))
        appointments.record_outcome(session, clinician, missed, missed.version, "dna", deliveries=met)
        check = dna.open_check_for(session, first.id)
        if days == 3:
            appointments.book_appointment(session, clinician, first, first.version, now - timedelta(days=2, hours=1),
                                          "telephone", None, override_reason=_secret("override reason"),
                                          now=now - timedelta(days=3))
        dna.save_barriers(session, clinician, check, check.version, ["other"], _secret("other barrier"),
                          "concern_raised", safeguarding.ConcernDetails("self_neglect", _secret("concern"))
                          if days == 3 else None)  # the second check's answer stands for the open concern
        dna.log_attempt(session, clinician, check, "telephone", True, _secret("barrier attempt note"))
        dna.complete_barrier_check(session, clinician, check, check.version, "declined")
    seen = next(a for a in appointments.appointments_for(session, first) if a.status == "booked")
    appointments.record_outcome(session, clinician, seen, seen.version, "attended", deliveries=met)
    appointments.record_past_contact(session, clinician, first, first.version, now - timedelta(days=1), "telephone",
                                     None, "attended", _secret("past contact reason"), deliveries=met)
    appointments.record_past_contact(session, clinician, first, first.version, now - timedelta(days=1, hours=1),
                                     "telephone", None, "late_not_seen", _secret("late contact reason"),
                                     deliveries=met)

    [concern] = safeguarding.concerns_for_referral(session, first.id)  # raised by the first barrier check
    safeguarding.route_concern(session, clinician, concern, concern.version, _secret("routed to"),
                               now.astimezone(LONDON).date(), _secret("route reference"))
    safeguarding.record_action(session, clinician, concern, _secret("safeguarding action"))
    urgent_contacts.record_urgent_contact(session, clinician, first, urgent_contacts.ContactDetails(
        "crisis_team", now.astimezone(LONDON).date(), "carer", DelayLink("yes", _secret("delay detail"))))
    # a minimum record from an outreach session with a positive screen, linked here (raising its concern), its
    # follow-up judged once its day was over, and the link undone
    at_venue = now - timedelta(days=1)
    visit = planned_session(session, manager, [clinician], starts_at=at_venue)
    record = received(session, clinician, visit, now=now, seen_at=at_venue.isoformat(), exploitation_risk="yes",
                      follow_up_on=f"{at_venue.astimezone(LONDON):%Y-%m-%d}",
                      **{key: _secret(key) for key in ("presenting_need", "safeguarding_detail", "action_agreed",
                                                       "follow_up_plan")})
    outreach_reconciliation.link(session, clinician, record, first, record.version)
    outreach_follow_up.sweep(session, now)
    outreach_reconciliation.undo_link(session, senior, record, record.version, _secret("unlink reason"))
    signing = questionnaire_links.signer("a test key")  # the patient answers through a link a clinician sent
    sent = questionnaire_links.issue_link(session, clinician, first, SHIPPED["psfs"], "first_contact", True,
                                          questionnaire_links.LinkRules(), signing)
    questionnaire_links.submit_link(session, sent.token, "192.0.2.1", SHIPPED, questionnaire_links.LinkRules(),
                                    signing, {"activity_1": "4"})
    discharge.decide_review(session, senior, reviews.pending_review(session, first.id), first.version,
                            discharge.Decision("continue", _secret("continue rationale"), plan=_secret("plan")))
    review = discharge.request_discharge(session, clinician, first, first.version, "treatment_complete",
                                         _secret("discharge request"))
    discharge.decide_review(session, senior, review, first.version, discharge.Decision(
        "approved", _secret("discharge rationale"), safe_despite_concern=_secret("safe despite concern")))
    safeguarding.close_concern(session, senior, concern, concern.version, _secret("safeguarding outcome"),
                               _secret("closing summary"))
    row = {k: v for k, v in intake_row().items() if k in intake.REFERRAL_FIELDS}
    intake.re_refer(session, clinician, first, row)
    adjustments.end_adjustment(session, clinician, adjustment, adjustment.version, "No longer needed")
    partner = outreach.add_partner(session, staff(session, "manager"), outreach.parse_partner({
        "name": "Harbour Housing Trust", "kind": "housing", "sharing_agreement": "Outreach ISA v2"}))
    plan = engagement_plans.record_plan(session, clinician, patient, engagement_plans.parse_plan(session, plan_form(
        partner, agreed_by=_secret("agreed by"), step_1_action=_secret("step action"),
        step_1_owner_name=_secret("step owner")), now.astimezone(LONDON).date()))
    engagement_plans.mark_step_done(session, clinician, plan.steps[0], plan.steps[0].version,
                                    engagement_plans.StepDone(now.astimezone(LONDON).date(), _secret("done by")))

    for decision in ("approved", "continue"):  # a flagged rejection upheld, and one overturned
        proposed = make_referral(session, clinician, nhs_number=nhs_number)
        triage.triage_referral(session, clinician, proposed, proposed.version, script(), [], "reject",
                               reason_code="wrong_service", reason_text="Better met by the falls service")
        discharge.decide_review(session, senior, reviews.pending_review(session, proposed.id), proposed.version,
                                discharge.Decision(decision, _secret(f"{decision} review rationale"),
                                                   plan=_secret("rejection plan") if decision == "continue" else None))

    fields = {name: getattr(patient, name) for name in intake.PATIENT_FIELDS}
    records.update_patient(session, clinician, patient, replace(intake.PatientDetails(**fields), imd_decile=5),
                           patient.version)
    unflagged = make_referral(session, clinician, nhs_number=nhs_number)
    triage.triage_referral(session, clinician, unflagged, unflagged.version, script(), [], "clarify",
                           clarify={"question": "Which knee?", "channel": "telephone", "contact_name": "Dr Example"})
    unanswered = clarification.clarification_worklist(session, now).rows[0]
    clarification.close_clarification(session, clinician, unanswered, unanswered.version, None,
                                      _secret("close reason"))
    triage.triage_referral(session, clinician, unflagged, unflagged.version, script(), [], "reject",
                           reason_code="wrong_service", reason_text="Better met by the falls service")

    # a text that failed on the patient's only route, the contact problem it opened closed by booking staff, and a
    # reminder delivered after
    task = open_contact_task(session, first)
    contact_tasks.close_task(session, staff(session, "booking"), task, task.version, _secret("contact problem note"))
    message_statuses.record_status(session, sent_message(session, patient.id, referral_id=first.id), "delivered")

    month = now.astimezone(LONDON).strftime("%Y-%m")
    sample = audit_sampling.draw_sample(session, auditor, audit_sampling.SampleRequest("adjustment", month, month,
                                                                                       1, 7))
    items = dict.fromkeys(audit_findings.CHECKLISTS["adjustment"], "compliant")
    audit_findings.record_finding(session, auditor, sample.records[0],
                                  audit_findings.FindingDetails(items, note=_secret("finding note")), None)
    audit_findings.record_finding(session, auditor, sample.records[0], audit_findings.FindingDetails(
        items, note=_secret("revised finding note"), reason=_secret("revision reason")), 1)
    for route in ("sms", "letter"):  # a reminder the sending worker sent, and a letter whose template is not set
        queued(session, first, route, at=now)
    for claimed in notify_sending.claim(session, now):
        template_id = "a-template-id" if claimed.channel == "sms" else None
        notify_sending.record(session, claimed, notify_sending.deliver(claimed, AcceptingNotify(), template_id), now)
    records.view_record(session, clinician, patient, first)
    session.commit()
    return {"patient": patient.id, "sample": sample.id,
            "referrals": list(session.scalars(select(Referral.id).where(Referral.patient_id == patient.id)))}


@pytest.fixture
def history(app):
    with app.app_context():
        return _history(db.session)


def _stored(app, patient_id: int) -> list[Event]:
    with app.app_context():
        rows = db.session.scalars(select(Event).where(Event.patient_id == patient_id).order_by(Event.seq)).all()
        db.session.expunge_all()
        return rows


def _secrets(value) -> list[str]:
    """The marked secrets in an event's value, however deep (a rebooking's places, a delivery's reasons)."""
    if isinstance(value, dict):
        return [text for inner in value.values() for text in _secrets(inner)]
    if isinstance(value, list):
        return [text for inner in value for text in _secrets(inner)]
    return [value] if isinstance(value, str) and value.startswith("Secret ") else []


def _row(body: str, seq: int) -> str | None:
    found = re.search(rf'<tr[^>]*id="event-{seq}".*?</tr>', body, re.S)
    return html.unescape(found.group(0)) if found else None


def _pages(history: dict, role: str) -> list[tuple[str, str, int | None]]:
    """(endpoint, url, referral shown or None for the whole patient) for each page of events the role may open."""
    pages = []
    for endpoint, url in PAGES.items():
        if role not in ACCESS[endpoint]:
            continue
        referrals = history["referrals"] if endpoint in REFERRAL_PAGES else [None]
        pages += [(endpoint, url.format(referral=r, patient=history["patient"], sample=history["sample"]), r)
                  for r in referrals]
    return pages


def test_the_history_has_every_action_a_patients_record_can_have(app, history):
    shown = {e.action for e in _stored(app, history["patient"])}
    assert {a for a in event_view.POLICY if not a.startswith(UNLINKED)} - shown == set()


def test_every_action_on_a_record_has_a_kind_to_filter_its_timeline_by(app, history):
    on_timelines = {e.action for e in _stored(app, history["patient"])} - {actions.RECORD_VIEWED}
    assert on_timelines - set(event_kinds.KIND_OF) == set(), "add these actions to event_kinds.KINDS"


def test_every_key_an_event_carries_has_a_decision(app, history):
    undecided = {(e.action, key) for e in _stored(app, history["patient"]) for key in json.loads(e.data)
                 if key not in event_view.POLICY.get(e.action, {})}
    assert undecided == set(), "add these to event_view.POLICY: who may read them?"


def _leaves(value) -> list[str]:
    """Each value inside an event's value as the page could print it: text and numbers, and a time as a sentence
    words it (event_sentences), in UK time."""
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in _leaves(inner)]
    if isinstance(value, list):
        return [leaf for inner in value for leaf in _leaves(inner)]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", value):
        return [value, datetime.fromisoformat(value).astimezone(LONDON).strftime("%-d %b, %H:%M")]
    return [str(value)] if len(str(value).strip()) > 2 else []  # "1" or "" would be found in any row


def _check_row(row: str, event: Event, role: str) -> None:
    """The row says what happened in the sentence built from what the role may read; each other key is only named
    as withheld, and none of its values is in the row."""
    assert sentence(event_view.shown(event, None, role)) in row, event.action
    data = json.loads(event.data)
    readable = {leaf for key, value in data.items() if event_view.may_read(event.action, key, role)
                for leaf in _leaves(value)}
    for key, value in data.items():
        if event_view.may_read(event.action, key, role):
            continue
        assert re.search(rf"Details withheld</strong> from your role: [^<]*{key.replace('_', ' ')}", row), (
            event.action, key)
        leaked = [leaf for leaf in set(_leaves(value)) - readable if re.search(rf"\b{re.escape(leaf)}\b", row)]
        assert leaked == [], (event.action, key, role)


@pytest.mark.parametrize("role", ROLES)
def test_each_page_of_events_shows_each_role_only_what_the_policy_lets_it_read(app, client, login_as, history,
                                                                               role):
    login_as(role)
    stored = _stored(app, history["patient"])
    secrets = {text for e in stored for value in json.loads(e.data).values() for text in _secrets(value)}
    readable = {text for e in stored for key, value in json.loads(e.data).items()
                if event_view.may_read(e.action, key, role) for text in _secrets(value)}
    pages = _pages(history, role)
    assert pages, f"{role} opens no page of events"
    for endpoint, url, referral_id in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = html.unescape(response.get_data(as_text=True))
        for event in stored:
            if referral_id is not None and event.referral_id != referral_id:
                continue
            row = _row(body, event.seq)
            if event.action == actions.RECORD_VIEWED and endpoint not in VIEWS_SHOWN:
                assert row is None, url
            else:
                assert row is not None, (url, event.action)
                _check_row(row, event, role)
        assert [s for s in secrets - readable if s in body] == [], url


@ON_BOTH_DATABASES
@pytest.mark.parametrize("role", ["booking", "manager"])
def test_booking_staff_and_managers_learn_a_concern_exists_and_its_kind_never_its_text(app, client, login_as,
                                                                                       history, role):
    login_as(role)
    with app.app_context():
        raised = db.session.scalars(select(Event).where(Event.action == actions.SAFEGUARDING_RAISED)
                                    .order_by(Event.seq)).first()  # the barrier check's, before the outreach one
    body = html.unescape(client.get(f"/referrals/{raised.referral_id}").get_data(as_text=True))
    row = _row(body, raised.seq)
    assert "Raised a safeguarding concern: Self-neglect" in row
    assert "Details withheld</strong> from your role: concern" in row
    assert _secret("concern") not in body


def test_safeguarding_detail_on_a_timeline_goes_to_the_roles_that_may_open_the_concern():
    concern_page = ACCESS["safeguarding.show_concern"]
    for action in (actions.SAFEGUARDING_RAISED, actions.SAFEGUARDING_ROUTED, actions.SAFEGUARDING_ACTION_RECORDED,
                   actions.SAFEGUARDING_CLOSED):
        text = {key: roles for key, roles in event_view.POLICY[action].items() if key not in ("category", "review_id")}
        assert text, action
        assert all(roles == concern_page for roles in text.values()), action
