"""The reporting projection written out as Parquet files for a columnar engine (DuckDB and the like), pseudonymised,
streamed a chunk at a time so memory stays bounded whatever the size of the service."""
import hashlib
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Boolean, Column, Connection, DateTime, Engine, Float, Integer, String, Table, select, type_coerce

from inclusive_access.extensions import UTCDateTime
from inclusive_access.models import OutcomeFact, ReferralFact

#: the tables exported, one file each (<name>.parquet): neither holds a name, an NHS number or an address
TABLES: tuple[Table, ...] = (ReferralFact.__table__, OutcomeFact.__table__)
#: the record ids, replaced by keyed hashes: stable within one export (a referral's outcomes join to it, a patient's
#: referrals share a key) and meaningless outside it
PSEUDONYMISED = frozenset({"referral_id", "patient_id", "previous_referral_id"})
#: rows fetched as Python objects at a time (what bounds memory), and rows per Parquet row group (held as Arrow
#: columns until written: compact, and large groups read faster)
FETCH_ROWS = 10_000
ROW_GROUP_ROWS = 100_000
_ARROW = {Boolean: pa.bool_(), Float: pa.float64(), Integer: pa.int64(), String: pa.string(),
          UTCDateTime: pa.timestamp("us", tz="UTC")}


def _arrow_type(column: Column) -> pa.DataType:
    if column.name in PSEUDONYMISED:
        return pa.int64()
    return next(arrow for sql, arrow in _ARROW.items() if isinstance(column.type, sql))


def schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, _arrow_type(c), nullable=c.nullable) for c in table.columns])


def pseudonym(key: bytes, record_id: int | None) -> int | None:
    """A signed 64-bit keyed BLAKE2b of the id: collisions are negligible at any service's size."""
    if record_id is None:
        return None
    return int.from_bytes(hashlib.blake2b(str(record_id).encode(), key=key, digest_size=8).digest(), "big",
                          signed=True)


def _read(column: Column):
    # The columns hold naive UTC; Arrow takes naive values as UTC, so UTCDateTime's conversion per value is skipped.
    return type_coerce(column, DateTime()).label(column.name) if isinstance(column.type, UTCDateTime) else column


def _batches(connection: Connection, table: Table, key: bytes, fetch_rows: int) -> Iterator[pa.RecordBatch]:
    """The table's rows as record batches, fetched by a streaming cursor `fetch_rows` at a time."""
    result = connection.execute(select(*map(_read, table.columns)).order_by(*table.primary_key.columns),
                                execution_options={"yield_per": fetch_rows})
    for rows in result.partitions():
        columns = dict(zip(table.columns.keys(), zip(*rows, strict=True), strict=True))
        for name in PSEUDONYMISED & columns.keys():
            columns[name] = [pseudonym(key, value) for value in columns[name]]
        yield pa.RecordBatch.from_pydict(columns, schema=schema(table))


def _row_groups(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    group: list[pa.RecordBatch] = []
    for batch in batches:
        group.append(batch)
        if sum(b.num_rows for b in group) >= rows:
            yield pa.Table.from_batches(group)
            group = []
    if group:
        yield pa.Table.from_batches(group)


def export(engine: Engine, directory: Path, fetch_rows: int = FETCH_ROWS,
           row_group_rows: int = ROW_GROUP_ROWS) -> dict[str, int]:
    """Write each table of TABLES to `directory` as <name>.parquet, all from one snapshot of the database read on a
    connection of its own (holding no write lock); rows written by file name."""
    options = {"read_snapshot": True}
    if engine.dialect.name == "postgresql":
        options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    key, written = secrets.token_bytes(32), {}
    directory.mkdir(parents=True, exist_ok=True)
    with engine.connect().execution_options(**options) as connection:
        for table in TABLES:
            path, written[f"{table.name}.parquet"] = directory / f"{table.name}.parquet", 0
            with pq.ParquetWriter(path, schema(table)) as writer:
                for group in _row_groups(_batches(connection, table, key, fetch_rows), row_group_rows):
                    writer.write_table(group, row_group_size=group.num_rows)
                    written[path.name] += group.num_rows
    return written
