"""Every resource of one type as a bulk export reads them: in id order, a batch of rows at a time (keyset: the ids
after the last batch's, so each batch is an index range however far in), each built by the read API's builders
from its batch's rows alone (relationships a row does not need are never loaded, and one it needs comes in its
batch's query: no query per row), and each batch let go before the next, so memory stays flat at any size.

An incremental export (_since) takes only resources whose record changed after a point in the event log: a record
changes when the log has an event about it that is not a read (views and API reads leave it as it was). A
Patient (and its communication-need Flags) changes with the patient's own events (registered, updated), an
adjustment Flag with the adjustment's; a ServiceRequest, its Appointments, Encounters and QuestionnaireResponses
with any event naming the referral: a referral's status moves with the work of many kinds of record, so any of
them counts. That may send a resource again unchanged (a client replaces a resource by its id, so it costs a
line), and never misses one."""
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Text, cast, exists, func, select
from sqlalchemy.orm import Session, raiseload

from inclusive_access.domain import actions
from inclusive_access.domain.instruments import Instrument
from inclusive_access.fhir import resources, search
from inclusive_access.models import Appointment, Event, Patient, QuestionnaireResponse, ReasonableAdjustment, Referral

BATCH = 1000
_READS = (actions.RECORD_VIEWED, actions.FHIR_READ)
#: a patient's communication needs as stored JSON text: the patients without any are left out in SQL
_NEEDS_TEXT = func.coalesce(cast(Patient.communication_needs, Text), "[]")


def changed_after(session: Session, since: datetime, head_seq: int) -> int:
    """The log's position just before `since`: the seq before the first event timed after it (the head when there
    is none). An event stamped earlier than its place in the log (history loaded in bulk) counts as after it, so
    nothing changed after `since` is left out. Reads ix_events_occurred_seq."""
    first = session.scalar(select(func.min(Event.seq)).where(Event.occurred_at > since, Event.seq <= head_seq))
    return head_seq if first is None else first - 1


def _patient_changed(column, after: int) -> ColumnElement:
    """Reads ix_events_patient_seq: one seek per row."""
    return exists().where(Event.patient_id == column, Event.seq > after, Event.entity_type == "patient",
                          Event.action.not_in(_READS))


def _adjustment_changed(after: int) -> ColumnElement:
    return exists().where(Event.patient_id == ReasonableAdjustment.patient_id, Event.seq > after,
                          Event.entity_type == "adjustment", Event.entity_id == ReasonableAdjustment.id)


def _referral_changed(column, after: int) -> ColumnElement:
    """Reads ix_events_referral_seq: one seek per row."""
    return exists().where(Event.referral_id == column, Event.seq > after, Event.action.not_in(_READS))


@dataclass(frozen=True)
class _Source:
    """One table's rows as resources of the type: how each row builds (a resource, a list of them, or None), and
    the condition a row's record changed after a log position."""

    kind: search.Kind
    changed: Callable[[int], ColumnElement]


def _sources(resource_type: str, instruments: Mapping[str, Instrument]) -> list[_Source]:
    kinds = search.kinds(instruments)
    if resource_type == "Flag":  # communication needs first, as a patient's Flag search lists them
        needs = search.Kind(lambda: select(Patient).where(_NEEDS_TEXT.not_in(("[]", "null"))), Patient.id,
                            lambda row: resources.communication_flags(row[0]))
        adjustments = search.Kind(lambda: select(ReasonableAdjustment), ReasonableAdjustment.id,
                                  lambda row: resources.adjustment_flag(row[0]))
        return [_Source(needs, lambda after: _patient_changed(Patient.id, after)),
                _Source(adjustments, _adjustment_changed)]
    changed = {
        "Patient": lambda after: _patient_changed(Patient.id, after),
        "ServiceRequest": lambda after: _referral_changed(Referral.id, after),
        "Appointment": lambda after: _referral_changed(Appointment.referral_id, after),
        "QuestionnaireResponse": lambda after: _referral_changed(QuestionnaireResponse.referral_id, after),
        "AuditEvent": lambda after: Event.seq > after,
    }
    changed["Encounter"] = changed["Appointment"]
    return [_Source(kinds[resource_type], changed[resource_type])]


def _made(built) -> list[dict]:
    if built is None:
        return []
    return built if isinstance(built, list) else [built]


def resources_of(session: Session, resource_type: str, instruments: Mapping[str, Instrument],
                 changed_after_seq: int | None = None, batch: int = BATCH) -> Iterator[dict]:
    """Each resource of the type in the session's snapshot, in id order; only those whose record changed after
    the log position `changed_after_seq` when it is given."""
    for source in _sources(resource_type, instruments):
        kind, key, last = source.kind, source.kind.id_column.key, 0
        while True:
            query = kind.rows().options(*kind.options, raiseload("*")).where(kind.id_column > last)
            if changed_after_seq is not None:
                query = query.where(source.changed(changed_after_seq))
            rows = session.execute(query.order_by(kind.id_column).limit(batch)).all()
            for row in rows:
                yield from _made(kind.build(row))
            if len(rows) < batch:
                break
            last = getattr(rows[-1][0], key)
            session.expunge_all()
        session.expunge_all()
