"""Our records as FHIR R4 resources (JSON-ready dicts) shaped to UK Core. Pure: each takes rows already read.

References are relative ("Patient/12"), resolved against the API's base URL."""
import json
from datetime import UTC, datetime, timedelta

from inclusive_access.domain import actions, adjustments, appointments, equity, segments
from inclusive_access.domain.instruments import Instrument
from inclusive_access.fhir import codes
from inclusive_access.models import Appointment, Event, Patient, QuestionnaireResponse, ReasonableAdjustment, Referral


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


def _meta(resource_type: str) -> dict:
    return {"profile": [codes.profile(resource_type)]}


def patient(row: Patient) -> dict:
    """Identified by NHS number (none for a patient registered from an outreach record without one); the ethnic
    category in UK Core's extension; the postcode alone of the address; a birth date estimated from an approximate
    age as its year alone, the precision it has."""
    resource = {
        "resourceType": "Patient", "id": str(row.id), "meta": _meta("Patient"),
        "extension": [{"url": codes.ETHNIC_CATEGORY_EXTENSION, "valueCodeableConcept": {"coding": [_coding(
            codes.ETHNIC_CATEGORY_SYSTEM, row.ethnic_category, equity.ETHNIC_CATEGORIES[row.ethnic_category])]}}],
        **({"identifier": [{"system": codes.NHS_NUMBER, "value": row.nhs_number}]} if row.nhs_number else {}),
        "name": [{"use": "official", "family": row.family_name, "given": [row.given_name]}],
        "gender": codes.GENDER[row.sex],
        "birthDate": str(row.date_of_birth.year) if row.date_of_birth_estimated else row.date_of_birth.isoformat(),
    }
    if row.postcode:
        resource["address"] = [{"postalCode": row.postcode}]
    return resource


def service_request(row: Referral) -> dict:
    """The referral: its state as a status, the inequality flags derived at receipt as categories (ours), the
    referrer's organisation by its ODS code when it was given."""
    resource = {
        "resourceType": "ServiceRequest", "id": str(row.id), "meta": _meta("ServiceRequest"),
        "status": codes.SERVICE_REQUEST_STATUS[row.state], "intent": "order", "priority": row.urgency,
        "code": {"text": row.pathway.name},
        "subject": {"reference": f"Patient/{row.patient_id}"},
        "authoredOn": instant(row.received_at),
        "requester": {"display": f"{row.referrer_name}, {row.referrer_organisation}"},
        "reasonCode": [{"text": row.reason}],
    }
    if row.referrer_ods_code:
        resource["requester"]["identifier"] = {"system": codes.ODS_CODE, "value": row.referrer_ods_code}
    if row.flags:  # FHIR has no empty lists
        resource["category"] = [{"coding": [_coding(codes.INEQUALITY_FLAG, flag, segments.FLAG_LABELS[flag])]}
                                for flag in row.flags]
    return resource


def _format(row: Appointment) -> dict:
    return {"coding": [_coding(codes.CONTACT_FORMAT, row.format, appointments.FORMATS[row.format])]}


def appointment(row: Appointment, patient_id: int) -> dict:
    """A booked contact; a missed one is a no-show, arriving too late to be seen a cancellation with its reason."""
    resource = {
        "resourceType": "Appointment", "id": str(row.id), "meta": _meta("Appointment"),
        "status": codes.APPOINTMENT_STATUS[row.status], "appointmentType": _format(row),
        "start": instant(row.starts_at), "end": instant(row.starts_at + timedelta(minutes=row.duration_minutes)),
        "minutesDuration": row.duration_minutes, "created": instant(row.booked_at),
        "basedOn": [{"reference": f"ServiceRequest/{row.referral_id}"}],
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    }
    if row.status in ("late_not_seen", "cancelled_patient", "cancelled_service"):
        resource["cancelationReason"] = {"text": row.cancel_reason or appointments.OUTCOMES[row.status]}
    return resource


def encounter(row: Appointment, patient_id: int) -> dict | None:
    """An attended contact; None for an appointment where the patient was not seen."""
    if row.status not in appointments.SEEN:
        return None
    code, display = codes.ENCOUNTER_CLASS[row.format]
    return {
        "resourceType": "Encounter", "id": str(row.id), "meta": _meta("Encounter"), "status": "finished",
        "class": _coding(codes.ACT_CODE, code, display), "type": [_format(row)],
        "subject": {"reference": f"Patient/{patient_id}"},
        "basedOn": [{"reference": f"ServiceRequest/{row.referral_id}"}],
        "appointment": [{"reference": f"Appointment/{row.id}"}],
        "period": {"start": instant(row.starts_at),
                   "end": instant(row.starts_at + timedelta(minutes=row.duration_minutes))},
    }


