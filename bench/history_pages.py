"""Pages that grow with history at scale: the referral list (keyset paged) and a busy user's access log.

Usage (pip install -e .[bench]):
    .venv/bin/python bench/history_pages.py [--referrals 100000] [--database-url URL] [--reuse] [--explain]

Fills a database as bench/equity_report.py does (same generator, same seed), then times, median of --repeat runs,
the domain reads behind each page: the referral list's first page, a page deep in the list (by its "Next" key), the
list filtered by pathway and by state, and the access log of the user who viewed most records, for the last 30 days,
a month 20 months ago and a month before any view (the old query walked the user's whole history for the last
two). Server time of the read only: no rendering.
"""
# ruff: noqa: S608 - SQL text is built from our own compiled statements
import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from equity_report import generate  # bench/ comes first on sys.path when this script runs
from migrated import opened
from sqlalchemy import func, select, text

from inclusive_access.domain import actions, audit_log, listing
from inclusive_access.domain.listing import ReferralFilters
from inclusive_access.extensions import db
from inclusive_access.models import Event


def timed(run, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a new SQLite file under /tmp")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="time an already generated database")
    args = parser.parse_args()
    app, existing, backend = opened(args.database_url, f"ia-bench-history-{args.referrals}", args.reuse)
    if not existing:
        print(f"Generating {args.referrals:,} referrals ...", file=sys.stderr, flush=True)
        generate(app, args.referrals, args.months, 20261201, False)
    with app.app_context():
        s = db.session
        busiest = s.execute(select(Event.actor_id, func.count()).where(Event.action == actions.RECORD_VIEWED)
                            .group_by(Event.actor_id).order_by(func.count().desc()).limit(1)).one()
        s.rollback()
        rows = []

        def page(label, filters):
            ms, found = timed(lambda: listing.list_referrals(s, filters), args.repeat)
            rows.append((label, ms, f"{len(found.rows)} rows, count {found.matching:,} (bound "
                                    f"{listing.COUNT_BOUND:,})"))
            return found

        first = page("referral list, first page", ReferralFilters())
        deep = first
        for _ in range(20):  # the 21st page, by each page's "Next" key
            deep = listing.list_referrals(s, ReferralFilters(after=deep.older))
        page("referral list, 21st page (by Next)", ReferralFilters(after=deep.older))
        page("referral list, pathway msk", ReferralFilters(pathway="msk"))
        page("referral list, state received", ReferralFilters(state="received"))
        now = datetime.now(UTC)
        day = timedelta(days=1)
        for label, since, until in (("last 30 days", now - 30 * day, now),
                                    ("a month 20 months ago", now - 610 * day, now - 580 * day),
                                    ("a month before any view", now - 3650 * day, now - 3620 * day)):
            ms, found = timed(lambda a=since, b=until: audit_log.user_views(s, busiest[0], a, b), args.repeat)
            rows.append((f"user access, {label}", ms, f"{len(found.rows)} rows of the user's {busiest[1]:,} views"))
        events = s.scalar(text("SELECT count(*) FROM events"))
    print(f"\nHistory pages: {args.referrals:,} referrals, {events:,} events, on {backend}; median of {args.repeat}")
    for label, ms, what in rows:
        print(f"{label:<40}{ms:>9,.1f} ms  {what}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
