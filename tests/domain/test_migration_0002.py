"""Migration 0002: the referrals already received get the triage due time the clock gave them, and it downgrades
back to their rows as they were."""
from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import Boolean, DateTime, Integer, String, column, inspect, select, table

from inclusive_access.extensions import db
from tests.domain.migration_rows import patient, referral

#: (received, flagged) -> triage due, all naive UTC as the columns store them
CASES = {
    21: (datetime(2026, 3, 2, 9, 30), True, datetime(2026, 3, 2, 17, 0)),  # a working Monday before 15:00 (GMT)
    22: (datetime(2026, 5, 1, 14, 30), True, datetime(2026, 5, 5, 11, 0)),  # 15:30 BST Friday; Monday a holiday
    23: (datetime(2026, 3, 27, 10, 0), False, datetime(2026, 4, 1, 16, 0)),  # 3 working days on, across into BST
    24: (datetime(2026, 6, 1, 23, 30), True, datetime(2026, 6, 2, 16, 0)),  # 00:30 on Tuesday in London
    25: (datetime(2026, 12, 24, 16, 0), False, datetime(2026, 12, 31, 17, 0)),  # over Christmas and its holidays
}
KEPT = (("id", Integer), ("state", String), ("received_at", DateTime), ("flagged", Boolean))
REFERRALS = table("referrals", *(column(name, type_) for name, type_ in KEPT))


def test_migration_0002_gives_the_referrals_on_file_their_triage_due_time(blank_app):
    upgrade(revision="0001")
    with db.engine.begin() as conn:
        patient(conn)
        for referral_id, (received, flagged, _due) in CASES.items():
            referral(conn, referral_id, received_at=received, flagged=flagged,
                     flags='["housing"]' if flagged else "[]")
        kept = conn.execute(select(REFERRALS).order_by(REFERRALS.c.id)).all()

    upgrade(revision="0002")
    after = table("referrals", *(column(name, type_) for name, type_ in KEPT), column("triage_due_at", DateTime),
                  column("triage_priority", Integer), column("triaged_at", DateTime))
    with db.engine.connect() as conn:
        rows = conn.execute(select(after).order_by(after.c.id)).all()
    assert {row.id: row.triage_due_at for row in rows} == {rid: due for rid, (_r, _f, due) in CASES.items()}
    assert {(row.triage_priority, row.triaged_at) for row in rows} == {(1, None)}
    assert [tuple(row[:4]) for row in rows] == [tuple(row) for row in kept]
    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("referrals")}
    assert "ix_referrals_triage_queue" in indexes

    downgrade(revision="0001")
    assert "triage_due_at" not in {c["name"] for c in inspect(db.engine).get_columns("referrals")}
    assert not {"appointments", "clarifications", "triage_records"} & set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        assert conn.execute(select(REFERRALS).order_by(REFERRALS.c.id)).all() == kept
