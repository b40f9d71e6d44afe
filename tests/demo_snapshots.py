"""The demo, loaded through the domain once per worker, database engine and arguments, and copied into each later
test's database: a load takes 5 to 25 s, a copy well under one. The same for a fixture's records (`made_once`).
Tests that load the same demo share its xdist group (`same_demo`), so that one worker loads it (`make test` runs
pytest with --dist loadgroup)."""
import sqlite3
from contextlib import closing, nullcontext
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import has_app_context
from sqlalchemy import text

from inclusive_access import demo
from inclusive_access.extensions import db

#: a Wednesday morning: the demo's year ends here, so what it holds does not depend on the day the tests run
NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)
#: a small service's year, loaded by the tests of the demo itself and of a year's shared report
A_YEAR = {"patients": 160, "referrals": 200, "seed": 20261123, "now": NOW}
#: a smaller service's year up to a June day, its facts kept event by event: its records read through the FHIR API,
#: and the referrals behind each count of its reports
TO_JUNE = {"patients": 40, "referrals": 60, "seed": 3, "now": datetime(2026, 6, 20, 12, tzinfo=UTC),
           "defer_projection": False}
#: a history large enough to take every path through the state machine, its facts kept event by event
EVERY_PATH = {"patients": 60, "referrals": 90, "seed": 3, "defer_projection": False}
#: a year up to today: the history every migration test of data starts from (tests/domain/conftest.py), and the
#: rebuild's
SMALL = {"patients": 25, "referrals": 40, "seed": 11}
#: this worker's loaded demos and records made once: (engine, what) -> the SQLite file or PostgreSQL database holding
#: a copy
_SNAPSHOTS: dict[tuple, str] = {}


def same_demo(patients: int, referrals: int, seed: int, **_others) -> pytest.MarkDecorator:
    """The xdist group of the tests that load the demo with these arguments."""
    return pytest.mark.xdist_group(f"demo-{patients}-{referrals}-{seed}")


def _release(session) -> None:
    """No connection left open on the test's database, so that it can be copied or replaced."""
    session.remove()
    db.engine.dispose()


def _sqlite(snapshot: str | None, path: str, folder: Path) -> str:
    if snapshot is None:
        snapshot = str(folder / f"demo-{len(_SNAPSHOTS)}.db")
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(snapshot)) as copy:
            source.backup(copy)
        return snapshot
    for leftover in Path(path).parent.glob(f"{Path(path).name}-*"):  # its write-ahead log and shared memory
        leftover.unlink()
    with closing(sqlite3.connect(snapshot)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)
    return snapshot


def _postgresql(snapshot: str | None, name: str, admin) -> str:
    with admin.connect() as conn:
        if snapshot is None:
            snapshot = f"demo_{len(_SNAPSHOTS)}"
            conn.execute(text(f"CREATE DATABASE {snapshot} TEMPLATE {name} STRATEGY FILE_COPY"))
        else:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {snapshot} STRATEGY FILE_COPY"))
    return snapshot


def _keep_or_restore(key: tuple, backend: str, request, tmp_path_factory) -> None:
    """Copy the test's committed database as this worker's snapshot for `key`, or put that snapshot back in its
    place: either way with no connection left on it."""
    url = db.engine.url
    _release(db.session)
    snapshot = _SNAPSHOTS.get(key)
    if backend == "sqlite":
        _SNAPSHOTS[key] = _sqlite(snapshot, url.database, tmp_path_factory.getbasetemp())
    else:
        _SNAPSHOTS[key] = _postgresql(snapshot, url.database, request.getfixturevalue("pg_databases").admin)


@pytest.fixture
def load_demo(db_session, backend, request, tmp_path_factory):
    """load_demo(patients=..., referrals=..., seed=..., ...) puts demo.load's data with those arguments, committed, in
    the test's database: loaded the first time, copied after that."""

    def load(**arguments) -> None:
        key = (backend, "demo", tuple(sorted(arguments.items())))
        if key not in _SNAPSHOTS:
            demo.load(db_session, **arguments)
            db_session.commit()
        _keep_or_restore(key, backend, request, tmp_path_factory)

    return load


#: what each build made_once ran returned, by the same keys as _SNAPSHOTS
_MADE: dict[tuple, object] = {}


@pytest.fixture
def made_once(app, backend, request, tmp_path_factory):
    """made_once(name, build): the records `build` makes (in the test's app context, or a new one; it returns their
    ids), committed in the test's database. Built the first time on this worker and engine; after that the database
    is copied in and what `build` returned then is returned again."""

    def made(name: str, build):
        key = (backend, name)
        with nullcontext() if has_app_context() else app.app_context():
            if key not in _SNAPSHOTS:
                _MADE[key] = build()
                db.session.commit()
            _keep_or_restore(key, backend, request, tmp_path_factory)
        return _MADE[key]

    return made
