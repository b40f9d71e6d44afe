"""`flask facts export`: the projection as Parquet, read back by DuckDB as a region's analysts would, pseudonymised
and written a chunk at a time."""
from datetime import UTC, datetime
from itertools import product

import duckdb
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from inclusive_access.models import OutcomeFact, ReferralFact
from inclusive_access.reporting import columnar
from tests.factories import make_referral, staff
from tests.reporting.outcome_history import add_outcome, discharged, seen

F = ReferralFact


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 11, tzinfo=UTC)


@pytest.fixture
def history(db_session):
    """Six referrals across IMD quintiles and ethnic groups; one seen with a PHQ-9 baseline only, one discharged
    improved on it."""
    clinician, senior = staff(db_session, "clinician"), staff(db_session, "senior")
    for decile, ethnic in product(("1", "5", "10"), ("A", "H")):
        make_referral(db_session, imd_decile=decile, ethnic_category=ethnic)
    add_outcome(db_session, clinician, seen(db_session, clinician, "2026-06-02 09:00", imd_decile="1"), "phq9",
                (_at(6, 3), 20))
    add_outcome(db_session, clinician, discharged(db_session, clinician, senior, "2026-06-02 09:00", _at(7, 1),
                                                  imd_decile="10"), "phq9", (_at(6, 3), 20), (_at(7, 1), 8))
    db_session.commit()
    return db_session


def _by(session, *columns) -> set[tuple]:
    return {tuple(row) for row in session.execute(select(*columns, func.count()).group_by(*columns))}


def test_the_export_read_by_duckdb_counts_as_the_database_does(history, runner, tmp_path):
    result = runner.invoke(args=["facts", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"Wrote 8 rows to {tmp_path / 'referral_facts.parquet'}." in result.output
    with duckdb.connect() as duck:
        exported = set(duck.sql(f"SELECT imd_quintile, ethnic_group, count(*) FROM "
                                f"'{tmp_path}/referral_facts.parquet' GROUP BY ALL").fetchall())
        outcomes = set(duck.sql(f"SELECT instrument_id, improved, count(*) FROM "
                                f"'{tmp_path}/outcome_facts.parquet' GROUP BY ALL").fetchall())
    assert exported == _by(history, F.imd_quintile, F.ethnic_group)
    assert outcomes == _by(history, OutcomeFact.instrument_id, OutcomeFact.improved)
    assert outcomes == {("phq9", None, 1), ("phq9", True, 1)}


def test_ids_are_pseudonyms_that_still_join_and_chunks_make_row_groups(history, tmp_path):
    engine = history.get_bind()
    written = columnar.export(engine, tmp_path, fetch_rows=2, row_group_rows=3)
    facts, outcomes = (pq.read_table(tmp_path / f"{table.name}.parquet") for table in columnar.TABLES)
    assert written == {"referral_facts.parquet": 8, "outcome_facts.parquet": 2}
    assert facts.column("received_at").to_pylist() == list(history.scalars(select(F.received_at)
                                                                         .order_by(F.referral_id)))
    metadata = pq.ParquetFile(tmp_path / "referral_facts.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [4, 4]
    real, pseudonyms = set(history.scalars(select(F.referral_id))), set(facts.column("referral_id").to_pylist())
    assert len(pseudonyms) == len(real)
    assert not pseudonyms & real
    assert set(outcomes.column("referral_id").to_pylist()) <= pseudonyms
    patients = history.scalar(select(func.count(F.patient_id.distinct())))
    assert len(set(facts.column("patient_id").to_pylist())) == patients
    columnar.export(engine, tmp_path / "again")
    again = set(pq.read_table(tmp_path / "again" / "referral_facts.parquet").column("referral_id").to_pylist())
    assert not again & pseudonyms, "each export has its own key: two exports cannot be linked by id"
