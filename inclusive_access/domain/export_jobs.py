"""FHIR bulk exports ($export) as jobs: a client's request queued, claimed by one worker, its progress, its end
(done, failed, cancelled by the client, expired), and the one event that says what left the service.

Why a table and a separate worker: the web workers (several gunicorn processes, each request bounded by its
timeout) only queue a job; `flask fhir export-run` claims it with a conditional update, so two workers never run
one job, and beats its heartbeat as it writes: a job whose worker died is queued again for another."""
import json
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, api_clients, events
from inclusive_access.models import ApiClient, ExportJob

#: a running job whose worker has been silent this long is taken to be dead and queued again
STALE_AFTER = timedelta(minutes=10)
IN_PROGRESS = ("queued", "running")


class ExportInProgress(Exception):
    """The client already has an export queued or running: one at a time each."""


def request_export(session: Session, client: ApiClient, types: list[str], since: datetime | None, request_url: str,
                   now: datetime | None = None) -> ExportJob:
    """Queue an export of `types` (each one the client may read) for the client."""
    if session.scalar(select(ExportJob.id).where(ExportJob.client_id == client.id,
                                                 ExportJob.state.in_(IN_PROGRESS)).limit(1)) is not None:
        raise ExportInProgress
    job = ExportJob(job_id=secrets.token_hex(16), client_id=client.id, request_url=request_url, types=" ".join(types),
                    since=since, state="queued", requested_at=now or datetime.now(UTC), progress="[]")
    session.add(job)
    session.flush()
    return job


def of_client(session: Session, client: ApiClient, job_id: str, now: datetime | None = None) -> ExportJob | None:
    """The client's job by its URL id, unless it is another client's, cancelled, or past its expiry."""
    job = session.scalar(select(ExportJob).where(ExportJob.job_id == job_id, ExportJob.client_id == client.id))
    if job is None or job.state in ("cancelled", "expired"):
        return None
    if job.expires_at is not None and job.expires_at <= (now or datetime.now(UTC)):
        return None
    return job


def cancel(session: Session, job: ExportJob) -> str:
    """The client's DELETE: the job ends; a running worker stops at its next progress report. The state it had."""
    was = job.state
    job.state = "cancelled"
    session.flush()
    return was


def claim_next(session: Session, now: datetime | None = None) -> ExportJob | None:
    """The oldest queued job, now running for this worker; jobs whose worker went silent are queued again first."""
    now = now or datetime.now(UTC)
    session.execute(update(ExportJob).where(ExportJob.state == "running", ExportJob.heartbeat_at < now - STALE_AFTER)
                    .values(state="queued"))
    for job_id in session.scalars(select(ExportJob.id).where(ExportJob.state == "queued")
                                  .order_by(ExportJob.id).limit(5)):
        claimed = session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == "queued")
                                  .values(state="running", started_at=now, heartbeat_at=now, progress="[]"))
        if claimed.rowcount == 1:
            return session.get(ExportJob, job_id, populate_existing=True)
    return None


def snapshot_taken(session: Session, job: ExportJob, transaction_time: datetime, head_seq: int) -> None:
    job.transaction_time, job.head_seq = transaction_time, head_seq
    session.flush()


def report_progress(session: Session, job: ExportJob, written: list[dict], now: datetime | None = None) -> bool:
    """Record what is written so far and beat the heartbeat; False when the job is no longer this worker's to run
    (cancelled, or queued again after a silence), so the worker stops."""
    beat = session.execute(update(ExportJob).where(ExportJob.id == job.id, ExportJob.state == "running")
                           .values(progress=json.dumps(written), heartbeat_at=now or datetime.now(UTC)))
    return beat.rowcount == 1


def finish(session: Session, job: ExportJob, written: list[dict], lifetime: timedelta,
           now: datetime | None = None) -> bool:
    """The files are ready: the job is done until `lifetime` from now, and the export is logged as the client's
    (one event for the whole export: the types, _since, the snapshot and how many of each type). False, and nothing
    recorded, when the job was cancelled meanwhile."""
    now = now or datetime.now(UTC)
    done = session.execute(update(ExportJob).where(ExportJob.id == job.id, ExportJob.state == "running").values(
        state="done", progress=json.dumps(written), finished_at=now, expires_at=now + lifetime))
    if done.rowcount != 1:
        return False
    client = session.get(ApiClient, job.client_id)
    events.record(session, api_clients.acting(client), actions.FHIR_EXPORTED, "api_client", client.id, now=now,
                  data={"client_id": client.client_id, "job_id": job.job_id, "types": job.types.split(),
                        "since": job.since, "transaction_time": job.transaction_time,
                        "counts": {item["type"]: item["count"] for item in written}})
    return True


def fail(session: Session, job: ExportJob, now: datetime | None = None) -> None:
    session.execute(update(ExportJob).where(ExportJob.id == job.id, ExportJob.state == "running")
                    .values(state="failed", finished_at=now or datetime.now(UTC)))


def expire(session: Session, now: datetime | None = None) -> None:
    """Done jobs past their expiry: their files are to be removed."""
    now = now or datetime.now(UTC)
    session.execute(update(ExportJob).where(ExportJob.state == "done", ExportJob.expires_at <= now)
                    .values(state="expired"))


def without_files(session: Session, job_ids: list[str]) -> list[str]:
    """Of these jobs (folders on disk), those whose files should no longer be kept: ended other than done, or
    unknown."""
    kept = set(session.scalars(select(ExportJob.job_id).where(ExportJob.job_id.in_(job_ids),
                                                             ExportJob.state.in_((*IN_PROGRESS, "done")))))
    return [job_id for job_id in job_ids if job_id not in kept]
