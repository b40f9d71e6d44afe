"""Print the query plans of the worklist queries on the configured database (run after `flask demo-data`).

Usage: SECRET_KEY=x AUDIT_CHAIN_KEY=$(cat instance/audit_chain_key) [DATABASE_URL=...]
       .venv/bin/python bench/explain_worklists.py
Shows that the worklists (triage, clarification, barrier checks, senior review, safeguarding) read their
indexes, so their cost follows the queue, not the history.
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


def main() -> None:
    app = create_app(DevelopmentConfig)
    with app.app_context():
        session, now = db.session, datetime.now(UTC)
        captured = []
        original = session.scalars

        def capture(statement, *args, **kwargs):
            captured.append(statement)
            return original(statement, *args, **kwargs)

        session.scalars = capture
        for name, run in (("triage worklist", lambda: triage.triage_worklist(session, triage.WorklistFilters(), now)),
                          ("clarification worklist", lambda: clarification.clarification_worklist(session)),
                          ("barrier check worklist", lambda: dna.barrier_worklist(session)),
                          ("senior review queue", lambda: reviews.review_queue(session)),
                          ("open safeguarding concerns", lambda: safeguarding.open_concerns(session))):
            captured.clear()
            started = time.perf_counter()
            rows = run()
            elapsed = (time.perf_counter() - started) * 1000
            print(f"== {name}: {len(rows)} rows in {elapsed:.1f} ms ({session.get_bind().dialect.name})")
            for line in plan(session, captured[0]):
                print("   ", line)


if __name__ == "__main__":
    main()
