"""System clients of the FHIR API: each with its own credentials and the scopes it was granted."""
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db


class ApiClient(db.Model):
    """A system that reads the FHIR API with OAuth 2.0 client credentials. Only the secret's hash is kept: the
    secret is shown once, when the client is created."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the system is, e.g. "Trust data warehouse"
    name: Mapped[str] = mapped_column(String(120))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: argon2id, as user passwords are
    secret_hash: Mapped[str] = mapped_column(String(255))
    #: the SMART scopes granted, space-separated as OAuth writes them ("system/Patient.read system/Flag.read")
    scopes: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
