"""Load test: signed-in users of every role working a trust's mix of pages against gunicorn, timed per page.

Usage (the keys the database was made with in the environment, as the Makefile's DEV_ENV sets them):
    IA_ENV=development SECRET_KEY=... AUDIT_CHAIN_KEY=... FHIR_TOKEN_KEY=... \\
    .venv/bin/python bench/load.py --database-url sqlite:////path/to.db [--users 8] [--duration 60] [--ramp 10]
        [--mix booking=60,clinician=25,senior=10,manager=5] [--workers 4] [--solo 5] [--seed 1] [--json out.json]
    .venv/bin/python bench/load.py --url http://host:8000 --password ...   # a server already running, users made

Without --url it creates (or resets the password of) users load.<role>.<n> through the domain, starts gunicorn with
the committed gunicorn.conf.py on a free port over DATABASE_URL, and stops it at the end. Each user signs in with
its own cookie jar (its own session and CSRF token) during the ramp, then repeats its role's steps
(bench/load_flows.py) with no think time, so the server is saturated: a closed loop of --users clients. Every user
also requests the bare signed-in endpoint (`/`, a redirect after the session lookup and the role check) for
--bare-share of its steps, so the bare endpoint is measured under the same load in the same run.

Printed per page (bench/load_report.py): requests/s in the mix, p50/p95/p99 and mean latency at the client, the
app's own time for the request (srv: its request log's duration_ms, joined by the X-Request-ID the client sends;
read from gunicorn's log, or --server-log with --url), errors by status, and "x bare": the bare endpoint's mean
server time over the page's, the page's throughput as a share of the bare endpoint's under the same load (a sync
worker serves 1 / its time on a page). With --solo S, each GET page is then also requested alone by --users
clients for S seconds, and its requests/s divided by the bare endpoint's alone: the issue's ratio, measured
directly. docs/benchmarks.md says how to run it at demo scale, at 1M referrals and on PostgreSQL.
"""
import argparse
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

from load_flows import FINGERPRINT, PAGE_OK, Client, Sample
from load_report import server_times, summarise, table

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("booking", "clinician", "senior", "manager")


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        role, _, weight = part.partition("=")
        if role.strip() not in ROLES:
            raise SystemExit(f"--mix: unknown role {role!r} (roles: {', '.join(ROLES)})")
        mix[role.strip()] = float(weight)
    return mix


def users_by_role(total: int, mix: dict[str, float]) -> dict[str, int]:
    """One user for each role in the mix first (while there are users), the rest by weight, largest remainder."""
    roles = [r for r in ROLES if mix.get(r, 0) > 0]
    counts = {r: 1 if i < total else 0 for i, r in enumerate(roles)}
    left = total - sum(counts.values())
    weight = sum(mix[r] for r in roles)
    shares = {r: left * mix[r] / weight for r in roles}
    for r in roles:
        counts[r] += int(shares[r])
    by_remainder = sorted(roles, key=lambda r: (-round(shares[r] - int(shares[r]), 6), ROLES.index(r)))
    for r in by_remainder[:total - sum(counts.values())]:
        counts[r] += 1
    return counts


def ensure_users(database_url: str, counts: dict[str, int], password: str) -> list[tuple[str, str]]:
    """load.<role>.<n> for each role, created through the domain (as `flask create-user`), or given `password`
    again if they exist (a reset, then the change the user would make: both recorded, as in the service)."""
    os.environ["DATABASE_URL"] = database_url  # config.py reads it on import
    from inclusive_access import create_app
    from inclusive_access.domain import accounts
    from inclusive_access.domain.actors import SYSTEM
    from inclusive_access.extensions import db

    app, names = create_app(), []
    with app.app_context():
        for role, count in counts.items():
            for n in range(1, count + 1):
                username = f"load.{role}.{n}"
                user = accounts.find_user(db.session, username)
                if user is None:
                    accounts.create_user(db.session, SYSTEM, username, f"Load {role.title()} {n}", role, password)
                else:
                    temporary = accounts.generate_password()
                    accounts.reset_password(db.session, SYSTEM, user, temporary)
                    accounts.change_password(db.session, user, temporary, password)
                names.append((username, role))
        db.session.commit()
        db.engine.dispose()
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "WEB_CONCURRENCY": str(workers),
           "GUNICORN_BIND": f"127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],  # noqa: S603
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        time.sleep(0.5)
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {server.returncode}); its log: {log}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=5):  # noqa: S310 - our own local server
                return server, url
        except OSError:
            continue
    server.terminate()
    raise SystemExit(f"gunicorn did not answer /health within a minute; its log: {log}")


