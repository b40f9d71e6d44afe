"""Worklists through the Flask test client: CPU and wall milliseconds per request and bytes per answer, per page.

Usage (the keys the database was made with in the environment, as the Makefile's DEV_ENV sets them):
    IA_ENV=development SECRET_KEY=... AUDIT_CHAIN_KEY=... FHIR_TOKEN_KEY=... \\
    .venv/bin/python bench/render_worklists.py --database-url sqlite:////path/to.db [--requests 40] [--profile PAGE]

No server and no network: each page is requested --requests times after one warm-up by a signed-in user of a role
that works it (users render.<role>, made or given a new password through the domain), so the figures are the app's
own work, the session lookup and the security headers included. The bare signed-in endpoint (`/`, a redirect) is
measured the same way, and each page's CPU time over the bare endpoint's is printed with it. "refresh" is the
htmx request the page makes every minute; "refresh, unchanged" sends back the fingerprint the answer before it
carried (htmx.render_worklist).
--profile PAGE prints the top of a cProfile of that page instead.
"""
import argparse
import cProfile
import gc
import logging
import os
import pstats
import re
import secrets
import statistics
import time

PAGES = [  # (name, role, path, htmx fragment)
    ("bare: / (signed-in redirect)", "booking", "/", False),
    ("triage worklist", "booking", "/triage/", False),
    ("triage worklist (refresh)", "booking", "/triage/", True),
    ("clarifications worklist", "booking", "/clarifications/", False),
    ("contact problems", "booking", "/contact-problems/", False),
    ("barrier checks worklist", "clinician", "/barrier-checks/", False),
    ("senior review list", "senior", "/discharge/reviews", False),
]


def signed_in_clients(app, roles: set[str]) -> dict:
    """A test client per role, signed in through the login form as a browser would."""
    from inclusive_access.domain import accounts
    from inclusive_access.domain.actors import SYSTEM
    from inclusive_access.extensions import db

    password, clients = secrets.token_urlsafe(16), {}
    with app.app_context():
        for role in roles:
            user = accounts.find_user(db.session, f"render.{role}")
            if user is None:
                accounts.create_user(db.session, SYSTEM, f"render.{role}", f"Render {role.title()}", role, password)
            else:
                temporary = accounts.generate_password()
                accounts.reset_password(db.session, SYSTEM, user, temporary)
                accounts.change_password(db.session, user, temporary, password)
        db.session.commit()
    for role in roles:
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/auth/login").get_data(as_text=True)).group(1)
        answer = client.post("/auth/login", data={"csrf_token": token, "username": f"render.{role}",
                                                  "password": password})
        assert answer.status_code == 303, answer.status_code
        clients[role] = client
    return clients


def measure(client, path: str, headers: dict, requests: int) -> dict:
    client.get(path, headers=headers)  # warm: compiled templates, the first query plans
    cpu, wall = [], []
    for _ in range(requests):
        c0, w0 = time.process_time(), time.perf_counter()
        answer = client.get(path, headers=headers)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    seen = re.search(r'name="seen" value="(\w+)"', answer.get_data(as_text=True))
    return {"status": answer.status_code, "bytes": len(answer.data), "cpu": statistics.median(cpu),
            "wall": statistics.median(wall), "seen": seen and seen.group(1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--profile", help="a page's name (as printed) to profile instead")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (pstats: cumulative, tottime)")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url  # config.py reads it on import
    from inclusive_access import create_app

    app = create_app()
    logging.getLogger("inclusive_access.requests").disabled = True  # a JSON line per request would be timed too
    clients = signed_in_clients(app, {role for _, role, _, _ in PAGES})
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does once a worker has loaded the app
    if args.profile:
        name, role, path, fragment = next(p for p in PAGES if p[0] == args.profile)
        headers = {"HX-Request": "true"} if fragment else {}
        profile = cProfile.Profile()
        profile.runcall(measure, clients[role], path, headers, args.requests)
        pstats.Stats(profile).sort_stats(args.sort).print_stats(40)
        return
    print(f"{'page':36} {'status':>6} {'bytes':>8} {'cpu ms':>7} {'wall ms':>8} {'x bare':>7}")
    bare = None
    for name, role, path, fragment in PAGES:
        headers = {"HX-Request": "true"} if fragment else {}
        rows = [(name, measure(clients[role], path, headers, args.requests))]
        if fragment and rows[0][1]["seen"]:
            unchanged = f"{path}?seen={rows[0][1]['seen']}"
            rows.append((f"{name[:-1]}, unchanged)", measure(clients[role], unchanged, headers, args.requests)))
        for label, m in rows:
            bare = bare or m["cpu"]
            print(f"{label:36} {m['status']:>6} {m['bytes']:>8} {m['cpu']:>7.1f} {m['wall']:>8.1f} "
                  f"{bare / m['cpu']:>7.2f}")


if __name__ == "__main__":
    main()
