"""The plans the database makes for the statements a read issues, on SQLite and PostgreSQL alike, so a test can
show that a page is read from an index, in order, without sorting."""
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

#: PostgreSQL plans a handful of test rows by a sequential scan and a sort, whatever the indexes; with both
#: discouraged, a sort or a scan that is still chosen is one no index can avoid (the planner falls back to them only
#: when nothing else answers the statement). ANALYZE first: a test database is emptied and reused, and statistics
#: left from an earlier test's rows would choose between indexes for rows that are no longer there.
_NO_SHORTCUTS = ("ANALYZE", "SET LOCAL enable_seqscan = off", "SET LOCAL enable_bitmapscan = off",
                 "SET LOCAL enable_sort = off")


def plans_of(session: Session, read: Callable[[], object]) -> tuple[object, list[tuple[str, str]]]:
    """What `read` returns, and each SELECT it issued with the database's plan for it (one string)."""
    issued = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            issued.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        result = read()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    run = session.connection().exec_driver_sql
    if session.get_bind().dialect.name == "sqlite":
        return result, [(s, "\n".join(row[-1] for row in run(f"EXPLAIN QUERY PLAN {s}", p))) for s, p in issued]
    for setting in _NO_SHORTCUTS:
        run(setting)
    return result, [(s, "\n".join(row[0] for row in run(f"EXPLAIN {s}", p))) for s, p in issued]


def sorts(plan: str) -> bool:
    """Whether the plan sorts rows: SQLite's temporary B-tree, PostgreSQL's Sort node (incremental or not)."""
    return "TEMP B-TREE" in plan or "Sort" in plan.replace("Sort Key", "")


def scans(plan: str, table: str) -> bool:
    """Whether the plan reads the whole table rather than a range of an index."""
    return f"SCAN {table}\n" in plan + "\n" or f"Seq Scan on {table}" in plan
