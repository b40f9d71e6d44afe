"""The equity report's pages as a signed-in manager gets them: server time through the Flask test client and SQL
statements per request.

Usage (pip install -e .[bench]):
    .venv/bin/python bench/equity_pages.py --database-url sqlite:////path/to.db [--repeat 3]

Over an existing database (the demo's, or one bench/equity_report.py generated; migrated to head first), it makes
the user bench.pages.manager through the domain if missing, signs in, then requests each page --repeat times and
prints the median time of the whole request (routing, queries, rendering; no network, no gunicorn), its CPU time
(this process's, SQLite's included: what the request costs on a machine others share), the statements the request
issued, and the response's size: the dashboard, its htmx fragment for each pathway, the printable
report and the CSV exports. The first request of each page is shown apart (caches cold).
"""
import argparse
import os
import re
import secrets
import statistics
import sys
import time

from migrated import bench_app  # bench/migrated.py: a script's own folder comes first on sys.path
from sqlalchemy import event, text

from inclusive_access.domain import accounts, intake
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.extensions import db

USERNAME = "bench.pages.manager"


def signed_in(app, password: str):
    """A test client signed in as the bench manager (made, or given `password` again)."""
    with app.app_context():
        user = accounts.find_user(db.session, USERNAME)
        if user is None:
            accounts.create_user(db.session, SYSTEM, USERNAME, "Bench pages manager", "manager", password)
        else:
            temporary = accounts.generate_password()
            accounts.reset_password(db.session, SYSTEM, user, temporary)
            accounts.change_password(db.session, user, temporary, password)
        db.session.commit()
        pathways = list(intake.active_pathway_codes(db.session))
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"csrf_token": token, "username": USERNAME, "password": password})
    if response.status_code != 303:
        raise SystemExit(f"could not sign in: {response.status_code}")
    return client, pathways


def pages(pathways: list[str]) -> list[tuple[str, str, dict]]:
    """(label, path, headers) of every page timed."""
    fragment = {"HX-Request": "true"}
    return [("dashboard", "/reports/equity", {}),
            *((f"fragment: pathway {p or 'all'}", f"/reports/equity?pathway={p}", fragment) for p in ["", *pathways]),
            ("fragment: segment ethnic_group", "/reports/equity?segment=ethnic_group", fragment),
            ("printable report", "/reports/equity/report", {}),
            ("CSV: measures", "/reports/equity/export", {}),
            ("CSV: wait gap", "/reports/equity/export?table=kpi", {})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = bench_app(args.database_url, "unused", reuse=True)
    client, pathways = signed_in(app, secrets.token_urlsafe(16))
    with app.app_context():
        engine, referrals = db.engine, db.session.scalar(text("SELECT count(*) FROM referral_facts"))
        db.session.rollback()
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *_a: statements.append(1))
    rows = []
    for label, path, headers in pages(pathways):
        times, cpu, counts, size = [], [], [], 0
        for _ in range(args.repeat + 1):
            statements.clear()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            counts.append(len(statements))
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            size = len(response.get_data())
        rows.append((label, times[0], statistics.median(times[1:]), statistics.median(cpu[1:]), counts[0], counts[-1],
                     size))
        print(f"  {label}: {times[1:]}", file=sys.stderr, flush=True)
    print(f"\nEquity pages: {referrals:,} referrals, on {engine.dialect.name}; server time through the test client, "
          f"median of {args.repeat} after a first request")
    print(f"{'page':<34}{'first ms':>10}{'median ms':>11}{'CPU ms':>8}{'statements':>12}{'KB':>8}")
    for label, first, median, cpu_ms, first_count, count, size in rows:
        print(f"{label:<34}{first:>10,.0f}{median:>11,.0f}{cpu_ms:>8,.0f}{f'{first_count}/{count}':>12}"
              f"{size / 1024:>8,.0f}")
    print(f"statements: the first request's / a later one's; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
