"""Migration 0017: the new attendance outcomes are allowed, and the DNAs no booking has followed are filled from the
event log as the projection finds them."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from inclusive_access.extensions import db
from inclusive_access.models import Appointment, UnrebookedDna


def _unrebooked(session) -> list[tuple]:
    return [tuple(row) for row in session.execute(select(UnrebookedDna.__table__).order_by(
        UnrebookedDna.referral_id, UnrebookedDna.missed_at))]


def _set_status(status: str) -> None:
    with db.engine.begin() as conn:
        first = conn.scalar(select(Appointment.__table__.c.id).order_by(Appointment.__table__.c.id).limit(1))
        conn.execute(text("UPDATE appointments SET status = :s WHERE id = :id"), {"s": status, "id": first})


def test_migration_0017_fills_the_unrebooked_dnas_as_the_projection_does(demo_app):
    kept = _unrebooked(db.session)
    assert kept, "the demo has DNAs no booking has followed"
    db.session.remove()

    downgrade(revision="0016")
    assert "unrebooked_dnas" not in inspect(db.engine).get_table_names()
    with pytest.raises(IntegrityError):
        _set_status("late_not_seen")
    upgrade()
    assert _unrebooked(db.session) == kept
    db.session.remove()
    _set_status("late_not_seen")
