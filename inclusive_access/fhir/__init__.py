"""FHIR R4 in the shape of UK Core: our records as the resources NHS systems exchange (issue 19)."""
