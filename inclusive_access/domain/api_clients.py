"""System clients of the FHIR API: created with their scopes, deactivated, authenticated by their secret, each read
of patient data they make recorded as an access, and the referrals they send received through the intake's rules."""
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import accounts, actions, events, intake, later
from inclusive_access.domain.access import MANAGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.models import ApiClient, Referral

#: the FHIR resource types the API serves, each read under its SMART system scope; AuditEvent's is for auditors'
#: clients (who, what and when of the event log, never its data)
RESOURCE_TYPES = ("Patient", "ServiceRequest", "Appointment", "Encounter", "Flag", "QuestionnaireResponse",
                  "AuditEvent")
#: the types a client may create, each under its write scope
WRITTEN_TYPES = ("ServiceRequest",)
SCOPES = (tuple(f"system/{resource_type}.read" for resource_type in RESOURCE_TYPES)
          + tuple(f"system/{resource_type}.write" for resource_type in WRITTEN_TYPES))


def scope_for(resource_type: str, access: str = "read") -> str:
    return f"system/{resource_type}.{access}"


def acting(client: ApiClient) -> Actor:
    """A client acts as the system does for an import (no account, no role), named by its client id."""
    return Actor(user_id=None, role=None, name=client.client_id)


def create_client(session: Session, actor: Actor, name: str, scopes: Iterable[str],
                  now: datetime | None = None) -> tuple[ApiClient, str]:
    """Add a client with `scopes`; returns it and its secret, which is stored only as a hash (shown once)."""
    require_role(actor, MANAGEMENT, allow_system=True)
    scopes, errors = list(dict.fromkeys(scopes)), {}
    if not name.strip():
        errors["name"] = "Name the system the client is for"
    if not scopes or set(scopes) - set(SCOPES):
        errors["scope"] = f"Grant one or more of: {', '.join(SCOPES)}"
    if errors:
        raise InvalidInput(errors)
    secret = secrets.token_urlsafe(32)
    client = ApiClient(name=name.strip(), client_id=secrets.token_hex(16),
                       secret_hash=accounts.password_hasher.hash(secret), scopes=" ".join(scopes), active=True,
                       created_at=now or datetime.now(UTC))
    session.add(client)
    session.flush()
    events.record(session, actor, actions.API_CLIENT_CREATED, "api_client", client.id,
                  data={"client_id": client.client_id, "name": client.name, "scopes": client.scopes})
    return client, secret


def deactivate_client(session: Session, actor: Actor, client_id: str) -> ApiClient:
    """Stop a client: its secret no longer gets a token, and a token it holds is refused from the next request."""
    require_role(actor, MANAGEMENT, allow_system=True)
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        raise InvalidInput({"client_id": f"There is no API client {client_id}"})
    if client.active:
        client.active = False
        session.flush()
        events.record(session, actor, actions.API_CLIENT_DEACTIVATED, "api_client", client.id,
                      data={"client_id": client.client_id})
    return client


def active_client(session: Session, client_id: str) -> ApiClient | None:
    return session.scalar(select(ApiClient).where(ApiClient.client_id == client_id, ApiClient.active))


def authenticate(session: Session, client_id: str, secret: str) -> ApiClient | None:
    """The active client these credentials name, or None. An unknown client costs one hash too, so the timing
    does not tell which client ids exist."""
    client = active_client(session, client_id)
    matches = accounts.verify_password(client.secret_hash if client else accounts.dummy_hash(), secret)
    return client if client is not None and matches else None


def granted(client: ApiClient) -> frozenset[str]:
    return frozenset(client.scopes.split())


def record_read(session: Session, client: ApiClient, resource_type: str, ids: list[str],
                search: str | None = None, patient_id: int | None = None) -> None:
    """Log what a client read: the resource type, the ids it was sent, and the search that found them (None for a
    read by id). One event per request, naming the patient when all it read was one patient's (so it shows among
    who saw them), none otherwise."""
    later.event(session, acting(client), actions.FHIR_READ, "api_client", client.id, patient_id=patient_id,
                data={"client_id": client.client_id, "resource_type": resource_type, "ids": ids, "search": search,
                      "count": len(ids)})


def receive_referral(session: Session, client: ApiClient, raw: dict, now: datetime | None = None) -> Referral:
    """A referral a client sent, `raw` shaped as an intake row: the intake's rules (flags derived, the triage clock,
    a repeat of its external reference refused as DuplicateSubmission), then a `fhir.write` event naming the client,
    since the referral's own events name no account."""
    now = now or datetime.now(UTC)
    patient, referral = intake.parse_intake(session, raw, now)
    row, linked = intake.receive_referral(session, acting(client), patient, referral, now=now)
    events.record(session, acting(client), actions.FHIR_WRITE, "api_client", client.id, now=now,
                  data={"client_id": client.client_id, "resource_type": "ServiceRequest", "id": str(row.id),
                        "identifier": row.external_ref, "linked_existing_patient": linked})
    return row
