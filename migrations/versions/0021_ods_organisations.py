"""Organisations by ODS code (`flask ods load`), and the ODS code of a referral's referrer, when given. Schema only:
referrals before this revision have their organisation's name alone.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 02:40:17

"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisations',
    sa.Column('ods_code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('gp_practice', 'trust', 'trust_site', 'other')",
                       name=op.f('ck_organisations_kind')),
    sa.PrimaryKeyConstraint('ods_code', name=op.f('pk_organisations'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_name_key'), ['name_key'], unique=False)

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referrer_ods_code', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('referrer_ods_code')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_name_key'))

    op.drop_table('organisations')
