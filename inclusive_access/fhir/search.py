"""The FHIR API's reads and searches: each a query on an indexed column, paged by keyset (id after the last one
sent) and bounded by the page size, its rows made into resources by the builders of fhir/resources.py.

A search takes its parameters already split from the query string; a bad one raises BadSearch (400)."""
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, false, func, select, true
from sqlalchemy.orm import Session, joinedload

from inclusive_access.domain import appointments
from inclusive_access.domain.instruments import Instrument
from inclusive_access.domain.validation import LONDON
from inclusive_access.fhir import codes, resources
from inclusive_access.models import Appointment, Event, Patient, QuestionnaireResponse, ReasonableAdjustment, Referral

#: resource type -> the search parameters it answers (besides _count and the paging cursor)
SEARCH_PARAMETERS: dict[str, tuple[str, ...]] = {
    "Patient": ("identifier",), "ServiceRequest": ("patient", "status"), "Appointment": ("patient", "date"),
    "Encounter": ("patient",), "Flag": ("patient",), "QuestionnaireResponse": ("patient",),
    "AuditEvent": ("patient", "date")}
DEFAULT_COUNT, MAX_COUNT = 50, 200
#: FHIR ServiceRequest status -> the referral states it stands for
_STATES_OF = {status: [state for state, s in codes.SERVICE_REQUEST_STATUS.items() if s == status]
              for status in set(codes.SERVICE_REQUEST_STATUS.values())}
_DATE = re.compile(r"(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2})")
_ADJUSTMENT_FLAG = re.compile(r"adjustment-([1-9]\d{0,9})")
_COMMUNICATION_FLAG = re.compile(r"communication-([1-9]\d{0,9})-([a-z-]+)")
LARGEST_ID = 2**31 - 1


class BadSearch(ValueError):
    """A search parameter this server does not answer, or a value it cannot read: the message says which."""


@dataclass(frozen=True)
class Page:
    """One page of a search: its resources, how many match in all (on the first page only: counting every match
    again for each later page would cost a scan of them all per page), and the cursor of the next page (None: last)."""

    resources: list[dict]
    total: int | None
    after: str | None


def _id(value: str) -> int | None:
    """A row id from a FHIR id, or None when it cannot name one of ours (as we write them: no leading zero)."""
    return int(value) if re.fullmatch(r"[1-9]\d{0,9}", value) and int(value) <= LARGEST_ID else None


def _patient(value: str) -> int:
    found = _id(value.removeprefix("Patient/"))
    if found is None:
        raise BadSearch(f"patient: expected Patient/<id> or <id>, not {value!r}")
    return found


@dataclass(frozen=True)
class Kind:
    """How one resource type is read: the rows (with any columns its builder needs), its id column, and the builder
    taking a row of that select."""

    rows: Callable[[], Select]
    id_column: object
    build: Callable
    #: what the builder reads beyond the row, loaded with it
    options: tuple = ()


def kinds(instruments: Mapping[str, Instrument]) -> dict[str, Kind]:
    with_patient = select(Appointment, Referral.patient_id).join(Referral, Referral.id == Appointment.referral_id)
    return {
        "Patient": Kind(lambda: select(Patient), Patient.id, lambda row: resources.patient(row[0])),
        "ServiceRequest": Kind(lambda: select(Referral), Referral.id, lambda row: resources.service_request(row[0]),
                                (joinedload(Referral.pathway),)),
        "Appointment": Kind(lambda: with_patient, Appointment.id, lambda row: resources.appointment(*row)),
        "Encounter": Kind(lambda: with_patient.where(Appointment.status.in_(appointments.SEEN)), Appointment.id,
                           lambda row: resources.encounter(*row)),
        "QuestionnaireResponse": Kind(
            lambda: select(QuestionnaireResponse), QuestionnaireResponse.id,
            lambda row: resources.questionnaire_response(row[0], instruments[row[0].instrument_id])),
        # by seq, the primary key; a patient's through ix_events_patient_seq
        "AuditEvent": Kind(lambda: select(Event), Event.seq, lambda row: resources.audit_event(row[0])),
    }


def patient_of_read(resource: dict) -> int | None:
    """The patient whose data a read by id returned (for the access log): the Patient, or the one its subject or
    participant names. An AuditEvent names none: it holds no patient data, and a read of a patient's AuditEvents
    naming them would add to the very pages being read."""
    if resource["resourceType"] == "AuditEvent":
        return None
    if resource["resourceType"] == "Patient":
        return int(resource["id"])
    references = [resource.get("subject", {})] + [p.get("actor", {}) for p in resource.get("participant", [])]
    return next((_id(r["reference"].removeprefix("Patient/")) for r in references
                 if r.get("reference", "").startswith("Patient/")), None)


def patient_of_search(resource_type: str, params: list[tuple[str, str]], found: list[dict]) -> int | None:
    """The one patient whose data a search returned (for the access log): the patient searched by, or the one
    Patient a search by NHS number found; None when it found nothing, names no single patient, or is of AuditEvents
    (as for a read)."""
    if not found or resource_type == "AuditEvent":
        return None
    patients = {_id(value.removeprefix("Patient/")) for name, value in params if name == "patient"}
    if len(patients) == 1:
        return patients.pop()
    return int(found[0]["id"]) if resource_type == "Patient" and len(found) == 1 else None


def read(session: Session, resource_type: str, resource_id: str, instruments: Mapping[str, Instrument]) -> dict | None:
    """One resource by its id, or None when there is no such resource."""
    if resource_type == "Flag":
        return _read_flag(session, resource_id)
    kind, row_id = kinds(instruments)[resource_type], _id(resource_id)
    if row_id is None:
        return None
    row = session.execute(kind.rows().options(*kind.options).where(kind.id_column == row_id)).first()
    return None if row is None else kind.build(row)


