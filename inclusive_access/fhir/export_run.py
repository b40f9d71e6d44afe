"""The bulk export worker: claims queued jobs, writes each one's NDJSON files from one snapshot of the database, and
removes what has expired. `flask fhir export-run` runs it beside the web workers, which only queue jobs.

Why files written at once from a snapshot, not made at download: a download made later would read the database
as it is then, so files fetched an hour apart would disagree with each other and with the manifest's counts, and
with transactionTime (nothing of the past can be read back: records change in place). One snapshot makes every file
of a job the database at one instant; reading it in keyset batches and writing each line as it is made keeps the
worker's memory flat however large the export. The cost is disk (FHIR_EXPORT_DIR) for FHIR_EXPORT_HOURS."""
import json
import logging
import shutil
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inclusive_access.domain import export_jobs
from inclusive_access.domain.instruments import Instrument
from inclusive_access.fhir import export_rows, snapshot
from inclusive_access.models import ExportJob

log = logging.getLogger(__name__)
#: how often a running job reports its progress (and beats its heartbeat), in seconds
REPORT_EVERY = 2.0


class Stopped(Exception):
    """The job was cancelled (or queued again for another worker) while it ran."""


def file_path(directory: Path, job_id: str, resource_type: str) -> Path:
    return directory / job_id / f"{resource_type}.ndjson"


def run_pending(session: Session, engine: Engine, directory: Path, instruments: Mapping[str, Instrument],
                lifetime: timedelta) -> int:
    """Tidy away what has expired, then run every queued job, one after another. How many it ran."""
    sweep(session, directory)
    ran = 0
    while (job := export_jobs.claim_next(session)) is not None:
        session.commit()
        run_job(session, engine, job, directory, instruments, lifetime)
        ran += 1
    return ran


def run_job(session: Session, engine: Engine, job: ExportJob, directory: Path,
            instruments: Mapping[str, Instrument], lifetime: timedelta) -> None:
    """Write the claimed job's files, one per type, from one snapshot; then it is done, or failed, or (cancelled)
    its files are removed."""
    folder = directory / job.job_id
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        with snapshot.opened(engine, session) as snap:
            export_jobs.snapshot_taken(session, job, snap.transaction_time, snap.head_seq)
            session.commit()
            after = (export_rows.changed_after(snap.session, job.since, snap.head_seq)
                     if job.since is not None else None)
            written: list[dict] = []
            for resource_type in job.types.split():
                made = export_rows.resources_of(snap.session, resource_type, instruments, after)
                _write(session, job, file_path(directory, job.job_id, resource_type), made, written, resource_type)
        if not export_jobs.finish(session, job, written, lifetime):
            raise Stopped
        session.commit()
    except Stopped:
        session.rollback()
        shutil.rmtree(folder, ignore_errors=True)
    except Exception:
        log.exception("FHIR export job %s failed", job.id)
        session.rollback()
        export_jobs.fail(session, job)
        session.commit()
        shutil.rmtree(folder, ignore_errors=True)


def _write(session: Session, job: ExportJob, path: Path, made: Iterable[dict], written: list[dict],
           resource_type: str) -> None:
    """One NDJSON file, a resource a line, written under a temporary name until whole; the progress reported (and
    the job's state checked) every REPORT_EVERY seconds. A type with no resources leaves no file."""
    entry = {"type": resource_type, "count": 0}
    written.append(entry)
    partial = path.with_suffix(".part")
    reported = time.monotonic()
    with partial.open("w", encoding="utf-8") as handle:
        for resource in made:
            handle.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")
            entry["count"] += 1
            if time.monotonic() - reported >= REPORT_EVERY:
                _report(session, job, written)
                reported = time.monotonic()
    _report(session, job, written)
    if entry["count"]:
        partial.replace(path)
    else:
        partial.unlink()


def _report(session: Session, job: ExportJob, written: list[dict]) -> None:
    if not export_jobs.report_progress(session, job, written):
        raise Stopped
    session.commit()


def sweep(session: Session, directory: Path) -> None:
    """Expire done jobs past their time, and remove every folder whose job no longer keeps its files."""
    export_jobs.expire(session)
    session.commit()
    folders = [path.name for path in directory.iterdir() if path.is_dir()] if directory.is_dir() else []
    for job_id in export_jobs.without_files(session, folders):
        shutil.rmtree(directory / job_id, ignore_errors=True)
    session.rollback()


def directory(config: Mapping, instance_path: str) -> Path:
    """Where export files are written: FHIR_EXPORT_DIR, else fhir-exports under the instance folder. The worker
    and every web worker must see the same folder."""
    return Path(config.get("FHIR_EXPORT_DIR") or Path(instance_path) / "fhir-exports")


def remove_files(directory: Path, job_id: str) -> None:
    shutil.rmtree(directory / job_id, ignore_errors=True)