def run_users(url: str, users: list[tuple[str, str]], password: str, args) -> tuple[list[Sample], float, list[Client]]:
    """Sign the users in across the ramp, let them work until the ramp and the duration are over; the samples,
    the measured window's start, and the signed-in clients (for the solo phase)."""
    samples: list[Sample] = []
    lock = threading.Lock()
    began = time.perf_counter()
    window_start, stop = began + args.ramp, began + args.ramp + args.duration
    clients: list[Client] = []
    refused: list[str] = []

    def record(sample: Sample) -> None:
        with lock:
            samples.append(sample)

    def work(i: int, username: str, role: str) -> None:
        client = Client(url, role, random.Random(f"{args.seed}:{username}"), record)  # noqa: S311 - seeded choices
        time.sleep(args.ramp * i / len(users))
        if not client.sign_in(username, password):
            refused.append(username)
            return
        clients.append(client)
        while time.perf_counter() < stop:
            if client.rng.random() < args.bare_share:
                client.bare()
            else:
                client.step()
            if args.think:
                time.sleep(args.think / 1000)

    threads = [threading.Thread(target=work, args=(i, name, role)) for i, (name, role) in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if refused:
        print(f"Not signed in, so not working: {', '.join(refused)}", file=sys.stderr)
    if not clients:
        raise SystemExit("No user could sign in.")
    return [s for s in samples if window_start <= s.started < stop], args.duration, clients


def solo(clients: list[Client], pages: list[str], seconds: float) -> dict[str, float]:
    """Each page alone: as many clients as signed in replay the page's last URL (each client one its role may
    open, shared round-robin) for `seconds`; requests/s answered as expected. A refresh naming its worklist's
    fingerprint sends the one the last answer carried, as the browser does."""
    rates = {}
    for page in pages:
        holders = [c for c in clients if page in c.last_url]
        if not holders:
            continue
        done = Counter()
        stop = time.perf_counter() + seconds

        def hammer(client: Client, page=page, done=done, stop=stop) -> None:
            path, fragment = client.last_url[page]
            while time.perf_counter() < stop:
                status, body = client.fetch(path, headers={"HX-Request": "true"} if fragment else None)
                done[status in PAGE_OK] += 1
                if status == 200 and "seen=" in path and (fingerprint := FINGERPRINT.search(body)):
                    path = f"{path.split('?')[0]}?seen={fingerprint.group(1)}"

        threads = [threading.Thread(target=hammer, args=(holders[i % len(holders)],)) for i in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rates[page] = done[True] / seconds
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8, help="simulated users in all, split by --mix")
    parser.add_argument("--duration", type=float, default=60, help="seconds measured, after the ramp")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which users sign in (not measured)")
    parser.add_argument("--mix", default="booking=60,clinician=25,senior=10,manager=5",
                        help="share of users per role (each role given a share has at least one user)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a server already running (its users load.<role>.<n> made, --password given)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="the database gunicorn serves and users are made in (default: $DATABASE_URL)")
    parser.add_argument("--password", help="the users' password (default: a new random one, set on each user)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")),
                        help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--bare-share", type=float, default=0.1, help="share of each user's steps on `/`")
    parser.add_argument("--think", type=float, default=0, help="ms each user waits between steps (0: saturate)")
    parser.add_argument("--solo", type=float, default=0, help="then each GET page alone for this many seconds")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--server-log", type=Path,
                        help="with --url: the server's JSON request log, for its own time of each request")
    args = parser.parse_args()

    counts = users_by_role(args.users, parse_mix(args.mix))
    if args.url:
        if not args.url.startswith(("http://", "https://")):
            raise SystemExit("--url: an http:// or https:// address")
        if not args.password:
            raise SystemExit("--url needs --password: the password of the users load.<role>.<n> on that server")
        users = [(f"load.{role}.{n}", role) for role, count in counts.items() for n in range(1, count + 1)]
        password, url, server, log = args.password, args.url.rstrip("/"), None, args.server_log
    else:
        missing = [k for k in ("SECRET_KEY", "AUDIT_CHAIN_KEY", "FHIR_TOKEN_KEY") if not os.environ.get(k)]
        if missing or not args.database_url:
            raise SystemExit(f"Set {', '.join(missing or ['DATABASE_URL (or --database-url)'])}: the keys the "
                             "database was made with (see docs/benchmarks.md)")
        password = args.password or secrets.token_urlsafe(16)
        users = ensure_users(args.database_url, counts, password)
        log = Path(tempfile.gettempdir()) / f"ia-load-gunicorn-{os.getpid()}.log"
        server, url = start_gunicorn(args.database_url, args.workers, log)
    try:
        samples, seconds, clients = run_users(url, users, password, args)
        pages = sorted({s.page for s in samples if "POST" not in s.page})
        solo_rates = solo(clients, pages, args.solo) if args.solo else {}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    result = summarise(samples, seconds, solo_rates, server_times(log) if log else {})
    result["run"] = {"users": counts, "duration_s": args.duration, "ramp_s": args.ramp, "mix": args.mix,
                     "seed": args.seed, "workers": None if args.url else args.workers, "think_ms": args.think,
                     "bare_share": args.bare_share, "solo_s": args.solo, "target": url,
                     "database": (args.database_url or "").split("@")[-1] if not args.url else None}
    print(f"Load test: {', '.join(f'{n} {r}' for r, n in counts.items())} users for {args.duration:.0f} s after a "
          f"{args.ramp:.0f} s ramp, {'server at ' + url if args.url else f'gunicorn with {args.workers} workers'}")
    print(table(result))
    if log:
        print(f"Server times (srv): the app's own duration_ms for each request, from {log}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
