"""Print the query plans of the worklist queries on the configured database (run after `flask demo-data`).

Usage: SECRET_KEY=x AUDIT_CHAIN_KEY=$(cat instance/audit_chain_key) [DATABASE_URL=...]
       .venv/bin/python bench/explain_worklists.py
Shows that the worklists (triage, clarification, barrier checks, senior review, safeguarding) read their
indexes, so their cost follows the queue, not the history: for each, the band counts (overdue, due today,
later), the first page, the last page (the deepest OFFSET), and the count beside its link in the navigation.
"""
import time
from datetime import UTC, datetime

from sqlalchemy import text

from config import DevelopmentConfig
from inclusive_access import create_app
from inclusive_access.domain import clarification, dna, reviews, safeguarding, triage
from inclusive_access.extensions import db


def plan(session, statement) -> list[str]:
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    if session.get_bind().dialect.name == "sqlite":
        return [row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    return [row[0] for row in session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))]


def capturing(session, captured: list) -> None:
    """Keep every statement the domain runs through the session, to explain afterwards."""
    for name in ("execute", "scalars", "scalar"):
        original = getattr(session, name)

        def run(statement, *args, _original=original, **kwargs):
            captured.append(statement)
            return _original(statement, *args, **kwargs)

        setattr(session, name, run)


def main() -> None:
    app = create_app(DevelopmentConfig)
    with app.app_context():
        session, now = db.session, datetime.now(UTC)
        captured: list = []
        capturing(session, captured)
        lists = (("triage worklist", lambda page: triage.triage_worklist(session, triage.WorklistFilters(), now, page),
                  triage.count_awaiting),
                 ("clarification worklist", lambda page: clarification.clarification_worklist(session, now, page),
                  clarification.count_open),
                 ("barrier check worklist", lambda page: dna.barrier_worklist(session, now, page), dna.count_open),
                 ("senior review queue", lambda page: reviews.review_queue(session, now, page), reviews.count_pending))
        dialect = session.get_bind().dialect.name
        for name, page_of, count in lists:
            captured.clear()
            started = time.perf_counter()
            first = page_of(1)
            elapsed = (time.perf_counter() - started) * 1000
            counts, first_page = captured[0], captured[1]
            print(f"== {name}: {first.total} rows ({first.totals}), {first.pages} pages of {first.per_page}; "
                  f"page 1 in {elapsed:.1f} ms ({dialect})")
            for label, statement in (("band counts", counts), ("page 1", first_page)):
                print(f"  -- {label}")
                for line in plan(session, statement):
                    print("    ", line)
            captured.clear()
            started = time.perf_counter()
            page_of(first.pages)
            print(f"  -- page {first.pages} (the last) in {(time.perf_counter() - started) * 1000:.1f} ms")
            for line in plan(session, captured[1]):
                print("    ", line)
            captured.clear()
            started = time.perf_counter()
            count(session)
            print(f"  -- navigation count in {(time.perf_counter() - started) * 1000:.1f} ms")
            for line in plan(session, captured[0]):
                print("    ", line)
        captured.clear()
        rows = safeguarding.open_concerns(session)
        print(f"== open safeguarding concerns: {len(rows)} rows ({dialect})")
        for line in plan(session, captured[0]):
            print("    ", line)


if __name__ == "__main__":
    main()