def _read_flag(session: Session, resource_id: str) -> dict | None:
    if found := _ADJUSTMENT_FLAG.fullmatch(resource_id):
        row = session.get(ReasonableAdjustment, int(found.group(1)))
        return None if row is None else resources.adjustment_flag(row)
    if (found := _COMMUNICATION_FLAG.fullmatch(resource_id)) and _id(found.group(1)):
        patient = session.get(Patient, int(found.group(1)))
        flags = resources.communication_flags(patient) if patient else []
        return next((flag for flag in flags if flag["id"] == resource_id), None)
    return None


def search(session: Session, resource_type: str, params: list[tuple[str, str]], count: int, after: str | None,
           instruments: Mapping[str, Instrument]) -> Page:
    """The page of `count` resources after the cursor `after` that match every parameter, ordered by id."""
    unknown = sorted({name for name, _ in params} - set(SEARCH_PARAMETERS[resource_type]))
    if unknown:
        raise BadSearch(f"{resource_type} has no search parameter {', '.join(unknown)}; it has "
                        f"{', '.join(SEARCH_PARAMETERS[resource_type])}, _count")
    if resource_type == "Flag":
        return _search_flags(session, params, count, after)
    kind = kinds(instruments)[resource_type]
    query = kind.rows()
    for name, value in params:
        query = query.where(*_condition(resource_type, name, value))
    total = session.scalar(select(func.count()).select_from(query.subquery())) if after is None else None
    if after is not None:
        last = _id(after)
        if last is None:
            raise BadSearch(f"_after: not a page of this search: {after!r}")
        query = query.where(kind.id_column > last)
    rows = session.execute(query.options(*kind.options).order_by(kind.id_column).limit(count + 1)).all()
    made = [kind.build(row) for row in rows[:count]]
    return Page(made, total, made[-1]["id"] if len(rows) > count else None)


def _condition(resource_type: str, name: str, value: str) -> list:
    """The WHERE clauses of one parameter; each one is on an indexed column (or found through the referral's)."""
    if name == "identifier":
        system, _, number = value.rpartition("|")
        if not re.fullmatch(r"\d{10}", number):
            raise BadSearch(f"identifier: expected {codes.NHS_NUMBER}|<10-digit NHS number>, not {value!r}")
        return [Patient.nhs_number == number, true() if system in ("", codes.NHS_NUMBER) else false()]
    if name == "status":
        statuses = value.split(",")
        if unknown := [s for s in statuses if s not in _STATES_OF]:
            raise BadSearch(f"status: {', '.join(unknown)} is not one of {', '.join(sorted(_STATES_OF))}")
        return [Referral.state.in_([state for status in statuses for state in _STATES_OF[status]])]
    if name == "date":
        return _date(value, Event.occurred_at if resource_type == "AuditEvent" else Appointment.starts_at)
    patient_id = _patient(value)
    if resource_type == "AuditEvent":
        return [Event.patient_id == patient_id]
    if resource_type == "QuestionnaireResponse":
        return [QuestionnaireResponse.referral_id.in_(select(Referral.id).where(Referral.patient_id == patient_id))]
    return [Referral.patient_id == patient_id]  # a referral's, or an appointment's joined to its referral


def _date(value: str, column) -> list:
    """date=[prefix]YYYY-MM-DD: the column (an appointment's start, an event's time) on, after or before that day
    in UK time."""
    found = _DATE.fullmatch(value)
    try:
        day = date.fromisoformat(found.group(2)) if found else None
    except ValueError:
        day = None
    if day is None:
        raise BadSearch(f"date: expected [eq|ge|gt|le|lt]YYYY-MM-DD, not {value!r}")

    def start(of: date) -> datetime:
        return datetime.combine(of, time(), LONDON)

    prefix, next_day = found.group(1) or "eq", day + timedelta(days=1)
    return {"eq": [column >= start(day), column < start(next_day)],
            "ge": [column >= start(day)], "gt": [column >= start(next_day)],
            "le": [column < start(next_day)], "lt": [column < start(day)]}[prefix]


def _search_flags(session: Session, params: list[tuple[str, str]], count: int, after: str | None) -> Page:
    """A patient's flags: their communication needs first, then their adjustments by id (active and ended, each
    with its status). The cursor is the last flag's id."""
    patients = {_patient(value) for _name, value in params}
    if len(patients) != 1:
        raise BadSearch("Flag: search with one patient")
    patient = session.get(Patient, patients.pop())
    needs = resources.communication_flags(patient) if patient else []
    adjustments = select(ReasonableAdjustment).where(ReasonableAdjustment.patient_id == (patient.id if patient else 0))
    total = None if after is not None else (
        len(needs) + session.scalar(select(func.count()).select_from(adjustments.subquery())))
    last_adjustment = 0
    if after is not None:
        ids = [flag["id"] for flag in needs]
        if after in ids:
            needs = needs[ids.index(after) + 1:]
        elif found := _ADJUSTMENT_FLAG.fullmatch(after):
            needs, last_adjustment = [], int(found.group(1))
        else:
            raise BadSearch(f"_after: not a page of this search: {after!r}")
    made = needs[:count + 1]
    made += [resources.adjustment_flag(row) for row in session.scalars(
        adjustments.where(ReasonableAdjustment.id > last_adjustment).order_by(ReasonableAdjustment.id)
        .limit(count + 1 - len(made)))]
    return Page(made[:count], total, made[count - 1]["id"] if len(made) > count else None)
