"""Crisis and urgent contacts: who records one, the dates and answers it must have, its event, a repeated submit."""
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, event_chain, urgent_contacts
from inclusive_access.domain.errors import DuplicateSubmission, InvalidInput, NotPermitted
from inclusive_access.domain.pathway_delays import DelayLink
from inclusive_access.domain.urgent_contacts import ContactDetails
from inclusive_access.models import Event, UrgentContact
from tests.event_log import actions_since, count, head, nothing_written
from tests.factories import TRIAGED, discharged

RECORDED = TRIAGED + timedelta(days=20)
#: the referral fixture was received on 1 Jun 2026 (UK date)
RECEIVED_ON = date(2026, 6, 1)
ATTENDED = ContactDetails("ed_attendance", date(2026, 6, 18), "ed_discharge_summary",
                          DelayLink("yes", "Waited 17 days for triage with worsening pain"))


def record(session, actor, referral, details=ATTENDED, now=RECORDED, **kwargs) -> UrgentContact:
    return urgent_contacts.record_urgent_contact(session, actor, referral, details, now=now, **kwargs)


@pytest.mark.parametrize("role", ["clinician", "senior"])
def test_a_clinician_or_senior_records_an_urgent_contact(db_session, referral, role, actor):
    before = head(db_session)
    contact = record(db_session, actor, referral, submission_token="tok-1")
    db_session.commit()
    assert actions_since(db_session, before) == [actions.URGENT_CONTACT_RECORDED]
    db_session.expire_all()
    stored = db_session.get(UrgentContact, contact.id)
    assert (stored.patient_id, stored.referral_id, stored.kind, stored.occurred_on, stored.source) == (
        referral.patient_id, referral.id, "ed_attendance", date(2026, 6, 18), "ed_discharge_summary")
    assert (stored.followed_delay, stored.delay_detail) == ("yes", "Waited 17 days for triage with worsening pain")
    assert (stored.recorded_by, stored.recorded_role, stored.recorded_at, stored.submission_token) == (
        actor.user_id, role, RECORDED, "tok-1")
    event = db_session.scalars(select(Event).where(Event.action == actions.URGENT_CONTACT_RECORDED)).one()
    assert (event.entity_type, event.entity_id, event.patient_id, event.referral_id, event.actor_id,
            event.occurred_at) == ("urgent_contact", contact.id, referral.patient_id, referral.id, actor.user_id,
                                   RECORDED)
    assert json.loads(event.data) == {"kind": "ed_attendance", "occurred_on": "2026-06-18",
                                      "source": "ed_discharge_summary", "followed_delay": "yes",
                                      "delay_detail": "Waited 17 days for triage with worsening pain"}
    assert db_session.get(type(referral), referral.id).version == referral.version, "the referral does not move"
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize("role", ["booking", "auditor", "manager"])
def test_other_roles_may_not_record_one(db_session, referral, actor):
    """Whether a contact followed a delay is a clinical judgement, which booking staff do not make."""
    with nothing_written(db_session), pytest.raises(NotPermitted):
        record(db_session, actor, referral)
    assert count(db_session, UrgentContact) == 0


def test_a_contact_a_year_before_the_referral_is_recorded(db_session, clinician, referral):
    """An attendance often prompts the referral: up to a year before it belongs to this pathway."""
    year_before = ContactDetails("crisis_team", RECEIVED_ON - timedelta(days=365), "patient", DelayLink("no"))
    first, second = record(db_session, clinician, referral, year_before), record(db_session, clinician, referral)
    assert [c.id for c in urgent_contacts.contacts_for_referral(db_session, referral.id)] == [second.id, first.id]


def test_a_contact_after_discharge_is_recorded(db_session, clinician, senior):
    """One after discharge counts as much as one while waiting."""
    referral = discharged(db_session, clinician, senior, "2026-06-01 09:00", datetime(2026, 6, 10, 12, tzinfo=UTC))
    assert referral.state == "discharged"
    contact = record(db_session, clinician, referral,
                     ContactDetails("admission", date(2026, 6, 21), "carer", DelayLink()))
    assert (contact.referral_id, contact.followed_delay) == (referral.id, "not_known")


def test_a_delay_described_without_a_yes_is_not_kept(db_session, clinician, referral):
    contact = record(db_session, clinician, referral, ContactDetails(
        "urgent_gp", date(2026, 6, 18), "gp_letter", DelayLink("not_known", "Text left in the hidden box")))
    assert (contact.followed_delay, contact.delay_detail) == ("not_known", None)


@pytest.mark.parametrize(("details", "fields"), [
    (ContactDetails("", date(2026, 6, 18), "patient", DelayLink("no")), {"kind"}),
    (ContactDetails("walk_in", date(2026, 6, 18), "patient", DelayLink("no")), {"kind"}),
    (ContactDetails("urgent_gp", None, "patient", DelayLink("no")), {"occurred_on"}),
    (ContactDetails("urgent_gp", date(2026, 6, 22), "patient", DelayLink("no")), {"occurred_on"}),  # tomorrow
    (ContactDetails("urgent_gp", RECEIVED_ON - timedelta(days=366), "patient", DelayLink("no")), {"occurred_on"}),
    (ContactDetails("urgent_gp", date(2026, 6, 18), "", DelayLink("no")), {"source"}),
    (ContactDetails("urgent_gp", date(2026, 6, 18), "neighbour", DelayLink("no")), {"source"}),
    (ContactDetails("urgent_gp", date(2026, 6, 18), "patient", DelayLink("")), {"followed_delay"}),
    (ContactDetails("urgent_gp", date(2026, 6, 18), "patient", DelayLink("yes", " ")), {"delay_detail"}),
    (ContactDetails("", None, "", DelayLink("")), {"kind", "occurred_on", "source", "followed_delay"}),
])
def test_what_an_urgent_contact_must_have(db_session, clinician, referral, details, fields):
    with nothing_written(db_session), pytest.raises(InvalidInput) as refused:
        record(db_session, clinician, referral, details)
    assert set(refused.value.errors) == fields
    assert count(db_session, UrgentContact) == 0


def test_the_date_limits_are_uk_dates(db_session, clinician, referral):
    """Today is the UK's today: at 23:30 UTC on 21 Jun it is already 22 Jun in London (BST)."""
    late_evening = datetime(2026, 6, 21, 23, 30, tzinfo=UTC)
    today_in_london = ContactDetails("admission", date(2026, 6, 22), "carer", DelayLink("no"))
    assert record(db_session, clinician, referral, today_in_london, now=late_evening).occurred_on == date(2026, 6, 22)


def test_a_second_submit_finds_the_first(db_session, clinician, referral):
    first = record(db_session, clinician, referral, submission_token="tok-1")
    db_session.commit()
    with nothing_written(db_session), pytest.raises(DuplicateSubmission) as repeat:
        record(db_session, clinician, referral, submission_token="tok-1")
    assert repeat.value.existing_id == first.id
    assert count(db_session, UrgentContact) == 1
