"""Web CSV import: an upload staged and checked by the CLI import's rules, previewed, then imported chunk by chunk.

Why chunks, and how all-or-nothing holds: receiving a referral appends to the event log, which takes the one write
lock (SQLite's BEGIN IMMEDIATE, PostgreSQL's append lock); a large file holds it past SQLite's 15 s busy timeout
(docs/benchmarks.md), so one transaction would fail every other save meanwhile, and could show no progress (no other
connection may write). So each chunk commits its referrals, their events and the job's progress together, and a job
left half-way (a closed tab, a restart) carries on from its next row: nothing is ever half-done. All-or-nothing is
the preview's promise, re-checked under the lock when the manager confirms: every row of the file is valid, or
nothing is imported. A row someone else changes the answer for after that (a referral taken for the same patient and
pathway meanwhile) is refused when its turn comes, by the same rules, and listed with the rejects.
"""
import csv
import json
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, bulk_import, events, intake, later
from inclusive_access.domain.access import MANAGEMENT, require_role
from inclusive_access.domain.actors import SYSTEM, Actor
from inclusive_access.domain.errors import DomainError, DuplicateSubmission, InvalidInput
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.models import ImportJob, ImportRow

#: what every import event carries: the file and its counts (who is the event's actor)
SUMMARY_KEYS = ("file_name", "mode", "total_rows", "valid_rows", "invalid_rows", "present_rows", "imported_rows",
                "refused_rows")

ALL_OR_NOTHING, VALID_ROWS = "all_or_nothing", "valid_rows"
#: the most rows one upload may hold: the whole file is checked within the upload's request
MAX_ROWS = 10_000
#: rows of errors the preview lists; the rejects file has them all
PREVIEW_ROWS = 100


def stage_import(session: Session, actor: Actor, file_name: str, handle: TextIO, size: int,
                 now: datetime | None = None) -> ImportJob:
    """Keep an uploaded CSV's rows, each checked by the import's rules (bulk_import.check_rows), writing no referral.

    Raises InvalidInput({"file": ...}) for a file that is empty, not UTF-8 CSV, missing columns or too long."""
    require_role(actor, MANAGEMENT)
    if size == 0:
        raise InvalidInput({"file": "The selected file is empty"})
    try:
        header, rows = bulk_import.read_csv(handle, size)
    except InvalidInput as exc:
        raise InvalidInput({"file": f"The selected file is not a referrals import: {exc.errors['header']}"}) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput({"file": "The selected file must be a CSV file saved as UTF-8"}) from exc
    if not rows:
        raise InvalidInput({"file": "The selected file has a header but no rows"})
    if len(rows) > MAX_ROWS:
        raise InvalidInput({"file": f"The selected file must have {MAX_ROWS:,} rows or fewer: split it into parts"})
    job = ImportJob(file_name=file_name[:255], header=json.dumps(header), uploaded_by=actor.user_id,
                    uploaded_at=now or datetime.now(UTC), total_rows=len(rows), valid_rows=0, invalid_rows=0,
                    present_rows=0)
    session.add(job)
    session.flush()
    results = _check(session, rows)
    session.add_all(ImportRow(job_id=job.id, line=line, data=json.dumps(row), status=results[line][0],
                              errors=results[line][1]) for line, row in rows)
    _count(job, results)
    events.record(session, actor, actions.IMPORT_STAGED, "import_job", job.id, data=summary(job), now=now)
    return job


def confirm_import(session: Session, actor: Actor, job: ImportJob, mode: str,
                   now: datetime | None = None) -> ImportJob:
    """Start importing the valid rows, checked again now; all-or-nothing is refused (state stays previewed) while
    any row has an error. A second confirm, from any tab, raises DuplicateSubmission: one job imports once."""
    require_role(actor, MANAGEMENT)
    if mode not in (ALL_OR_NOTHING, VALID_ROWS):
        raise InvalidInput({"mode": "Choose how to import"})
    events.lock_log(session)
    session.refresh(job)  # what the lock holder before us committed
    if job.state != "previewed":
        raise DuplicateSubmission(job.id)
    staged = session.scalars(select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.line)).all()
    results = _check(session, [(row.line, json.loads(row.data)) for row in staged])
    for row in staged:
        if (row.status, row.errors) != results[row.line]:
            row.status, row.errors = results[row.line]
    _count(job, results)
    if mode == ALL_OR_NOTHING and job.invalid_rows:
        events.record(session, actor, actions.IMPORT_REFUSED, "import_job", job.id, data={**summary(job), "mode": mode},
                      now=now)
        return job
    now = now or datetime.now(UTC)
    job.state, job.mode, job.confirmed_by, job.confirmed_at = "importing", mode, actor.user_id, now
    events.record(session, actor, actions.IMPORT_STARTED, "import_job", job.id, data=summary(job), now=now)
    _finish_if_done(session, actor, job, now)
    return job