def adjustment_flag(row: ReasonableAdjustment) -> dict:
    """A reasonable adjustment, in the spirit of the NHS Reasonable Adjustment Flag: what to do, for whom, since
    when, and, once ended, until when."""
    period = {"start": instant(row.recorded_at)}
    if row.ended_at:
        period["end"] = instant(row.ended_at)
    return {
        "resourceType": "Flag", "id": f"adjustment-{row.id}", "meta": _meta("Flag"),
        "status": "active" if row.status == "active" else "inactive",
        "category": [{"coding": [_coding(codes.FLAG_CATEGORY, "admin", "Administrative")]},
                     {"coding": [_coding(codes.ADJUSTMENT_CATEGORY, row.category,
                                         adjustments.SHORT_LABELS[row.category])]}],
        "code": {"text": row.description}, "subject": {"reference": f"Patient/{row.patient_id}"},
        "period": period,
    }


def communication_flags(row: Patient) -> list[dict]:
    """Each Accessible Information Standard need recorded for the patient, as an active flag."""
    return [{
        # a FHIR id allows letters, digits, '-' and '.'
        "resourceType": "Flag", "id": f"communication-{row.id}-{need.replace('_', '-')}", "meta": _meta("Flag"),
        "status": "active",
        "category": [{"coding": [_coding(codes.FLAG_CATEGORY, "admin", "Administrative")]}],
        "code": {"coding": [_coding(codes.COMMUNICATION_NEED, need, equity.COMMUNICATION_NEEDS[need])]},
        "subject": {"reference": f"Patient/{row.id}"},
    } for need in row.communication_needs or ()]


def questionnaire_response(row: QuestionnaireResponse, instrument: Instrument) -> dict:
    """One completed outcome or experience questionnaire: each answer as its option's code and label, the score as
    an extension (ours) so a receiver need not re-score it. `instrument` is the definition it was answered under."""
    answers = json.loads(row.answers)
    resource = {
        "resourceType": "QuestionnaireResponse", "id": str(row.id), "meta": _meta("QuestionnaireResponse"),
        "questionnaire": f"{codes.QUESTIONNAIRES}{row.instrument_id}|{row.instrument_version}",
        "status": "completed", "subject": {"reference": f"Patient/{row.patient_id}"},
        "basedOn": [{"reference": f"ServiceRequest/{row.referral_id}"}], "authored": instant(row.completed_at),
        "item": [{"linkId": item.id, "text": item.text,
                  "answer": [{"valueCoding": _coding(codes.QUESTIONNAIRES + row.instrument_id, option.code,
                                                     option.label)}]}
                 for item in instrument.items if (option := item.option(answers.get(item.id, ""))) is not None],
    }
    if row.recorded_by is None:
        resource["source"] = {"reference": f"Patient/{row.patient_id}"}
    if row.score is not None:
        resource["extension"] = [{"url": codes.QUESTIONNAIRE_SCORE, "valueDecimal": row.score}]
    return resource


#: the API's own actions are RESTful operations (audit-event-type "rest"); the rest are ours
_REST_ACTIONS = frozenset({actions.FHIR_READ, actions.FHIR_WRITE, actions.FHIR_EXPORTED})
#: actions that only read; the others create (a first arrival or creation) or update (every other change)
_READ_ACTIONS = frozenset({actions.RECORD_VIEWED, actions.FHIR_READ, actions.FHIR_EXPORTED})


def _audit_action(action: str) -> str:
    """AuditEvent.action: R for a read, C for what arrives or is created, U for any other change (the log never
    deletes, and our actions are changes rather than executions)."""
    if action in _READ_ACTIONS:
        return "R"
    return "C" if action.endswith((".received", ".created")) or action == actions.FHIR_WRITE else "U"


def audit_event(row: Event) -> dict:
    """One event of the log: who did what to which record, when. Never its data, which may hold clinical text
    (who reads that is event_view's policy, in the app only). Its id is the event's position in the chain."""
    event_type = (_coding(codes.AUDIT_EVENT_TYPE, "rest", "RESTful Operation") if row.action in _REST_ACTIONS
                  else _coding(codes.ACTION, row.action, row.action))
    if row.actor_id is not None:
        agent = {"who": {"identifier": {"system": codes.OUR_SYSTEMS + "user", "value": str(row.actor_id)}},
                 "requestor": True, "role": [{"text": row.actor_role}]}
    elif row.entity_type == "api_client" and row.action in _REST_ACTIONS:
        agent = {"who": {"identifier": {"system": codes.OUR_SYSTEMS + "api-client", "value": str(row.entity_id)}},
                 "requestor": True}
    else:
        agent = {"who": {"display": "Inclusive Access (system)"}, "requestor": False}
    entities = ([{"what": {"reference": f"Patient/{row.patient_id}"}}] if row.patient_id is not None else []) + (
        [{"what": {"reference": f"ServiceRequest/{row.referral_id}"}}] if row.referral_id is not None else [])
    resource = {
        "resourceType": "AuditEvent", "id": str(row.seq), "meta": _meta("AuditEvent"), "type": event_type,
        "subtype": [_coding(codes.ACTION, row.action, row.action)], "action": _audit_action(row.action),
        "recorded": instant(row.occurred_at), "outcome": "0", "agent": [agent],
        "source": {"observer": {"display": "Inclusive Access"}},
    }
    if entities:
        resource["entity"] = entities
    return resource
