"""Migration 0020: whether an urgent contact came within 30 days of receipt or discharge is worked out from the
urgent contacts recorded under 0019, as the projection finds it."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from inclusive_access.extensions import db
from inclusive_access.models import ReferralFact

FLAGS = (ReferralFact.referral_id, ReferralFact.urgent_contact_after_referral,
         ReferralFact.urgent_contact_after_discharge)


def _flags(session) -> list[tuple]:
    return [tuple(row) for row in session.execute(select(*FLAGS).order_by(ReferralFact.referral_id))]


def test_migration_0020_fills_the_urgent_contact_flags_as_the_projection_does(demo_app):
    kept = _flags(db.session)
    assert any(row[1] for row in kept), "the demo has contacts within 30 days of receipt"
    db.session.remove()

    downgrade(revision="0019")
    assert "urgent_contact_after_referral" not in {c["name"] for c in inspect(db.engine).get_columns("referral_facts")}
    upgrade()
    assert _flags(db.session) == kept
