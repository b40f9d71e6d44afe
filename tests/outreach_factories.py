"""Outreach factories: a partner, a venue and a session planned through the domain, the minimum record a
clinician's device sends from it, and an engagement plan's form."""
import uuid
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy.orm import Session

from inclusive_access.domain import outreach, outreach_records
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutreachRecord, OutreachSession

#: a Tuesday afternoon session at a hostel, and a person seen half an hour in
SESSION_STARTS = datetime(2026, 6, 2, 13, 0, tzinfo=UTC)
SEEN = SESSION_STARTS + timedelta(minutes=30)
_names = count(1)
#: the day an engagement plan was agreed at that session
PLAN_AGREED = SESSION_STARTS.date()


def planned_session(session: Session, manager: Actor, clinicians: list[Actor],
                    starts_at: datetime = SESSION_STARTS) -> OutreachSession:
    """A session at a new hostel run by a new housing partner, with `clinicians` named on it."""
    n = next(_names)
    partner = outreach.add_partner(session, manager, outreach.parse_partner({
        "name": f"Harbour Housing Trust {n}", "kind": "housing", "contact_name": "Sam Example",
        "sharing_agreement": "Outreach information-sharing agreement v2 (synthetic)"}))
    venue = outreach.add_venue(session, manager, outreach.parse_venue(session, {
        "name": f"Quayside Hostel {n}", "kind": "hostel", "postcode": "LS1 4AP", "partner_id": str(partner.id)}))
    local = starts_at.astimezone(LONDON).replace(tzinfo=None)
    return outreach.plan_session(session, manager, outreach.parse_session_plan(session, {
        "venue_id": str(venue.id), "starts_at": local.isoformat(), "ends_at": (local + timedelta(hours=3)).isoformat(),
        "partner_staff": "Two hostel key workers"}, [str(c.user_id) for c in clinicians]))


def minimum_record(**overrides) -> dict:
    """A complete minimum record as the device sends it: a person who gave a first name only, nothing of concern
    on the screens, a follow-up a week on."""
    return {"client_key": str(uuid.uuid4()), "seen_at": SEEN.isoformat(), "given_name": "Alex",
            "approximate_age": "40", "consent_to_share": "yes", "shared_with_partner_ids": [],
            "presenting_need": "Low mood, sleeping rough for two weeks", "exploitation_risk": "no",
            "self_neglect_risk": "no", "flags": ["housing"], "action_agreed": "GP registration started",
            "follow_up_on": "2026-06-09", "follow_up_plan": "See at next week's session", **overrides}


def received(session: Session, clinician: Actor, planned: OutreachSession, now: datetime | None = None,
             **overrides) -> OutreachRecord:
    record, _created = outreach_records.receive_record(session, clinician, planned, minimum_record(**overrides),
                                                       now=now or SEEN + timedelta(hours=2))
    return record


def plan_form(partner, **overrides) -> dict:
    """A plan agreed at the hostel: the service registers the person with a GP, the partner keeps the bed."""
    return {"partner_id": str(partner.id), "agreed_on": PLAN_AGREED.isoformat(),
            "agreed_by": "Alex, with Sam (key worker) and the outreach nurse",
            "step_1_owner": "service", "step_1_owner_name": "Nurse Demo", "step_1_action": "Register with a GP",
            "step_1_due_on": "2026-06-09",
            "step_2_owner": "partner", "step_2_owner_name": "Sam Example", "step_2_action": "Keep the bed open",
            "step_2_due_on": "2026-06-16", **overrides}
