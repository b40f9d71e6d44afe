"""Patient search: a folded name column and indexes for search by NHS number, name, birth date and postcode.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:00:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Frozen copy of domain.name_keys.fold as of this revision: the migration must fold as the app did then,
# whatever the app's code says later.
_LATIN = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_BATCH = 5000


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LATIN))
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))[:100]


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('given_name_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('family_name_key', sa.String(length=100), nullable=True))
    bind = op.get_bind()
    patients = sa.table("patients", sa.column("id", sa.Integer), sa.column("given_name", sa.String),
                        sa.column("family_name", sa.String), sa.column("given_name_key", sa.String),
                        sa.column("family_name_key", sa.String))
    last = 0
    while True:  # by id, a batch at a time: a million patients are never held in memory at once
        rows = bind.execute(sa.select(patients.c.id, patients.c.given_name, patients.c.family_name)
                            .where(patients.c.id > last).order_by(patients.c.id).limit(_BATCH)).all()
        if not rows:
            break
        bind.execute(patients.update().where(patients.c.id == sa.bindparam("pid")),
                     [{"pid": pid, "given_name_key": _fold(given), "family_name_key": _fold(family)}
                      for pid, given, family in rows])
        last = rows[-1][0]
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.alter_column('given_name_key', existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column('family_name_key', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_index('ix_patients_family_name_key', ['family_name_key', 'given_name_key'], unique=False)
        batch_op.create_index('ix_patients_given_name_key', ['given_name_key', 'family_name_key'], unique=False)
        batch_op.create_index('ix_patients_date_of_birth', ['date_of_birth'], unique=False)
        batch_op.create_index('ix_patients_postcode', ['postcode'], unique=False)


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_postcode')
        batch_op.drop_index('ix_patients_date_of_birth')
        batch_op.drop_index('ix_patients_given_name_key')
        batch_op.drop_index('ix_patients_family_name_key')
        batch_op.drop_column('family_name_key')
        batch_op.drop_column('given_name_key')
