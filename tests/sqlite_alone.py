"""The database fixture for tests that run on SQLite alone: a folder's conftest or a test module imports it, and it
takes the place of tests/conftest.py's `database_url` there. For tests of what is decided the same on either database
(a page, a rule checked before any SQL runs); a test marked ON_BOTH_DATABASES still runs on both."""
import pytest

from tests.conftest import migrated_database


@pytest.fixture(name="database_url", params=["sqlite"])
def sqlite_database(request):
    yield from migrated_database(request, request.param)
