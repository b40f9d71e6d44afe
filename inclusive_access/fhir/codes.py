"""The systems, profiles and code maps our FHIR resources use: NHS and HL7 ones where they exist, and ours, under
OUR_SYSTEMS, for what no national code list covers (the inequality flags, contact formats, adjustment categories)."""

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
ETHNIC_CATEGORY_EXTENSION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
ETHNIC_CATEGORY_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
#: our own code systems: a placeholder domain (.example is reserved) until the service publishes its own
OUR_SYSTEMS = "https://inclusive-access.example/fhir/CodeSystem/"
INEQUALITY_FLAG = OUR_SYSTEMS + "inequality-flag"
CONTACT_FORMAT = OUR_SYSTEMS + "contact-format"
ADJUSTMENT_CATEGORY = OUR_SYSTEMS + "reasonable-adjustment-category"
COMMUNICATION_NEED = OUR_SYSTEMS + "communication-need"
#: an instrument's canonical URL is this plus its id (and "|version"); its answer options are a code system there
QUESTIONNAIRES = "https://inclusive-access.example/fhir/Questionnaire/"
QUESTIONNAIRE_SCORE = "https://inclusive-access.example/fhir/StructureDefinition/questionnaire-score"


#: our action names (domain/actions.py) as codes
ACTION = OUR_SYSTEMS + "action"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"


def profile(resource_type: str) -> str:
    """The UK Core profile a resource is shaped to; the base one where UK Core has none (AuditEvent)."""
    if resource_type == "AuditEvent":
        return "http://hl7.org/fhir/StructureDefinition/AuditEvent"
    return f"https://fhir.hl7.org.uk/StructureDefinition/UKCore-{resource_type}"


#: our sex codes -> FHIR administrative gender
GENDER = {"male": "male", "female": "female", "indeterminate": "other", "not_known": "unknown",
          "not_stated": "unknown"}
#: referral states -> ServiceRequest.status: waiting on the referrer is on hold; a final rejection revokes it
SERVICE_REQUEST_STATUS = {
    "received": "active", "awaiting_clarification": "on-hold", "accepted": "active", "in_treatment": "active",
    "rejection_review": "on-hold", "rejected": "revoked", "needs_senior_review": "active",
    "discharge_review": "active", "discharged": "completed"}
#: appointment outcomes -> Appointment.status. Arriving too late to be seen is not a DNA (DOMAIN.md): the service
#: cancelled it on the day, with the reason given
APPOINTMENT_STATUS = {"booked": "booked", "attended": "fulfilled", "attended_late": "fulfilled",
                      "late_not_seen": "cancelled", "dna": "noshow", "cancelled_patient": "cancelled",
                      "cancelled_service": "cancelled"}
#: contact formats -> Encounter.class (v3 ActCode): ambulatory, home health, virtual
ENCOUNTER_CLASS = {"clinic": ("AMB", "ambulatory"), "community_venue": ("AMB", "ambulatory"),
                   "home_visit": ("HH", "home health"), "telephone": ("VR", "virtual"),
                   "telephone_interpreter": ("VR", "virtual"), "video": ("VR", "virtual")}
