"""Migration 0014: the patients already on file get folded name keys the search finds them by."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, update

from inclusive_access.domain import name_keys
from inclusive_access.extensions import db
from inclusive_access.models import Patient


def test_migration_0014_folds_the_names_on_file_as_the_app_does(demo_app):
    first = db.session.scalar(select(Patient.id).order_by(Patient.id).limit(1))
    db.session.remove()
    downgrade(revision="0013")
    assert "family_name_key" not in {c["name"] for c in inspect(db.engine).get_columns("patients")}
    with db.engine.begin() as conn:  # a name as another system might have written it, before the keys existed
        conn.execute(update(Patient.__table__).where(Patient.__table__.c.id == first)
                     .values(given_name="Zoë Siân", family_name="O'Brien-Ní Dhúill"))
    upgrade()
    rows = db.session.execute(select(Patient.given_name, Patient.family_name, Patient.given_name_key,
                                     Patient.family_name_key).order_by(Patient.id)).all()
    assert rows[0][2:] == ("zoesian", "obriennidhuill")
    assert [tuple(row[2:]) for row in rows] == [tuple(name_keys.keys(*row[:2]).values()) for row in rows]
    indexes = {ix["name"] for ix in inspect(db.session.connection()).get_indexes("patients")}
    assert {"ix_patients_family_name_key", "ix_patients_given_name_key", "ix_patients_date_of_birth",
            "ix_patients_postcode"} <= indexes
