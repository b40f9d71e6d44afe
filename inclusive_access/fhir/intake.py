"""A referral received as FHIR: a transaction Bundle of one Patient and one ServiceRequest read into the intake's
row, so the form's, the CSV's and the API's referrals meet one set of rules (domain/intake.py). Pure.

The preferred language is Patient.communication's preferred one (else the first), as its text or its coding's
display. What FHIR does not carry gets the intake's "not known": the IMD decile (none), the interpreter, learning
disability, cognitive impairment and caring answers (not known), the housing status (not known), communication
needs (none). A missing ethnic category extension is 99, not known (not asked); a
missing gender not known; a missing priority routine (FHIR's meaning of none)."""
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from inclusive_access.fhir import codes

PATHWAY = codes.OUR_SYSTEMS + "pathway"
#: administrative gender -> our sex codes: UK Core maps Indeterminate to "other"; FHIR's "unknown" cannot say
#: whether the patient was asked, so it is not known
SEX = {"male": "male", "female": "female", "other": "indeterminate", "unknown": "not_known"}
#: FHIR's four priorities onto our two: anything sooner than routine is urgent
URGENCY = {"routine": "routine", "urgent": "urgent", "asap": "urgent", "stat": "urgent"}
NOT_CARRIED = {"imd_decile": "", "imd_index": "", "interpreter_needed": "unknown",
               "communication_needs": "", "housing_status": "not_known", "learning_disability": "unknown",
               "cognitive_impairment": "unknown", "caring_responsibilities": "unknown"}
#: an intake field -> the FHIR element it was read from, for an OperationOutcome's expression
ELEMENTS = {
    "nhs_number": "Patient.identifier", "given_name": "Patient.name.given", "family_name": "Patient.name.family",
    "date_of_birth": "Patient.birthDate", "sex": "Patient.gender", "postcode": "Patient.address.postalCode",
    "ethnic_category": "Patient.extension", "preferred_language": "Patient.communication.language",
    "pathway": "ServiceRequest.code",
    "referrer_name": "ServiceRequest.requester.display", "referrer_organisation": "ServiceRequest.requester",
    "referrer_ods_code": "ServiceRequest.requester.identifier", "received_at": "ServiceRequest.authoredOn",
    "reason": "ServiceRequest.reasonCode", "urgency": "ServiceRequest.priority",
    "external_ref": "ServiceRequest.identifier",
}


class Malformed(Exception):
    """Not a transaction Bundle of one Patient and the ServiceRequest about them, or not valid FHIR R4."""


def element(field: str) -> str:
    return ELEMENTS.get(field, "Bundle")


def intake_row(body: object, referrer_contact: str) -> dict:
    """The intake row the Bundle says; the referrer's contact, which a Reference does not carry, is given."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle" or body.get("type") != "transaction":
        raise Malformed("Send a transaction Bundle holding one Patient and one ServiceRequest")
    _valid(Bundle, body)  # its entries' resources too (though not a code against its value set: gender is the intake's)
    entries = body.get("entry") or []
    by_type = {}
    for entry in entries:
        by_type.setdefault(entry.get("resource", {}).get("resourceType"), []).append(entry)
    if len(entries) != 2 or len(by_type.get("Patient", ())) != 1 or len(by_type.get("ServiceRequest", ())) != 1:
        raise Malformed("The Bundle must hold exactly one Patient and one ServiceRequest")
    [patient_entry], [request_entry] = by_type["Patient"], by_type["ServiceRequest"]
    patient, request = patient_entry["resource"], request_entry["resource"]
    if not patient_entry.get("fullUrl") or (request.get("subject") or {}).get("reference") != patient_entry["fullUrl"]:
        raise Malformed("ServiceRequest.subject must reference the Patient by its entry's fullUrl")
    return {**NOT_CARRIED, **_patient(patient), **_referral(request), "referrer_contact": referrer_contact}


def _valid(model, resource: dict) -> None:
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Malformed(f"Not valid FHIR R4: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc


def _patient(patient: dict) -> dict:
    name = next((n for n in patient.get("name", []) if n.get("use") == "official"), None) or \
        next(iter(patient.get("name", [])), {})
    ethnicity = next((e for e in patient.get("extension", []) if e.get("url") == codes.ETHNIC_CATEGORY_EXTENSION),
                     None)
    gender = patient.get("gender")
    return {
        "nhs_number": _identifier(patient, codes.NHS_NUMBER) or "",
        "given_name": next(iter(name.get("given", [])), ""), "family_name": name.get("family", ""),
        "date_of_birth": patient.get("birthDate", ""),
        "sex": SEX.get(gender, gender) if gender else "not_known", "preferred_language": _language(patient),
        "postcode": next((a["postalCode"] for a in patient.get("address", []) if a.get("postalCode")), ""),
        "ethnic_category": _code(ethnicity.get("valueCodeableConcept"), codes.ETHNIC_CATEGORY_SYSTEM)
        if ethnicity else "99",
    }


def _referral(request: dict) -> dict:
    requester = request.get("requester") or {}
    priority = request.get("priority", "routine")
    return {
        "pathway": _code(request.get("code"), PATHWAY),
        "referrer_name": requester.get("display", ""), "referrer_organisation": "",
        "referrer_ods_code": (requester.get("identifier") or {}).get("value", "")
        if (requester.get("identifier") or {}).get("system") == codes.ODS_CODE else "",
        "received_at": request.get("authoredOn", ""),
        "reason": "\n".join(r.get("text", "") for r in request.get("reasonCode", []) if r.get("text")),
        "urgency": URGENCY.get(priority, priority),
        "external_ref": next((i.get("value", "") for i in request.get("identifier", [])), ""),
    }


def _language(patient: dict) -> str:
    spoken = patient.get("communication", [])
    chosen = next((c for c in spoken if c.get("preferred")), None) or next(iter(spoken), None)
    if chosen is None:
        return ""
    language = chosen.get("language", {})
    return language.get("text") or next((c.get("display", "") for c in language.get("coding", [])), "")


def _identifier(resource: dict, system: str) -> str | None:
    return next((i.get("value") for i in resource.get("identifier", []) if i.get("system") == system), None)


def _code(concept: dict | None, system: str) -> str:
    return next((c.get("code", "") for c in (concept or {}).get("coding", []) if c.get("system") == system), "")
