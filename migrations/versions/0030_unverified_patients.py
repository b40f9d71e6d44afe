"""Patients registered from an outreach record: the NHS number may be unknown, identity may be not yet verified and
the date of birth estimated from an approximate age; and the outreach pathway the record joins the core record on.
Patients already on file were registered with an NHS number at intake: verified, born on the date given.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 05:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

_pathways = sa.table("pathways", sa.column("code", sa.String), sa.column("name", sa.String),
                     sa.column("active", sa.Boolean))


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.alter_column('nhs_number', existing_type=sa.String(length=10), nullable=True)
        batch_op.add_column(sa.Column('identity_verified', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('date_of_birth_estimated', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.bulk_insert(_pathways, [{"code": "outreach", "name": "Outreach (homelessness and severe mental illness)",
                                "active": True}])


def downgrade():
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM patients WHERE nhs_number IS NULL LIMIT 1")).first():
        # an NHS number cannot be made up: these patients need theirs found, or removing by hand, first
        raise RuntimeError("Patients without an NHS number exist: revision 0029 requires one for every patient.")
    op.execute(_pathways.delete().where(_pathways.c.code == "outreach"))
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('date_of_birth_estimated')
        batch_op.drop_column('identity_verified')
        batch_op.alter_column('nhs_number', existing_type=sa.String(length=10), nullable=False)
