"""FHIR bulk exports ($export): each request of a system client, its state and progress, and what it wrote."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of

#: queued until a worker claims it; running while it writes; done once its files are ready; failed, cancelled (by
#: the client's DELETE) or expired (its files removed after FHIR_EXPORT_HOURS) end it
STATES = ("queued", "running", "done", "failed", "cancelled", "expired")


class ExportJob(db.Model):
    """One $export request. Its files are on disk under FHIR_EXPORT_DIR/<job_id>/, one NDJSON file per type."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint(one_of("state", STATES), name="state"),
        # the worker's queue, and a client's exports still in progress
        Index("ix_export_jobs_state_client", "state", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the id in the status and file URLs: random, so one client cannot guess another's
    job_id: Mapped[str] = mapped_column(String(32), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    #: the kick-off request's URL, as the manifest repeats it
    request_url: Mapped[str] = mapped_column(Text)
    #: the resource types to export, space-separated, in the order their files are written
    types: Mapped[str] = mapped_column(Text)
    #: _since: only resources whose record changed after this instant
    since: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(10), default="queued")
    requested_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    #: the running worker's last sign of life: a job silent for long is re-queued (its worker died)
    heartbeat_at: Mapped[datetime | None]
    #: the snapshot's time and the event log's head in it (the manifest's transactionTime)
    transaction_time: Mapped[datetime | None]
    head_seq: Mapped[int | None]
    #: what has been written, for X-Progress: JSON [{"type", "count"}] per file, the last one still being written
    progress: Mapped[str] = mapped_column(Text, default="[]")
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
