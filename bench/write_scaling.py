"""Writes under concurrency on PostgreSQL: N worker processes each triage their own referrals in a loop.

Usage (from the checkout to measure; run once from a checkout of main for "before"):
    PYTHONPATH=$PWD .venv/bin/python bench/write_scaling.py --server postgresql+psycopg://postgres@127.0.0.1:PORT \
        [--workers 8,32,64] [--seconds 20] [--referrals 4000] [--label after]

The server needs max_connections above the largest N. Receives --referrals referrals once (one process) into a
template database, then for each N copies it and starts N processes; each accepts at triage (the booking script,
the transition, its events and their projection, one commit per referral) the referrals whose id is its own
modulo N, for --seconds. Prints commits/s and p50/p95 latency of triage-and-commit per N, and the chain verifies
after each run.
"""
import argparse
import multiprocessing
import statistics
import time

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from inclusive_access.domain import event_chain, triage
from inclusive_access.domain.actors import Actor
from inclusive_access.extensions import db
from inclusive_access.models import Referral
from tests.conftest import _migrate, make_app
from tests.factories import SCRIPT, make_referral, make_user


def _admin(server: str, sql: str) -> None:
    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


def seed(server: str, name: str, referrals: int) -> None:
    _admin(server, f"DROP DATABASE IF EXISTS {name}")
    _admin(server, f"CREATE DATABASE {name}")
    _migrate(f"{server}/{name}")
    app = make_app(f"{server}/{name}")
    with app.app_context():
        make_user(db.session, "booking", "booker")
        for _ in range(referrals):
            make_referral(db.session)
            db.session.commit()
    with app.app_context():
        db.engine.dispose()


def worker(url: str, index: int, workers: int, seconds: float, start, results) -> None:
    app = make_app(url)
    latencies, errors = [], 0
    with app.app_context():
        booker = Actor(1, "booking", "booker")
        ids = db.session.scalars(db.select(Referral.id).where(Referral.id % workers == index)
                                 .order_by(Referral.id)).all()
        db.session.rollback()
        start.wait()
        ends = time.perf_counter() + seconds
        for referral_id in ids:
            if time.perf_counter() >= ends:
                break
            began = time.perf_counter()
            try:
                referral = db.session.get(Referral, referral_id)
                triage.triage_referral(db.session, booker, referral, referral.version, SCRIPT, [], "accept")
                db.session.commit()
                latencies.append(time.perf_counter() - began)
            except Exception:  # noqa: BLE001 - counted and reported, the run goes on
                db.session.rollback()
                errors += 1
        ran_out = time.perf_counter() < ends
        db.engine.dispose()
    results.put((latencies, errors, ran_out))


def run(server: str, template: str, workers: int, seconds: float) -> dict:
    name = f"{template}_{workers}"
    _admin(server, f"DROP DATABASE IF EXISTS {name}")
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    url = f"{server}/{name}"
    start, results = multiprocessing.Barrier(workers + 1), multiprocessing.Queue()
    processes = [multiprocessing.Process(target=worker, args=(url, i, workers, seconds, start, results))
                 for i in range(workers)]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    collected = [results.get() for _ in processes]
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
    if any(ran_out for _, _, ran_out in collected):
        print(f"  {workers} writers: a worker ran out of referrals before the time was up: raise --referrals")
    latencies = sorted(x for lat, _, _ in collected for x in lat)
    app = make_app(url)
    with app.app_context():
        verified = event_chain.verify(db.session)
        db.session.remove()
        db.engine.dispose()
    _admin(server, f"DROP DATABASE {name}")
    return {"workers": workers, "commits": len(latencies), "errors": sum(e for _, e, _ in collected),
            "per_s": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
            "p95": latencies[int(len(latencies) * 0.95)] * 1000, "chain": verified.ok, "events": verified.count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="postgresql+psycopg://user@host:port, no database")
    parser.add_argument("--workers", default="8,32,64")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--referrals", type=int, default=4000)
    parser.add_argument("--label", default="this checkout")
    args = parser.parse_args()
    template = "write_scaling_" + "".join(c for c in args.label.lower() if c.isalnum())
    started = time.perf_counter()
    seed(args.server, template, args.referrals)
    print(f"{args.label}: {args.referrals} referrals received in {time.perf_counter() - started:.0f} s", flush=True)
    print("label | writers | commits/s | p50 ms | p95 ms | commits | errors | chain verifies (events)")
    for workers in (int(n) for n in args.workers.split(",")):
        r = run(args.server, template, workers, args.seconds)
        print(f"{args.label} | {workers} | {r['per_s']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['commits']} | "
              f"{r['errors']} | {r['chain']} ({r['events']})", flush=True)


if __name__ == "__main__":
    main()
