"""The CapabilityStatement: exactly what the API serves, and where a client gets its token (SMART's oauth-uris)."""
from inclusive_access.domain.api_clients import RESOURCE_TYPES, SCOPES, WRITTEN_TYPES
from inclusive_access.fhir import codes
from inclusive_access.fhir.search import SEARCH_PARAMETERS

#: when this statement last changed: a client compares it, so it is the release's, not the request's
RELEASED = "2026-12-06"
#: the Bulk Data Access IG's server statement and its system-level export operation
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
_PARAMETERS = {
    "identifier": ("token", f"The NHS number: {codes.NHS_NUMBER}|<number>"),
    "patient": ("reference", "Patient/<id>: this patient's resources"),
    "status": ("token", "One or more statuses, comma-separated"),
    "date": ("date", "The appointment's start (an AuditEvent's time) in UK time: [eq|ge|gt|le|lt]YYYY-MM-DD, "
                     "repeatable"),
}


def statement(base_url: str, token_url: str) -> dict:
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": RELEASED, "kind": "instance",
        "instantiates": [BULK_DATA], "software": {"name": "Inclusive Access"},
        "implementation": {"description": "Inclusive Access FHIR R4 API for system clients", "url": base_url},
        "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": {
                "extension": [{"url": OAUTH_URIS, "extension": [{"url": "token", "valueUri": token_url}]}],
                "service": [{"coding": [{"system": SECURITY_SERVICE, "code": "SMART-on-FHIR"}]}],
                "description": "OAuth 2.0 client credentials; each resource type needs its scope, "
                               + ", ".join(SCOPES)},
            "resource": [{
                "type": resource_type, "profile": codes.profile(resource_type),
                "interaction": [{"code": "read"}, {"code": "search-type"}]
                + ([{"code": "create"}] if resource_type in WRITTEN_TYPES else []),
                "searchParam": [{"name": name, "type": _PARAMETERS[name][0], "documentation": _PARAMETERS[name][1]}
                                for name in SEARCH_PARAMETERS[resource_type]],
            } for resource_type in RESOURCE_TYPES],
            "operation": [{"name": "export", "definition": EXPORT, "documentation": (
                "Bulk export of every type the client may read, or those in _type; _since for what changed after an "
                "instant; NDJSON files, one per type. Asynchronous: Prefer: respond-async")}],
        }],
    }
