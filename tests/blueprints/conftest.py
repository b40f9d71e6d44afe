"""Page tests run on SQLite alone: a route reads its form, calls one domain verb or read and renders the answer, the
same on either database, and the SQL beneath it is tested on both in tests/domain and tests/reporting. Marked
ON_BOTH_DATABASES, a page test runs on PostgreSQL too when its point is what the database itself does under requests
(saves that race, locks, the log's guards, a server that is down), or when it is the only test to run some of the
app's SQL on PostgreSQL (found by coverage: docs/benchmarks.md, "The page tests on SQLite")."""
from tests.sqlite_alone import sqlite_database  # noqa: F401 - the fixture
