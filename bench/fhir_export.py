"""FHIR bulk export at scale: wall time and peak memory of `flask fhir export-run` writing every type's NDJSON
file, as the database grows, to show the worker's memory stays flat.

Usage:
    .venv/bin/python bench/fhir_export.py [--sizes 10000 100000] [--database-url URL] [--reuse] [--tracemalloc]

For each size, the database of bench/equity_report.py's generator (ia-bench-export-N.db under the temp folder;
--reuse takes one left by an earlier run, or a copy of the equity benchmark's), with appointments added from its
referrals (one attended at each first contact, a missed one for every third referral), since that generator writes
their events only. Each export then runs in a fresh process (so its peak RSS is the export's, not the generator's):
one API client, one job of every type it may read, run by export_run.run_pending as the CLI runs it; then an
incremental one with _since the first's transactionTime (nothing changed: the cost of looking). Printed per size:
the resources and bytes written, wall time, resources a second, the process's peak RSS (Linux's VmHWM) and its RSS
before the export, and with --tracemalloc the peak of Python allocations during the export (slower: it traces every
allocation).
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from equity_report import generate  # bench/: a script's own folder comes first on sys.path
from migrated import opened
from sqlalchemy import func, select, text

from inclusive_access.domain import api_clients, export_jobs
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.extensions import db
from inclusive_access.fhir import export_run
from inclusive_access.models import Appointment, ExportJob


def add_appointments(app) -> int:
    """Appointments for the generated referrals, in two statements: attended at first contact, missed for every
    third referral at its receipt (the generator writes appointment events, not rows)."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(Appointment)):
            return conn.scalar(select(func.count()).select_from(Appointment))
        conn.execute(text("INSERT INTO appointments (referral_id, starts_at, duration_minutes, format, status, "
                          "first_contact, booked_by, booked_at, version) SELECT id, first_contact_at, 30, 'clinic', "
                          "'attended', :yes, 1, received_at, 1 FROM referrals WHERE first_contact_at IS NOT NULL"),
                     {"yes": True})
        conn.execute(text("INSERT INTO appointments (referral_id, starts_at, duration_minutes, format, status, "
                          "first_contact, booked_by, booked_at, version) SELECT id, received_at, 30, 'telephone', "
                          "'dna', :no, 1, received_at, 1 FROM referrals WHERE id % 3 = 0"), {"no": False})
        return conn.scalar(select(func.count()).select_from(Appointment))


def rss_mb(field: str = "VmHWM") -> float:
    """This process's peak resident memory (VmHWM), or its present one (VmRSS), in MB. Not getrusage's ru_maxrss:
    that carries the parent's peak across fork and exec, and the parent generated the data."""
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith(f"{field}:")) / 1024


def measure(url: str | None, name: str, trace: bool) -> dict:
    """In this (fresh) process: one full export and one incremental, timed; what it wrote and its memory."""
    app, _events, backend = opened(url, name, reuse=True)
    folder = Path(tempfile.mkdtemp(prefix="ia-bench-export-files-"))
    with app.app_context():
        client, _secret = api_clients.create_client(db.session, SYSTEM, "Bench warehouse",
                                                    [api_clients.scope_for(t) for t in api_clients.RESOURCE_TYPES])
        db.session.commit()
        found = {"backend": backend, "rss_before_mb": rss_mb("VmRSS")}
        for run in ("full", "since"):
            since = None if run == "full" else db.session.scalar(
                select(ExportJob.transaction_time).order_by(ExportJob.id.desc()).limit(1))
            export_jobs.request_export(db.session, client, list(api_clients.RESOURCE_TYPES), since, "bench")
            db.session.commit()
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            export_run.run_pending(db.session, db.engine, folder, app.extensions["instruments"], timedelta(hours=1))
            wall = time.perf_counter() - started
            traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
            tracemalloc.stop()
            job = db.session.scalar(select(ExportJob).order_by(ExportJob.id.desc()).limit(1))
            written = json.loads(job.progress)
            files = list((folder / job.job_id).glob("*.ndjson"))
            found[run] = {"state": job.state, "seconds": wall, "counts": {w["type"]: w["count"] for w in written},
                          "bytes": sum(f.stat().st_size for f in files), "rss_peak_mb": rss_mb(),
                          "traced_peak_mb": traced}
            export_run.remove_files(folder, job.job_id)
        db.session.rollback()
    folder.rmdir()
    return found


def prepare(url: str | None, size: int, reuse: bool) -> str:
    name = f"ia-bench-export-{size}"
    app, existing, _backend = opened(url, name, reuse)
    if not existing:
        print(f"Generating {size:,} referrals ...", file=sys.stderr, flush=True)
        generate(app, size, 24, 20261201, hash_chain=False)
    print(f"  {add_appointments(app):,} appointments", file=sys.stderr, flush=True)
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", help="default: SQLite files under the temp folder, one per size")
    parser.add_argument("--reuse", action="store_true", help="export databases an earlier run left")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process: the database's name
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.database_url, args.measure, args.tracemalloc), default=str))
        return
    print("referrals  run    resources  MB written  seconds  resources/s  peak RSS MB  RSS before MB  traced MB")
    for size in args.sizes:
        name = prepare(args.database_url, size, args.reuse)
        command = [sys.executable, __file__, "--measure", name] + (["--tracemalloc"] if args.tracemalloc else []) + (
            ["--database-url", args.database_url] if args.database_url else [])
        child = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - our own script
        found = json.loads(child.stdout.splitlines()[-1])
        for run in ("full", "since"):
            made = found[run]
            total = sum(made["counts"].values())
            traced = f"{made['traced_peak_mb']:9.1f}" if made["traced_peak_mb"] is not None else "        -"
            print(f"{size:>9,}  {run:5}  {total:>10,}  {made['bytes'] / 2**20:>10,.1f}  {made['seconds']:>7.1f}  "
                  f"{total / made['seconds']:>11,.0f}  {made['rss_peak_mb']:>11.1f}  "
                  f"{found['rss_before_mb']:>13.1f}  {traced}", flush=True)
        print(f"           {found['backend']}; {found['full']['state']}: {found['full']['counts']}", flush=True)


if __name__ == "__main__":
    main()
