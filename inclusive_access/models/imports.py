"""Web CSV imports: an uploaded file staged row by row, its preview, and the progress of its import."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import Versioned

JOB_STATES = ("previewed", "importing", "imported")
MODES = ("all_or_nothing", "valid_rows")
#: valid: to import; present: its external reference was imported before; invalid: refused at the preview;
#: refused: valid at the preview, refused when its turn came (the database had changed); imported: received
ROW_STATUSES = ("valid", "present", "invalid", "refused", "imported")


class ImportJob(Versioned, db.Model):
    """One uploaded file: previewed, then imported in chunks, each committed with its progress."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint(one_of("state", JOB_STATES), name="state"),
        CheckConstraint(f"mode IS NULL OR {one_of('mode', MODES)}", name="mode"),
        CheckConstraint("(state = 'previewed') = (mode IS NULL)", name="mode_once_confirmed"),
        CheckConstraint("mode <> 'all_or_nothing' OR invalid_rows = 0", name="all_or_nothing_all_valid"),
        CheckConstraint("processed_rows <= valid_rows", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    #: the file's columns in order, as JSON, so the rejects file has them as the manager sent them
    header: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default="previewed")
    mode: Mapped[str | None] = mapped_column(String(16))
    #: counts by the latest check of the whole file (at upload, then again at the confirm)
    total_rows: Mapped[int]
    valid_rows: Mapped[int]
    invalid_rows: Mapped[int]
    present_rows: Mapped[int]
    #: rows of valid_rows done so far, and what became of them
    processed_rows: Mapped[int] = mapped_column(default=0)
    imported_rows: Mapped[int] = mapped_column(default=0)
    refused_rows: Mapped[int] = mapped_column(default=0)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ImportRow(db.Model):
    """One row of an uploaded file as read, with its check's result and, once imported, its referral."""

    __tablename__ = "import_rows"
    __table_args__ = (
        UniqueConstraint("job_id", "line", name="uq_import_rows_job_line"),
        CheckConstraint(one_of("status", ROW_STATUSES), name="status"),
        CheckConstraint("(status = 'imported') = (referral_id IS NOT NULL)", name="imported_has_referral"),
        Index("ix_import_rows_job_status_line", "job_id", "status", "line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id"))
    #: the line of the file the row starts on (the header is line 1)
    line: Mapped[int]
    #: the row as read, as JSON {column: text}
    data: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    #: why it was refused, as JSON {column: message}
    errors: Mapped[str | None] = mapped_column(Text)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
