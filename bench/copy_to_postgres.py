"""A generated SQLite database copied into PostgreSQL as it is, so the 1M-referral load test can run on both engines
without generating 1M referrals a second time (hours on this machine).

Usage (pip install -e .[bench]; the target database empty or missing, created on the server):
    .venv/bin/python bench/copy_to_postgres.py --sqlite /tmp/ia-bench-1000000.db \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:55432/ia_1m

Migrates the target to head, empties what the migrations seeded, then streams every table of the app's models in
foreign-key order with COPY, 50,000 rows a batch, printing each table's rows and rate; the events keep their sealed
sequence numbers and hashes, so `flask audit verify` over the copy checks the same chain. Each table's id sequence
is set past its largest id. The SQLite file must be at the same migration head.
"""
import argparse
import sqlite3
import sys
import time

from migrated import bench_app  # bench/ comes first on sys.path when this script runs
from sqlalchemy import LargeBinary, create_engine, text
from sqlalchemy.engine import make_url

from inclusive_access.extensions import db

BATCH = 50_000


def _ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}).first():
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", required=True, help="the SQLite database file to copy")
    parser.add_argument("--database-url", required=True, help="the PostgreSQL database to copy into")
    args = parser.parse_args()
    _ensure_database(args.database_url)
    app = bench_app(args.database_url, "unused", reuse=True)
    source = sqlite3.connect(f"file:{args.sqlite}?mode=ro", uri=True)
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET session_replication_role = replica")  # no foreign-key triggers while copying
            cursor.execute("SET TimeZone = 'UTC'")  # SQLite holds UTC times without their zone
            cursor.execute("ALTER TABLE events DISABLE TRIGGER events_no_truncate")
            cursor.execute(f"TRUNCATE {', '.join(t.name for t in tables)}")
            cursor.execute("ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_truncate")
            for table in tables:
                started, columns = time.perf_counter(), [c.name for c in table.columns]
                binary = {i for i, c in enumerate(table.columns) if isinstance(c.type, LargeBinary)}
                rows = source.execute(f'SELECT {", ".join(columns)} FROM {table.name}')  # noqa: S608 - our names
                copied = 0
                with cursor.copy(f'COPY {table.name} ({", ".join(columns)}) FROM STDIN') as copy:
                    while batch := rows.fetchmany(BATCH):
                        for row in batch:
                            copy.write_row([bytes(v) if i in binary and v is not None else v
                                            for i, v in enumerate(row)])
                        copied += len(batch)
                if "id" in columns and table.c.id.autoincrement is not False and copied:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                                   f"(SELECT max(id) FROM {table.name}))")
                raw.commit()
                seconds = time.perf_counter() - started
                print(f"{table.name:<32}{copied:>12,} rows {seconds:>8.1f} s", flush=True)
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    print("copied; run `flask audit verify` over the copy to check its chain", file=sys.stderr)


if __name__ == "__main__":
    main()
