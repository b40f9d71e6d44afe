"""The rules of the service: every state change, with its audit event. No Flask here."""
