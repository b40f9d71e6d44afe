"""Contact problems: when a message fails permanently on the only route recorded for the person it was addressed to,
booking staff get a task to find another way (update the contact details, or call), and close it saying what they did.

Only the route is judged here: whether the patient, or the carer or advocate who receives their messages, has another
channel recorded in their contact details. A message to a referrer opens no task: a referrer is reached through the
referral's own contact, as clarifications are.
"""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, locking, worklists
from inclusive_access.domain.access import BOOKING_WORK, require_role
from inclusive_access.domain.actors import SYSTEM, Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.message_routes import contact_details_for
from inclusive_access.models import ContactTask, OutboxMessage, Patient

NO_WORKING_ROUTE = "no_working_route"
REASON_LABELS = {NO_WORKING_ROUTE: "A message could not be delivered, and no other way to reach them is recorded"}
#: a task is due a day after it opens: the next message (a reminder the day before an appointment) would be lost too
DUE_WITHIN = timedelta(days=1)
NOTE_LIMIT = 2000


def other_routes(session: Session, message: OutboxMessage) -> list[str]:
    """The channels recorded for the message's addressee other than the one that failed (a changed number or
    address on the same channel counts as another route: it has not failed yet)."""
    details = contact_details_for(session, message.patient_id)
    if details is None:
        return []
    if message.addressed_to == "carer":
        mobile, email = details.carer_mobile, details.carer_email
        postal = bool(details.carer_address_lines and details.carer_postcode)
    else:
        mobile, email = details.mobile, details.email
        postal = bool(details.address_lines and session.get(Patient, message.patient_id).postcode)
    routes = {"sms": mobile, "email": email, "letter": postal}
    return [channel for channel, value in routes.items()
            if value and (channel != message.channel or (channel != "letter" and value != message.recipient))]


def open_for_failure(session: Session, message: OutboxMessage, now: datetime) -> ContactTask | None:
    """A task for booking staff when `message`, failed permanently, was the only route to its addressee; None when
    another route is recorded, the addressee is a referrer, or the patient has a task open for this already.

    Called in the status's transaction, after events.lock_log: the check for an open task and the insert cannot
    interleave with another's (uq_contact_tasks_one_open backs it)."""
    if message.addressed_to == "referrer" or other_routes(session, message):
        return None
    if session.scalar(select(ContactTask.id).where(ContactTask.patient_id == message.patient_id,
                                                   ContactTask.reason == NO_WORKING_ROUTE,
                                                   ContactTask.closed_at.is_(None))) is not None:
        return None
    task = ContactTask(patient_id=message.patient_id, referral_id=message.referral_id, message_id=message.id,
                       reason=NO_WORKING_ROUTE, opened_at=now)
    session.add(task)
    session.flush()
    events.record(session, SYSTEM, actions.CONTACT_TASK_OPENED, "contact_task", task.id, patient_id=task.patient_id,
                  referral_id=task.referral_id, now=now,
                  data={"reason": task.reason, "message_id": message.id, "kind": message.kind,
                        "channel": message.channel, "addressed_to": message.addressed_to})
    return task


def close_task(session: Session, actor: Actor, task: ContactTask, seen_version: int, note: str | None,
               now: datetime | None = None) -> None:
    """Close with what was done (details updated, the person called): the note is required."""
    now = now or datetime.now(UTC)
    require_role(actor, BOOKING_WORK)
    events.lock_log(session)
    if task.closed_at is not None:
        raise TransitionNotAllowed("This contact problem is already closed.")
    if seen_version != task.version:
        raise StaleRecord("This contact problem changed since you opened it.")
    note = (note or "").strip()
    if not note:
        raise InvalidInput({"note": "Say what you did: the details you updated, or the call you made"})
    if len(note) > NOTE_LIMIT:
        raise InvalidInput({"note": f"The note must be {NOTE_LIMIT} characters or fewer"})
    task.closed_at, task.closed_by, task.outcome_note = now, actor.user_id, note
    locking.flush(session, "contact problem")
    events.record(session, actor, actions.CONTACT_TASK_CLOSED, "contact_task", task.id, patient_id=task.patient_id,
                  referral_id=task.referral_id, now=now, data={"reason": task.reason, "note": note})


def _open():
    return select(ContactTask).where(ContactTask.closed_at.is_(None))


def worklist(session: Session, now: datetime, page: int = 1,
             per_page: int = worklists.PER_PAGE) -> worklists.WorklistPage:
    """Open tasks, oldest first (overdue, due today, later). Reads ix_contact_tasks_open (closed_at, opened_at)."""
    return worklists.page_of(session, _open(), ContactTask.opened_at, DUE_WITHIN,
                             (ContactTask.opened_at, ContactTask.id), now, page, per_page)


def count_open(session: Session) -> int:
    return worklists.count(session, _open())


def failed_messages(session: Session, tasks: list[ContactTask]) -> dict[int, OutboxMessage]:
    """The failed message of each task on a page, by id: one query for the page."""
    ids = [task.message_id for task in tasks]
    return {m.id: m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))} if ids else {}
