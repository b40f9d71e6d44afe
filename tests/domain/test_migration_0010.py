"""Migration 0010: adjustment_in_place filled from the event log alone, and every count recounted."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from inclusive_access.domain import fact_projection
from inclusive_access.extensions import db
from inclusive_access.models import ReferralFact, ReferralFactCount
from tests.demo_snapshots import SMALL

#: going down past 0019 drops the urgent contacts themselves, which these are worked out from (test_migration_0020)
URGENT = {"urgent_contact_after_referral", "urgent_contact_after_discharge"}


def _projection(session) -> tuple[list[dict], list[tuple]]:
    rows = session.scalars(select(ReferralFact).order_by(ReferralFact.referral_id)).all()
    table = ReferralFactCount.__table__
    counted = session.execute(select(table).order_by(*table.primary_key.columns)).all()
    return ([{c: getattr(row, c) for c in fact_projection.COLUMNS if c not in URGENT} for row in rows],
            [tuple(row) for row in counted])


def test_migration_0010_projects_adjustments_in_place_from_the_log_as_the_app_did(demo_app):
    kept = _projection(db.session)
    assert 0 < sum(fact["adjustment_in_place"] for fact in kept[0]) < SMALL["referrals"], "some of each"
    db.session.remove()

    downgrade(revision="0009")
    assert "adjustment_in_place" not in {c["name"] for c in inspect(db.engine).get_columns("referral_facts")}
    upgrade()
    assert _projection(db.session) == kept