def import_next_rows(session: Session, actor: Actor, job: ImportJob, chunk: int, policy: Policy = DEFAULT_POLICY,
                     now: datetime | None = None) -> ImportJob:
    """Receive the job's next `chunk` valid rows, each checked again by the import's rules, and record the progress.

    Referrals are received as the system, as the CLI's are (imports are system jobs); the job's events name the
    manager. Serialised by the log's lock, so two tabs polling one job never import a row twice."""
    require_role(actor, MANAGEMENT)
    events.lock_log(session)
    session.refresh(job)
    if job.state != "importing":
        return job
    batch = session.scalars(select(ImportRow).where(ImportRow.job_id == job.id, ImportRow.status == "valid")
                            .order_by(ImportRow.line).limit(chunk)).all()
    by_line = {row.line: row for row in batch}
    valid, report = bulk_import.check_rows(session, [(row.line, json.loads(row.data)) for row in batch])
    for line, errors in report.errors.items():
        by_line[line].status, by_line[line].errors = "refused", json.dumps(errors)
    for line, patient, referral, reason in valid:
        try:
            with session.begin_nested():  # a row the intake refuses leaves the rest of its chunk
                received, _linked = intake.receive_referral(session, SYSTEM, patient, referral, policy=policy,
                                                            duplicate_reason=reason)
        except DomainError as exc:
            by_line[line].status = "refused"
            by_line[line].errors = json.dumps(getattr(exc, "errors", None) or {"row": str(exc)})
        else:
            by_line[line].status, by_line[line].referral_id = "imported", received.id
    for row in batch:
        if row.status == "valid":  # neither received nor refused: its reference was imported since the preview
            row.status = "present"
            job.present_rows += 1
    job.processed_rows += len(batch)
    job.imported_rows += sum(row.status == "imported" for row in batch)
    job.refused_rows += sum(row.status == "refused" for row in batch)
    _finish_if_done(session, actor, job, now or datetime.now(UTC))
    return job


def rejects(session: Session, actor: Actor, job: ImportJob) -> tuple[list[str], list[tuple[int, dict, str]]]:
    """The file's columns and its refused rows as (line, row, reason), for the rejects file; the download is logged,
    as it takes patients' details out of the service."""
    require_role(actor, MANAGEMENT)
    rows = session.scalars(select(ImportRow).where(ImportRow.job_id == job.id,
                                                   ImportRow.status.in_(("invalid", "refused")))
                           .order_by(ImportRow.line)).all()
    later.event(session, actor, actions.REJECTS_DOWNLOADED, "import_job", job.id,
                data={"file_name": job.file_name, "rows": len(rows)})
    return json.loads(job.header), [(row.line, json.loads(row.data), bulk_import.describe(json.loads(row.errors)))
                                    for row in rows]


def row_errors(session: Session, job: ImportJob, limit: int = PREVIEW_ROWS) -> list[tuple[int, str, str]]:
    """(line, column, message) for the first `limit` refused rows, one per column at fault, for the preview."""
    rows = session.execute(select(ImportRow.line, ImportRow.errors).where(
        ImportRow.job_id == job.id, ImportRow.status.in_(("invalid", "refused"))).order_by(ImportRow.line)
        .limit(limit)).all()
    return [(line, column, message) for line, errors in rows for column, message in json.loads(errors).items()]


def recent_jobs(session: Session, limit: int = 10) -> list[ImportJob]:
    return session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)).all()


def summary(job: ImportJob) -> dict:
    return {key: getattr(job, key) for key in SUMMARY_KEYS}


def _check(session: Session, rows: list[tuple[int, dict]]) -> dict[int, tuple[str, str | None]]:
    """line -> (status, errors as JSON) by bulk_import.check_rows: valid, invalid, or present (imported before)."""
    valid, report = bulk_import.check_rows(session, rows)
    results = {line: ("present", None) for line, _row in rows}
    results.update({line: ("valid", None) for line, *_ in valid})
    results.update({line: ("invalid", json.dumps(errors)) for line, errors in report.errors.items()})
    return results


def _count(job: ImportJob, results: dict[int, tuple[str, str | None]]) -> None:
    statuses = [status for status, _errors in results.values()]
    job.valid_rows, job.invalid_rows, job.present_rows = (statuses.count(s) for s in ("valid", "invalid", "present"))


def _finish_if_done(session: Session, actor: Actor, job: ImportJob, now: datetime) -> None:
    if job.processed_rows < job.valid_rows:
        return
    job.state, job.finished_at = "imported", now
    events.record(session, actor, actions.IMPORT_COMPLETED, "import_job", job.id, data=summary(job), now=now)
