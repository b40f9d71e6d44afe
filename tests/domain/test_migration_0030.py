"""Migration 0030: the patients on file stay verified, born on the date given; the outreach pathway is added; and a
downgrade is refused while a patient has no NHS number (one cannot be made up)."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from inclusive_access.extensions import db
from inclusive_access.models import Pathway, Patient


def test_migration_0030_keeps_the_patients_on_file_verified_and_adds_the_outreach_pathway(demo_app):
    numbers = db.session.scalars(select(Patient.nhs_number).order_by(Patient.id)).all()
    db.session.remove()
    downgrade(revision="0029")
    assert "identity_verified" not in {c["name"] for c in inspect(db.engine).get_columns("patients")}
    assert db.session.scalar(select(Pathway.__table__.c.id).where(Pathway.__table__.c.code == "outreach")) is None
    db.session.remove()
    upgrade()
    rows = db.session.execute(select(Patient.nhs_number, Patient.identity_verified, Patient.date_of_birth_estimated)
                              .order_by(Patient.id)).all()
    assert [tuple(row) for row in rows] == [(number, True, False) for number in numbers]
    assert db.session.scalar(select(Pathway.active).where(Pathway.code == "outreach")) is True


def test_migration_0030_refuses_to_downgrade_while_a_patient_has_no_nhs_number(demo_app):
    first = db.session.scalar(select(Patient).order_by(Patient.id).limit(1))
    first.nhs_number, first.identity_verified = None, False
    db.session.commit()
    db.session.remove()
    with pytest.raises(SystemExit):  # flask_migrate reports the revision's refusal and exits
        downgrade(revision="0029")
    assert "identity_verified" in {c["name"] for c in inspect(db.engine).get_columns("patients")}
