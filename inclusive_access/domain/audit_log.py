"""What auditors read from the event log: a record's full timeline with its chain check, who viewed a patient,
which records a user viewed, and the whole-log verification run from the page."""
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, event_chain, events, keyset
from inclusive_access.domain.access import OVERSIGHT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.event_view import ShownEvent, shown
from inclusive_access.models import ApiClient, Event, Patient, User


@dataclass(frozen=True)
class Timeline:
    rows: list[ShownEvent]
    #: every action the record has, for the filter
    actions: list[str]
    #: sequences of shown events whose hash or link does not verify
    broken: list[int]


def record_timeline(session: Session, viewer: Actor, *, patient_id: int | None = None,
                    referral_id: int | None = None, action: str | None = None) -> Timeline:
    """Every event of a patient (all their referrals) or of one referral, oldest first, views included, optionally
    one action only (reads ix_events_patient_seq / ix_events_referral_seq). The chain is checked on the stored
    events; the rows carry what the viewer's role may read of them (event_view.POLICY)."""
    where = Event.referral_id == referral_id if referral_id is not None else Event.patient_id == patient_id
    present = sorted(session.scalars(select(Event.action).where(where).distinct()))
    query = (select(Event, User.display_name).join(User, User.id == Event.actor_id, isouter=True).where(where)
             .order_by(Event.seq))
    if action:
        query = query.where(Event.action == action)
    found = session.execute(query).all()
    rows = [shown(event, name, viewer.role) for event, name in found]
    return Timeline(rows, present, event_chain.check_events(session, [event for event, _name in found]))


def patient_views(session: Session, patient_id: int, limit: int = 500) -> list[dict]:
    """Who opened this patient's record, and when, newest first: staff, and API clients that read their data
    (client_name set; api_clients.record_read names the patient). Reads ix_events_patient_seq."""
    query = (select(Event.occurred_at, Event.actor_role, Event.referral_id, User.display_name, User.username,
                    ApiClient.name.label("client_name"))
             .join(User, User.id == Event.actor_id, isouter=True)
             .join(ApiClient, (Event.entity_type == "api_client") & (ApiClient.id == Event.entity_id), isouter=True)
             .where(Event.patient_id == patient_id, Event.action.in_((actions.RECORD_VIEWED, actions.FHIR_READ)))
             .order_by(Event.seq.desc()).limit(limit))
    return [dict(row._mapping) for row in session.execute(query)]


#: views on a page of a user's access log
VIEWS_PER_PAGE = 100
#: what a user viewed, newest first, read backwards along ix_events_actor_action_occurred
_VIEWS_NEWEST = keyset.Order(Event.occurred_at, Event.seq, lambda row: keyset.Key(row.occurred_at, row.seq))


def user_views(session: Session, user_id: int, start: datetime, end: datetime, *, after: keyset.Key | None = None,
               before: keyset.Key | None = None, per_page: int = 100) -> keyset.KeysetPage:
    """Which records this user opened between start and end, newest first, a page at a time (rows as dicts): the
    period's views are read from ix_events_actor_action_occurred, never the rest of the user's history."""
    query = (select(Event.occurred_at, Event.seq, Event.patient_id, Event.referral_id, Patient.given_name,
                    Patient.family_name, Patient.nhs_number)
             .join(Patient, Patient.id == Event.patient_id)
             .where(Event.actor_id == user_id, Event.action == actions.RECORD_VIEWED, Event.occurred_at >= start,
                    Event.occurred_at < end))
    found = keyset.page(session, query, _VIEWS_NEWEST, after=after, before=before, per_page=per_page)
    return replace(found, rows=[dict(row._mapping) for row in found.rows])


def record_verification(session: Session, actor: Actor, result: event_chain.Verification) -> None:
    """Log that an auditor or manager verified the whole chain, and what it showed."""
    require_role(actor, OVERSIGHT)
    events.record(session, actor, actions.LOG_VERIFIED, "event_log", None,
                  data={"ok": result.ok, "count": result.count, "head_hash": result.head_hash,
                        "bad_seq": result.bad_seq, "reason": result.reason})
